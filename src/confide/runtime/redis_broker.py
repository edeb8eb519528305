"""The broker on Redis Streams, for replicas: a reply generated on one replica is followed,
resumed and stopped from any other.

Each generation is one Redis stream, `confide:stream:<id>`. Its events carry explicit ids
`1-<seq>` (the runner's own sequence numbers), so `Last-Event-ID` means the same thing on every
replica and a resume is one `XRANGE` from `(1-<seq>`. An `open` marker at `0-1` makes the
stream known before its first token.

Event data is sealed (security/transit.py): Redis never holds reply text in the clear.

The replica that runs a generation keeps serving its own followers from memory (the in-process
broker, no round trip on the hot path) and mirrors every event to Redis through an outbox that
one task flushes in pipelined batches. Followers on other replicas share one `XREAD` loop per
replica (not one blocked connection per follower), woken through a small per-replica stream
when a new generation is followed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from confide.runtime.broker import KEEP_FINISHED_SECONDS, BrokerEvent, MemoryBroker
from confide.security.sealing import SealError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from confide.security.transit import Transit

log = logging.getLogger("confide.broker")
PREFIX = "confide:stream:"
OPEN_ID = "0-1"
OPEN_SECONDS = 24 * 3600  # a stream nobody closes (its replica died) goes after a day
BLOCK_MS = 5_000
FINAL_KINDS = frozenset({"done", "error"})
UNREADABLE = {
    "status": "error",
    "error": "This reply cannot be followed from this server. Reload the page in a moment.",
}


def stream_key(stream_id: str) -> str:
    return PREFIX + stream_id


def _seq(entry_id: str) -> int:
    return int(entry_id.partition("-")[2])


class RedisBroker:
    def __init__(
        self, redis: Redis, transit: Transit, keep_finished: float = KEEP_FINISHED_SECONDS
    ) -> None:
        self._redis = redis
        self._transit = transit
        self._keep_finished = int(keep_finished)
        self._local = MemoryBroker(keep_finished)  # the generations this replica runs
        self._remote = MemoryBroker(keep_finished)  # mirrors of others' that we follow
        self._outbox: list[tuple[str, tuple[Any, ...]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._readers: dict[str, int] = {}  # followed remote stream -> followers here
        self._reader: asyncio.Task[None] | None = None
        self._wake_key = f"confide:wake:{secrets.token_hex(8)}"
        self._wake_last = "0-0"  # from the start: a wake is never missed

    # --- publishing (the replica that runs the generation) ---------------------------------

    def open(self, stream_id: str) -> None:
        self._local.open(stream_id)
        key = stream_key(stream_id)
        self._send("xadd", key, {"k": "open", "d": "{}"}, OPEN_ID)
        self._send("expire", key, OPEN_SECONDS)

    def publish(self, stream_id: str, kind: str, data: dict[str, Any]) -> int:
        seq = self._local.publish(stream_id, kind, data)
        self._send("xadd", stream_key(stream_id), self._fields(stream_id, kind, data), f"1-{seq}")
        return seq

    def close(self, stream_id: str) -> None:
        self._local.close(stream_id)
        self._send("expire", stream_key(stream_id), self._keep_finished)

    async def publish_final(self, stream_id: str, data: dict[str, Any]) -> None:
        """End a stream whose replica is gone (it was marked `interrupted`): followers
        anywhere get a final `done` after the last event that replica sent."""
        key = stream_key(stream_id)
        if not await self._redis.exists(key):
            return
        fields = self._fields(stream_id, "done", data)
        await self._redis.xadd(key, cast(Any, fields), id="1-*")
        await self._redis.expire(key, self._keep_finished)

    def _fields(self, stream_id: str, kind: str, data: dict[str, Any]) -> dict[str, str]:
        """An event as Redis keeps it: its kind, and its data sealed (reply text inside)."""
        plain = json.dumps(data, separators=(",", ":")).encode()
        return {"k": kind, "d": self._transit.seal(stream_id, plain)}

    def _send(self, command: str, *args: Any) -> None:
        self._outbox.append((command, args))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="broker-flush")

    async def _flush(self) -> None:
        """Send the outbox in order, one pipelined batch at a time, until it is empty."""
        while self._outbox:
            batch, self._outbox = self._outbox, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for command, args in batch:
                        _queue(pipe, command, args)
                    await pipe.execute(raise_on_error=False)
            except Exception:  # Redis away: local followers still get everything
                log.exception("could not mirror %d stream events to Redis", len(batch))

    # --- following --------------------------------------------------------------------------

    async def knows(self, stream_id: str) -> bool:
        if self._local.is_known(stream_id):
            return True
        return bool(await self._redis.exists(stream_key(stream_id)))

    async def is_live(self, stream_id: str) -> bool:
        """True while the stream exists in Redis and has not ended (on any replica)."""
        last: list[Any] = cast(Any, await self._redis.xrevrange(stream_key(stream_id), count=1))
        return bool(last) and last[0][1].get("k") not in FINAL_KINDS

    async def follow(self, stream_id: str, after: int) -> AsyncIterator[list[BrokerEvent]]:
        if self._local.is_known(stream_id):
            async for batch in self._local.follow(stream_id, after):
                yield batch
            return
        await self._watch(stream_id)
        try:
            async for batch in self._remote.follow(stream_id, after):
                yield batch
        finally:
            self._unwatch(stream_id)

    async def _watch(self, stream_id: str) -> None:
        """Mirror a remote stream here: its history now, its new events from the read loop."""
        count = self._readers.get(stream_id, 0)
        self._readers[stream_id] = count + 1
        if count:
            return
        self._remote.open(stream_id)
        key = stream_key(stream_id)
        history: list[Any] = cast(Any, await self._redis.xrange(key, min="1-0"))
        for entry_id, fields in history:
            self._mirror_or_skip(stream_id, entry_id, fields)
        if not history and not await self._redis.exists(key):
            self._remote.close(stream_id)  # gone meanwhile: nothing will ever come
            return
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_forever(), name="broker-read")
        else:
            await self._redis.xadd(self._wake_key, {"w": "1"}, maxlen=8)

    def _unwatch(self, stream_id: str) -> None:
        left = self._readers.get(stream_id, 1) - 1
        if left > 0:
            self._readers[stream_id] = left
            return
        self._readers.pop(stream_id, None)
        self._remote.close(stream_id)

    def _mirror(self, stream_id: str, entry_id: str, fields: dict[str, str]) -> None:
        if not self._remote.is_open(stream_id) or _seq(entry_id) <= self._remote.seen(stream_id):
            return  # already mirrored, or ended here
        data = json.loads(self._transit.open(stream_id, fields["d"]))
        self._remote.publish(stream_id, fields["k"], data)
        if fields["k"] in FINAL_KINDS:
            self._remote.close(stream_id)

    async def _read_forever(self) -> None:
        while self._readers:
            streams = {self._wake_key: self._wake_last}
            for stream_id in self._readers:
                streams[stream_key(stream_id)] = f"1-{self._remote.seen(stream_id)}"
            try:
                reply = await self._redis.xread(cast(Any, streams), block=BLOCK_MS)
            except Exception:
                log.exception("reading streams from Redis failed; retrying in a second")
                await asyncio.sleep(1)
                continue
            self._take(cast(list[Any], reply))

    def _take(self, reply: list[Any]) -> None:
        for key, entries in reply or []:
            if key == self._wake_key:
                self._wake_last = entries[-1][0]
                continue
            stream_id = key.removeprefix(PREFIX)
            if stream_id in self._readers:
                for entry_id, fields in entries:
                    self._mirror_or_skip(stream_id, entry_id, fields)

    def _mirror_or_skip(self, stream_id: str, entry_id: str, fields: dict[str, str]) -> None:
        """Mirror the event; one that does not open here ends the stream for its followers
        here with an error (replicas with different master keys: a deployment mistake)."""
        try:
            self._mirror(stream_id, entry_id, fields)
        except (SealError, ValueError, KeyError):
            log.error("a stream event does not open here: do all replicas share one master key?")
            if self._remote.is_open(stream_id):
                self._remote.publish(stream_id, "error", UNREADABLE)
                self._remote.close(stream_id)

    async def aclose(self) -> None:
        """Send what is still in the outbox; stop reading."""
        if self._flusher is not None:
            await asyncio.wait({self._flusher})
        if self._outbox:
            await self._flush()
        self._readers.clear()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._redis.delete(self._wake_key)


def _queue(pipe: Any, command: str, args: tuple[Any, ...]) -> None:
    if command == "xadd":
        key, fields, entry_id = args
        pipe.xadd(key, fields, id=entry_id)
    else:
        pipe.expire(*args)
