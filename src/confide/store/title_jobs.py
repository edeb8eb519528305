"""Chat titles still to write, as leased jobs (see `TitleJob`).

The replica that finished a chat's first reply claims the job as it records it, in the same
transaction, and removes it when the title is written. Any replica takes over a job whose
claim is older than the lease (its replica died), at most MAX_ATTEMPTS times. Claims are
conditional updates on the claim seen, so exactly one replica holds a job at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import upsert
from confide.db.tables import TitleJob
from confide.db.types import utcnow

MAX_ATTEMPTS = 3
CLAIM_AT_ONCE = 20


@dataclass(frozen=True)
class Claim:
    chat_id: str
    model: str
    claimed_at: datetime


async def add(session: AsyncSession, chat_id: str, model: str) -> Claim | None:
    """Record the job, claimed by the caller; None when the chat already has one."""
    now = utcnow()
    statement = upsert(session, TitleJob).values(chat_id=chat_id, model=model, claimed_at=now)
    result = await session.execute(statement.on_conflict_do_nothing())
    if getattr(result, "rowcount", 0) != 1:
        return None
    return Claim(chat_id, model, now)


async def take_over(session: AsyncSession, lease: timedelta) -> list[Claim]:
    """Claim the jobs whose claim ran out (their replica died); gives up, deleting it, on a
    job already tried MAX_ATTEMPTS times."""
    now = utcnow()
    stale = TitleJob.claimed_at < now - lease
    await session.execute(delete(TitleJob).where(stale, TitleJob.attempts >= MAX_ATTEMPTS))
    query = (
        select(TitleJob.chat_id, TitleJob.model, TitleJob.claimed_at)
        .where(stale)
        .order_by(TitleJob.claimed_at)
        .limit(CLAIM_AT_ONCE)
    )
    claimed: list[Claim] = []
    for chat_id, model, seen in (await session.execute(query)).all():
        result = await session.execute(
            update(TitleJob)
            .where(TitleJob.chat_id == chat_id, TitleJob.claimed_at == seen)
            .values(claimed_at=now, attempts=TitleJob.attempts + 1)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(Claim(chat_id, model, now))
    return claimed


async def finish(session: AsyncSession, claim: Claim) -> bool:
    """Remove the job, if the caller still holds it (False: another replica took it over)."""
    result = await session.execute(
        delete(TitleJob).where(
            TitleJob.chat_id == claim.chat_id, TitleJob.claimed_at == claim.claimed_at
        )
    )
    return getattr(result, "rowcount", 0) == 1
