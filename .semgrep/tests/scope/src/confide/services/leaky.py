# ruff: noqa
# fmt: off
import os

# ruleid: confide-fastapi-below-api
from fastapi import HTTPException


def secret() -> str:
    # ruleid: confide-env-outside-settings
    value = os.environ.get("CONFIDE_SECRET", "")
    if not value:
        raise HTTPException(status_code=500)
    return value
