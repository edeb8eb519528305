# ruff: noqa
# fmt: off
import os

from pydantic_settings import BaseSettings


# ok: confide-env-outside-settings
class Settings(BaseSettings):
    data_dir: str = "data"


def home() -> str | None:
    # ok: confide-env-outside-settings
    return os.environ.get("HOME")
