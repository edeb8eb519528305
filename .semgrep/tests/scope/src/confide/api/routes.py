# ruff: noqa
# fmt: off
# ok: confide-fastapi-below-api
from fastapi import APIRouter, Depends

# ok: confide-fastapi-below-api
from starlette.responses import Response

router = APIRouter()
