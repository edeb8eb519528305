"""Use-cases over groups: admins manage them and their members; a member lists their own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Group
from confide.errors import Conflict, NotFound
from confide.services.audit import record
from confide.services.context import Context
from confide.store import groups, users
from confide.store.access import Principal, require_admin

NAME_TAKEN = "A group with this name already exists."


@dataclass(frozen=True)
class GroupView:
    group: Group
    member_ids: list[str]


async def create(principal: Principal, ctx: Context, *, name: str, description: str) -> GroupView:
    require_admin(principal)
    try:
        async with ctx.db.write() as session:
            group = await groups.create(session, name=name, description=description)
            await record(
                session, principal, "admin.group_created", target_type="group", target_id=group.id
            )
    except IntegrityError:
        raise Conflict(NAME_TAKEN) from None
    return GroupView(group, [])


async def page(
    principal: Principal, ctx: Context, *, after: str | None, limit: int
) -> list[tuple[Group, int]]:
    require_admin(principal)
    async with ctx.db.read() as session:
        rows = await groups.page(session, after=after, limit=limit)
        counts = await groups.member_counts(session, [g.id for g in rows])
    return [(g, counts.get(g.id, 0)) for g in rows]


async def page_mine(
    principal: Principal, ctx: Context, *, before: str | None, limit: int
) -> list[Group]:
    """The groups the acting user is in, newest first (admins too: only their own here)."""
    async with ctx.db.read() as session:
        return await groups.page_mine(session, principal, before=before, limit=limit)


async def get(principal: Principal, ctx: Context, group_id: str) -> GroupView:
    require_admin(principal)
    async with ctx.db.read() as session:
        group = await _existing(session, group_id)
        return GroupView(group, await groups.member_ids(session, group.id))


async def update(
    principal: Principal,
    ctx: Context,
    group_id: str,
    *,
    name: str | None,
    description: str | None,
) -> GroupView:
    require_admin(principal)
    try:
        async with ctx.db.write() as session:
            group = await _existing(session, group_id)
            group.name = name if name is not None else group.name
            group.description = description if description is not None else group.description
            await session.flush()
            await record(
                session, principal, "admin.group_updated", target_type="group", target_id=group.id
            )
            members = await groups.member_ids(session, group.id)
    except IntegrityError:
        raise Conflict(NAME_TAKEN) from None
    return GroupView(group, members)


async def delete(principal: Principal, ctx: Context, group_id: str) -> None:
    require_admin(principal)
    async with ctx.db.write() as session:
        group = await _existing(session, group_id)
        await groups.remove(session, group.id)
        await record(
            session, principal, "admin.group_deleted", target_type="group", target_id=group_id
        )


async def add_member(principal: Principal, ctx: Context, group_id: str, user_id: str) -> GroupView:
    require_admin(principal)
    async with ctx.db.write() as session:
        group = await _existing(session, group_id)
        if await users.get(session, user_id) is None:
            raise NotFound("User not found.")
        if await groups.add_member(session, group.id, user_id):
            await record(
                session,
                principal,
                "admin.group_member_added",
                target_type="group",
                target_id=group.id,
                user_id=user_id,
            )
        return GroupView(group, await groups.member_ids(session, group.id))


async def remove_member(
    principal: Principal, ctx: Context, group_id: str, user_id: str
) -> GroupView:
    require_admin(principal)
    async with ctx.db.write() as session:
        group = await _existing(session, group_id)
        if not await groups.remove_member(session, group.id, user_id):
            raise NotFound("This user is not a member of the group.")
        await record(
            session,
            principal,
            "admin.group_member_removed",
            target_type="group",
            target_id=group.id,
            user_id=user_id,
        )
        return GroupView(group, await groups.member_ids(session, group.id))


async def _existing(session: AsyncSession, group_id: str) -> Group:
    group = await groups.get(session, group_id)
    if group is None:
        raise NotFound("Group not found.")
    return group
