"""`/api/groups` (admin): groups of users, used for sharing and visibility.

`/api/groups/mine` (any approved member): the groups I am in, to choose whom to share with.
It has its own router, included before the admin one so `mine` is never read as a group id.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from confide.api.deps import Admin, Ctx, IdCursor, IdPath, Limit, Member
from confide.api.schemas import Name, Page, PublicModel, StrictModel
from confide.services import groups
from confide.services.groups import GroupView

router = APIRouter(prefix="/api/groups", tags=["groups (admin)"])
mine_router = APIRouter(prefix="/api/groups", tags=["groups"])


class GroupIn(StrictModel):
    name: Name
    description: str = Field(default="", max_length=500)


class GroupUpdate(StrictModel):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=500)


class GroupSummary(PublicModel):
    id: str
    name: str
    description: str
    created_at: datetime
    member_count: int


class MyGroup(PublicModel):
    """A group I am in: no member list, nothing of anyone else's."""

    id: str
    name: str
    description: str


class GroupPublic(PublicModel):
    id: str
    name: str
    description: str
    created_at: datetime
    member_ids: list[str]


def _public(view: GroupView) -> GroupPublic:
    g = view.group
    return GroupPublic(
        id=g.id,
        name=g.name,
        description=g.description,
        created_at=g.created_at,
        member_ids=view.member_ids,
    )


@mine_router.get("/mine", response_model=Page[MyGroup])
async def list_my_groups(
    principal: Member, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[MyGroup]:
    """The groups I am a member of (admins too: only their own), newest group first."""
    rows = await groups.page_mine(principal, ctx, before=cursor, limit=limit + 1)
    items = [MyGroup(id=g.id, name=g.name, description=g.description) for g in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get("", response_model=Page[GroupSummary])
async def list_groups(
    principal: Admin, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[GroupSummary]:
    rows = await groups.page(principal, ctx, after=cursor, limit=limit + 1)
    items = [
        GroupSummary(
            id=g.id, name=g.name, description=g.description, created_at=g.created_at, member_count=n
        )
        for g, n in rows[:limit]
    ]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.post("", status_code=201, response_model=GroupPublic)
async def create_group(body: GroupIn, principal: Admin, ctx: Ctx) -> GroupPublic:
    return _public(
        await groups.create(principal, ctx, name=body.name, description=body.description)
    )


@router.get("/{group_id}", response_model=GroupPublic)
async def get_group(group_id: IdPath, principal: Admin, ctx: Ctx) -> GroupPublic:
    return _public(await groups.get(principal, ctx, group_id))


@router.patch("/{group_id}", response_model=GroupPublic)
async def update_group(
    group_id: IdPath, body: GroupUpdate, principal: Admin, ctx: Ctx
) -> GroupPublic:
    view = await groups.update(
        principal, ctx, group_id, name=body.name, description=body.description
    )
    return _public(view)


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: IdPath, principal: Admin, ctx: Ctx) -> None:
    await groups.delete(principal, ctx, group_id)


@router.put("/{group_id}/members/{user_id}", response_model=GroupPublic)
async def add_member(group_id: IdPath, user_id: IdPath, principal: Admin, ctx: Ctx) -> GroupPublic:
    return _public(await groups.add_member(principal, ctx, group_id, user_id))


@router.delete("/{group_id}/members/{user_id}", response_model=GroupPublic)
async def remove_member(
    group_id: IdPath, user_id: IdPath, principal: Admin, ctx: Ctx
) -> GroupPublic:
    return _public(await groups.remove_member(principal, ctx, group_id, user_id))
