"""Turning a session cookie or an API key into a Principal; listing and revoking sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from confide.db.tables import Session, User
from confide.db.types import utcnow
from confide.errors import NotFound
from confide.security.tokens import looks_like_api_key, looks_like_session_token, token_hash
from confide.services.audit import record
from confide.services.context import Context
from confide.store import api_keys, sessions
from confide.store.access import Client, Principal, Role

# A credential checked this recently is not looked up again (`Context.principals`); any change
# made here that ends a session or key or changes an account's access empties that cache at
# once, one made by another process (the `confide admin` CLI) shows within this time.
PRINCIPAL_TTL_SECONDS = 2.0
TOUCH_EVERY = timedelta(seconds=60)  # how stale last-seen may get before we write it again


async def from_session_token(ctx: Context, token: str, client: Client) -> Principal | None:
    """The principal behind a session cookie, or None when it is unknown, expired or disabled."""
    if not looks_like_session_token(token):
        return None
    return await _principal_for(ctx, "session", token_hash(token), _look_up_session, client)


async def from_api_key(ctx: Context, key: str, client: Client) -> Principal | None:
    """The principal behind an API key, or None when it is unknown, expired or disabled."""
    if not looks_like_api_key(key):
        return None
    return await _principal_for(ctx, "api_key", token_hash(key), _look_up_api_key, client)


Lookup = Callable[[Context, str], Awaitable[tuple[Principal, datetime | None] | None]]


async def _principal_for(
    ctx: Context, kind: str, hashed: str, look_up: Lookup, client: Client
) -> Principal | None:
    """From the principal cache, or looked up (once for a burst of requests); the cached
    principal is given this request's client."""
    found = await ctx.principals.get_or_load(f"{kind}:{hashed}", lambda: look_up(ctx, hashed))
    return None if found is None else replace(found, client=client)


async def _look_up_session(ctx: Context, hashed: str) -> tuple[Principal, datetime] | None:
    async with ctx.db.read() as session:
        found = await sessions.find(session, hashed)
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if _session_expired(ctx, row, now) or user.disabled:
        if _session_expired(ctx, row, now):
            async with ctx.db.write() as session:
                await sessions.remove(session, row.id)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        ctx.touches.put(("session", row.id), now)
    return _principal(user, session_id=row.id), _session_end(ctx, row)


async def _look_up_api_key(ctx: Context, hashed: str) -> tuple[Principal, datetime | None] | None:
    async with ctx.db.read() as session:
        found = await api_keys.find(session, hashed)
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if (row.expires_at is not None and row.expires_at <= now) or user.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        ctx.touches.put(("api_key", row.id), now)
    return _principal(user, api_key_id=row.id), row.expires_at


def _session_end(ctx: Context, row: Session) -> datetime:
    """When the session stops being valid if nobody uses it: absolute or idle expiry."""
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    return min(row.expires_at, row.last_seen_at + idle)


def _session_expired(ctx: Context, row: Session, now: datetime) -> bool:
    return _session_end(ctx, row) <= now


def principal_of(user: User) -> Principal:
    """The user as a principal for work done on their behalf in the background."""
    return _principal(user)


def _principal(
    user: User, *, session_id: str | None = None, api_key_id: str | None = None
) -> Principal:
    """Without the client: the cached principal is given each request's own."""
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        session_id=session_id,
        api_key_id=api_key_id,
        two_factor=user.two_factor,
    )


async def list_mine(principal: Principal, ctx: Context) -> list[Session]:
    await ctx.touches.drain()
    async with ctx.db.read() as session:
        return await sessions.list_mine(session, principal)


async def revoke(principal: Principal, ctx: Context, session_id: str) -> None:
    async with ctx.db.write() as session:
        if not await sessions.revoke_mine(session, principal, session_id):
            raise NotFound("Session not found.")
        await record(
            session, principal, "auth.session_revoked", target_type="session", target_id=session_id
        )


async def revoke_others(principal: Principal, ctx: Context) -> int:
    """End every session of mine except the one making this request."""
    async with ctx.db.write() as session:
        ended = await sessions.revoke_all_for(session, principal.uid, keep=principal.session_id)
        await record(session, principal, "auth.sessions_revoked", count=ended)
    return ended
