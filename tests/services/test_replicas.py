"""Replicas: a reply whose replica went silent is interrupted by another, with its text; the
replies of live replicas are left alone."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
from sqlalchemy import select

from confide.db.tables import Message, Replica
from confide.db.types import utcnow
from confide.services import messages, replicas
from confide.services.context import Context
from confide.store import chats, keys
from confide.store.access import Principal, Role
from tests.api.test_chats import new_chat


async def streaming_reply(ctx: Context, chat_id: str, replica: str | None, text: bytes) -> str:
    message_id = f"{len(replica or ''):x}{text.hex()}".ljust(32, "0")[:32]
    async with ctx.db.write() as session:
        session.add(
            Message(
                id=message_id,
                chat_id=chat_id,
                role="assistant",
                content=text,
                status="streaming",
                replica=replica,
            )
        )
    return message_id


async def seen(ctx: Context, replica: str, ago: float) -> None:
    async with ctx.db.write() as session:
        await session.merge(Replica(id=replica, seen_at=utcnow() - timedelta(seconds=ago)))


async def status_of(ctx: Context, message_id: str) -> tuple[str, bytes]:
    async with ctx.db.read() as session:
        row = (
            await session.execute(
                select(Message.status, Message.content).where(Message.id == message_id)
            )
        ).one()
    return row[0], bytes(row[1])


async def test_a_silent_replicas_replies_are_interrupted_and_live_ones_are_not(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    chat_id = await new_chat(user)
    await seen(ctx, "alive0000000000a", ago=2)
    await seen(ctx, "dead00000000000b", ago=ctx.settings.replica_timeout_seconds + 5)
    alive = await streaming_reply(ctx, chat_id, "alive0000000000a", b"still going")
    dead = await streaming_reply(ctx, chat_id, "dead00000000000b", b"half an answ")
    unknown = await streaming_reply(ctx, chat_id, "never00000000000", b"who ran this")

    ended = await replicas.beat(ctx)

    assert sorted(ended) == sorted([dead, unknown])
    assert await status_of(ctx, alive) == ("streaming", b"still going")
    assert (await status_of(ctx, dead))[0] == "interrupted"
    assert (await status_of(ctx, dead))[1] == b"half an answ"  # the text is kept, untouched
    assert (await status_of(ctx, unknown))[0] == "interrupted"


async def test_a_beat_renews_this_replica_so_its_own_replies_survive(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    chat_id = await new_chat(user)
    await seen(
        ctx, ctx.replica, ago=ctx.settings.replica_timeout_seconds + 60
    )  # e.g. after a long pause
    mine = await streaming_reply(ctx, chat_id, ctx.replica, b"my own reply")
    assert await replicas.beat(ctx) == []
    assert (await status_of(ctx, mine))[0] == "streaming"


async def test_a_starting_replica_on_postgresql_spares_live_replicas(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    """On PostgreSQL other replicas may be generating while one starts: their replies stay.
    With SQLite (one process) everything left `streaming` ends at start."""
    chat_id = await new_chat(user)
    await seen(ctx, "other000000000aa", ago=1)
    theirs = await streaming_reply(ctx, chat_id, "other000000000aa", b"theirs")
    starting = dataclasses.replace(ctx, replica="starting00000000")
    await replicas.arrive(starting)
    expected = "interrupted" if ctx.db.is_sqlite else "streaming"
    assert (await status_of(ctx, theirs))[0] == expected


async def test_leaving_removes_the_replica_and_old_rows_are_forgotten(ctx: Context) -> None:
    await seen(ctx, ctx.replica, ago=0)
    await seen(ctx, "ancient000000000", ago=2 * 86400)
    await replicas.leave(ctx)
    await replicas.beat(ctx)  # renews this one again, forgets the ancient one
    async with ctx.db.read() as session:
        ids = set((await session.execute(select(Replica.id))).scalars())
    assert ids == {ctx.replica}


async def test_a_follower_waits_briefly_for_a_reply_its_replica_has_not_announced_yet(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    """Right after a send through replica A, a follower on B may ask before A's broker has
    told Redis: it waits for the stream instead of getting an empty snapshot."""
    chat_id = await new_chat(user)
    principal = Principal(user_id=user.user["id"], role=Role.user)  # type: ignore[attr-defined]
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        reply = await chats.add_message(
            session, cipher, chat, parent_id=None, role="assistant", content="", status="streaming"
        )
    reply_id = reply.id

    async def announce_late() -> None:
        await asyncio.sleep(0.3)
        ctx.broker.open(reply_id)
        ctx.broker.publish(reply_id, "delta", {"text": "late but here"})
        ctx.broker.publish(reply_id, "done", {"status": "complete"})
        ctx.broker.close(reply_id)

    late = asyncio.create_task(announce_late())
    events = await messages.follow(principal, ctx, chat_id, reply_id, after=0)
    kinds = [event.kind async for batch in events for event in batch]
    await late
    assert kinds == ["delta", "done"]
