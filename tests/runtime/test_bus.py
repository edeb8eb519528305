"""The replicas' control channel and the shared rate limits, against the real Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from confide.runtime.bus import RESYNC, RedisBus
from confide.security.ratelimit import RedisRateLimiter
from confide.security.sealing import KeyRing
from confide.security.transit import Transit


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    made = [Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    yield made
    for client in made:
        await client.aclose()


async def until(done: Callable[[], bool], seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.02)):
        if done():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not within the time allowed")


async def started(redis: Redis) -> RedisBus:
    bus = RedisBus(redis)
    bus.start()
    async with asyncio.timeout(5):
        await bus.listening.wait()
    return bus


async def test_a_message_reaches_the_other_replica_and_not_its_sender(
    clients: list[Redis],
) -> None:
    a, b = await started(clients[0]), await started(clients[1])
    heard: dict[str, list[str]] = {"a": [], "b": []}
    a.on("stop", heard["a"].append)
    b.on("stop", heard["b"].append)
    try:
        a.send("stop", "one")
        a.send("stop", "two")
        await until(lambda: len(heard["b"]) >= 2)
        assert heard == {"a": [], "b": ["one", "two"]}  # in order; never to itself
    finally:
        await a.close()
        await b.close()


async def test_junk_on_the_channel_is_ignored(clients: list[Redis]) -> None:
    bus = await started(clients[0])
    heard: list[str] = []
    bus.on("stop", heard.append)
    try:
        for junk in ("not json", "[1, 2]", '{"k": "stop"}', '{"k": "stop", "v": 7}'):
            await clients[1].publish("confide:bus", junk)
        other = RedisBus(clients[1])
        other.send("stop", "real")
        await until(lambda: bool(heard))
        assert heard == ["real"]  # a message without a kind or a value is dropped
    finally:
        await bus.close()


async def test_after_losing_the_channel_a_replica_resyncs(
    clients: list[Redis], redis_url: str
) -> None:
    """Messages sent while a replica was cut off are lost (pub/sub): when it listens again,
    it hears `resync` and forgets every cached answer."""
    name = f"cut-{secrets.token_hex(4)}"
    named = Redis.from_url(redis_url, decode_responses=True, client_name=name)
    bus = await started(named)
    resyncs: list[str] = []
    bus.on(RESYNC, resyncs.append)
    try:
        killed = await clients[1].client_kill_filter(_type="pubsub", skipme=True)
        assert killed >= 1
        await until(lambda: bool(resyncs), seconds=10)
        assert resyncs == [""]
        assert bus.listening.is_set()
    finally:
        await bus.close()
        await named.aclose()


@pytest.fixture
def transit(tmp_path: Path) -> Transit:
    return Transit(KeyRing.load_or_create(tmp_path / "master.key"))


async def test_replicas_share_one_count_per_key(clients: list[Redis], transit: Transit) -> None:
    a, b = RedisRateLimiter(clients[0], transit), RedisRateLimiter(clients[1], transit)
    key = f"test:{secrets.token_hex(8)}"
    decisions = [await limiter.hit(key, 3, 60) for limiter in (a, b, a)]
    assert all(d.allowed for d in decisions)
    refused = await b.hit(key, 3, 60)
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 60
    assert (await a.hit(f"{key}:other", 3, 60)).allowed  # keys are counted apart


async def test_limit_keys_in_redis_name_no_address(clients: list[Redis], transit: Transit) -> None:
    address = f"someone-{secrets.token_hex(4)}@example.com"
    before = {name async for name in clients[0].scan_iter("confide:limit:*", count=1000)}
    await RedisRateLimiter(clients[0], transit).hit(f"login:account:{address}", 5, 60)
    after = {name async for name in clients[0].scan_iter("confide:limit:*", count=1000)}
    assert after - before == {f"confide:limit:{transit.name(f'login:account:{address}')}"}
    assert address not in repr(after)


async def test_a_window_ends_and_counting_starts_again(
    clients: list[Redis], transit: Transit
) -> None:
    limiter = RedisRateLimiter(clients[0], transit)
    key = f"test:{secrets.token_hex(8)}"
    assert (await limiter.hit(key, 1, 1)).allowed
    assert not (await limiter.hit(key, 1, 1)).allowed
    await asyncio.sleep(1.1)
    assert (await limiter.hit(key, 1, 1)).allowed
