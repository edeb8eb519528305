"""Usage accounting: every finished generation adds its tokens to the day's row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from confide.db.types import utcnow
from confide.errors import BadRequest
from confide.providers.base import Usage
from confide.services.batches import UsageCount, UsageKey
from confide.services.context import Context
from confide.store import usage
from confide.store.access import Principal, require_admin

MAX_DAYS = 366


@dataclass(frozen=True)
class UsageRow:
    day: date
    model: str
    api_key_id: str | None  # None: the web app
    requests: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class UsageTotal:
    day: date
    model: str
    users: int
    requests: int
    prompt_tokens: int
    completion_tokens: int


def record(principal: Principal, ctx: Context, model: str, used: Usage | None) -> None:
    """Add one generation's tokens (zero when the backend did not say) to today's row; the
    counts are summed in memory and written within a second."""
    prompt, completion = (used.prompt_tokens, used.completion_tokens) if used else (0, 0)
    key = UsageKey(principal.uid, principal.api_key_id or "", model, utcnow().date())
    ctx.usage_log.put(key, UsageCount(1, prompt, completion))


def _window(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or utcnow().date()
    # 30 days up to `until`, but never before the calendar's first day (date.min - 1 overflows).
    since = since or date.fromordinal(max(1, until.toordinal() - 29))
    if since > until or (until - since).days > MAX_DAYS:
        raise BadRequest(f"Choose a range of at most {MAX_DAYS} days, `since` before `until`.")
    return since, until


async def mine(
    principal: Principal, ctx: Context, since: date | None, until: date | None
) -> list[UsageRow]:
    start, end = _window(since, until)
    await ctx.usage_log.drain()
    async with ctx.db.read() as session:
        rows = await usage.mine(session, principal, start, end)
    return [
        UsageRow(
            r.day, r.model, r.api_key_id or None, r.requests, r.prompt_tokens, r.completion_tokens
        )
        for r in rows
    ]


async def totals(
    principal: Principal, ctx: Context, since: date | None, until: date | None
) -> list[UsageTotal]:
    require_admin(principal)
    start, end = _window(since, until)
    await ctx.usage_log.drain()
    async with ctx.db.read() as session:
        rows = await usage.totals(session, start, end)
    return [UsageTotal(*row) for row in rows]
