"""The replicas' control channel on Redis pub/sub: "stop this generation", "this changed".

Every replica subscribes to one channel. A message names its kind, a value and the replica
that sent it; a replica ignores its own. Sending is fire-and-forget from synchronous code (a
commit hook, say): messages wait in an outbox that one task sends in order.

Pub/sub delivers only to replicas listening at that moment. After the subscription drops and
comes back, a replica may have missed a change, so it hears `resync` from itself and treats
every cached answer as stale.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("confide.bus")
CHANNEL = "confide:bus"
RESYNC = "resync"
RETRY_SECONDS = 1.0

Handler = Callable[[str], object]


class RedisBus:
    def __init__(self, redis: Redis, replica: str | None = None) -> None:
        self._redis = redis
        self.replica = replica or secrets.token_hex(8)
        self._handlers: defaultdict[str, list[Handler]] = defaultdict(list)
        self._outbox: list[str] = []
        self._sender: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while subscribed

    def on(self, kind: str, handler: Handler) -> None:
        self._handlers[kind].append(handler)

    def send(self, kind: str, value: str) -> None:
        """Tell the other replicas (sent shortly, in order, by a task)."""
        self._outbox.append(json.dumps({"r": self.replica, "k": kind, "v": value}))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all(), name="bus-send")

    async def _send_all(self) -> None:
        while self._outbox:
            message = self._outbox.pop(0)
            try:
                await self._redis.publish(CHANNEL, message)
            except Exception:
                log.exception("could not tell the other replicas (Redis unreachable)")

    def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="bus-listen")

    async def _listen_forever(self) -> None:
        first = True
        while True:
            try:
                await self._listen(resync=not first)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lost the replicas' channel on Redis; listening again shortly")
            self.listening.clear()
            first = False
            await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self, *, resync: bool) -> None:
        async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(CHANNEL)
            self.listening.set()
            if resync:
                self._dispatch(RESYNC, "")
            async for message in pubsub.listen():
                self._receive(message.get("data"))

    def _receive(self, raw: object) -> None:
        try:
            message = json.loads(raw) if isinstance(raw, (str, bytes)) else None
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("r") == self.replica:
            return
        kind, value = message.get("k"), message.get("v")
        if isinstance(kind, str) and isinstance(value, str):
            self._dispatch(kind, value)

    def _dispatch(self, kind: str, value: str) -> None:
        for handler in self._handlers.get(kind, ()):
            try:
                handler(value)
            except Exception:
                log.exception("handling %s from another replica failed", kind)

    async def close(self) -> None:
        if self._sender is not None:
            await asyncio.wait({self._sender})
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
