"""Finding the passages of a user's files that answer a question (semantic search).

Permission-aware at query time: every search first asks the database which indexed files the
caller may read right now, and only those files' vectors are searched and only their passages
opened. Vectors come from the in-memory cache (rag/vectors.py) or are opened from their sealed
blocks. Files indexed by another embedder than the current one are skipped until re-indexed
(vectors of different models do not compare).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from confide.db.tables import File
from confide.errors import BadRequest
from confide.rag.vectors import Hit, Key, nearest, stack_blocks
from confide.services.context import Context
from confide.store import files, keys
from confide.store.access import Principal
from confide.store.keys import UserCipher

if TYPE_CHECKING:
    from confide.rag.vectors import Matrix

MAX_QUERY = 2000
MAX_RESULTS = 50


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
    limit: int = 8,
) -> list[Passage]:
    """The passages most similar to `query` among the caller's indexed files (or those of
    `file_ids` they may read), best first."""
    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise BadRequest(f"Ask with 1 to {MAX_QUERY} characters.")
    limit = max(1, min(limit, MAX_RESULTS))
    # The question is embedded (in a worker thread) while the database says what may be read.
    embedding = asyncio.ensure_future(ctx.embedder.embed([query]))
    try:
        async with ctx.db.read() as session:
            readable = await files.readable(session, principal, file_ids)
            cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    except BaseException:
        embedding.cancel()
        raise
    usable = [row for row in readable if row.embedder == ctx.embedder.name]
    [vector] = await embedding
    if not usable:
        return []
    matrices = [(row.id, await _matrix(ctx, cipher, row)) for row in usable]
    hits = nearest(vector, matrices, limit)
    return await _passages(ctx, cipher, {row.id: row for row in usable}, hits)


async def _matrix(ctx: Context, cipher: UserCipher, row: File) -> Matrix:
    key = Key(row.id, row.updated_at, row.embedder or "")
    cached = ctx.vectors.get(key)
    if cached is not None:
        return cached
    async with ctx.db.read() as session:
        blocks = await files.vector_blocks(session, row.id)
    opened = [
        cipher.open_bytes("chunk_vectors", "vectors", f"{row.id}/{b.block}", b.vectors)
        for b in blocks
    ]
    matrix = stack_blocks(opened, ctx.embedder.dimensions)
    ctx.vectors.put(key, matrix)
    return matrix


async def _passages(
    ctx: Context, cipher: UserCipher, rows: dict[str, File], hits: list[Hit]
) -> list[Passage]:
    async with ctx.db.read() as session:
        chunks = await files.chunks_at(session, [(h.file_id, h.ordinal) for h in hits])
    bodies = {
        (c.file_id, c.ordinal): json.loads(
            cipher.open("chunks", "body", f"{c.file_id}/{c.ordinal}", c.body)
        )
        for c in chunks
    }
    names = {
        file_id: cipher.open("files", "name", file_id, rows[file_id].name)
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
                score=round(hit.score, 4),
            )
        )
    return found
