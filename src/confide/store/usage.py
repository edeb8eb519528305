"""Token usage per user, API key, model and UTC day: one upserted row, never a log of calls."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import upsert
from confide.db.tables import UsageDaily
from confide.store.access import Principal, owned_by


async def add(
    session: AsyncSession,
    *,
    user_id: str,
    api_key_id: str,
    model: str,
    day: date,
    requests: int,
    prompt_tokens: int,
    completion_tokens: int,
) -> None:
    statement = upsert(session, UsageDaily).values(
        user_id=user_id,
        api_key_id=api_key_id,
        model=model,
        day=day,
        requests=requests,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "api_key_id", "model", "day"],
        set_={
            "requests": UsageDaily.requests + statement.excluded.requests,
            "prompt_tokens": UsageDaily.prompt_tokens + statement.excluded.prompt_tokens,
            "completion_tokens": UsageDaily.completion_tokens
            + statement.excluded.completion_tokens,
        },
    )
    await session.execute(statement)


async def mine(
    session: AsyncSession, principal: Principal, since: date, until: date
) -> list[UsageDaily]:
    query = (
        select(UsageDaily)
        .where(owned_by(principal, UsageDaily.user_id), UsageDaily.day >= since)
        .where(UsageDaily.day <= until)
        .order_by(UsageDaily.day.desc(), UsageDaily.model, UsageDaily.api_key_id)
        .limit(5000)
    )
    return list((await session.scalars(query)).all())


async def totals(
    session: AsyncSession, since: date, until: date
) -> list[tuple[date, str, int, int, int, int]]:
    """Per day and model, for admins: users, requests, prompt and completion tokens."""
    query = (
        select(
            UsageDaily.day,
            UsageDaily.model,
            func.count(func.distinct(UsageDaily.user_id)),
            func.sum(UsageDaily.requests),
            func.sum(UsageDaily.prompt_tokens),
            func.sum(UsageDaily.completion_tokens),
        )
        .where(UsageDaily.day >= since, UsageDaily.day <= until)
        .group_by(UsageDaily.day, UsageDaily.model)
        .order_by(UsageDaily.day.desc(), UsageDaily.model)
        .limit(5000)
    )
    rows = (await session.execute(query)).all()
    return [(d, m, int(u), int(r or 0), int(p or 0), int(c or 0)) for d, m, u, r, p, c in rows]
