# ruff: noqa
# fmt: off
# A module whose name starts with "api" is not in api/.
# ruleid: confide-fastapi-below-api
from fastapi import Request
