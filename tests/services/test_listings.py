"""The listing cache: time to live, shorter for failures, one upstream call for many callers."""

from __future__ import annotations

import asyncio

from confide.providers.base import ErrorKind, ModelInfo
from confide.services.listings import Listing, ListingCache, ListingKey

KEY = ListingKey("c1", ("openai", "http://h/v1"))
GOOD = Listing(models=(ModelInfo("m", "M"),))
BAD = Listing(error_kind=ErrorKind.unreachable, error="down")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    def __init__(self, listing: Listing, delay: float = 0.0) -> None:
        self.listing, self.delay, self.calls = listing, delay, 0

    async def __call__(self) -> Listing:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.listing


async def test_fresh_entries_are_reused_until_they_expire() -> None:
    clock, upstream = Clock(), Upstream(GOOD)
    cache = ListingCache(ttl=15, error_ttl=5, clock=clock)
    assert await cache.get(KEY, upstream) == GOOD
    clock.now += 14
    assert await cache.get(KEY, upstream) == GOOD
    assert upstream.calls == 1
    clock.now += 2
    await cache.get(KEY, upstream)
    assert upstream.calls == 2


async def test_failures_are_kept_for_less_time() -> None:
    clock, upstream = Clock(), Upstream(BAD)
    cache = ListingCache(ttl=15, error_ttl=5, clock=clock)
    assert not (await cache.get(KEY, upstream)).ok
    clock.now += 4
    await cache.get(KEY, upstream)
    assert upstream.calls == 1
    clock.now += 2
    await cache.get(KEY, upstream)
    assert upstream.calls == 2


async def test_concurrent_misses_share_one_call() -> None:
    upstream = Upstream(GOOD, delay=0.05)
    cache = ListingCache()
    results = await asyncio.gather(*(cache.get(KEY, upstream) for _ in range(20)))
    assert results == [GOOD] * 20
    assert upstream.calls == 1


async def test_a_caller_giving_up_does_not_cancel_the_others() -> None:
    upstream = Upstream(GOOD, delay=0.05)
    cache = ListingCache()
    impatient = asyncio.ensure_future(cache.get(KEY, upstream))
    patient = asyncio.ensure_future(cache.get(KEY, upstream))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == GOOD


async def test_a_changed_configuration_or_forget_lists_afresh() -> None:
    upstream = Upstream(GOOD)
    cache = ListingCache()
    await cache.get(KEY, upstream)
    await cache.get(ListingKey("c1", ("openai", "http://other/v1")), upstream)
    assert upstream.calls == 2
    cache.forget("c1")
    await cache.get(KEY, upstream)
    assert upstream.calls == 3
