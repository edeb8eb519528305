from __future__ import annotations

from confide.security.ratelimit import MemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_refuses_with_a_countdown() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    assert all(limiter.hit_now("ip:1", 3, 60).allowed for _ in range(3))
    refused = limiter.hit_now("ip:1", 3, 60)
    assert not refused.allowed
    assert refused.retry_after == 60
    clock.now += 45.5
    assert limiter.hit_now("ip:1", 3, 60).retry_after == 15
    clock.now += 14.0
    assert limiter.hit_now("ip:1", 3, 60).retry_after == 1


def test_the_window_resets() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    for _ in range(2):
        limiter.hit_now("k", 2, 10)
    assert not limiter.hit_now("k", 2, 10).allowed
    clock.now += 10
    decision = limiter.hit_now("k", 2, 10)
    assert decision.allowed
    assert decision.retry_after == 0
    assert limiter.hit_now("k", 2, 10).allowed
    assert not limiter.hit_now("k", 2, 10).allowed


def test_keys_are_counted_apart() -> None:
    limiter = MemoryRateLimiter(clock=Clock())
    assert limiter.hit_now("a", 1, 60).allowed
    assert not limiter.hit_now("a", 1, 60).allowed
    assert limiter.hit_now("b", 1, 60).allowed


def test_memory_stays_bounded() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(max_keys=50, clock=clock)
    for n in range(1000):
        limiter.hit_now(f"ip:{n}", 5, 60)
        assert len(limiter._windows) <= 50
    clock.now += 61
    limiter.hit_now("fresh", 5, 60)
    assert len(limiter._windows) <= 50
