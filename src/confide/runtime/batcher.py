"""Coalescing writes that happen per token or per request into one write per interval.

Streams report progress and usage far more often than the database needs to hear it: values
are kept by key (the latest, or merged), and a background loop hands each interval's batch to
one `flush` call, so a thousand streams cost a couple of transactions a second, not thousands.
The loop runs only while something is pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("confide.batcher")
K = TypeVar("K")
V = TypeVar("V")


class Batcher(Generic[K, V]):
    def __init__(
        self,
        name: str,
        flush: Callable[[dict[K, V]], Awaitable[None]],
        every: float,
        merge: Callable[[V, V], V] | None = None,
    ) -> None:
        self.name = name
        self._flush = flush
        self._every = every
        self._merge = merge
        self._pending: dict[K, V] = {}
        self._loop: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def put(self, key: K, value: V) -> None:
        if self._merge is not None and key in self._pending:
            value = self._merge(self._pending[key], value)
        self._pending[key] = value
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run(), name=f"batcher-{self.name}")

    def discard(self, key: K) -> None:
        self._pending.pop(key, None)

    async def drain(self) -> None:
        """Write everything pending now (and wait for a flush already under way)."""
        async with self._lock:
            batch, self._pending = self._pending, {}
            if batch:
                await self._write(batch)

    async def close(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
        await self.drain()

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self._every)
            await self.drain()

    async def _write(self, batch: dict[K, V]) -> None:
        try:
            await self._flush(batch)
        except Exception:  # a failed flush must not stop the loop; it is logged, not hidden
            log.exception("%s: could not write %d pending items", self.name, len(batch))
