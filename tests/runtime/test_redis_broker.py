"""The Redis broker, as two replicas in one process (two brokers, two connections) against
the real Redis: a stream published by one is followed, resumed and ended on the other."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from confide.runtime.broker import BrokerEvent
from confide.runtime.redis_broker import RedisBroker, stream_key
from confide.security.sealing import KeyRing
from confide.security.transit import Transit

DONE = {"status": "complete"}


@pytest.fixture
def transit(tmp_path: Path) -> Transit:
    """Both replicas read the same master key file."""
    return Transit(KeyRing.load_or_create(tmp_path / "master.key"))


@pytest.fixture
async def pair(
    redis_url: str, transit: Transit
) -> AsyncIterator[tuple[RedisBroker, RedisBroker, Redis]]:
    clients = [Redis.from_url(redis_url, decode_responses=True) for _ in range(3)]
    a = RedisBroker(clients[0], transit, keep_finished=30)
    b = RedisBroker(clients[1], transit, keep_finished=30)
    yield a, b, clients[2]
    for broker in (a, b):
        await broker.aclose()
    for client in clients:
        await client.aclose()


async def collect(broker: RedisBroker, stream_id: str, after: int = 0) -> list[BrokerEvent]:
    events: list[BrokerEvent] = []
    async with asyncio.timeout(10):
        async for batch in broker.follow(stream_id, after):
            events.extend(batch)
    return events


async def flushed(broker: RedisBroker) -> None:
    """Wait until the broker's outbox reached Redis."""
    for _ in range(200):
        if not broker._outbox and (broker._flusher is None or broker._flusher.done()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the outbox was not flushed")


async def test_a_stream_published_on_one_replica_is_followed_whole_on_the_other(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    a, b, _ = pair
    sid = secrets.token_hex(16)
    a.open(sid)
    for word in ("one ", "two ", "three "):
        a.publish(sid, "delta", {"text": word})
    await flushed(a)
    assert await b.knows(sid)
    assert await b.is_live(sid)
    follower = asyncio.create_task(collect(b, sid))
    await asyncio.sleep(0.2)
    a.publish(sid, "delta", {"text": "four"})  # arrives live, through B's read loop
    a.publish(sid, "done", DONE)
    a.close(sid)
    events = await follower
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert "".join(e.data.get("text", "") for e in events) == "one two three four"
    assert events[-1].kind == "done"
    await flushed(a)
    assert not await b.is_live(sid)


async def test_a_follower_resuming_from_an_event_id_gets_exactly_what_it_missed(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    a, b, _ = pair
    sid = secrets.token_hex(16)
    a.open(sid)
    for n in range(1, 8):
        a.publish(sid, "delta", {"text": str(n)})
    a.publish(sid, "done", DONE)
    a.close(sid)
    await flushed(a)
    events = await collect(b, sid, after=5)
    assert [e.seq for e in events] == [6, 7, 8]
    assert [e.data.get("text") for e in events[:2]] == ["6", "7"]


async def test_many_followers_on_one_replica_share_the_stream_in_order(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    a, b, _ = pair
    sids = [secrets.token_hex(16) for _ in range(5)]
    for sid in sids:
        a.open(sid)
    await flushed(a)
    followers = [asyncio.create_task(collect(b, sid)) for sid in sids for _ in range(3)]
    await asyncio.sleep(0.2)
    for n in range(50):
        for sid in sids:
            a.publish(sid, "delta", {"text": f"{n},"})
        await asyncio.sleep(0)
    for sid in sids:
        a.publish(sid, "done", DONE)
        a.close(sid)
    for events in await asyncio.gather(*followers):
        assert [e.seq for e in events] == list(range(1, 52))
        assert "".join(e.data.get("text", "") for e in events) == "".join(
            f"{n}," for n in range(50)
        )


async def test_a_stream_whose_replica_died_is_ended_by_another(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    """Replica A published two tokens and died; B's sweep ends the stream for followers."""
    a, b, _ = pair
    sid = secrets.token_hex(16)
    a.open(sid)
    a.publish(sid, "delta", {"text": "half"})
    a.publish(sid, "delta", {"text": " an answer"})
    await flushed(a)
    follower = asyncio.create_task(collect(b, sid))
    await asyncio.sleep(0.2)
    await b.publish_final(sid, {"status": "interrupted"})
    events = await follower
    assert [e.kind for e in events] == ["delta", "delta", "done"]
    assert events[-1].seq == 3
    assert events[-1].data == {"status": "interrupted"}


async def test_finished_streams_expire_and_unknown_ones_are_not_known(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    a, b, redis = pair
    sid = secrets.token_hex(16)
    assert not await b.knows(sid)
    assert not await b.is_live(sid)
    await b.publish_final(sid, {"status": "interrupted"})  # nothing to end: nothing created
    assert not await redis.exists(stream_key(sid))
    a.open(sid)
    a.publish(sid, "done", DONE)
    a.close(sid)
    await flushed(a)
    assert 0 < await redis.ttl(stream_key(sid)) <= 30


async def test_following_a_stream_that_expired_meanwhile_ends_at_once(
    pair: tuple[RedisBroker, RedisBroker, Redis],
) -> None:
    a, b, redis = pair
    sid = secrets.token_hex(16)
    a.open(sid)
    await flushed(a)
    assert await b.knows(sid)
    await redis.delete(stream_key(sid))  # expired between the check and the follow
    assert await collect(b, sid) == []
    assert not await b.knows(sid)


async def test_redis_never_holds_reply_text_in_the_clear(
    pair: tuple[RedisBroker, RedisBroker, Redis], tmp_path: Path
) -> None:
    a, b, redis = pair
    sid = secrets.token_hex(16)
    a.open(sid)
    a.publish(sid, "delta", {"text": "my secret diagnosis"})
    a.publish(sid, "done", DONE)
    a.close(sid)
    await flushed(a)
    raw = await redis.xrange(stream_key(sid))
    assert raw and "diagnosis" not in repr(raw)
    followed = await collect(b, sid)
    assert followed[0].data == {"text": "my secret diagnosis"}
    # A replica with another master key cannot read the stream (and says so in its log).
    stranger = RedisBroker(redis, Transit(KeyRing.load_or_create(tmp_path / "other.key")))
    try:
        events = await collect(stranger, sid)
    finally:
        await stranger.aclose()
    assert [e.kind for e in events] == ["error"]
    assert "diagnosis" not in repr(events)
