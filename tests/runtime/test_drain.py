"""The drain before shutdown: running replies may finish within the grace period; the ones
still running after it end as interrupted with their text kept."""

from __future__ import annotations

import asyncio
import time

from confide.runtime.broker import MemoryBroker
from confide.runtime.drain import Drain
from confide.runtime.generation import GenerationRunner
from tests.runtime.test_generation import RecordingSink, scripted


async def test_replies_that_finish_within_the_grace_period_complete() -> None:
    runner, drain = GenerationRunner(MemoryBroker()), Drain()
    sink = RecordingSink()
    runner.start("m1", scripted(["a", "b", "c"], delay=0.05), sink)
    assert runner.active == 1
    started = time.monotonic()
    assert await drain.run(runner, grace_seconds=5) == 0
    assert time.monotonic() - started < 2  # it stopped waiting when the reply was done
    assert drain.draining
    assert sink.outcome is not None
    assert (sink.outcome.status, sink.outcome.text) == ("complete", "abc")
    assert runner.active == 0


async def test_replies_still_running_after_the_grace_period_are_interrupted() -> None:
    runner, drain = GenerationRunner(MemoryBroker()), Drain()
    quick, slow = RecordingSink(), RecordingSink()
    runner.start("quick", scripted(["done"]), quick)
    runner.start("slow", scripted(["x"] * 100, delay=0.05), slow)
    await asyncio.sleep(0.2)
    started = time.monotonic()
    assert await drain.run(runner, grace_seconds=0.3) == 1
    assert 0.25 < time.monotonic() - started < 2
    assert quick.outcome is not None and quick.outcome.status == "complete"
    assert slow.outcome is not None
    assert slow.outcome.status == "interrupted"
    assert slow.outcome.text.startswith("xxx")
    assert len(slow.outcome.text) < 100


async def test_an_idle_replica_drains_at_once() -> None:
    runner, drain = GenerationRunner(MemoryBroker()), Drain()
    started = time.monotonic()
    assert await drain.run(runner, grace_seconds=30) == 0
    assert time.monotonic() - started < 0.5


async def test_the_runner_counts_deltas_and_completion_tokens() -> None:
    runner = GenerationRunner(MemoryBroker())
    for stream_id in ("m1", "m2"):
        runner.start(stream_id, scripted(["a", "b"]), RecordingSink())
        await runner.wait(stream_id)
    assert runner.deltas_relayed == 4
    assert runner.completion_tokens == 4  # scripted() reports one token per piece
    runner.start("m3", scripted(["a"], finish=False), RecordingSink())  # no usage: no tokens
    await runner.wait("m3")
    assert (runner.deltas_relayed, runner.completion_tokens) == (5, 4)
