"""Finding the passages of a user's files that answer a question (hybrid retrieval).

Permission-aware at query time: every search first asks the database which indexed files the
caller may read right now, and only those files' indexes are searched and only their passages
opened. Two rankings are fused by reciprocal rank (rag/keywords.py `fuse`): the nearest
passages by meaning (embedding vectors, rag/vectors.py) and the best by keywords (BM25 over
blind term hashes, rag/keywords.py). Both are opened from sealed values and kept in the
in-memory cache. Files indexed by another embedder than the current one take part by keywords
only until re-embedded (vectors of different models do not compare). When the admin has
chosen a reranker (services/reranking.py), it orders the best fused passages again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession

from confide.errors import BadRequest
from confide.providers.base import ProviderError
from confide.rag.keywords import Combined, KeywordIndex, combine, empty, fuse, loads
from confide.rag.remote import EmbedderFailed
from confide.rag.vectors import KEYWORDS, Hit, Key, Stack, stack, stack_blocks
from confide.security.blind import terms
from confide.services import embedders, reranking
from confide.services.context import Context
from confide.services.ingest import keyword_hasher
from confide.store import files, keys, knowledge
from confide.store.access import Principal
from confide.store.files import Indexed
from confide.store.keys import UserCipher

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder
    from confide.rag.vectors import Matrix, Vector

log = logging.getLogger(__name__)

MAX_QUERY = 2000
MAX_RESULTS = 50
CANDIDATES = 50  # passages each side (meaning, keywords) offers to the fusion


@dataclass(frozen=True)
class Passage:
    file_id: str
    file_name: str
    ordinal: int
    text: str
    headings: list[str]
    location: str
    end_location: str
    score: float


async def search(
    principal: Principal,
    ctx: Context,
    query: str,
    *,
    file_ids: Sequence[str] | None = None,
    knowledge_ids: Sequence[str] = (),
    limit: int = 8,
) -> list[Passage]:
    """The passages that best answer `query`, best first: the nearest by meaning and the best
    by keywords, fused by reciprocal rank. Searched: the caller's own indexed files (all of
    them, or those of `file_ids`) and those of the knowledge bases `knowledge_ids` they may
    read; with knowledge bases and no `file_ids`, only the knowledge bases'."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise BadRequest(f"Ask with 1 to {MAX_QUERY} characters.")
    limit = max(1, min(limit, MAX_RESULTS))
    embedder = await _embedder(ctx)
    async with ctx.db.read() as session:
        readable = await _readable(session, principal, file_ids, knowledge_ids)
        owners = {row.user_id for row in readable}
        ciphers = {uid: await keys.cipher_for(session, ctx.sealer, uid) for uid in owners}
    if not readable:
        return []
    reranker = await reranking.current(ctx)
    # The question is embedded in a worker thread while the keyword side ranks in another;
    # the vectors are compared once it is ready. (Started only now: run alongside the
    # database reads above, on two cores it slowed them more than it gained.)
    embedding = asyncio.ensure_future(_embed_question(embedder, query))
    try:
        await asyncio.sleep(0)  # the embedding (the longer of the two) hands off to its thread
        rankings = await _rankings(
            ctx, ciphers, readable, query, (embedder, embedding), max(limit, CANDIDATES)
        )
    finally:
        embedding.cancel()  # (when something above failed first)
    hits = fuse(rankings, max(limit, reranking.CANDIDATES) if reranker else limit)
    found = await _passages(ctx, ciphers, {row.id: row for row in readable}, hits)
    if reranker is None:
        return found
    return (await reranker(query, found))[:limit]


async def _rankings(
    ctx: Context,
    ciphers: dict[str, UserCipher],
    rows: Sequence[Indexed],
    query: str,
    question: tuple[Embedder | None, asyncio.Future[Vector | None]],
    depth: int,
) -> list[list[Hit]]:
    """By words (while the question is still being embedded), then by meaning; each in a
    worker thread, so the event loop stays free."""
    embedder, embedding = question
    words = _blinded(ciphers, query)
    indexes = await _keywords(ctx, ciphers, rows) if words else None
    by_words = await asyncio.to_thread(indexes.best, words, depth) if indexes else []
    stacked = await _vectors(ctx, ciphers, rows, embedder)
    vector = await embedding
    if stacked is None or vector is None:
        return [[], by_words]
    return [await asyncio.to_thread(stacked.nearest, vector, depth), by_words]


def _blinded(ciphers: dict[str, UserCipher], query: str) -> list[list[int]]:
    """Each distinct word of the question, blinded with each owner's key (each owner's
    indexes have their own)."""
    hashers = [keyword_hasher(cipher) for cipher in ciphers.values()]
    return [[hasher(word) for hasher in hashers] for word in dict.fromkeys(terms(query))]


