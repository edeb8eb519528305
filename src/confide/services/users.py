"""Admin use-cases over accounts: list, approve, change role, disable, delete.

The last active admin can be neither demoted, disabled nor deleted.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.tables import User
from confide.errors import Conflict, NotFound
from confide.services import files as file_service
from confide.services.audit import record
from confide.services.context import Context
from confide.store import files, postings, sessions, users
from confide.store.access import AUTH, Principal, Role, require_admin


async def page(
    principal: Principal,
    ctx: Context,
    *,
    search: str | None,
    role: Role | None,
    before: str | None,
    limit: int,
) -> list[User]:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await users.page(session, search=search, role=role, before=before, limit=limit)


async def get(principal: Principal, ctx: Context, user_id: str) -> User:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await _existing(session, user_id)


async def update(
    principal: Principal,
    ctx: Context,
    user_id: str,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
) -> User:
    """Change a user's role and/or disabled flag; ends their sessions when they lose access."""
    require_admin(principal)
    async with ctx.db.write() as session:
        user = await _existing(session, user_id)
        await _guard_last_admin(session, user, role=role, disabled=disabled)
        if role is not None and role.value != user.role:
            await record(
                session,
                principal,
                "admin.user_role",
                target_type="user",
                target_id=user.id,
                before=user.role,
                after=role.value,
            )
            user.role = role.value
            changed(session, AUTH)
        if disabled is not None and disabled != user.disabled:
            user.disabled = disabled
            changed(session, AUTH)
            await record(
                session,
                principal,
                "admin.user_disabled" if disabled else "admin.user_enabled",
                target_type="user",
                target_id=user.id,
            )
        if user.disabled or user.role == Role.pending.value:
            await sessions.revoke_all_for(session, user.id)
        await session.flush()
        return user


async def approve(principal: Principal, ctx: Context, user_id: str) -> User:
    require_admin(principal)
    async with ctx.db.write() as session:
        user = await _existing(session, user_id)
        if user.role != Role.pending.value:
            raise Conflict("This account is not waiting for approval.")
        user.role = Role.user.value
        changed(session, AUTH)
        await record(
            session, principal, "admin.user_approved", target_type="user", target_id=user.id
        )
        await session.flush()
        return user


async def delete(principal: Principal, ctx: Context, user_id: str) -> None:
    """Delete an account and everything it owns; its data key goes, so backups stay sealed."""
    require_admin(principal)
    async with ctx.db.write() as session:
        user = await _existing(session, user_id)
        await _guard_last_admin(session, user, deleting=True)
        await postings.purge(session, user.id)
        blob_keys = await files.blobs_of_user(session, user.id)
        await users.remove(session, user.id)
        await record(
            session, principal, "admin.user_deleted", target_type="user", target_id=user_id
        )
    await file_service.remove_user_blobs(ctx, blob_keys)


async def _existing(session: AsyncSession, user_id: str) -> User:
    user = await users.get(session, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


async def _guard_last_admin(
    session: AsyncSession,
    user: User,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
    deleting: bool = False,
) -> None:
    if user.role != Role.admin.value or user.disabled:
        return
    loses_admin = deleting or bool(disabled) or (role is not None and role is not Role.admin)
    if loses_admin and await users.count_active_admins(session) <= 1:
        raise Conflict("This is the last admin; make another admin first.")
