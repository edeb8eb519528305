"""The models a user can talk to, and `resolve`: from a public model id to a backend to call.

Public ids, checked in this order (the merged list follows the same order, so everything it
shows resolves, and an id that would be shadowed is left out and reported as a duplicate):
1. `preset:<id>`: a preset the user may use; its system prompt and parameters come along.
2. `<prefix>/<model id>`: the model of the connection with that prefix (enabled, allowed).
3. a local model's id (the embedded runtime: listed without touching the network).
4. a model of an enabled connection without a prefix; the first connection by creation order
   wins a clash.
Upstream listings are cached briefly (services.listings); preset visibility never is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from confide.db.ids import is_id
from confide.db.tables import Connection, ModelPreset
from confide.errors import NotFound
from confide.providers.base import MESSAGES, ChatModel, GenerationParams, ModelInfo, ProviderError
from confide.services.connections import backend, key_cipher, list_upstream, listing_key
from confide.services.context import Context
from confide.services.listings import Listing
from confide.store import connections, presets
from confide.store.access import Principal
from confide.store.keys import UserCipher, cipher_for

PRESET_PREFIX = "preset:"
LIST_DEADLINE = 4.0  # seconds at most for one upstream listing (its own timeouts may be less)
# A base model id resolves from memory this long at most. Every change to a connection (and a
# connection test, which refreshes its listing) empties the cache at once; what else changes a
# resolution (a model gone from an upstream listing or from the models dir) shows within this.
RESOLVED_TTL_SECONDS = 30.0
MAX_LISTED_PRESETS = 1000  # in /api/models; /api/models/presets pages through all of them

Source = Literal["connection", "local", "preset"]


@dataclass(frozen=True)
class ResolvedModel:
    public_id: str  # what the user asked for
    backend: ChatModel  # adapter to call (connection adapter or ctx.local)
    upstream_id: str  # the backend's own model id (prefix removed)
    system_prompt: str | None  # a preset's system prompt, opened with the owner's key
    params: GenerationParams  # a preset's parameters (defaults otherwise)
    source: Source
    knowledge_ids: tuple[str, ...] = ()  # a preset's knowledge bases


@dataclass(frozen=True)
class ModelEntry:
    id: str
    name: str
    source: Source
    connection_id: str | None = None
    connection_name: str | None = None
    preset_id: str | None = None
    base_model: str | None = None


@dataclass(frozen=True)
class ConnectionStatus:
    id: str
    name: str
    ok: bool
    error: str | None


@dataclass(frozen=True)
class ModelList:
    items: list[ModelEntry]
    connections: list[ConnectionStatus]
    duplicates: list[ModelEntry]  # left out: an earlier entry has the same public id


# --- the merged list -------------------------------------------------------------------------


async def list_models(principal: Principal, ctx: Context) -> ModelList:
    """Local models, every enabled connection's (listed in parallel, each bounded in time; an
    unreachable one is reported, not waited for), then the presets the user may use."""
    async with ctx.db.read() as session:
        rows = await connections.list_enabled(session)
        prefixes = await connections.prefixes(session)
        box = await key_cipher(session, ctx, rows)
        visible = await presets.page_visible(
            session, principal, before=None, limit=MAX_LISTED_PRESETS
        )
    listings = await asyncio.gather(*(_listing(ctx, row, box) for row in rows))
    merged = _Merged(prefixes)
    for info in await _local_models(ctx):
        merged.add(ModelEntry(info.id, info.name, "local"), prefixed=False)
    for row, listing in zip(rows, listings, strict=True):
        for info in _allowed(row, listing):
            merged.add(_connection_entry(row, info), prefixed=row.model_prefix is not None)
    statuses = [
        _status(principal, row, listing) for row, listing in zip(rows, listings, strict=True)
    ]
    items = list(merged.by_id.values()) + [_preset_entry(p) for p in visible]
    return ModelList(items, statuses, merged.dropped)


class _Merged:
    def __init__(self, prefixes: set[str]) -> None:
        self.prefixes = prefixes
        self.by_id: dict[str, ModelEntry] = {}
        self.dropped: list[ModelEntry] = []

    def add(self, entry: ModelEntry, *, prefixed: bool) -> None:
        if entry.id in self.by_id or (not prefixed and self._shadowed(entry.id)):
            self.dropped.append(entry)
        else:
            self.by_id[entry.id] = entry

    def _shadowed(self, model_id: str) -> bool:
        head, sep, rest = model_id.partition("/")
        return model_id.startswith(PRESET_PREFIX) or bool(sep and rest and head in self.prefixes)


def _connection_entry(row: Connection, info: ModelInfo) -> ModelEntry:
    public = f"{row.model_prefix}/{info.id}" if row.model_prefix else info.id
    return ModelEntry(
        public, info.name, "connection", connection_id=row.id, connection_name=row.name
    )


def _preset_entry(row: ModelPreset) -> ModelEntry:
    return ModelEntry(
        PRESET_PREFIX + row.id, row.name, "preset", preset_id=row.id, base_model=row.base_model
    )


def _status(principal: Principal, row: Connection, listing: Listing) -> ConnectionStatus:
    """Admins see the provider's detail; users see only what kind of failure it was."""
    error = listing.error if principal.is_admin else None
    if error is None and listing.error_kind is not None:
        error = MESSAGES[listing.error_kind]
    return ConnectionStatus(row.id, row.name, listing.ok, error)


