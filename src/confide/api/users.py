"""`/api/users` (admin): accounts, approval, roles, disabling, deletion."""

from __future__ import annotations

from fastapi import APIRouter, Query

from confide.api.deps import Admin, Ctx, IdCursor, IdPath, Limit
from confide.api.schemas import Page, StrictModel, UserPublic
from confide.services import users
from confide.store.access import Role

router = APIRouter(prefix="/api/users", tags=["users (admin)"])


class UserUpdate(StrictModel):
    role: Role | None = None
    disabled: bool | None = None


@router.get("", response_model=Page[UserPublic])
async def list_users(
    principal: Admin,
    ctx: Ctx,
    cursor: IdCursor,
    q: str | None = Query(default=None, max_length=100, description="Part of an email or name."),
    role: Role | None = None,
    limit: Limit = 50,
) -> Page[UserPublic]:
    rows = await users.page(principal, ctx, search=q, role=role, before=cursor, limit=limit + 1)
    items = [UserPublic.model_validate(u) for u in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get("/{user_id}", response_model=UserPublic)
async def get_user(user_id: IdPath, principal: Admin, ctx: Ctx) -> object:
    return await users.get(principal, ctx, user_id)


@router.patch("/{user_id}", response_model=UserPublic)
async def update_user(user_id: IdPath, body: UserUpdate, principal: Admin, ctx: Ctx) -> object:
    """Change role and/or disable; the last admin is protected."""
    return await users.update(principal, ctx, user_id, role=body.role, disabled=body.disabled)


@router.post("/{user_id}/approve", response_model=UserPublic)
async def approve_user(user_id: IdPath, principal: Admin, ctx: Ctx) -> object:
    return await users.approve(principal, ctx, user_id)


@router.delete("/{user_id}", status_code=204)
async def delete_user(user_id: IdPath, principal: Admin, ctx: Ctx) -> None:
    """Delete the account, all it owns, and its data key (its sealed data is gone for good)."""
    await users.delete(principal, ctx, user_id)
