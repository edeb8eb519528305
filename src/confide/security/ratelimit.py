"""Rate limits: fixed windows counted per key (an IP, an account).

`MemoryRateLimiter` counts in this process; `RedisRateLimiter` (with `CONFIDE_REDIS_URL`) counts
in Redis, so every replica shares one count per key and a limit holds however requests are
spread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from confide.security.transit import Transit

REDIS_PREFIX = "confide:limit:"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> Decision: ...


class MemoryRateLimiter:
    """Counts hits per key in fixed windows; forgets expired keys so memory stays bounded."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._max_keys = max_keys
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: int, window: int) -> Decision:
        return self.hit_now(key, limit, window)

    def hit_now(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window:
            start, count = now, 0
        if count >= limit:
            return Decision(False, max(1, math.ceil(start + window - now)))
        self._windows[key] = (start, count + 1)
        if len(self._windows) > self._max_keys:
            self._prune(now, window)
        return Decision(True, 0)

    def _prune(self, now: float, window: int) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window}
        while len(self._windows) > self._max_keys:
            self._windows.pop(next(iter(self._windows)))


class RedisRateLimiter:
    """Fixed windows in Redis: one INCR per hit, the key expiring with its window. A refused
    hit counts too, which changes nothing: the key is over its limit until the window ends.
    Key names are HMACs (`Transit.name`): no address or IP appears in Redis."""

    def __init__(self, redis: Redis, transit: Transit) -> None:
        self._redis = redis
        self._transit = transit

    async def hit(self, key: str, limit: int, window: int) -> Decision:
        name = REDIS_PREFIX + self._transit.name(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.ttl(name)
            count, _, ttl = await pipe.execute()
        if int(count) <= limit:
            return Decision(True, 0)
        return Decision(False, max(1, int(ttl)))