def _allowed(row: Connection, listing: Listing) -> list[ModelInfo]:
    allow = set(row.model_allowlist)
    return [m for m in listing.models if not allow or m.id in allow]


async def _listing(ctx: Context, row: Connection, box: UserCipher | None) -> Listing:
    deadline = min(row.connect_timeout + row.read_timeout, LIST_DEADLINE)
    return await ctx.listings.get(
        listing_key(row), lambda: list_upstream(backend(ctx, row, box), deadline)
    )


async def _local_models(ctx: Context) -> list[ModelInfo]:
    try:
        return await ctx.local.list_models()
    except ProviderError:
        return []


# --- resolution ------------------------------------------------------------------------------


async def resolve(principal: Principal, ctx: Context, model_id: str) -> ResolvedModel:
    """The one place a public model id becomes something to call; NotFound when the user
    cannot use it (unknown, disabled, outside the allow-list, or a preset they cannot see)."""
    if model_id.startswith(PRESET_PREFIX):
        return await _resolve_preset(principal, ctx, model_id)
    return await resolve_base(ctx, model_id)


async def resolve_base(ctx: Context, model_id: str) -> ResolvedModel:
    """Base models (not presets) resolve the same for everyone who may use models: the answer
    is kept briefly (`Context.resolved`), and any change to the connections empties it."""

    async def load() -> tuple[ResolvedModel, None] | None:
        try:
            return await _look_up_base(ctx, model_id), None
        except NotFound:
            return None  # shared with a burst of the same request, never kept

    resolved = await ctx.resolved.get_or_load(model_id, load)
    if resolved is None:
        raise unknown_model(model_id)
    return resolved


async def _look_up_base(ctx: Context, model_id: str) -> ResolvedModel:
    head, sep, rest = model_id.partition("/")
    if sep and rest:
        async with ctx.db.read() as session:
            row = await connections.by_prefix(session, head)
            box = await key_cipher(session, ctx, [row]) if row is not None else None
        if row is not None:
            return await _via_prefix(ctx, row, box, model_id, rest)
    if any(m.id == model_id for m in await _local_models(ctx)):
        return ResolvedModel(model_id, ctx.local, model_id, None, GenerationParams(), "local")
    async with ctx.db.read() as session:
        rows = await connections.list_enabled(session, unprefixed_only=True)
        box = await key_cipher(session, ctx, rows)
    listings = await asyncio.gather(*(_listing(ctx, row, box) for row in rows))
    for row, listing in zip(rows, listings, strict=True):
        if any(m.id == model_id for m in _allowed(row, listing)):
            return _connection_model(ctx, row, box, model_id, model_id)
    raise unknown_model(model_id)


async def _via_prefix(
    ctx: Context, row: Connection, box: UserCipher | None, public_id: str, upstream_id: str
) -> ResolvedModel:
    """Straight to the prefixed connection. When it cannot list its models right now, the id
    is let through: the call then fails with the upstream's real reason, not "unknown"."""
    if not row.enabled or (row.model_allowlist and upstream_id not in row.model_allowlist):
        raise unknown_model(public_id)
    listing = await _listing(ctx, row, box)
    if listing.ok and all(m.id != upstream_id for m in listing.models):
        raise unknown_model(public_id)
    return _connection_model(ctx, row, box, public_id, upstream_id)


def _connection_model(
    ctx: Context, row: Connection, box: UserCipher | None, public_id: str, upstream_id: str
) -> ResolvedModel:
    model = backend(ctx, row, box)
    return ResolvedModel(public_id, model, upstream_id, None, GenerationParams(), "connection")


async def _resolve_preset(principal: Principal, ctx: Context, model_id: str) -> ResolvedModel:
    preset_id = model_id.removeprefix(PRESET_PREFIX)
    async with ctx.db.read() as session:
        row = await presets.get_visible(session, principal, preset_id) if is_id(preset_id) else None
        if row is None:
            raise unknown_model(model_id)
        prompt = None
        if row.system_prompt is not None:
            prompt = presets.open_prompt(await cipher_for(session, ctx.sealer, row.owner_id), row)
        bases = tuple(await presets.knowledge_ids(session, row.id))
    if row.base_model.startswith(PRESET_PREFIX):
        raise unknown_model(model_id)
    try:
        base = await resolve_base(ctx, row.base_model)
    except NotFound:
        raise NotFound(
            f"The model this preset is based on is not available: {row.base_model}"
        ) from None
    params = generation_params(row.params)
    return ResolvedModel(model_id, base.backend, base.upstream_id, prompt, params, "preset", bases)


def generation_params(values: dict[str, Any]) -> GenerationParams:
    return GenerationParams(
        temperature=values.get("temperature"),
        top_p=values.get("top_p"),
        max_tokens=values.get("max_tokens"),
        stop=tuple(values.get("stop") or ()),
        seed=values.get("seed"),
    )


def unknown_model(model_id: str) -> NotFound:
    shown = model_id if len(model_id) <= 200 else model_id[:200] + "…"
    return NotFound(f"Unknown model: {shown}")
