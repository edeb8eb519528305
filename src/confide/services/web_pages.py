"""Web pages attached to a chat message: fetched safely, read, and searched for the question.

A page is fetched by the server through `security/safe_http` (public addresses only, every
redirect checked, bounded in time, size and type), read as HTML or text in the same isolated,
bounded parser process as uploaded files, and split into passages. Nothing of it is stored
but the passages a reply is given (sealed, with the reply). The passages that best answer the
question are chosen like files' are, by words (BM25) and meaning (embeddings), fused; only a
bounded number of them are embedded, so a long page costs about a second.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from confide.errors import BadRequest
from confide.security.safe_http import FetchFailed, UnsafeURL
from confide.services import embedders
from confide.services.context import Context

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder
    from confide.rag.vectors import Hit

log = logging.getLogger(__name__)

MAX_URLS = 3
MAX_URL_CHARS = 2000
PARSE_SECONDS = 20.0
PARSE_MEMORY = 512 * 1024 * 1024
MAX_PASSAGES = 400  # of one page, kept for searching
EMBEDDED = 24  # passages of a page embedded per question, at most


@dataclass(frozen=True)
class WebPassage:
    url: str
    title: str
    ordinal: int
    headings: list[str]
    text: str
    score: float


@dataclass(frozen=True)
class _Page:
    url: str
    title: str
    texts: list[str]
    bodies: list[str]
    headings: list[list[str]]


async def passages(
    ctx: Context, question: str, urls: Sequence[str], limit: int, *, strict: bool
) -> list[WebPassage]:
    """The passages of the pages at `urls` that best answer `question`, best first. A page that
    cannot be fetched or read is a 400 naming it when `strict` (a new message: the user is
    there to fix it), and is left out otherwise (a regeneration: the page may be gone since)."""
    pages = []
    for url in urls:
        try:
            pages.append(await read(ctx, url))
        except BadRequest:
            if strict:
                raise
            log.info("a web page attached earlier could not be read again; left out")
    if not pages:
        return []
    return await _best(await _embedder(ctx), question, pages, limit)


async def _embedder(ctx: Context) -> Embedder:
    """The instance's embedder; the built-in one when the admin's cannot be used now (a
    page's vectors are made and compared on the spot, so any embedder will do)."""
    try:
        return await embedders.current(ctx)
    except embedders.EmbedderUnavailable:
        return ctx.embedder


async def read(ctx: Context, url: str) -> _Page:
    if not ctx.settings.web_pages:
        raise BadRequest("Web pages are turned off on this server.")
    shown = url if len(url) <= 80 else url[:80] + "…"
    try:
        page = await ctx.fetcher.fetch(url)
    except (UnsafeURL, FetchFailed) as exc:
        raise BadRequest(f"{shown} cannot be read: {exc}") from None
    from confide.rag.chunking import chunk
    from confide.rag.loaders import ParseError, parse_isolated
    from confide.rag.sniff import Kind
    from confide.services.ingest import CHUNK_TOKENS, OVERLAP_TOKENS

    kind = Kind.TEXT if page.content_type == "text/plain" else Kind.HTML
    try:
        document = await parse_isolated(page.body, kind, timeout=PARSE_SECONDS, memory=PARSE_MEMORY)
    except ParseError as exc:
        raise BadRequest(f"{shown} cannot be read: {exc}") from None
    pieces = chunk(
        document,
        max_tokens=CHUNK_TOKENS,
        overlap_tokens=OVERLAP_TOKENS,
        count_tokens=ctx.embedder.count_tokens,
    )[:MAX_PASSAGES]
    if not pieces:
        raise BadRequest(f"{shown} cannot be read: no text was found on the page.")
    first_heading = next((p.heading_path[0] for p in pieces if p.heading_path), "")
    return _Page(
        url=page.url,
        title=first_heading or urlsplit(page.url).hostname or page.url,
        texts=[p.text for p in pieces],
        bodies=[p.body for p in pieces],
        headings=[list(p.heading_path) for p in pieces],
    )


async def _best(
    embedder: Embedder, question: str, pages: list[_Page], limit: int
) -> list[WebPassage]:
    """Rank each page's passages by words, embed the best few (and the page's start, for a
    question that shares no words with it, like "summarize this") and fuse both rankings."""
    from confide.rag.keywords import best, build, fuse
    from confide.rag.vectors import Hit, nearest
    from confide.security.blind import terms

    hashed = [_hash(word) for word in dict.fromkeys(terms(question))]
    indexes = [(str(n), build(page.texts, _hash), hashed) for n, page in enumerate(pages)]
    by_words = best(indexes, EMBEDDED * len(pages))
    chosen = _candidates(pages, by_words)
    [vector] = await embedder.embed([question])
    matrix = await embedder.embed([pages[int(f)].texts[o] for f, o in chosen])
    by_meaning = [
        Hit(*chosen[hit.ordinal], hit.score) for hit in nearest(vector, [("", matrix)], len(chosen))
    ]
    return [
        _passage(pages[int(hit.file_id)], hit.ordinal, hit.score)
        for hit in fuse([by_meaning, by_words], limit)
    ]


def _candidates(pages: list[_Page], by_words: Sequence[Hit]) -> list[tuple[str, int]]:
    """The passages worth embedding, per page: its best by words, then its first ones."""
    chosen: dict[str, list[int]] = {str(n): [] for n in range(len(pages))}
    for hit in by_words:
        if len(chosen[hit.file_id]) < EMBEDDED:
            chosen[hit.file_id].append(hit.ordinal)
    for n, page in enumerate(pages):
        picks = chosen[str(n)]
        for ordinal in range(len(page.texts)):
            if len(picks) >= EMBEDDED:
                break
            if ordinal not in picks:
                picks.append(ordinal)
    return [(page, ordinal) for page, picks in chosen.items() for ordinal in picks]


def _passage(page: _Page, ordinal: int, score: float) -> WebPassage:
    return WebPassage(
        url=page.url,
        title=page.title,
        ordinal=ordinal,
        headings=page.headings[ordinal],
        text=page.bodies[ordinal],
        score=round(score, 6),
    )


def _hash(word: str) -> int:
    """Words of a page searched in memory only: any stable hash will do (no key needed)."""
    return int.from_bytes(
        hashlib.blake2b(word.encode(), digest_size=8).digest(), "big", signed=True
    )
