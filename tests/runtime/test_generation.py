"""The generation runner: progress saved, final states for every ending, stop and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from confide.providers.base import Delta, ErrorKind, Finish, ProviderError, StreamEvent, Usage
from confide.runtime.broker import MemoryBroker
from confide.runtime.generation import GenerationRunner, Outcome


class RecordingSink:
    def __init__(self) -> None:
        self.progress: list[str] = []
        self.outcome: Outcome | None = None

    async def save_progress(self, text: str) -> None:
        self.progress.append(text)

    async def finish(self, outcome: Outcome) -> None:
        self.outcome = outcome


async def scripted(
    parts: list[str], delay: float = 0.0, fail: ProviderError | None = None, finish: bool = True
) -> AsyncIterator[StreamEvent]:
    for part in parts:
        if delay:
            await asyncio.sleep(delay)
        yield Delta(part)
    if fail is not None:
        raise fail
    if finish:
        yield Finish("stop", Usage(3, len(parts)))


async def run(
    events: AsyncIterator[StreamEvent], persist_every: float = 0.5
) -> tuple[RecordingSink, MemoryBroker]:
    broker = MemoryBroker()
    runner = GenerationRunner(broker, persist_every=persist_every)
    sink = RecordingSink()
    runner.start("m1", events, sink)
    await runner.wait("m1")
    return sink, broker


async def test_complete_reply() -> None:
    sink, broker = await run(scripted(["Hel", "lo"]))
    assert sink.outcome is not None
    assert sink.outcome.text == "Hello"
    assert sink.outcome.status == "complete"
    assert sink.outcome.finish_reason == "stop"
    assert sink.outcome.usage == Usage(3, 2)
    assert "first_token_ms" in sink.outcome.timings
    kinds = [e.kind async for batch in broker.follow("m1", 0) for e in batch]
    assert kinds == ["delta", "delta", "done"]


async def test_progress_is_saved_while_streaming() -> None:
    sink, _ = await run(scripted(["a"] * 6, delay=0.02), persist_every=0.03)
    assert sink.progress, "no intermediate save"
    assert all(p == "a" * len(p) for p in sink.progress)


async def test_provider_error_keeps_partial_text() -> None:
    sink, broker = await run(
        scripted(["par", "tial"], fail=ProviderError(ErrorKind.upstream, "boom"))
    )
    assert sink.outcome is not None
    assert sink.outcome.status == "error"
    assert sink.outcome.text == "partial"
    assert "failed while answering" in (sink.outcome.error or "")
    last = [e async for batch in broker.follow("m1", 0) for e in batch][-1]
    assert last.kind == "error"


async def test_stream_without_finish_is_an_error() -> None:
    sink, _ = await run(scripted(["x"], finish=False))
    assert sink.outcome is not None
    assert sink.outcome.status == "error"


async def test_stop_keeps_text_and_marks_stopped() -> None:
    broker = MemoryBroker()
    runner = GenerationRunner(broker)
    sink = RecordingSink()
    runner.start("m1", scripted(["a"] * 100, delay=0.01), sink)
    await asyncio.sleep(0.05)
    assert runner.stop("m1")
    await runner.wait("m1")
    assert sink.outcome is not None
    assert sink.outcome.status == "stopped"
    assert 0 < len(sink.outcome.text) < 100
    assert not runner.stop("m1")


async def test_shutdown_marks_running_jobs_interrupted() -> None:
    broker = MemoryBroker()
    runner = GenerationRunner(broker)
    sink = RecordingSink()
    runner.start("m1", scripted(["a"] * 100, delay=0.01), sink)
    await asyncio.sleep(0.03)
    await runner.shutdown()
    assert sink.outcome is not None
    assert sink.outcome.status == "interrupted"


async def test_unexpected_failure_still_leaves_a_final_state() -> None:
    async def broken() -> AsyncIterator[StreamEvent]:
        yield Delta("a")
        raise ValueError("bug")

    sink, _ = await run(broken())
    assert sink.outcome is not None
    assert sink.outcome.status == "error"
    assert sink.outcome.error == "Confide failed while generating this reply."


@pytest.mark.parametrize("count", [1, 50])
async def test_many_jobs_at_once(count: int) -> None:
    broker = MemoryBroker()
    runner = GenerationRunner(broker)
    sinks = [RecordingSink() for _ in range(count)]
    for n, sink in enumerate(sinks):
        runner.start(f"m{n}", scripted(["a", "b"], delay=0.001), sink)
    for n in range(count):
        await runner.wait(f"m{n}")
    assert all(s.outcome is not None and s.outcome.text == "ab" for s in sinks)
