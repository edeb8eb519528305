"""Recording and reading the audit log, and verifying its hash chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import AuditEvent
from confide.services.context import Context
from confide.store import audit as audit_store
from confide.store.access import Principal, require_admin
from confide.store.audit import AuditFilter


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    actor_id: str | None = None,
    **detail: Any,
) -> None:
    """Append an event in the caller's transaction. `detail` must never hold content or secrets."""
    await audit_store.append(
        session,
        action=action,
        actor_id=actor_id or principal.user_id or ("cli" if principal.system else None),
        ip=principal.client.ip,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
    )


async def list_events(
    principal: Principal, ctx: Context, where: AuditFilter, *, before: int | None, limit: int
) -> list[AuditEvent]:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await audit_store.page(session, where, before=before, limit=limit)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""


async def verify_chain(principal: Principal, ctx: Context) -> ChainReport:
    """Walk the log oldest first; report the first row whose hash or link does not hold."""
    require_admin(principal)
    expected_prev, checked = audit_store.GENESIS, 0
    async with ctx.db.read() as session:
        async for event in audit_store.in_order(session):
            reason = _break_reason(event, expected_prev)
            if reason:
                return ChainReport(False, checked, expected_prev, event.seq, reason)
            expected_prev, checked = event.hash, checked + 1
    return ChainReport(True, checked, expected_prev)


def _break_reason(event: AuditEvent, expected_prev: str) -> str:
    if event.prev_hash != expected_prev:
        return "its link to the previous event does not match (an event was removed or reordered)"
    if audit_store.event_hash(event) != event.hash:
        return "its contents do not match its hash (the event was edited)"
    return ""
