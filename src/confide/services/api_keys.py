"""API keys: created and shown once, listed by prefix, revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from confide.db.tables import ApiKey
from confide.db.types import utcnow
from confide.errors import Conflict, NotFound
from confide.security.tokens import api_key_display_prefix, new_api_key, token_hash
from confide.services.audit import record
from confide.services.context import Context
from confide.store import api_keys
from confide.store.access import Principal


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str  # the only time the key itself exists outside the client


async def create(
    principal: Principal, ctx: Context, *, name: str, expires_in_days: int | None
) -> CreatedKey:
    key = new_api_key()
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    async with ctx.db.write() as session:
        if await api_keys.count_mine(session, principal) >= api_keys.MAX_KEYS_PER_USER:
            raise Conflict(f"You have {api_keys.MAX_KEYS_PER_USER} API keys; revoke one first.")
        row = await api_keys.create(
            session,
            principal,
            name=name,
            prefix=api_key_display_prefix(key),
            key_hash=token_hash(key),
            expires_at=expires_at,
        )
        await record(session, principal, "api_key.created", target_type="api_key", target_id=row.id)
    return CreatedKey(row, key)


async def list_mine(principal: Principal, ctx: Context) -> list[ApiKey]:
    await ctx.touches.drain()
    async with ctx.db.read() as session:
        return await api_keys.list_mine(session, principal)


async def revoke(principal: Principal, ctx: Context, key_id: str) -> None:
    async with ctx.db.write() as session:
        if not await api_keys.revoke_mine(session, principal, key_id):
            raise NotFound("API key not found.")
        await record(session, principal, "api_key.revoked", target_type="api_key", target_id=key_id)
