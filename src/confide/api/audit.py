"""`/api/audit` (admin): the audit log, newest first, filterable."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from confide.api.deps import Admin, Ctx, Cursor, Limit
from confide.api.schemas import Page, PublicModel
from confide.errors import BadRequest
from confide.services import audit
from confide.store.audit import AuditFilter

router = APIRouter(prefix="/api/audit", tags=["audit (admin)"])


class AuditEventPublic(PublicModel):
    seq: int
    created_at: datetime
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    detail: dict[str, Any]
    hash: str


@router.get("", response_model=Page[AuditEventPublic])
async def list_events(
    principal: Admin,
    ctx: Ctx,
    actor_id: str | None = Query(default=None, max_length=64),
    action: str | None = Query(default=None, max_length=64),
    target_id: str | None = Query(default=None, max_length=64),
    since: datetime | None = Query(default=None, description="ISO 8601, inclusive."),
    until: datetime | None = Query(default=None, description="ISO 8601, exclusive."),
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AuditEventPublic]:
    if cursor is not None and not cursor.isdigit():
        raise BadRequest("The cursor is not one this API gave out.")
    if (since and since.tzinfo is None) or (until and until.tzinfo is None):
        raise BadRequest("Give since and until with a time zone, e.g. 2026-01-01T00:00:00Z.")
    where = AuditFilter(actor_id, action, target_id, since, until)
    before = int(cursor) if cursor else None
    rows = await audit.list_events(principal, ctx, where, before=before, limit=limit + 1)
    items = [AuditEventPublic.model_validate(e) for e in rows[:limit]]
    return Page(items=items, next_cursor=str(items[-1].seq) if len(rows) > limit else None)