async def _readable(
    session: AsyncSession,
    principal: Principal,
    file_ids: Sequence[str] | None,
    knowledge_ids: Sequence[str],
) -> list[Indexed]:
    """Asked at every search, so a deleted file or a revoked share stops it at once."""
    if not knowledge_ids:
        return await files.readable(session, principal, file_ids)
    mine = await files.readable(session, principal, file_ids) if file_ids else []
    shared = await knowledge.readable_files(session, principal, knowledge_ids)
    return list({row.id: row for row in [*mine, *shared]}.values())


async def _embedder(ctx: Context) -> Embedder | None:
    try:
        return await embedders.current(ctx)
    except embedders.EmbedderUnavailable as exc:
        log.warning("searching by words only: %s", exc)
        return None


async def _embed_question(embedder: Embedder | None, query: str) -> Vector | None:
    """The question's vector; None (search by words only) when the embedder fails now."""
    if embedder is None:
        return None
    try:
        vectors = await embedder.embed([query])
    except (ProviderError, EmbedderFailed) as exc:
        log.warning("searching by words only: the embedder failed (%s)", exc)
        return None
    vector: Vector = vectors[0]
    return vector


async def _vectors(
    ctx: Context, ciphers: dict[str, UserCipher], rows: Sequence[Indexed], embedder: Embedder | None
) -> Stack | None:
    """The files' vectors as one matrix, cached for the next question about the same files.
    Files indexed by another embedder are left out: their vectors do not compare."""
    if embedder is None:
        return None
    usable = [row for row in rows if row.embedder == embedder.name]
    key = Key.of(embedder.name, ((row.id, row.updated_at) for row in usable))
    cached = ctx.vectors.get(key)
    if cached is not None:
        return cast(Stack, cached)
    parts = [
        (row.id, await _matrix(ctx, ciphers[row.user_id], row, embedder.name, embedder.dimensions))
        for row in usable
    ]
    stacked = stack(parts, embedder.dimensions)
    ctx.vectors.put(key, stacked)
    return stacked


async def _matrix(
    ctx: Context, cipher: UserCipher, row: Indexed, space: str, dimensions: int
) -> Matrix:
    """One file's vectors: from a cached stack that holds them (a question about another
    set of files), else opened from their sealed blocks."""
    known = ctx.vectors.find(space, row.id, row.updated_at)
    if known is not None:
        return cast("Matrix", known.part(row.id))
    async with ctx.db.read() as session:
        blocks = await files.vector_blocks(session, row.id)
    opened = [
        cipher.open_bytes("chunk_vectors", "vectors", f"{row.id}/{b.block}", b.vectors)
        for b in blocks
    ]
    return stack_blocks(opened, dimensions)


async def _keywords(
    ctx: Context, ciphers: dict[str, UserCipher], rows: Sequence[Indexed]
) -> Combined:
    """The files' keyword indexes as one, cached like the vectors."""
    key = Key.of(KEYWORDS, ((row.id, row.updated_at) for row in rows))
    cached = ctx.vectors.get(key)
    if cached is not None:
        return cast(Combined, cached)
    parts = [(row.id, await _keyword_index(ctx, ciphers[row.user_id], row)) for row in rows]
    combined = combine(parts)
    ctx.vectors.put(key, combined)
    return combined


async def _keyword_index(ctx: Context, cipher: UserCipher, row: Indexed) -> KeywordIndex:
    known = ctx.vectors.find(KEYWORDS, row.id, row.updated_at)
    if known is not None:
        return cast(KeywordIndex, known.part(row.id))
    async with ctx.db.read() as session:
        sealed = await files.keyword_index(session, row.id)
    if sealed is None:  # indexed before keyword indexes existed: found by meaning only
        return empty()
    return loads(cipher.open_bytes("chunk_keywords", "body", row.id, sealed))


async def _passages(
    ctx: Context, ciphers: dict[str, UserCipher], rows: dict[str, Indexed], hits: list[Hit]
) -> list[Passage]:
    async with ctx.db.read() as session:
        chunks = await files.chunks_at(session, [(h.file_id, h.ordinal) for h in hits])
    bodies = {
        (file_id, ordinal): json.loads(
            ciphers[rows[file_id].user_id].open("chunks", "body", f"{file_id}/{ordinal}", body)
        )
        for file_id, ordinal, body in chunks
    }
    names = {
        file_id: ciphers[rows[file_id].user_id].open("files", "name", file_id, rows[file_id].name)
        for file_id in {hit.file_id for hit in hits}
    }
    found = []
    for hit in hits:
        body = bodies.get((hit.file_id, hit.ordinal))
        if body is None:  # re-indexed between the two reads: skip rather than guess
            continue
        found.append(
            Passage(
                file_id=hit.file_id,
                file_name=names[hit.file_id],
                ordinal=hit.ordinal,
                text=body["text"],
                headings=list(body["headings"]),
                location=body["location"],
                end_location=body["end_location"],
                score=round(hit.score, 6),
            )
        )
    return found
