# Fixtures for `semgrep --test`: the line under each "ruleid" annotation must be flagged, the line
# under each "ok" annotation must not.
# (Path scoping -- api/, app.py and settings.py being allowed -- is not visible to
# `semgrep --test`; .semgrep/tests/scope/ covers it with a real scan.)
# ruff: noqa
# fmt: off
import importlib
import os
from os import environ

# ruleid: confide-fastapi-below-api
import fastapi
# ruleid: confide-fastapi-below-api
import fastapi.responses
# ruleid: confide-fastapi-below-api
from fastapi import Depends, HTTPException
# ruleid: confide-fastapi-below-api
from fastapi.responses import JSONResponse
# ruleid: confide-fastapi-below-api
from starlette.requests import Request
# ruleid: confide-fastapi-below-api
import starlette.status
# ok: confide-fastapi-below-api
import fastapi_users_not_really_fastapi
# ok: confide-fastapi-below-api
from pydantic import BaseModel
# ok: confide-env-outside-settings
from pydantic_settings import BaseSettings


def lazy_import():
    # ruleid: confide-fastapi-below-api
    return importlib.import_module("fastapi.routing")


def read_environment():
    # ruleid: confide-env-outside-settings
    a = os.environ["CONFIDE_SECRET"]
    # ruleid: confide-env-outside-settings
    b = os.environ.get("CONFIDE_SECRET", "")
    # ruleid: confide-env-outside-settings
    c = os.getenv("HOME")
    # ruleid: confide-env-outside-settings
    d = environ.get("PATH")
    # ruleid: confide-env-outside-settings
    os.putenv("X", "1")
    # ok: confide-env-outside-settings
    e = os.path.join("a", "b")
    return a, b, c, d, e


# ruleid: confide-env-outside-settings
class SneakySettings(BaseSettings):
    token: str = ""
