"""Model presets: any approved user makes them; only the owner changes or deletes one.

Visibility: `private` (the owner), `everyone` (every approved user) or `groups` (members of
the chosen groups, which must be groups the owner is in; admins may choose any group). Admins
see no more presets than anyone else: a private preset is its owner's data.

The system prompt is sealed with the owner's data key and opened with it whenever someone
allowed uses the preset; only the owner is shown its text. The description is plain text,
stored and returned as given: clients render it as text (text nodes), never as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import ModelPreset
from confide.errors import BadRequest, Forbidden, NotFound
from confide.services import models
from confide.services.audit import record
from confide.services.context import Context
from confide.store import knowledge, presets
from confide.store.access import Principal
from confide.store.keys import cipher_for
from confide.store.presets import GROUPS

ONLY_OWNER = "Only the owner can change this preset."


@dataclass(frozen=True)
class PresetSpec:
    name: str
    base_model: str
    system_prompt: str | None = None
    params: dict[str, Any] | None = None
    description: str = ""
    visibility: str = presets.PRIVATE
    group_ids: tuple[str, ...] = ()
    knowledge_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PresetChanges:
    """A partial update: None leaves a field as it is; `clear_system_prompt` removes it."""

    name: str | None = None
    base_model: str | None = None
    system_prompt: str | None = None
    clear_system_prompt: bool = False
    params: dict[str, Any] | None = None
    description: str | None = None
    visibility: str | None = None
    group_ids: tuple[str, ...] | None = None
    knowledge_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PresetView:
    preset: ModelPreset
    mine: bool
    system_prompt: str | None  # the owner's eyes only
    group_ids: list[str]  # the owner's eyes only
    knowledge_ids: list[str]  # the owner's eyes only


async def create(principal: Principal, ctx: Context, spec: PresetSpec) -> PresetView:
    await _check_base(principal, ctx, spec.base_model)
    groups = _sharing(spec.visibility, spec.group_ids, None)
    async with ctx.db.write() as session:
        await _check_groups(session, principal, groups)
        bases = await _check_knowledge(session, principal, spec.knowledge_ids)
        row = await presets.create(
            session,
            principal,
            await cipher_for(session, ctx.sealer, principal.uid),
            name=spec.name,
            base_model=spec.base_model,
            system_prompt=spec.system_prompt,
            params=spec.params or {},
            description=spec.description,
            visibility=spec.visibility,
        )
        await presets.set_groups(session, row.id, groups)
        await presets.set_knowledge(session, row.id, bases)
        await record(
            session,
            principal,
            "preset.created",
            target_type="preset",
            target_id=row.id,
            visibility=row.visibility,
        )
    return PresetView(row, True, spec.system_prompt, groups, bases)


async def page(
    principal: Principal, ctx: Context, *, before: str | None, limit: int
) -> list[ModelPreset]:
    """Mine, everyone's and my groups', newest first."""
    async with ctx.db.read() as session:
        return await presets.page_visible(session, principal, before=before, limit=limit)


async def get(principal: Principal, ctx: Context, preset_id: str) -> PresetView:
    async with ctx.db.read() as session:
        row = await _visible(session, principal, preset_id)
        return await _view(session, ctx, principal, row)


async def update(
    principal: Principal, ctx: Context, preset_id: str, changes: PresetChanges
) -> PresetView:
    async with ctx.db.read() as session:
        await _owned(session, principal, preset_id)
    if changes.base_model is not None:
        await _check_base(principal, ctx, changes.base_model)
    async with ctx.db.write() as session:
        row = await _owned(session, principal, preset_id)
        changed = await _apply(session, ctx, principal, row, changes)
        await session.flush()
        if changed:
            await record(
                session,
                principal,
                "preset.updated",
                target_type="preset",
                target_id=row.id,
                changed=changed,
            )
        return await _view(session, ctx, principal, row)


async def _apply(
    session: AsyncSession,
    ctx: Context,
    principal: Principal,
    row: ModelPreset,
    changes: PresetChanges,
) -> list[str]:
    """Apply the changes; the names of the fields that changed (never their values)."""
    changed = [
        name
        for name in ("name", "base_model", "params", "description", "visibility")
        if _set(row, name, getattr(changes, name))
    ]
    if changes.clear_system_prompt or changes.system_prompt is not None:
        box = await cipher_for(session, ctx.sealer, principal.uid)
        presets.seal_prompt(box, row, changes.system_prompt)
        changed.append("system_prompt")
    if changes.knowledge_ids is not None:
        bases = await _check_knowledge(session, principal, changes.knowledge_ids)
        if bases != await presets.knowledge_ids(session, row.id):
            await presets.set_knowledge(session, row.id, bases)
            changed.append("knowledge_ids")
    if changes.visibility is None and changes.group_ids is None:
        return changed
    current = await presets.group_ids(session, row.id)
    groups = _sharing(row.visibility, changes.group_ids, current)
    if groups != current:
        await _check_groups(session, principal, [g for g in groups if g not in current])
        await presets.set_groups(session, row.id, groups)
        changed.append("group_ids")
    return changed


def _set(row: ModelPreset, name: str, value: object) -> bool:
    if value is None or value == getattr(row, name):
        return False
    setattr(row, name, value)
    return True


async def delete(principal: Principal, ctx: Context, preset_id: str) -> None:
    async with ctx.db.write() as session:
        row = await _owned(session, principal, preset_id)
        await presets.remove(session, principal, row.id)
        await record(session, principal, "preset.deleted", target_type="preset", target_id=row.id)


# --- rules -----------------------------------------------------------------------------------


async def _check_base(principal: Principal, ctx: Context, base_model: str) -> None:
    """The base model must be one the creator can use now, and not a preset itself."""
    if base_model.startswith(models.PRESET_PREFIX):
        raise BadRequest("A preset cannot be based on another preset; use its base model.")
    await models.resolve(principal, ctx, base_model)


def _sharing(
    visibility: str, given: tuple[str, ...] | None, current: list[str] | None
) -> list[str]:
    """The groups a preset is shared with after a change (none unless visibility is groups)."""
    if visibility != GROUPS:
        if given:
            raise BadRequest("group_ids only go with visibility 'groups'.")
        return []
    groups = sorted(set(given)) if given is not None else (current or [])
    if not groups:
        raise BadRequest("Choose at least one group to share this preset with.")
    return groups


async def _check_groups(session: AsyncSession, principal: Principal, wanted: list[str]) -> None:
    if wanted and await presets.shareable_groups(session, principal, wanted) != set(wanted):
        raise NotFound("Group not found.")


async def _check_knowledge(
    session: AsyncSession, principal: Principal, wanted: tuple[str, ...]
) -> list[str]:
    """The knowledge bases to attach, sorted: each one I may read (404 otherwise). Who uses
    the preset retrieves from them only while they may read them too."""
    bases = sorted(set(wanted))
    if len(await knowledge.readable_ids(session, principal, bases)) != len(bases):
        raise NotFound("Knowledge base not found.")
    return bases


async def _visible(session: AsyncSession, principal: Principal, preset_id: str) -> ModelPreset:
    row = await presets.get_visible(session, principal, preset_id)
    if row is None:
        raise NotFound("Preset not found.")
    return row


async def _owned(session: AsyncSession, principal: Principal, preset_id: str) -> ModelPreset:
    """404 when the preset is not visible to the user; 403 when visible but someone else's."""
    row = await _visible(session, principal, preset_id)
    if row.owner_id != principal.uid:
        raise Forbidden(ONLY_OWNER)
    return row


async def _view(
    session: AsyncSession, ctx: Context, principal: Principal, row: ModelPreset
) -> PresetView:
    if row.owner_id != principal.uid:
        return PresetView(row, False, None, [], [])
    prompt = None
    if row.system_prompt is not None:
        prompt = presets.open_prompt(await cipher_for(session, ctx.sealer, row.owner_id), row)
    groups = await presets.group_ids(session, row.id)
    return PresetView(row, True, prompt, groups, await presets.knowledge_ids(session, row.id))
