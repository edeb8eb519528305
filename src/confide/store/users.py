"""Users: accounts, roles, and the atomic claim that makes the first account the admin."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed, upsert
from confide.db.ids import new_id
from confide.db.tables import InstanceSetting, User
from confide.db.types import utcnow
from confide.security.sealing import Sealer
from confide.store.access import AUTH, Role
from confide.store.keys import add_user_key

FIRST_ADMIN_CLAIM = "bootstrap.first_admin"


async def create(
    session: AsyncSession,
    sealer: Sealer,
    *,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
) -> User:
    """Insert a user and their data key; the unique email raises IntegrityError on a clash."""
    user = User(id=new_id(), email=email, name=name, role=role.value, password_hash=password_hash)
    session.add(user)
    await session.flush()
    await add_user_key(session, sealer, user.id)
    await session.flush()
    return user


async def claim_first_admin(session: AsyncSession, user_id: str) -> bool:
    """Atomically claim 'first account'; exactly one transaction ever gets True."""
    values = {"key": FIRST_ADMIN_CLAIM, "value": {"user_id": user_id}, "updated_at": utcnow()}
    statement = upsert(session, InstanceSetting).values(**values).on_conflict_do_nothing()
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def any_exist(session: AsyncSession) -> bool:
    return (await session.scalar(select(User.id).limit(1))) is not None


async def get(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def count_active_admins(session: AsyncSession) -> int:
    """Active admins, with their rows locked (PostgreSQL) so two demotions cannot race."""
    query = select(User.id).where(User.role == Role.admin.value, User.disabled.is_(False))
    return len((await session.scalars(query.with_for_update())).all())


async def page(
    session: AsyncSession,
    *,
    search: str | None,
    role: Role | None,
    before: str | None,
    limit: int,
) -> list[User]:
    """Users, newest first, `limit` at a time, starting after the id `before`."""
    query = select(User).order_by(User.id.desc()).limit(limit)
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        query = query.where(
            or_(
                User.email.like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role.value)
    if before:
        query = query.where(User.id < before)
    return list((await session.scalars(query)).all())


async def remove(session: AsyncSession, user_id: str) -> None:
    changed(session, AUTH)
    await session.execute(delete(User).where(User.id == user_id))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
