"""`/api/usage`: my token usage per day and model; `/api/usage/totals` for admins."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from confide.api.deps import Admin, Ctx, Member
from confide.api.schemas import PublicModel
from confide.services import usage

router = APIRouter(prefix="/api/usage", tags=["usage"])


class UsagePublic(PublicModel):
    day: date
    model: str
    api_key_id: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int


class UsageTotalPublic(PublicModel):
    day: date
    model: str
    users: int
    requests: int
    prompt_tokens: int
    completion_tokens: int


@router.get("", response_model=list[UsagePublic])
async def my_usage(
    principal: Member, ctx: Ctx, since: date | None = None, until: date | None = None
) -> object:
    """My tokens per UTC day, model and API key (null: the web app); default: 30 days."""
    return await usage.mine(principal, ctx, since, until)


@router.get("/totals", response_model=list[UsageTotalPublic])
async def totals(
    principal: Admin, ctx: Ctx, since: date | None = None, until: date | None = None
) -> object:
    """Everyone's tokens per day and model, in aggregate (admins)."""
    return await usage.totals(principal, ctx, since, until)
