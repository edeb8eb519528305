"""Browser sessions, found by the hash of their cookie token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.ids import new_id
from confide.db.tables import Session, User
from confide.store.access import AUTH, Principal, owned_by


async def create(
    session: AsyncSession,
    *,
    user_id: str,
    token_hash: str,
    expires_at: datetime,
    ip: str | None,
    user_agent: str | None,
) -> Session:
    row = Session(
        id=new_id(),
        user_id=user_id,
        token_hash=token_hash,
        expires_at=expires_at,
        ip=ip,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    await session.flush()
    return row


async def find(session: AsyncSession, token_hash: str) -> tuple[Session, User] | None:
    query = (
        select(Session, User)
        .join(User, User.id == Session.user_id)
        .where(Session.token_hash == token_hash)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def touch(session: AsyncSession, session_id: str, when: datetime) -> None:
    row = await session.get(Session, session_id)
    if row is not None:
        row.last_seen_at = when


async def list_mine(session: AsyncSession, principal: Principal) -> list[Session]:
    query = (
        select(Session)
        .where(owned_by(principal, Session.user_id))
        .order_by(Session.last_seen_at.desc())
        .limit(500)
    )
    return list((await session.scalars(query)).all())


async def revoke_mine(session: AsyncSession, principal: Principal, session_id: str) -> bool:
    query = delete(Session).where(owned_by(principal, Session.user_id), Session.id == session_id)
    changed(session, AUTH)
    return bool(getattr(await session.execute(query), "rowcount", 0))


async def revoke_all_for(session: AsyncSession, user_id: str, *, keep: str | None = None) -> int:
    query = delete(Session).where(Session.user_id == user_id)
    if keep:
        query = query.where(Session.id != keep)
    changed(session, AUTH)
    return int(getattr(await session.execute(query), "rowcount", 0))


async def remove(session: AsyncSession, session_id: str) -> None:
    changed(session, AUTH)
    await session.execute(delete(Session).where(Session.id == session_id))
