# ruff: noqa
# fmt: off
# The SSRF guard: the one place outside providers/ that may open connections (to checked,
# pinned addresses only). Nothing here may be flagged.
import aiohttp
from aiohttp.abc import AbstractResolver


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()
