"""Chat titles as leased jobs: recorded with the first reply, removed once written, and taken
over (exactly once) when the replica that claimed one died before writing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from confide.db.tables import TitleJob
from confide.db.types import utcnow
from confide.services import titles
from confide.services.chats import DEFAULT_TITLE
from confide.services.context import Context
from confide.store import title_jobs
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import Reply

MODEL = "fake-small"


@pytest.fixture
async def model(admin: httpx.AsyncClient, fake_openai: FakeOpenAI) -> AsyncIterator[FakeOpenAI]:
    connection = {"kind": "openai", "name": "Fake", "base_url": fake_openai.base_url}
    assert (await admin.post("/api/connections", json=connection)).status_code == 201
    yield fake_openai


async def chat_with_reply(ctx: Context, user: httpx.AsyncClient, text: str) -> str:
    """A chat whose first exchange is done and whose title job ran (title then reset)."""
    chat = (await user.post("/api/chats", json={})).json()["id"]
    sent = await user.post(f"/api/chats/{chat}/messages", json={"model": MODEL, "content": text})
    assert sent.status_code == 201, sent.text
    for message_id in sent.json()["assistant_message_ids"]:
        await ctx.runner.wait(message_id)
    await background_done(ctx)
    return str(chat)


async def background_done(ctx: Context) -> None:
    for task in list(ctx.runner._background):
        await task


async def title_of(user: httpx.AsyncClient, chat: str) -> str:
    return str((await user.get(f"/api/chats/{chat}")).json()["title"])


async def jobs(ctx: Context) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(TitleJob)) or 0)


async def left_by_a_dead_replica(ctx: Context, chat: str, *, ago: float, attempts: int) -> None:
    async with ctx.db.write() as session:
        claimed = utcnow() - timedelta(seconds=ago)
        session.add(TitleJob(chat_id=chat, model=MODEL, claimed_at=claimed, attempts=attempts))


async def untitled(user: httpx.AsyncClient, chat: str) -> None:
    renamed = await user.patch(f"/api/chats/{chat}", json={"title": DEFAULT_TITLE})
    assert renamed.status_code == 200, renamed.text


async def test_the_first_reply_records_a_title_job_that_is_gone_once_the_title_is_written(
    ctx: Context, user: httpx.AsyncClient, model: FakeOpenAI
) -> None:
    model.reply = Reply(chunks=["Greetings ", "exchanged"])
    chat = await chat_with_reply(ctx, user, "hello there")
    assert await title_of(user, chat) == "Greetings exchanged"
    assert await jobs(ctx) == 0


async def test_a_job_whose_replica_died_is_taken_over_and_written(
    ctx: Context, user: httpx.AsyncClient, model: FakeOpenAI
) -> None:
    model.reply = Reply(chunks=["Tide ", "tables"])
    chat = await chat_with_reply(ctx, user, "when is high tide in Brest")
    await untitled(user, chat)
    lease = ctx.settings.job_lease_seconds
    await left_by_a_dead_replica(ctx, chat, ago=lease + 1, attempts=1)
    assert await titles.take_over(ctx) == 1
    await background_done(ctx)
    assert await title_of(user, chat) == "Tide tables"
    assert await jobs(ctx) == 0


async def test_a_job_whose_model_is_gone_falls_back_to_the_first_words(
    ctx: Context, user: httpx.AsyncClient, model: FakeOpenAI
) -> None:
    chat = await chat_with_reply(ctx, user, "plan a walk along the river Thames")
    await untitled(user, chat)
    async with ctx.db.write() as session:
        session.add(
            TitleJob(
                chat_id=chat,
                model="no-such-model",
                claimed_at=utcnow() - timedelta(seconds=ctx.settings.job_lease_seconds + 1),
                attempts=1,
            )
        )
    assert await titles.take_over(ctx) == 1
    await background_done(ctx)
    assert await title_of(user, chat) == "plan a walk along the river…"


async def test_a_live_claim_is_left_alone_and_a_job_tried_too_often_is_dropped(
    ctx: Context, user: httpx.AsyncClient, model: FakeOpenAI
) -> None:
    live = await chat_with_reply(ctx, user, "first")
    tired = await chat_with_reply(ctx, user, "second")
    await left_by_a_dead_replica(ctx, live, ago=1, attempts=1)
    stale = ctx.settings.job_lease_seconds + 1
    await left_by_a_dead_replica(ctx, tired, ago=stale, attempts=title_jobs.MAX_ATTEMPTS)
    assert await titles.take_over(ctx) == 0
    assert await jobs(ctx) == 1  # the live one


async def test_two_replicas_taking_over_at_once_claim_each_job_once(
    ctx: Context, user: httpx.AsyncClient, model: FakeOpenAI
) -> None:
    chats = [await chat_with_reply(ctx, user, f"chat {n}") for n in range(4)]
    for chat in chats:
        await left_by_a_dead_replica(ctx, chat, ago=ctx.settings.job_lease_seconds + 1, attempts=1)
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)

    async def one_replica() -> list[str]:
        async with ctx.db.write() as session:
            return [claim.chat_id for claim in await title_jobs.take_over(session, lease)]

    first, second = await asyncio.gather(one_replica(), one_replica())
    assert sorted(first + second) == sorted(chats)  # every job claimed, none twice
