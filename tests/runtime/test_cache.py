"""RecentCache: short-lived answers that an invalidation empties and cannot resurrect."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from confide.runtime.cache import RecentCache

SOON = datetime.now(UTC) + timedelta(hours=1)


def test_a_value_is_kept_and_returned() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    cache.put("k", "v", epoch=cache.epoch)
    assert cache.get("k") == "v"
    assert cache.get("other") is None


def test_invalidate_empties_it() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    cache.put("k", "v", epoch=cache.epoch)
    cache.invalidate()
    assert cache.get("k") is None
    assert len(cache) == 0


def test_an_answer_read_before_an_invalidation_is_not_kept() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    epoch = cache.epoch  # a lookup starts...
    cache.invalidate()  # ...a change commits while it reads...
    cache.put("k", "old", epoch=epoch)  # ...and its old answer is dropped
    assert cache.get("k") is None


def test_entries_expire_with_the_ttl() -> None:
    cache: RecentCache[str] = RecentCache(ttl=0)
    cache.put("k", "v", epoch=cache.epoch, expires_at=SOON)
    assert cache.get("k") is None


def test_an_entry_never_outlives_its_expiry() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    cache.put("k", "v", epoch=cache.epoch, expires_at=past)
    assert cache.get("k") is None
    assert len(cache) == 0


def test_the_cache_is_bounded() -> None:
    cache: RecentCache[int] = RecentCache(ttl=60, max_entries=3)
    for n in range(10):
        cache.put(f"k{n}", n, epoch=cache.epoch)
        assert len(cache) <= 3
    assert cache.get("k9") == 9


class Loader:
    """Counts its calls; each call waits for `release`, then answers `answer`."""

    def __init__(self, answer: str | None = "v", fail: bool = False) -> None:
        self.calls = 0
        self.answer = answer
        self.fail = fail
        self.release = asyncio.Event()

    async def __call__(self) -> tuple[str, datetime | None] | None:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            self.fail = False  # only the first (shared) load fails
            raise LookupError("database down")
        return None if self.answer is None else (self.answer, SOON)


async def _burst(cache: RecentCache[str], load: Loader, n: int = 50) -> list[object]:
    tasks = [asyncio.create_task(cache.get_or_load("k", load)) for _ in range(n)]
    await asyncio.sleep(0)
    load.release.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_burst_of_misses_shares_one_load() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    load = Loader()
    assert await _burst(cache, load) == ["v"] * 50
    assert load.calls == 1
    assert cache.get("k") == "v"


async def test_nothing_found_is_shared_but_never_kept() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    load = Loader(answer=None)
    assert await _burst(cache, load) == [None] * 50
    assert load.calls == 1
    assert len(cache) == 0


async def test_when_the_shared_load_fails_the_others_load_for_themselves() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    load = Loader(fail=True)
    answers = await _burst(cache, load, n=5)
    assert isinstance(answers[0], LookupError)
    assert answers[1:] == ["v"] * 4
    assert load.calls == 5


async def test_a_load_overtaken_by_an_invalidation_is_neither_kept_nor_joined() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    old = Loader(answer="old")
    first = asyncio.create_task(cache.get_or_load("k", old))
    await asyncio.sleep(0)
    cache.invalidate()  # a change commits while the first load is under way
    new = Loader(answer="new")
    new.release.set()
    assert await cache.get_or_load("k", new) == "new"  # a fresh load, not the old one
    old.release.set()
    assert await first == "old"
    assert cache.get("k") == "new"


async def test_a_waiter_that_gives_up_does_not_disturb_the_load() -> None:
    cache: RecentCache[str] = RecentCache(ttl=60)
    load = Loader()
    owner = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cache.get_or_load("k", load))
    await asyncio.sleep(0)
    waiter.cancel()
    load.release.set()
    assert await owner == "v"
    assert cache.get("k") == "v"
