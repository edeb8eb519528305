"""Rate limits: fixed windows counted per key (an IP, an account).

This is the in-process limiter for a single process; the scale-out issue adds one shared
through Redis behind the same `RateLimiter` protocol.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> Decision: ...


class MemoryRateLimiter:
    """Counts hits per key in fixed windows; forgets expired keys so memory stays bounded."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._max_keys = max_keys
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, limit: int, window: int) -> Decision:
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
