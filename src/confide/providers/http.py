"""One shared, pooled aiohttp session for every upstream call (the relay's hot path).

Created on first use inside the running event loop, closed in the app's lifespan. Redirects
are never followed by callers (`allow_redirects=False`), so a connection's API key is only
ever sent to that connection's own host. aiohttp itself is imported with the first session,
so a server that never calls upstream does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

POOL_LIMIT = 1000  # open upstream connections across all hosts
POOL_LIMIT_PER_HOST = 500


class HttpPool:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=POOL_LIMIT, limit_per_host=POOL_LIMIT_PER_HOST, ttl_dns_cache=60
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                trust_env=False,  # never route through a proxy picked up from the environment
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
