"""`/api/models/presets`: named models with a system prompt and parameters.

Anyone approved can make presets and use those shared with them (as model `preset:<id>`);
only the owner can change or delete one, and only the owner is shown its system prompt and
groups. The description is plain text, returned exactly as given inside JSON: a client must
render it as text (a text node), never as HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter
from pydantic import Field

from confide.api.deps import Ctx, IdCursor, IdPath, Limit, Member
from confide.api.schemas import Name, Page, PatchModel, PublicModel, StrictModel
from confide.db.tables import ModelPreset
from confide.services import presets
from confide.services.models import PRESET_PREFIX
from confide.services.presets import PresetChanges, PresetSpec, PresetView

router = APIRouter(prefix="/api/models/presets", tags=["model presets"])

Visibility = Literal["private", "everyone", "groups"]
ModelId = Annotated[str, Field(min_length=1, max_length=200)]
SystemPrompt = Annotated[str, Field(max_length=20_000)]
Description = Annotated[str, Field(max_length=1000, description="Plain text, never HTML.")]
GroupIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=50, description="Only with visibility `groups`: groups you are in."),
]
KnowledgeIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(
        max_length=10,
        description="Knowledge bases every chat with this preset retrieves from (ones you may "
        "read; its users retrieve from those they may read too).",
    ),
]
StopWord = Annotated[str, Field(min_length=1, max_length=100)]


class PresetParams(StrictModel):
    """Generation parameters; unset ones are left to the model's defaults."""

    temperature: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    stop: list[StopWord] = Field(default_factory=list, max_length=4)
    seed: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1)

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)


class PresetIn(StrictModel):
    name: Name
    base_model: ModelId
    system_prompt: SystemPrompt | None = None
    params: PresetParams = Field(default_factory=PresetParams)
    description: Description = ""
    visibility: Visibility = "private"
    group_ids: GroupIds = Field(default_factory=list)
    knowledge_ids: KnowledgeIds = Field(default_factory=list)


class PresetUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"system_prompt"})

    name: Name | None = None
    base_model: ModelId | None = None
    system_prompt: SystemPrompt | None = Field(default=None, description="null removes it.")
    params: PresetParams | None = Field(default=None, description="Replaces all parameters.")
    description: Description | None = None
    visibility: Visibility | None = None
    group_ids: GroupIds | None = None
    knowledge_ids: KnowledgeIds | None = Field(default=None, description="Replaces them all.")


class PresetSummary(PublicModel):
    id: str
    model_id: str = Field(description="The id to chat with: `preset:<id>`.")
    name: str
    base_model: str
    description: str
    params: PresetParams
    visibility: str
    mine: bool
    has_system_prompt: bool
    created_at: datetime
    updated_at: datetime


class PresetPublic(PresetSummary):
    system_prompt: str | None = Field(description="Shown to the owner only.")
    group_ids: list[str] = Field(description="Shown to the owner only.")
    knowledge_ids: list[str] = Field(description="Shown to the owner only.")


def _summary(row: ModelPreset, *, mine: bool) -> PresetSummary:
    return PresetSummary(
        id=row.id,
        model_id=PRESET_PREFIX + row.id,
        name=row.name,
        base_model=row.base_model,
        description=row.description,
        params=PresetParams.model_validate(row.params),
        visibility=row.visibility,
        mine=mine,
        has_system_prompt=row.system_prompt is not None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _public(view: PresetView) -> PresetPublic:
    summary = _summary(view.preset, mine=view.mine)
    return PresetPublic(
        **summary.model_dump(),
        system_prompt=view.system_prompt,
        group_ids=view.group_ids,
        knowledge_ids=view.knowledge_ids,
    )


@router.get("", response_model=Page[PresetSummary])
async def list_presets(
    principal: Member, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[PresetSummary]:
    """Mine, those shared with everyone, and those shared with my groups; newest first."""
    rows = await presets.page(principal, ctx, before=cursor, limit=limit + 1)
    items = [_summary(r, mine=r.owner_id == principal.user_id) for r in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.post("", status_code=201, response_model=PresetPublic)
async def create_preset(body: PresetIn, principal: Member, ctx: Ctx) -> PresetPublic:
    """The base model must be one you can use now (not another preset)."""
    spec = PresetSpec(
        name=body.name,
        base_model=body.base_model,
        system_prompt=body.system_prompt,
        params=body.params.stored(),
        description=body.description,
        visibility=body.visibility,
        group_ids=tuple(body.group_ids),
        knowledge_ids=tuple(body.knowledge_ids),
    )
    return _public(await presets.create(principal, ctx, spec))


@router.get("/{preset_id}", response_model=PresetPublic)
async def get_preset(preset_id: IdPath, principal: Member, ctx: Ctx) -> PresetPublic:
    return _public(await presets.get(principal, ctx, preset_id))


@router.patch("/{preset_id}", response_model=PresetPublic)
async def update_preset(
    preset_id: IdPath, body: PresetUpdate, principal: Member, ctx: Ctx
) -> PresetPublic:
    """Owner only. `params` replaces the whole set; `system_prompt: null` removes it."""
    changes = PresetChanges(
        name=body.name,
        base_model=body.base_model,
        system_prompt=body.system_prompt,
        clear_system_prompt=body.cleared("system_prompt"),
        params=body.params.stored() if body.params is not None else None,
        description=body.description,
        visibility=body.visibility,
        group_ids=tuple(body.group_ids) if body.group_ids is not None else None,
        knowledge_ids=tuple(body.knowledge_ids) if body.knowledge_ids is not None else None,
    )
    return _public(await presets.update(principal, ctx, preset_id, changes))


@router.delete("/{preset_id}", status_code=204)
async def delete_preset(preset_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Owner only."""
    await presets.delete(principal, ctx, preset_id)
