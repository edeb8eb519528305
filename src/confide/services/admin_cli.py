"""Account operations for the server shell (`confide admin …`), acting as the system."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from confide.db.tables import User
from confide.errors import BadRequest, Conflict, NotFound
from confide.services.accounts import clean_name, hash_password, normalize_email, set_password
from confide.services.audit import record
from confide.services.context import Context
from confide.store import users
from confide.store.access import Principal, Role, require_admin


async def create_admin(
    principal: Principal, ctx: Context, *, email: str, name: str, password: str
) -> User:
    require_admin(principal)
    try:
        email, name = normalize_email(email), clean_name(name)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    password_hash = await hash_password(ctx, password, email=email, name=name)
    try:
        async with ctx.db.write() as session:
            user = await users.create(
                session,
                ctx.sealer,
                email=email,
                name=name,
                role=Role.admin,
                password_hash=password_hash,
            )
            await users.claim_first_admin(session, user.id)
            await record(
                session,
                principal,
                "admin.user_created",
                target_type="user",
                target_id=user.id,
                role=user.role,
            )
    except IntegrityError:
        raise Conflict("An account with this email address already exists.") from None
    return user


async def reset_password(principal: Principal, ctx: Context, *, email: str, password: str) -> User:
    require_admin(principal)
    async with ctx.db.read() as session:
        user = await users.get_by_email(session, email.strip().lower())
    if user is None:
        raise NotFound(f"No account with the email {email}.")
    password_hash = await hash_password(ctx, password, email=user.email, name=user.name)
    async with ctx.db.write() as session:
        await set_password(session, principal, user.id, password_hash, keep_session=None)
    return user
