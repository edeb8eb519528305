"""Sign-up, sign-in, sign-out, profile and password: the account use-cases."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.tables import User
from confide.db.types import utcnow
from confide.errors import BadRequest, Conflict, Forbidden, RateLimited, Unauthorized
from confide.security.passwords import PasswordRejected, check_password_rules
from confide.security.tokens import new_session_token, token_hash
from confide.services import instance, two_factor
from confide.services.audit import record
from confide.services.context import Context
from confide.settings import SignupMode
from confide.store import sessions, users
from confide.store.access import AUTH, Principal, Role

WRONG_CREDENTIALS = "Wrong email or password."
FORBIDDEN_NAME_CHARS = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067"} | {
    "\u2068",
    "\u2069",
}


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    session_id: str


def normalize_email(value: str) -> str:
    """Validate an email address and return its canonical, lower-case form."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Not a valid email address: {exc}") from None
    return result.normalized.lower()


def clean_name(value: str) -> str:
    """NFC-normalise a display name; refuse empty names and invisible or control characters."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValueError("Name cannot be empty.")
    if len(name) > 100:
        raise ValueError("Name can be at most 100 characters.")
    if any(unicodedata.category(c) == "Cc" or c in FORBIDDEN_NAME_CHARS for c in name):
        raise ValueError("Name cannot contain control or text-direction characters.")
    return name


async def hit_limit(ctx: Context, key: str, limit: int) -> None:
    decision = await ctx.limiter.hit(key, limit, ctx.settings.login_rate_window_seconds)
    if not decision.allowed:
        raise RateLimited("Too many attempts. Try again later.", decision.retry_after)


async def hash_password(ctx: Context, password: str, *, email: str, name: str) -> str:
    try:
        check_password_rules(password, email=email, name=name)
    except PasswordRejected as exc:
        raise BadRequest(str(exc)) from None
    return await asyncio.to_thread(ctx.hasher.hash, password)


async def signup(
    principal: Principal, ctx: Context, *, email: str, password: str, name: str
) -> SignedIn:
    """Create an account. The very first one becomes admin, atomically."""
    await hit_limit(ctx, f"signup:ip:{principal.client.ip}", ctx.settings.login_rate_per_ip)
    password_hash = await hash_password(ctx, password, email=email, name=name)
    try:
        async with ctx.db.write() as session:
            user = await _create_account(principal, ctx, session, email, name, password_hash)
            token, session_id = await _open_session(principal, ctx, session, user)
    except IntegrityError:
        raise Conflict("An account with this email address already exists.") from None
    return SignedIn(user, token, session_id)


async def _create_account(
    principal: Principal,
    ctx: Context,
    session: AsyncSession,
    email: str,
    name: str,
    password_hash: str,
) -> User:
    first = not await users.any_exist(session)
    mode = await instance.signup_mode(ctx, session)
    if mode is SignupMode.closed and not first:
        raise Forbidden("Sign-up is closed on this instance. Ask an admin for an account.")
    role = Role.user if mode is SignupMode.open else Role.pending
    user = await users.create(
        session, ctx.sealer, email=email, name=name, role=role, password_hash=password_hash
    )
    if first and await users.claim_first_admin(session, user.id):
        user.role = Role.admin.value
    await record(
        session,
        principal,
        "auth.signup",
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        role=user.role,
    )
    return user


async def _open_session(
    principal: Principal, ctx: Context, session: AsyncSession, user: User
) -> tuple[str, str]:
    token = new_session_token()
    expires_at = utcnow() + timedelta(days=ctx.settings.session_max_days)
    row = await sessions.create(
        session,
        user_id=user.id,
        token_hash=token_hash(token),
        expires_at=expires_at,
        ip=principal.client.ip,
        user_agent=principal.client.user_agent,
    )
    return token, row.id


async def login(
    principal: Principal, ctx: Context, *, email: str, password: str, code: str | None = None
) -> SignedIn:
    """Check credentials (and the second factor, for an account that has it on) and open a
    session; the same error for an unknown account."""
    email = email.strip().lower()
    await hit_limit(ctx, f"login:ip:{principal.client.ip}", ctx.settings.login_rate_per_ip)
    await hit_limit(ctx, f"login:account:{email}", ctx.settings.login_rate_per_account)
    async with ctx.db.read() as session:
        user = await users.get_by_email(session, email)
    stored = user.password_hash if user else None
    if not await asyncio.to_thread(ctx.hasher.verify, stored, password) or user is None:
        await _record_failure(principal, ctx, user, "wrong_credentials")
        raise Unauthorized(WRONG_CREDENTIALS)
    if user.disabled:
        await _record_failure(principal, ctx, user, "disabled")
        raise Forbidden("This account is disabled. Ask an admin.")
    try:
        return await _finish_login(principal, ctx, user, password, code)
    except Unauthorized as exc:
        if exc.reason != two_factor.CodeRequired.reason:
            await _record_failure(principal, ctx, user, "two_factor")
        raise


async def _finish_login(
    principal: Principal, ctx: Context, user: User, password: str, code: str | None
) -> SignedIn:
    new_hash = None
    if ctx.hasher.needs_rehash(user.password_hash):
        new_hash = await asyncio.to_thread(ctx.hasher.hash, password)
    async with ctx.db.write() as session:
        fresh = await users.get(session, user.id)
        if fresh is None:
            raise Unauthorized(WRONG_CREDENTIALS)
        if fresh.two_factor:
            await two_factor.check_code(session, principal, ctx, fresh, code)
        if new_hash:
            fresh.password_hash = new_hash
        token, session_id = await _open_session(principal, ctx, session, fresh)
        await record(
            session,
            principal,
            "auth.login",
            actor_id=fresh.id,
            target_type="session",
            target_id=session_id,
        )
    return SignedIn(fresh, token, session_id)


async def _record_failure(
    principal: Principal, ctx: Context, user: User | None, reason: str
) -> None:
    async with ctx.db.write() as session:
        await record(
            session,
            principal,
            "auth.login_failed",
            actor_id=user.id if user else None,
            reason=reason,
        )


async def logout(principal: Principal, ctx: Context) -> None:
    if principal.session_id is None:
        return
    async with ctx.db.write() as session:
        await sessions.remove(session, principal.session_id)
        await record(
            session, principal, "auth.logout", target_type="session", target_id=principal.session_id
        )


async def me(principal: Principal, ctx: Context) -> User:
    async with ctx.db.read() as session:
        user = await users.get(session, principal.uid)
    if user is None:
        raise Unauthorized("Sign in first.")
    return user


async def update_profile(principal: Principal, ctx: Context, *, name: str) -> User:
    async with ctx.db.write() as session:
        user = await users.get(session, principal.uid)
        if user is None:
            raise Unauthorized("Sign in first.")
        user.name = name
        await session.flush()
        return user


async def change_password(
    principal: Principal, ctx: Context, *, current_password: str, new_password: str
) -> None:
    """Change my password and end every other session of mine."""
    user = await me(principal, ctx)
    if not await asyncio.to_thread(ctx.hasher.verify, user.password_hash, current_password):
        raise BadRequest("The current password is wrong.")
    new_hash = await hash_password(ctx, new_password, email=user.email, name=user.name)
    async with ctx.db.write() as session:
        await set_password(session, principal, user.id, new_hash, keep_session=principal.session_id)


async def set_password(
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    password_hash: str,
    *,
    keep_session: str | None,
) -> None:
    user = await users.get(session, user_id)
    if user is None:
        raise Unauthorized("Sign in first.")
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    changed(session, AUTH)
    ended = await sessions.revoke_all_for(session, user_id, keep=keep_session)
    await record(
        session,
        principal,
        "auth.password_changed",
        target_type="user",
        target_id=user_id,
        sessions_ended=ended,
    )
