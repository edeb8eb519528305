"""Optional reranking of retrieved passages by a model of one of the admin's connections
(`POST /rerank` in Cohere's shape, as vLLM, llama.cpp's server, Infinity, TEI and Jina serve
it). Retrieval fuses the vector and keyword rankings into a short list; a reranker, when the
admin has chosen one, reads the question with each passage and orders that list again. When
it fails, the fused order stands: reranking improves answers, it is never needed for one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from confide.errors import BadRequest, NotFound
from confide.providers.base import ProviderError
from confide.services import live_settings, models
from confide.services.audit import record
from confide.services.context import Context
from confide.store import instance_settings
from confide.store.access import Principal, require_admin

if TYPE_CHECKING:
    from confide.services.retrieval import Passage

log = logging.getLogger(__name__)

KEY = "reranker"
CANDIDATES = 20  # fused passages a reranker orders again
PROBE = ("Which passage is about reranking?", ["Reranking orders passages.", "Bread."])

Reranker = Callable[[str, Sequence["Passage"]], Awaitable[list["Passage"]]]


async def chosen(ctx: Context) -> str:
    """The reranking model ("" for none)."""
    return str((await live_settings.get(ctx, KEY)).get("model") or "")


async def current(ctx: Context) -> Reranker | None:
    model_id = await chosen(ctx)
    if not model_id:
        return None

    async def rerank(query: str, passages: Sequence[Passage]) -> list[Passage]:
        try:
            model = await models.resolve_base(ctx, model_id)
            scores = await model.backend.rerank(
                model.upstream_id, query, [p.text for p in passages]
            )
        except (NotFound, ProviderError) as exc:
            log.warning("passages left in fused order: the reranker failed (%s)", exc)
            return list(passages)
        ranked = sorted(zip(scores, passages, strict=True), key=lambda pair: -pair[0])
        return [replace(p, score=round(score, 6)) for score, p in ranked]

    return rerank


async def choose(principal: Principal, ctx: Context, model_id: str) -> None:
    """Rerank with `model_id` from now on ("" for no reranking), once it has reranked a probe."""
    require_admin(principal)
    if model_id:
        await _probe(ctx, model_id)
    async with ctx.db.write() as session:
        await instance_settings.put(session, KEY, {"model": model_id})
        await record(session, principal, "admin.reranker", model=model_id or "none")


async def _probe(ctx: Context, model_id: str) -> None:
    if model_id.startswith(models.PRESET_PREFIX):
        raise BadRequest("Choose a model of a connection, not a preset.")
    query, documents = PROBE
    try:
        model = await models.resolve_base(ctx, model_id)
        scores = await model.backend.rerank(model.upstream_id, query, list(documents))
    except NotFound as exc:
        raise BadRequest(str(exc)) from None
    except ProviderError as exc:
        raise BadRequest(f"{model_id} cannot rerank: {exc}") from None
    if len(scores) != len(documents):
        raise BadRequest(f"{model_id} did not score every passage.")
