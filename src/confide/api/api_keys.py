"""`/api/api-keys`: my API keys for the OpenAI-compatible API and scripts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from confide.api.deps import Ctx, IdPath, Member
from confide.api.schemas import Name, PublicModel, StrictModel
from confide.services import api_keys

router = APIRouter(prefix="/api/api-keys", tags=["api keys"])


class ApiKeyIn(StrictModel):
    name: Name
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyPublic(PublicModel):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key itself. Shown this once; store it now.")


@router.get("", response_model=list[ApiKeyPublic])
async def list_keys(principal: Member, ctx: Ctx) -> object:
    return await api_keys.list_mine(principal, ctx)


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_key(body: ApiKeyIn, principal: Member, ctx: Ctx) -> ApiKeyCreated:
    created = await api_keys.create(
        principal, ctx, name=body.name, expires_in_days=body.expires_in_days
    )
    public = ApiKeyPublic.model_validate(created.row)
    return ApiKeyCreated(**public.model_dump(), key=created.key)


@router.delete("/{key_id}", status_code=204)
async def revoke_key(key_id: IdPath, principal: Member, ctx: Ctx) -> None:
    await api_keys.revoke(principal, ctx, key_id)
