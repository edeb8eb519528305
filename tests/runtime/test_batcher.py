"""Write batching: latest or merged values per key, one flush per interval, drain on close."""

from __future__ import annotations

import asyncio

from confide.runtime.batcher import Batcher


class Store:
    def __init__(self, fail: bool = False) -> None:
        self.flushes: list[dict[str, int]] = []
        self.fail = fail

    async def flush(self, batch: dict[str, int]) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.flushes.append(dict(batch))


async def test_latest_value_wins_and_one_flush_per_interval() -> None:
    store = Store()
    batch = Batcher[str, int]("t", store.flush, every=0.02)
    for n in range(100):
        batch.put("a", n)
        batch.put("b", -n)
    await asyncio.sleep(0.06)
    assert store.flushes == [{"a": 99, "b": -99}]


async def test_merge_sums_and_close_drains() -> None:
    store = Store()
    batch = Batcher[str, int]("t", store.flush, every=60, merge=lambda x, y: x + y)
    for _ in range(10):
        batch.put("a", 2)
    await batch.close()
    assert store.flushes == [{"a": 20}]


async def test_discard_drops_a_pending_value() -> None:
    store = Store()
    batch = Batcher[str, int]("t", store.flush, every=60)
    batch.put("a", 1)
    batch.put("b", 2)
    batch.discard("a")
    await batch.drain()
    assert store.flushes == [{"b": 2}]


async def test_a_failed_flush_is_logged_and_the_loop_goes_on(caplog: object) -> None:
    store = Store(fail=True)
    batch = Batcher[str, int]("t", store.flush, every=0.01)
    batch.put("a", 1)
    await asyncio.sleep(0.03)
    store.fail = False
    batch.put("b", 2)
    await asyncio.sleep(0.03)
    assert store.flushes == [{"b": 2}]
    await batch.close()
