"""Groups of users (admin-managed); presets are shared with them, and members list their own."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Group, GroupMember
from confide.store.access import Principal, in_my_groups


async def create(session: AsyncSession, *, name: str, description: str) -> Group:
    group = Group(id=new_id(), name=name, description=description)
    session.add(group)
    await session.flush()
    return group


async def get(session: AsyncSession, group_id: str) -> Group | None:
    return await session.get(Group, group_id)


async def page(session: AsyncSession, *, after: str | None, limit: int) -> list[Group]:
    query = select(Group).order_by(Group.id).limit(limit)
    if after:
        query = query.where(Group.id > after)
    return list((await session.scalars(query)).all())


async def page_mine(
    session: AsyncSession, principal: Principal, *, before: str | None, limit: int
) -> list[Group]:
    """The groups the acting user is a member of: newest first, starting after the id `before`."""
    query = select(Group).where(in_my_groups(principal, Group.id))
    if before:
        query = query.where(Group.id < before)
    return list((await session.scalars(query.order_by(Group.id.desc()).limit(limit))).all())


async def member_ids(session: AsyncSession, group_id: str) -> list[str]:
    query = select(GroupMember.user_id).where(GroupMember.group_id == group_id)
    return list((await session.scalars(query.order_by(GroupMember.user_id))).all())


async def member_counts(session: AsyncSession, group_ids: list[str]) -> dict[str, int]:
    query = (
        select(GroupMember.group_id, func.count())
        .where(GroupMember.group_id.in_(group_ids))
        .group_by(GroupMember.group_id)
    )
    return {gid: int(n) for gid, n in (await session.execute(query)).all()}


async def add_member(session: AsyncSession, group_id: str, user_id: str) -> bool:
    """Add a member; False when they already were one."""
    if await session.get(GroupMember, (group_id, user_id)) is not None:
        return False
    session.add(GroupMember(group_id=group_id, user_id=user_id))
    await session.flush()
    return True


async def remove_member(session: AsyncSession, group_id: str, user_id: str) -> bool:
    query = delete(GroupMember).where(
        GroupMember.group_id == group_id, GroupMember.user_id == user_id
    )
    return bool(getattr(await session.execute(query), "rowcount", 0))


async def remove(session: AsyncSession, group_id: str) -> None:
    await session.execute(delete(Group).where(Group.id == group_id))
