# ruff: noqa
# fmt: off
# The provider layer: the one place outbound HTTP is allowed. Nothing here may be flagged.
import aiohttp


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()
