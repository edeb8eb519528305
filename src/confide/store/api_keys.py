"""API keys, found by the hash of the key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.ids import new_id
from confide.db.tables import ApiKey, User
from confide.store.access import AUTH, Principal, owned_by

MAX_KEYS_PER_USER = 100


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    prefix: str,
    key_hash: str,
    expires_at: datetime | None,
) -> ApiKey:
    row = ApiKey(
        id=new_id(),
        user_id=principal.uid,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def count_mine(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).where(owned_by(principal, ApiKey.user_id))
    return int(await session.scalar(query) or 0)


async def find(session: AsyncSession, key_hash: str) -> tuple[ApiKey, User] | None:
    query = select(ApiKey, User).join(User, User.id == ApiKey.user_id)
    row = (await session.execute(query.where(ApiKey.key_hash == key_hash))).first()
    return (row[0], row[1]) if row else None


async def touch(session: AsyncSession, key_id: str, when: datetime) -> None:
    row = await session.get(ApiKey, key_id)
    if row is not None:
        row.last_used_at = when


async def list_mine(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    query = select(ApiKey).where(owned_by(principal, ApiKey.user_id)).order_by(ApiKey.id.desc())
    return list((await session.scalars(query)).all())


async def revoke_mine(session: AsyncSession, principal: Principal, key_id: str) -> bool:
    query = delete(ApiKey).where(owned_by(principal, ApiKey.user_id), ApiKey.id == key_id)
    changed(session, AUTH)
    return bool(getattr(await session.execute(query), "rowcount", 0))
