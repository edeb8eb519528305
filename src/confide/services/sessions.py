"""Turning a session cookie or an API key into a Principal; listing and revoking sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from confide.db.tables import Session, User
from confide.db.types import utcnow
from confide.errors import NotFound
from confide.security.tokens import looks_like_api_key, looks_like_session_token, token_hash
from confide.services.audit import record
from confide.services.context import Context
from confide.store import api_keys, sessions
from confide.store.access import Client, Principal, Role

TOUCH_EVERY = timedelta(seconds=60)  # how stale last-seen may get before we write it again


async def from_session_token(ctx: Context, token: str, client: Client) -> Principal | None:
    """The principal behind a session cookie, or None when it is unknown, expired or disabled."""
    if not looks_like_session_token(token):
        return None
    async with ctx.db.read() as session:
        found = await sessions.find(session, token_hash(token))
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
    return _principal(user, client, session_id=row.id)


async def from_api_key(ctx: Context, key: str, client: Client) -> Principal | None:
    """The principal behind an API key, or None when it is unknown, expired or disabled."""
    if not looks_like_api_key(key):
        return None
    async with ctx.db.read() as session:
        found = await api_keys.find(session, token_hash(key))
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if (row.expires_at is not None and row.expires_at <= now) or user.disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        ctx.touches.put(("api_key", row.id), now)
    return _principal(user, client, api_key_id=row.id)


def _session_expired(ctx: Context, row: Session, now: datetime) -> bool:
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    return row.expires_at <= now or row.last_seen_at + idle <= now


def _principal(
    user: User, client: Client, *, session_id: str | None = None, api_key_id: str | None = None
) -> Principal:
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        client=client,
        session_id=session_id,
        api_key_id=api_key_id,
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
