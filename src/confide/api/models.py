"""`/api/models`: every model the signed-in user can talk to, with where each comes from.

An unreachable connection never holds the list up: it is listed with `ok: false` in
`connections` while the other models still come back.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from confide.api.deps import Ctx, Member
from confide.api.schemas import PublicModel
from confide.services import models
from confide.services.models import ModelEntry, Source

router = APIRouter(prefix="/api/models", tags=["models"])


class ModelSource(PublicModel):
    type: Source
    connection_id: str | None = None
    connection_name: str | None = None
    preset_id: str | None = None


class ModelPublic(PublicModel):
    id: str = Field(description="The id to send when chatting.")
    name: str
    source: ModelSource
    base_model: str | None = Field(default=None, description="For presets: the model used.")


class ConnectionState(PublicModel):
    id: str
    name: str
    ok: bool
    error: str | None


class ModelsOut(PublicModel):
    items: list[ModelPublic]
    connections: list[ConnectionState] = Field(
        description="Each enabled connection, and whether it could be listed."
    )
    duplicates: list[ModelPublic] = Field(
        description="Models left out because an earlier one has the same id."
    )


def _public(entry: ModelEntry) -> ModelPublic:
    source = ModelSource(
        type=entry.source,
        connection_id=entry.connection_id,
        connection_name=entry.connection_name,
        preset_id=entry.preset_id,
    )
    return ModelPublic(id=entry.id, name=entry.name, source=source, base_model=entry.base_model)


@router.get("", response_model=ModelsOut)
async def list_models(principal: Member, ctx: Ctx) -> ModelsOut:
    """Local models, then each enabled connection's (in creation order), then my presets."""
    listed = await models.list_models(principal, ctx)
    return ModelsOut(
        items=[_public(e) for e in listed.items],
        connections=[ConnectionState(**vars(s)) for s in listed.connections],
        duplicates=[_public(e) for e in listed.duplicates],
    )
