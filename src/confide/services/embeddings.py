"""Embeddings for API clients (`/v1/embeddings`): texts in, the instance's embedder's vectors out.

Stateless: nothing is stored but usage. The embedder reads at most its `max_tokens` of a text
(256 for all-MiniLM-L6-v2) and truncates longer ones, as sentence-transformers does, so a
paragraph a little over that limit still gets a vector (of its beginning). Texts far beyond
any sensible length are refused instead of being tokenized and cut: an input of more than
MAX_INPUT_TOKENS tokens (OpenAI's own limit per input), or requests of more than
MAX_TOTAL_CHARS characters in all (so one request cannot hold the workers for minutes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from confide.errors import ConfideError
from confide.providers.base import ErrorKind, ProviderError, Usage
from confide.rag.remote import EmbedderFailed
from confide.services import embedders, usage
from confide.services.context import Context
from confide.store.access import Principal

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder, Vectors

MAX_INPUTS = 2048  # texts in one request, as OpenAI
MAX_INPUT_TOKENS = 8192  # tokens in one text, counted before truncation, as OpenAI
MAX_TOTAL_CHARS = 300_000  # characters in all of one request's texts
# Tokens one request may have the model read (each text's up to its max_tokens): the work of
# a request, bounded so that one call cannot hold a CPU for minutes (about 10 s here, idle).
MAX_WORK_TOKENS = 65_536


class Refused(ConfideError):
    """A request the embedder will not take. `param` names the field at fault and `code` says
    why, in OpenAI's terms, so SDKs can act on them."""

    def __init__(self, message: str, *, param: str | None, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.param = param
        self.code = code


@dataclass(frozen=True)
class Embedded:
    model: str
    vectors: Vectors  # one unit-length float32 row per text, in the texts' order
    tokens: int  # the texts' tokens as the model counts them, before truncation


async def embed(
    principal: Principal,
    ctx: Context,
    model: str,
    texts: Sequence[str],
    dimensions: int | None = None,
) -> Embedded:
    """Embed `texts` in order with the instance's embedder, named `model`; Refused when the
    model, the dimensions or a text is not one it takes."""
    embedder = await _embedder(ctx)
    _check_model(embedder, model, dimensions)
    _check_texts(texts)
    counts = await asyncio.to_thread(_count_tokens, embedder, texts)
    _check_work(embedder, counts)
    try:
        vectors = await embedder.embed(texts)
    except EmbedderFailed as exc:
        raise ProviderError(ErrorKind.protocol, str(exc)) from None
    tokens = sum(counts)
    usage.record(principal, ctx, embedder.name, Usage(tokens, 0))
    return Embedded(embedder.name, vectors, tokens)


async def _embedder(ctx: Context) -> Embedder:
    try:
        return await embedders.current(ctx)
    except embedders.EmbedderUnavailable as exc:
        raise ProviderError(ErrorKind.unreachable, str(exc)) from None


def token_ids_refused() -> Refused:
    return Refused(
        "Send `input` as a string or a list of strings: Confide embeds text, not token ids "
        "(its model's vocabulary is not OpenAI's, so OpenAI token ids would mean other words).",
        param="input",
        code="invalid_type",
    )


def _check_model(embedder: Embedder, model: str, dimensions: int | None) -> None:
    if model != embedder.name:
        shown = model if len(model) <= 200 else model[:200] + "…"
        raise Refused(
            f"Unknown embedding model: {shown}. This server embeds with {embedder.name}.",
            param="model",
            code="model_not_found",
            status=404,
        )
    if dimensions is not None and dimensions != embedder.dimensions:
        raise Refused(
            f"{embedder.name} makes vectors of {embedder.dimensions} dimensions only: "
            f"leave `dimensions` out or set it to {embedder.dimensions}.",
            param="dimensions",
            code="invalid_value",
        )


def _check_texts(texts: Sequence[str]) -> None:
    if not texts:
        raise Refused("Send at least one text in `input`.", param="input", code="invalid_value")
    if len(texts) > MAX_INPUTS:
        raise Refused(
            f"Send at most {MAX_INPUTS} texts in one request.", param="input", code="invalid_value"
        )
    empty = next((i for i, text in enumerate(texts) if not text), None)
    if empty is not None:
        raise Refused(
            f"Input {empty} is empty: every text needs at least one character.",
            param="input",
            code="invalid_value",
        )
    if sum(len(text) for text in texts) > MAX_TOTAL_CHARS:
        raise Refused(
            f"The texts hold more than {MAX_TOTAL_CHARS:,} characters in all: "
            "split them over several requests.",
            param="input",
            code="invalid_value",
        )


def _check_work(embedder: Embedder, counts: Sequence[int]) -> None:
    work = sum(min(count, embedder.max_tokens) for count in counts)
    if work > MAX_WORK_TOKENS:
        raise Refused(
            f"This request would have {embedder.name} read {work:,} tokens; at most "
            f"{MAX_WORK_TOKENS:,} per request. Send fewer texts at a time.",
            param="input",
            code="invalid_value",
        )


def _count_tokens(embedder: Embedder, texts: Sequence[str]) -> list[int]:
    """Each text's token count (in a worker thread: tokenizing can take a while); Refused
    naming the first text over MAX_INPUT_TOKENS."""
    counts = [embedder.count_tokens(text) for text in texts]
    for i, count in enumerate(counts):
        if count > MAX_INPUT_TOKENS:
            raise Refused(
                f"Input {i} is {count:,} tokens long, over the limit of {MAX_INPUT_TOKENS:,}. "
                f"{embedder.name} reads only the first {embedder.max_tokens} tokens of a text: "
                "split long texts into passages and embed each.",
                param="input",
                code="invalid_value",
            )
    return counts
