"""The in-process broker: numbered events, replay after an id, many followers, closing."""

from __future__ import annotations

import asyncio

import pytest

from confide.runtime import broker as broker_module
from confide.runtime.broker import BrokerEvent, MemoryBroker


async def _collect(broker: MemoryBroker, stream: str, after: int) -> list[BrokerEvent]:
    events: list[BrokerEvent] = []
    async for batch in broker.follow(stream, after):
        events.extend(batch)
    return events


async def test_followers_get_everything_in_order_then_end() -> None:
    broker = MemoryBroker()
    broker.open("s")
    followers = [asyncio.create_task(_collect(broker, "s", 0)) for _ in range(3)]
    await asyncio.sleep(0)
    for n in range(5):
        broker.publish("s", "delta", {"text": str(n)})
        await asyncio.sleep(0)
    broker.publish("s", "done", {})
    broker.close("s")
    for events in await asyncio.gather(*followers):
        assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
        assert [e.data.get("text") for e in events[:5]] == ["0", "1", "2", "3", "4"]
        assert events[-1].kind == "done"


async def test_resume_after_an_id_replays_only_what_was_missed() -> None:
    broker = MemoryBroker()
    broker.open("s")
    for n in range(4):
        broker.publish("s", "delta", {"text": str(n)})
    broker.close("s")
    events = await _collect(broker, "s", 2)
    assert [e.seq for e in events] == [3, 4]
    assert await _collect(broker, "s", 99) == []


async def test_unknown_stream_yields_nothing() -> None:
    broker = MemoryBroker()
    assert not broker.is_known("nope")
    assert await _collect(broker, "nope", 0) == []


async def test_finished_streams_are_forgotten_after_a_while() -> None:
    broker = MemoryBroker(keep_finished=0.0)
    broker.open("old")
    broker.close("old")
    await asyncio.sleep(0.01)
    broker.open("new")
    assert not broker.is_known("old")
    assert broker.is_known("new")


async def test_silence_yields_an_empty_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_module, "SILENCE_SECONDS", 0.01)
    broker = MemoryBroker()
    broker.open("s")
    follower = broker.follow("s", 0)
    assert await anext(follower) == []
    broker.publish("s", "delta", {"text": "x"})
    assert [e.seq for e in await anext(follower)] == [1]
    await follower.aclose()
