"""Model presets: a base model with a system prompt (sealed with the owner's key) and
parameters, visible to its owner, to everyone, or to members of chosen groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Group, ModelPreset, PresetGroup, PresetKnowledge
from confide.store.access import Principal, in_my_groups, owned_by
from confide.store.keys import UserCipher

PRIVATE, EVERYONE, GROUPS = "private", "everyone", "groups"
TABLE, PROMPT_COLUMN = "model_presets", "system_prompt"


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Mine, everyone's, or shared with a group I am in. Admins see no more than anyone."""
    shared = select(PresetGroup.preset_id).where(in_my_groups(principal, PresetGroup.group_id))
    return or_(
        owned_by(principal, ModelPreset.owner_id),
        ModelPreset.visibility == EVERYONE,
        and_(ModelPreset.visibility == GROUPS, ModelPreset.id.in_(shared)),
    )


async def create(
    session: AsyncSession,
    principal: Principal,
    box: UserCipher,
    *,
    name: str,
    base_model: str,
    system_prompt: str | None,
    params: dict[str, Any],
    description: str,
    visibility: str,
) -> ModelPreset:
    row = ModelPreset(
        id=new_id(),
        owner_id=principal.uid,
        name=name,
        base_model=base_model,
        params=params,
        description=description,
        visibility=visibility,
    )
    seal_prompt(box, row, system_prompt)
    session.add(row)
    await session.flush()
    return row


def seal_prompt(box: UserCipher, row: ModelPreset, text: str | None) -> None:
    row.system_prompt = None if text is None else box.seal(TABLE, PROMPT_COLUMN, row.id, text)


def open_prompt(box: UserCipher, row: ModelPreset) -> str | None:
    if row.system_prompt is None:
        return None
    return box.open(TABLE, PROMPT_COLUMN, row.id, row.system_prompt)


async def get_visible(
    session: AsyncSession, principal: Principal, preset_id: str
) -> ModelPreset | None:
    query = select(ModelPreset).where(ModelPreset.id == preset_id, visible_to(principal))
    return await session.scalar(query)


async def page_visible(
    session: AsyncSession, principal: Principal, *, before: str | None, limit: int
) -> list[ModelPreset]:
    """Newest first, `limit` at a time, starting after the id `before`."""
    query = select(ModelPreset).where(visible_to(principal))
    if before:
        query = query.where(ModelPreset.id < before)
    return list((await session.scalars(query.order_by(ModelPreset.id.desc()).limit(limit))).all())


async def group_ids(session: AsyncSession, preset_id: str) -> list[str]:
    query = select(PresetGroup.group_id).where(PresetGroup.preset_id == preset_id)
    return list((await session.scalars(query.order_by(PresetGroup.group_id))).all())


async def knowledge_ids(session: AsyncSession, preset_id: str) -> list[str]:
    query = select(PresetKnowledge.knowledge_id).where(PresetKnowledge.preset_id == preset_id)
    return list((await session.scalars(query.order_by(PresetKnowledge.knowledge_id))).all())


async def set_knowledge(session: AsyncSession, preset_id: str, wanted: list[str]) -> None:
    await session.execute(delete(PresetKnowledge).where(PresetKnowledge.preset_id == preset_id))
    session.add_all(PresetKnowledge(preset_id=preset_id, knowledge_id=k) for k in wanted)
    await session.flush()


async def shareable_groups(
    session: AsyncSession, principal: Principal, wanted: list[str]
) -> set[str]:
    """Which of `wanted` exist and may be shared with: groups I am in (any group, for admins)."""
    query = select(Group.id).where(Group.id.in_(wanted))
    if not principal.is_admin:
        query = query.where(in_my_groups(principal, Group.id))
    return set((await session.scalars(query)).all())


async def set_groups(session: AsyncSession, preset_id: str, wanted: list[str]) -> None:
    await session.execute(delete(PresetGroup).where(PresetGroup.preset_id == preset_id))
    session.add_all(PresetGroup(preset_id=preset_id, group_id=g) for g in wanted)
    await session.flush()


async def remove(session: AsyncSession, principal: Principal, preset_id: str) -> None:
    query = delete(ModelPreset).where(owned_by(principal, ModelPreset.owner_id))
    await session.execute(query.where(ModelPreset.id == preset_id))
