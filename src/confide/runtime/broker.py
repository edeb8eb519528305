"""The broker: every generation's events, numbered, replayable, followed by any number of
readers. A reader that reconnects with the last id it saw gets exactly what it missed.

This is the in-process broker for one process; `redis_broker.RedisBroker` is the one for
replicas (`CONFIDE_REDIS_URL`), behind the same `Broker` protocol, so a stream started on one
replica can be followed, resumed and stopped from another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

KEEP_FINISHED_SECONDS = 120.0  # late followers of a finished stream replay from memory
SILENCE_SECONDS = 15.0  # a follower gets an empty batch after this long without events


@dataclass(frozen=True, slots=True)
class BrokerEvent:
    seq: int
    kind: str  # "delta" | "done" | "error"
    data: dict[str, Any]


class Broker(Protocol):
    def open(self, stream_id: str) -> None: ...
    def publish(self, stream_id: str, kind: str, data: dict[str, Any]) -> int: ...
    def close(self, stream_id: str) -> None: ...
    async def knows(self, stream_id: str) -> bool: ...
    async def is_live(self, stream_id: str) -> bool: ...
    async def publish_final(self, stream_id: str, data: dict[str, Any]) -> None: ...
    def follow(self, stream_id: str, after: int) -> AsyncIterator[list[BrokerEvent]]: ...
    async def aclose(self) -> None: ...


@dataclass
class _Channel:
    events: list[BrokerEvent] = field(default_factory=list)
    closed_at: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryBroker:
    def __init__(self, keep_finished: float = KEEP_FINISHED_SECONDS) -> None:
        self._channels: dict[str, _Channel] = {}
        self._keep_finished = keep_finished

    def open(self, stream_id: str) -> None:
        self._forget_expired()
        self._channels[stream_id] = _Channel()

    def publish(self, stream_id: str, kind: str, data: dict[str, Any]) -> int:
        channel = self._channels[stream_id]
        seq = len(channel.events) + 1
        channel.events.append(BrokerEvent(seq, kind, data))
        channel.changed.set()
        channel.changed = asyncio.Event()
        return seq

    def close(self, stream_id: str) -> None:
        channel = self._channels.get(stream_id)
        if channel is not None and channel.closed_at is None:
            channel.closed_at = time.monotonic()
            channel.changed.set()

    def is_known(self, stream_id: str) -> bool:
        return stream_id in self._channels

    def seen(self, stream_id: str) -> int:
        """How many events the stream has had (0 when unknown)."""
        channel = self._channels.get(stream_id)
        return 0 if channel is None else len(channel.events)

    async def knows(self, stream_id: str) -> bool:
        return self.is_known(stream_id)

    def is_open(self, stream_id: str) -> bool:
        channel = self._channels.get(stream_id)
        return channel is not None and channel.closed_at is None

    async def is_live(self, stream_id: str) -> bool:
        return self.is_open(stream_id)

    async def publish_final(self, stream_id: str, data: dict[str, Any]) -> None:
        """End a stream this process no longer runs (nothing to do: one process runs all)."""
        if await self.is_live(stream_id):
            self.publish(stream_id, "done", data)
            self.close(stream_id)

    async def aclose(self) -> None:
        self._channels.clear()

    async def follow(self, stream_id: str, after: int) -> AsyncIterator[list[BrokerEvent]]:
        """Batches of events with seq > after, as they come, until the stream is closed; an
        empty batch after SILENCE_SECONDS without any (so a reader can keep a link alive)."""
        channel = self._channels.get(stream_id)
        if channel is None:
            return
        position = max(0, after)
        while True:
            waiter = channel.changed
            if position < len(channel.events):
                batch = channel.events[position:]
                position = len(channel.events)
                yield batch
                continue
            if channel.closed_at is not None:
                return
            try:
                async with asyncio.timeout(SILENCE_SECONDS):
                    await waiter.wait()
            except TimeoutError:
                yield []

    def _forget_expired(self) -> None:
        now = time.monotonic()
        expired = [
            sid
            for sid, ch in self._channels.items()
            if ch.closed_at is not None and now - ch.closed_at > self._keep_finished
        ]
        for sid in expired:
            del self._channels[sid]
