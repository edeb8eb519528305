"""Ingestion: read an uploaded file, split it into passages and embed them, in the background.

The queue is the `files` table itself (rows `pending`, or `processing` under a claim that went
stale because its worker died), so it survives restarts and is shared by every replica; an
upload wakes this process's worker at once, other replicas find the work when they next look.
The file is parsed in a separate, time- and memory-limited process (rag/loaders), because the
bytes are the uploader's and parsers have bugs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from confide.db.tables import Chunk, ChunkKeywords, ChunkVectors, File
from confide.services import embedders
from confide.services import files as file_service
from confide.services.context import Context
from confide.store import files, keys
from confide.store.keys import UserCipher

if TYPE_CHECKING:
    import numpy as np

    from confide.rag.chunking import Chunk as Passage
    from confide.rag.embedder import Embedder

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0  # how often (at most) an idle worker looks for work others queued
PARSE_SECONDS = 120.0
PARSE_MEMORY = 1024 * 1024 * 1024
CHUNK_TOKENS, OVERLAP_TOKENS = 200, 40
EMBED_BATCH = 64
VECTOR_BLOCK = 256  # chunk vectors sealed together (see db.tables.ChunkVectors)
FAILED_UNEXPECTEDLY = "Something went wrong while reading this file. Try re-indexing it."


class Superseded(Exception):
    """The file was deleted, re-queued or claimed elsewhere while this worker read it."""


async def work_forever(ctx: Context) -> None:
    """The background worker: ingest while there is work, then re-embed files of a previous
    embedder (services/reembed.py), then wait to be woken (or poll)."""
    from confide.services.reembed import reembed_next

    while True:
        ctx.ingest_wakeup.clear()
        try:
            while await ingest_next(ctx) or await reembed_next(ctx):
                pass
        except Exception:
            log.exception("the file ingestion queue failed; retrying shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.ingest_wakeup.wait(), poll_seconds(ctx))


def poll_seconds(ctx: Context) -> float:
    """Idle workers look again at least once per lease, so a job whose replica died is
    taken over soon after its lease ran out."""
    return min(POLL_SECONDS, ctx.settings.job_lease_seconds)


def lease(ctx: Context) -> timedelta:
    """A claim not renewed for this long: its worker died (CONFIDE_JOB_LEASE_SECONDS)."""
    return timedelta(seconds=ctx.settings.job_lease_seconds)


async def run_pending(ctx: Context) -> int:
    """Ingest every waiting file now; answers how many were taken (tests, the CLI)."""
    taken = 0
    while await ingest_next(ctx):
        taken += 1
    return taken


async def queue_depth(ctx: Context) -> dict[str, int]:
    """Files `pending` and `processing` now, on every replica (the queue is shared)."""
    async with ctx.db.read() as session:
        return await files.queue_depth(session)


async def ingest_next(ctx: Context) -> bool:
    """Take one waiting file and ingest it; False when none is waiting."""
    async with ctx.db.write() as session:
        row = await files.claim_next(session, stale_after=lease(ctx))
        if row is None:
            return False
        cipher = await keys.cipher_for(session, ctx.sealer, row.user_id)
    # Imported here: the parsers and numpy load when there is a file to read, not at start.
    from confide.rag.loaders import ParseError

    assert row.claimed_at is not None  # noqa: S101 -- claim_next sets it
    job = _Job(ctx, cipher, row, row.claimed_at)
    try:
        await job.run(await embedders.current(ctx))
    except embedders.EmbedderUnavailable as exc:
        await job.fail(f"{exc}. Re-index the file when it is back.")
    except Superseded:
        log.info("file %s changed while it was being read; left to the newer request", row.id)
    except ParseError as exc:
        await job.fail(str(exc))
    except Exception:
        log.exception("reading file %s failed", row.id)
        await job.fail(FAILED_UNEXPECTEDLY)
    return True


class _Job:
    """One file's ingestion under a claim, renewed with every progress step: when the claim
    is lost (the file deleted, re-queued, or taken over), the job stops and writes nothing."""

    def __init__(self, ctx: Context, cipher: UserCipher, row: File, claim: datetime) -> None:
        self.ctx, self.cipher, self.row, self.claim = ctx, cipher, row, claim

    async def run(self, embedder: Embedder) -> None:
        from confide.rag.chunking import chunk
        from confide.rag.loaders import ParseError, parse_isolated

        data = await file_service.read_all(self.ctx, self.cipher, self.row)
        kind = await self._sniff(data)
        await self.progress(5)
        document = await parse_isolated(data, kind, timeout=PARSE_SECONDS, memory=PARSE_MEMORY)
        await self.progress(20)
        pieces = chunk(
            document,
            max_tokens=CHUNK_TOKENS,
            overlap_tokens=OVERLAP_TOKENS,
            count_tokens=embedder.count_tokens,
        )
        if not pieces:
            raise ParseError("No text was found in this file.")
        vectors = await self._embed(embedder, [piece.text for piece in pieces])
        await self._store(pieces, vectors, embedder.name)

    async def _sniff(self, data: bytes) -> str:
        """The file's kind, read from its bytes (recorded, so downloads get the right type);
        ParseError when it is no kind Confide reads."""
        from confide.rag.loaders import ParseError
        from confide.rag.sniff import Kind, sniff

        found = sniff(data, self.cipher.open("files", "name", self.row.id, self.row.name))
        async with self.ctx.db.write() as session:
            await files.set_type(session, self.row.id, found.media_type, found.kind.value)
        if found.kind is Kind.UNSUPPORTED:
            raise ParseError(found.reason or "Confide cannot read this kind of file.")
        return found.kind.value

    async def _embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        import numpy as np

        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(await embedder.embed(texts[start : start + EMBED_BATCH]))
            done = min(len(texts), start + EMBED_BATCH)
            await self.progress(20 + 75 * done // len(texts))
        return np.concatenate(parts)

    async def progress(self, percent: int) -> None:
        async with self.ctx.db.write() as session:
            renewed = await files.set_progress(session, self.row.id, self.claim, percent)
        if renewed is None:
            raise Superseded
        self.claim = renewed

    async def _store(self, pieces: Sequence[Passage], vectors: np.ndarray, embedder: str) -> None:
        file_id, cipher = self.row.id, self.cipher
        rows = [_chunk_row(cipher, file_id, n, piece) for n, piece in enumerate(pieces)]
        blocks = vector_blocks(cipher, file_id, embedder, vectors)
        texts = [piece.text for piece in pieces]
        keywords = await asyncio.to_thread(keyword_row, cipher, file_id, texts)
        async with self.ctx.db.write() as session:
            await files.clear_index(session, file_id)
            await files.add_chunks(session, rows, blocks, keywords)
            done = await files.finish(
                session,
                file_id,
                self.claim,
                status=files.READY,
                chunk_count=len(rows),
                embedder=embedder,
            )
            if not done:
                raise Superseded  # rolls the passages back

    async def fail(self, reason: str) -> None:
        error = self.cipher.seal("files", "error", self.row.id, reason)
        async with self.ctx.db.write() as session:
            await files.clear_index(session, self.row.id)
            await files.finish(session, self.row.id, self.claim, status=files.FAILED, error=error)


def _chunk_row(cipher: UserCipher, file_id: str, ordinal: int, piece: Passage) -> Chunk:
    context = piece.text.removesuffix(piece.body).removesuffix("\n\n")
    body = json.dumps(
        {
            "text": piece.body,
            "context": context,  # the heading line it was embedded with (for re-embedding)
            "headings": list(piece.heading_path),
            "location": piece.location,
            "end_location": piece.end_location,
        },
        ensure_ascii=False,
    )
    sealed = cipher.seal("chunks", "body", f"{file_id}/{ordinal}", body)
    return Chunk(file_id=file_id, ordinal=ordinal, tokens=piece.tokens, body=sealed)


def keyword_row(cipher: UserCipher, file_id: str, texts: Sequence[str]) -> ChunkKeywords:
    """The sealed keyword index of a file's passages (their texts, in ordinal order)."""
    from confide.rag import keywords

    index = keywords.build(texts, keyword_hasher(cipher))
    sealed = cipher.seal_bytes("chunk_keywords", "body", file_id, keywords.dumps(index))
    return ChunkKeywords(file_id=file_id, body=sealed)


def keyword_hasher(cipher: UserCipher) -> Callable[[str], int]:
    """How the owner's words are blinded in keyword indexes (and questions, to match them)."""
    return lambda word: cipher.blind(word, kind="k")


def vector_blocks(
    cipher: UserCipher, file_id: str, embedder: str, vectors: np.ndarray
) -> list[ChunkVectors]:
    import numpy as np

    blocks = []
    for block, start in enumerate(range(0, len(vectors), VECTOR_BLOCK)):
        packed = np.ascontiguousarray(vectors[start : start + VECTOR_BLOCK], dtype=np.float16)
        sealed = cipher.seal_bytes(
            "chunk_vectors", "vectors", f"{file_id}/{block}", packed.tobytes()
        )
        blocks.append(ChunkVectors(file_id=file_id, block=block, embedder=embedder, vectors=sealed))
    return blocks
