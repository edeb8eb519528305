# ruff: noqa
# fmt: off
# ruleid: confide-http-client-outside-providers
import httpx

# ruleid: confide-http-client-outside-providers
from aiohttp import ClientSession


async def fetch(url: str) -> bytes:
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).content
