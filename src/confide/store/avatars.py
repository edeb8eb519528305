"""Profile pictures: one row per user who has one; `users.avatar_at` says whether and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import upsert
from confide.db.tables import Avatar, User


async def get(session: AsyncSession, user_id: str) -> Avatar | None:
    return (await session.scalars(select(Avatar).where(Avatar.user_id == user_id))).one_or_none()


async def put(
    session: AsyncSession, user_id: str, *, content_type: str, data: bytes, at: datetime
) -> None:
    """Set (or replace) the user's picture, stamped `at`."""
    values = {"user_id": user_id, "content_type": content_type, "data": data, "updated_at": at}
    statement = upsert(session, Avatar).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[Avatar.user_id],
        set_={"content_type": content_type, "data": data, "updated_at": at},
    )
    await session.execute(statement)
    await session.execute(update(User).where(User.id == user_id).values(avatar_at=at))


async def remove(session: AsyncSession, user_id: str) -> bool:
    """Remove the user's picture; False when they had none."""
    result = await session.execute(delete(Avatar).where(Avatar.user_id == user_id))
    await session.execute(update(User).where(User.id == user_id).values(avatar_at=None))
    return bool(getattr(result, "rowcount", 0))
