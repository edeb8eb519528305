"""Replicas keeping each other honest: each says it is alive every few seconds, and any of
them ends the replies of one that went silent (killed, crashed, cut off), so no reply stays
`streaming` forever. Followers anywhere get the final event through the broker.

With SQLite there is one process: at its start, every reply left `streaming` is interrupted
at once (none can still be running). With PostgreSQL, other replicas may be generating, so a
starting replica interrupts only replies whose replica has not been seen for
`CONFIDE_REPLICA_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.types import utcnow
from confide.services import titles
from confide.services.context import Context
from confide.store import replicas

log = logging.getLogger("confide.replicas")
BEATS_PER_TIMEOUT = 5  # a replica is gone after five missed beats
FORGET_AFTER = timedelta(days=1)
INTERRUPTED: dict[str, object] = {
    "status": "interrupted",
    "finish_reason": "interrupted",
    "error": None,
    "usage": None,
    "timings": {},
}


async def arrive(ctx: Context) -> None:
    """On `confide serve` start: be seen, and end what earlier processes left running."""
    async with ctx.db.housekeeping() as session:
        await session.connection()  # times are taken once connected, never before a wait
        await replicas.renew(session, ctx.replica)
        if ctx.db.is_sqlite:
            ended = await replicas.interrupt_all(session)
        else:
            ended = await _sweep(ctx, session)
    await _announce(ctx, ended)


async def beat(ctx: Context) -> list[str]:
    """Renew this replica, interrupt the orphans of silent ones (answers their ids) and take
    over the title jobs their replicas left."""
    async with ctx.db.housekeeping() as session:
        await session.connection()  # times are taken once connected, never before a wait
        await replicas.renew(session, ctx.replica)
        ended = await _sweep(ctx, session)
        await replicas.forget_older(session, utcnow() - FORGET_AFTER)
    await _announce(ctx, ended)
    await titles.take_over(ctx)
    return ended


async def beat_forever(ctx: Context) -> None:
    every = ctx.settings.replica_timeout_seconds / BEATS_PER_TIMEOUT
    while True:
        await asyncio.sleep(every)
        try:
            await beat(ctx)
        except Exception:
            log.exception("could not renew this replica; trying again shortly")


async def leave(ctx: Context) -> None:
    """On a clean stop (after this replica's own replies were ended)."""
    async with ctx.db.housekeeping() as session:
        await replicas.forget(session, ctx.replica)


async def _sweep(ctx: Context, session: AsyncSession) -> list[str]:
    since = utcnow() - timedelta(seconds=ctx.settings.replica_timeout_seconds)
    return await replicas.interrupt_orphans(session, alive_since=since, spare=ctx.replica)


async def _announce(ctx: Context, ended: list[str]) -> None:
    if ended:
        log.warning("marked %d unfinished replies as interrupted", len(ended))
    for message_id in ended:
        await ctx.broker.publish_final(message_id, INTERRUPTED)
