"""`RecentCache`: answers worth a database round trip, kept for a moment.

Used for who is behind a credential (`Context.principals`) and for what a model id resolves to
(`Context.resolved`): both are asked on every request, and both change only through writes
that say so (`confide.db.engine.changed` marks a topic; the app wires the topic's commits to
`invalidate`). An entry lives at most `ttl` seconds and never past the expiry its loader gave.

`get_or_load` is single-flight: when many requests miss the same key at once (a burst of
streams on one API key, just after its entry expired), one of them loads it and the others
wait for that answer instead of each going to the database.

Nothing stale survives an invalidation: an answer loaded before the invalidating write
committed is not kept (the epoch check), and requests that arrive after it do not join a load
that began before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar, cast

V = TypeVar("V")
Loaded = tuple[V, datetime | None] | None  # the value and its own expiry; None: nothing found
_RETRY = object()  # what waiters get when the shared load failed: they load for themselves


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    until: float  # time.monotonic() after which the entry is not used


class RecentCache(Generic[V]):
    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.epoch = 0
        self._entries: dict[str, _Entry[V]] = {}
        self._loading: dict[str, asyncio.Future[object]] = {}

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() >= entry.until:
            self._entries.pop(key, None)
            return None
        return entry.value

    async def get_or_load(self, key: str, load: Callable[[], Awaitable[Loaded[V]]]) -> V | None:
        """The cached value, or what `load` finds (kept; None is never kept)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        shared = self._loading.get(key)
        if shared is not None:
            answer = await asyncio.shield(shared)
            if answer is not _RETRY:
                return cast("V | None", answer)
            loaded = await load()
            return None if loaded is None else loaded[0]
        return await self._load(key, load)

    async def _load(self, key: str, load: Callable[[], Awaitable[Loaded[V]]]) -> V | None:
        epoch = self.epoch
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        answer: object = _RETRY
        try:
            loaded = await load()
            if loaded is not None:
                self.put(key, loaded[0], epoch=epoch, expires_at=loaded[1])
            value = None if loaded is None else loaded[0]
            answer = value
            return value
        finally:
            future.set_result(answer)
            if self._loading.get(key) is future:
                del self._loading[key]

    def put(self, key: str, value: V, *, epoch: int, expires_at: datetime | None = None) -> None:
        """Keep `value` for `key`, unless an invalidation happened since `epoch` was read."""
        if epoch != self.epoch:
            return
        ttl = self.ttl
        if expires_at is not None:
            ttl = min(ttl, (expires_at - datetime.now(expires_at.tzinfo)).total_seconds())
        if ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = _Entry(value, time.monotonic() + ttl)

    def invalidate(self) -> None:
        self.epoch += 1
        self._entries.clear()
        self._loading.clear()  # later requests load afresh rather than join an older load

    def __len__(self) -> int:
        return len(self._entries)
