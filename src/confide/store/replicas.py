"""Replicas and the replies they generate: who is alive, and what a dead one left behind.

Every `confide serve` process renews its row every few seconds (`renew`). A reply still
`streaming` whose replica has not been seen for a while can never finish: `interrupt_orphans`
marks it `interrupted`, keeping the text saved so far. Any replica may run that sweep; the
conditional update makes it safe when two run it at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from confide.db.engine import upsert
from confide.db.tables import Message, Replica
from confide.db.types import utcnow
from confide.store.chats import STREAMING_LITERAL


async def renew(session: AsyncSession, replica: str) -> None:
    """Say this replica is alive now."""
    now = utcnow()
    statement = upsert(session, Replica).values(id=replica, seen_at=now)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[Replica.id], set_={"seen_at": now})
    )


async def forget(session: AsyncSession, replica: str) -> None:
    """A replica leaving on purpose (its own replies were ended before)."""
    await session.execute(delete(Replica).where(Replica.id == replica))


async def forget_older(session: AsyncSession, before: datetime) -> None:
    """Rows of replicas gone long ago (killed, so they never said goodbye)."""
    await session.execute(delete(Replica).where(Replica.seen_at < before))


async def interrupt_orphans(
    session: AsyncSession, *, alive_since: datetime, spare: str
) -> list[str]:
    """Mark `interrupted` every streaming reply whose replica was not seen since
    `alive_since` (or is unknown), never those of replica `spare` (the caller: it is alive,
    whatever its row says); answers their ids."""
    alive = select(Replica.id).where(Replica.seen_at >= alive_since)
    orphaned = or_(
        Message.replica.is_(None), and_(Message.replica != spare, Message.replica.not_in(alive))
    )
    return await _interrupt(session, orphaned)


async def interrupt_all(session: AsyncSession) -> list[str]:
    """Mark `interrupted` every streaming reply (a single-process instance starting: none of
    them can be running)."""
    return await _interrupt(session, true())


async def _interrupt(session: AsyncSession, which: ColumnElement[bool]) -> list[str]:
    query = (
        update(Message)
        .where(Message.status == STREAMING_LITERAL, which)  # literal: the partial index
        .values(status="interrupted", finish_reason="interrupted", updated_at=utcnow())
        .returning(Message.id)
    )
    return list((await session.execute(query)).scalars())
