"""The audit log: append-only rows, each carrying the SHA-256 of the one before.

Appends happen inside the caller's write transaction, so an action and its audit row commit
together. Writers are serialised (SQLite: the write lock; PostgreSQL: an advisory lock) so the
chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import AuditEvent
from confide.db.types import utcnow

GENESIS = "0" * 64
PG_AUDIT_LOCK = 0x0A0D17


@dataclass(frozen=True)
class AuditFilter:
    actor_id: str | None = None
    action: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def append(
    session: AsyncSession,
    *,
    action: str,
    actor_id: str | None,
    ip: str | None,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK})
    last = select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    prev_hash = await session.scalar(last) or GENESIS
    event = AuditEvent(
        created_at=utcnow(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        ip=ip,
        detail=detail or {},
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    await session.flush()
    return event


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over a canonical JSON encoding of the event's fields and the previous hash."""
    fields = {
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip": event.ip,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


async def page(
    session: AsyncSession, where: AuditFilter, *, before: int | None, limit: int
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if where.actor_id:
        query = query.where(AuditEvent.actor_id == where.actor_id)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.target_id:
        query = query.where(AuditEvent.target_id == where.target_id)
    if where.since:
        query = query.where(AuditEvent.created_at >= where.since)
    if where.until:
        query = query.where(AuditEvent.created_at < where.until)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    return list((await session.scalars(query)).all())


async def in_order(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    """Every event, oldest first, read in batches."""
    after = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
        rows = (await session.scalars(query.limit(batch))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq
