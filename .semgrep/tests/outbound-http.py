# Fixtures for `semgrep --test`: the line under each "ruleid" annotation must be flagged, the line
# under each "ok" annotation must not.
# (Path scoping -- providers/ being allowed -- is covered by .semgrep/tests/scope/.)
# ruff: noqa
# fmt: off
import asyncio
import importlib
import socket

# ruleid: confide-http-client-outside-providers
import aiohttp
# ruleid: confide-http-client-outside-providers
import httpx
# ruleid: confide-http-client-outside-providers
import requests
# ruleid: confide-http-client-outside-providers
import urllib3
# ruleid: confide-http-client-outside-providers
import urllib.request
# ruleid: confide-http-client-outside-providers
import http.client
# ruleid: confide-http-client-outside-providers
from aiohttp import ClientSession
# ruleid: confide-http-client-outside-providers
from aiohttp.client import ClientTimeout
# ruleid: confide-http-client-outside-providers
from httpx import AsyncClient
# ruleid: confide-http-client-outside-providers
from urllib.request import urlopen
# ruleid: confide-http-client-outside-providers
from urllib import request
# ruleid: confide-http-client-outside-providers
from http.client import HTTPSConnection
# ruleid: confide-http-client-outside-providers
from http import client
# ok: confide-http-client-outside-providers
from urllib.parse import urlsplit
# ok: confide-http-client-outside-providers
from http import HTTPStatus
# ok: confide-http-client-outside-providers
import aiohttp_not_really


async def connect(host: str) -> None:
    # ruleid: confide-http-client-outside-providers
    reader, writer = await asyncio.open_connection(host, 80)
    # ruleid: confide-http-client-outside-providers
    sock = socket.create_connection((host, 80))
    # ruleid: confide-http-client-outside-providers
    module = importlib.import_module("httpx")
    # ruleid: confide-http-client-outside-providers
    other = __import__("aiohttp.client")
    # ok: confide-http-client-outside-providers
    parsed = importlib.import_module("urllib.parse")


# ruleid: confide-no-random-for-secrets
import random
# ruleid: confide-no-random-for-secrets
from random import choice
# ruleid: confide-no-random-for-secrets
from numpy import random
# ok: confide-no-random-for-secrets
import secrets
# ok: confide-no-random-for-secrets
from secrets import token_urlsafe
