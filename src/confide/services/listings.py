"""Upstream model listings, kept briefly so `/api/models` and model resolution stay fast.

Entries are keyed by the connection's id *and* the configuration it was listed with (URL, kind,
sealed key, timeouts), so a changed connection is listed afresh at once, on every replica,
without any cross-process invalidation; `forget` only frees memory early. Concurrent misses
for one key share a single upstream call. Nothing per user is kept here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from confide.providers.base import ErrorKind, ModelInfo

LISTING_TTL = 15.0  # seconds a successful listing is reused
ERROR_TTL = 5.0  # seconds a failed one is (so a dead upstream is not asked on every page load)
MAX_ENTRIES = 512


@dataclass(frozen=True, slots=True)
class Listing:
    models: tuple[ModelInfo, ...] = ()
    error_kind: ErrorKind | None = None
    error: str | None = None  # the full provider message (for admins)

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass(frozen=True, slots=True)
class ListingKey:
    connection_id: str
    config: Hashable


Fetch = Callable[[], Awaitable[Listing]]


class ListingCache:
    def __init__(
        self,
        ttl: float = LISTING_TTL,
        error_ttl: float = ERROR_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.error_ttl, self._clock = ttl, error_ttl, clock
        self._entries: dict[ListingKey, tuple[float, Listing]] = {}
        self._pending: dict[ListingKey, asyncio.Task[Listing]] = {}

    async def get(self, key: ListingKey, fetch: Fetch) -> Listing:
        """The cached listing for `key`, or the result of `fetch()` (shared by concurrent
        callers; a caller that gives up does not cancel it for the others)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fill(key, fetch))
            self._pending[key] = task
        return await asyncio.shield(task)

    def put(self, key: ListingKey, listing: Listing) -> None:
        ttl = self.ttl if listing.ok else self.error_ttl
        if len(self._entries) >= MAX_ENTRIES:
            self._prune()
        self._entries[key] = (self._clock() + ttl, listing)

    def clear(self) -> None:
        """Forget every listing (a connection changed, here or on another replica)."""
        self._entries.clear()

    def forget(self, connection_id: str) -> None:
        for key in [k for k in self._entries if k.connection_id == connection_id]:
            del self._entries[key]

    async def _fill(self, key: ListingKey, fetch: Fetch) -> Listing:
        try:
            listing = await fetch()
            self.put(key, listing)
            return listing
        finally:
            self._pending.pop(key, None)

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) >= MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
