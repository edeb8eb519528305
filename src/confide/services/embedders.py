"""Which embedder the instance uses: the built-in all-MiniLM-L6-v2, or a model of one of the
admin's connections (OpenAI-compatible or Ollama) chosen at run time.

The choice is stored with the vectors' dimensions, measured when it is made. Every file's
vectors record the embedder that made them; retrieval compares only vectors of the current
one, so changing it never mixes vector spaces: files of the old one are still found by their
words, and the background worker re-embeds them one by one (services/reembed.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confide.errors import BadRequest, NotFound
from confide.providers.base import ProviderError
from confide.services import live_settings, models
from confide.services.audit import record
from confide.services.context import Context
from confide.store import files, instance_settings
from confide.store.access import Principal, require_admin

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder

log = logging.getLogger(__name__)

KEY = "embedder"
BUILT_IN = ""  # the setting's value for the built-in embedder
PROBE = "Confide checks that this model makes embeddings."


@dataclass(frozen=True)
class Choice:
    model: str  # BUILT_IN, or a model id as /api/models lists it
    dimensions: int


class EmbedderUnavailable(Exception):
    """The chosen model cannot be used now (its connection removed, disabled or down)."""


async def choice(session: AsyncSession) -> Choice | None:
    stored = await instance_settings.get(session, KEY)
    if not stored or not stored.get("model"):
        return None
    return Choice(str(stored["model"]), int(stored["dimensions"]))


async def current(ctx: Context) -> Embedder:
    """The embedder to use now; EmbedderUnavailable when the admin's choice cannot be used."""
    stored = await live_settings.get(ctx, KEY)
    if not stored.get("model"):
        return ctx.embedder
    return await _remote(ctx, Choice(str(stored["model"]), int(stored["dimensions"])))


async def _remote(ctx: Context, chosen: Choice) -> Embedder:
    from confide.rag.remote import RemoteEmbedder

    try:
        model = await models.resolve_base(ctx, chosen.model)
    except NotFound as exc:
        raise EmbedderUnavailable(f"The embedding model is not available: {exc}") from None

    async def embed(texts: list[str]) -> list[list[float]]:
        return await model.backend.embed(model.upstream_id, texts)

    return RemoteEmbedder(chosen.model, chosen.dimensions, embed, ctx.embedder)


async def choose(principal: Principal, ctx: Context, model_id: str) -> Choice:
    """Use `model_id` (or the built-in embedder, for "") from now on; the model is asked for
    one embedding first, to check it makes them and to learn their dimensions."""
    require_admin(principal)
    chosen = Choice(BUILT_IN, 0) if model_id == BUILT_IN else await _probe(ctx, model_id)
    async with ctx.db.write() as session:
        value = {"model": chosen.model, "dimensions": chosen.dimensions}
        await instance_settings.put(session, KEY, value)
        await record(session, principal, "admin.embedder", model=chosen.model or "built-in")
    ctx.ingest_wakeup.set()  # files of the previous embedder start being re-embedded
    return chosen


async def _probe(ctx: Context, model_id: str) -> Choice:
    if model_id.startswith(models.PRESET_PREFIX):
        raise BadRequest("Choose a model of a connection, not a preset.")
    if model_id == ctx.embedder.name:
        raise BadRequest(f'{model_id} is the built-in embedder\'s name: choose it with "".')
    try:
        model = await models.resolve_base(ctx, model_id)
        [vector] = await model.backend.embed(model.upstream_id, [PROBE])
    except NotFound as exc:
        raise BadRequest(str(exc)) from None
    except (ProviderError, ValueError) as exc:
        raise BadRequest(f"{model_id} cannot make embeddings: {exc}") from None
    if not 1 <= len(vector) <= 8192:
        raise BadRequest(f"{model_id} answered with a vector of {len(vector)} dimensions.")
    return Choice(model_id, len(vector))


async def status(ctx: Context, session: AsyncSession) -> tuple[str, int]:
    """The chosen model ("" for the built-in one) and how many files wait to be re-embedded."""
    chosen = await choice(session)
    name = chosen.model if chosen else ctx.embedder.name
    return (chosen.model if chosen else BUILT_IN), await files.count_other_embedder(session, name)
