"""Uploaded files' rows, their chunks and vector blocks. The bytes are in the blob store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from confide.db.tables import Chunk, ChunkKeywords, ChunkVectors, File, User
from confide.db.types import utcnow
from confide.store.access import Principal, get_owned, owned_by

PENDING, PROCESSING, READY, FAILED = "pending", "processing", "ready", "failed"


async def get(session: AsyncSession, principal: Principal, file_id: str) -> File:
    """The caller's file; another user's answers NotFound, exactly like a missing one."""
    return await get_owned(session, principal, File, file_id, "File")


async def page(
    session: AsyncSession, principal: Principal, *, before: str | None, limit: int
) -> Sequence[File]:
    """The caller's files, newest first (ids are time-ordered)."""
    query = select(File).where(owned_by(principal, File.user_id))
    if before is not None:
        query = query.where(File.id < before)
    return (await session.scalars(query.order_by(File.id.desc()).limit(limit))).all()


async def lock_owner(session: AsyncSession, principal: Principal) -> None:
    """Hold the caller's user row until the transaction ends, so two uploads cannot both fit
    the same room in the quota (PostgreSQL; SQLite's write lock already orders them)."""
    await session.execute(select(User.id).where(User.id == principal.uid).with_for_update())


async def bytes_used(session: AsyncSession, principal: Principal) -> int:
    query = select(func.coalesce(func.sum(File.size), 0)).where(owned_by(principal, File.user_id))
    return int(await session.scalar(query) or 0)


async def blobs_of_user(session: AsyncSession, user_id: str) -> list[str]:
    """The blob keys of every file a user owns (to remove them with the account).
    Cross-user by design: an admin deleting someone's account."""
    return list((await session.scalars(select(File.blob).where(File.user_id == user_id))).all())


async def remove(session: AsyncSession, row: File) -> None:
    """The file's row, chunks and vectors (cascade); the caller removes the blob."""
    await session.execute(delete(File).where(File.id == row.id))


async def requeue(session: AsyncSession, row: File) -> None:
    """Queue the file to be read and indexed again; its old chunks go when that starts."""
    values = {"status": PENDING, "progress": 0, "error": None, "claimed_at": None}
    await session.execute(update(File).where(File.id == row.id).values(**values))


async def claim_next(session: AsyncSession, *, stale_after: timedelta) -> File | None:
    """Take the oldest waiting file for ingestion: one still `pending`, or one whose worker
    went quiet for `stale_after` (its replica died). Cross-user by design: the queue serves
    everyone. The conditional update makes the claim safe between replicas."""
    now = utcnow()
    waiting = or_(
        File.status == PENDING,
        (File.status == PROCESSING) & (File.claimed_at < now - stale_after),
    )
    values = {"status": PROCESSING, "claimed_at": now, "progress": 0, "error": None}
    return await _claim(session, waiting, values)


async def queue_depth(session: AsyncSession) -> dict[str, int]:
    """How many files wait for ingestion (`pending`) and are being read (`processing`), for
    /metrics. Cross-user like the queue itself; only counts leave."""
    query = (
        select(File.status, func.count())
        .where(File.status.in_((PENDING, PROCESSING)))
        .group_by(File.status)
    )
    counts = dict.fromkeys((PENDING, PROCESSING), 0)
    for status, count in (await session.execute(query)).all():
        counts[status] = count
    return counts


async def _claim(
    session: AsyncSession, waiting: ColumnElement[bool], values: dict[str, object]
) -> File | None:
    """Claim the first of the files `waiting` selects that no other worker claims first:
    the conditional update (on the claim seen) makes it safe between replicas."""
    query = select(File.id, File.claimed_at).where(waiting).order_by(File.id).limit(5)
    for file_id, claimed_at in (await session.execute(query)).all():
        claimed = await session.execute(
            update(File)
            .where(File.id == file_id, waiting, _unchanged(File.claimed_at, claimed_at))
            .values(**values)
        )
        if getattr(claimed, "rowcount", 0) == 1:
            return await session.get(File, file_id, populate_existing=True)
    return None


def _unchanged(
    column: InstrumentedAttribute[datetime | None], value: datetime | None
) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


async def set_progress(
    session: AsyncSession, file_id: str, claim: datetime, progress: int
) -> datetime | None:
    """Record progress and renew the worker's claim (answers the new one); None when the file
    was deleted, requeued or claimed by another worker meanwhile (the worker then stops)."""
    renewed = utcnow()
    result = await session.execute(
        update(File)
        .where(File.id == file_id, File.status == PROCESSING, File.claimed_at == claim)
        .values(progress=progress, claimed_at=renewed)
    )
    return renewed if getattr(result, "rowcount", 0) == 1 else None


async def set_type(session: AsyncSession, file_id: str, content_type: str, kind: str) -> None:
    values = {"content_type": content_type, "kind": kind}
    await session.execute(update(File).where(File.id == file_id).values(**values))


async def clear_index(session: AsyncSession, file_id: str) -> None:
    await session.execute(delete(Chunk).where(Chunk.file_id == file_id))
    await session.execute(delete(ChunkVectors).where(ChunkVectors.file_id == file_id))
    await session.execute(delete(ChunkKeywords).where(ChunkKeywords.file_id == file_id))


async def add_chunks(
    session: AsyncSession,
    rows: list[Chunk],
    vectors: list[ChunkVectors],
    keywords: ChunkKeywords,
) -> None:
    session.add_all([*rows, *vectors, keywords])


async def finish(
    session: AsyncSession,
    file_id: str,
    claim: datetime,
    *,
    status: str,
    error: bytes | None = None,
    chunk_count: int = 0,
    embedder: str | None = None,
) -> bool:
    """End the file's ingestion (`ready` or `failed`); False when it was requeued, deleted or
    claimed by another worker while it ran (then nothing is recorded: the newer one wins)."""
    result = await session.execute(
        update(File)
        .where(File.id == file_id, File.status == PROCESSING, File.claimed_at == claim)
        .values(
            status=status,
            error=error,
            chunk_count=chunk_count,
            embedder=embedder,
            progress=100,
            claimed_at=None,
        )
    )
    return bool(getattr(result, "rowcount", 0))


class Indexed(NamedTuple):
    """What retrieval needs of an indexed file (read as columns: a search reads every file
    it may use, and whole rows cost twice as long)."""

    id: str
    user_id: str
    name: bytes  # sealed
    embedder: str | None
    updated_at: datetime


INDEXED = tuple(getattr(File, column) for column in Indexed._fields)  # the same columns


IndexedQuery = Select[str, str, bytes, str | None, datetime]


async def indexed(session: AsyncSession, query: IndexedQuery) -> list[Indexed]:
    """The rows of `query` (selecting INDEXED), by id."""
    return [Indexed(*row) for row in await session.execute(query.order_by(File.id))]


async def readable(
    session: AsyncSession, principal: Principal, file_ids: Sequence[str] | None = None
) -> list[Indexed]:
    """The indexed files the caller may read now (theirs), all or among `file_ids`. Asked at
    every retrieval, so losing access takes effect at once."""
    query = select(*INDEXED).where(owned_by(principal, File.user_id), File.status == READY)
    if file_ids is not None:
        query = query.where(File.id.in_(file_ids))
    return await indexed(session, query)


async def vector_blocks(session: AsyncSession, file_id: str) -> Sequence[ChunkVectors]:
    query = select(ChunkVectors).where(ChunkVectors.file_id == file_id)
    return (await session.scalars(query.order_by(ChunkVectors.block))).all()


async def keyword_index(session: AsyncSession, file_id: str) -> bytes | None:
    """The file's sealed keyword index (None for a file indexed before there were any)."""
    query = select(ChunkKeywords.body).where(ChunkKeywords.file_id == file_id)
    return await session.scalar(query)


async def chunks_at(
    session: AsyncSession, places: Sequence[tuple[str, int]]
) -> list[tuple[str, int, bytes]]:
    """The sealed bodies of the chunks at (file id, ordinal) places, as (file id, ordinal,
    body); the caller checked it may read those files."""
    if not places:
        return []
    by_file: dict[str, list[int]] = {}
    for file_id, ordinal in places:
        by_file.setdefault(file_id, []).append(ordinal)
    # One primary-key lookup per file (SQLite scans the whole table for a row-value IN).
    wanted = [
        and_(Chunk.file_id == file_id, Chunk.ordinal.in_(ordinals))
        for file_id, ordinals in by_file.items()
    ]
    query = select(Chunk.file_id, Chunk.ordinal, Chunk.body).where(or_(*wanted))
    return [(file_id, ordinal, body) for file_id, ordinal, body in await session.execute(query)]


# --- re-embedding: ready files whose vectors another embedder made -----------------------------


def _other_embedder(embedder: str) -> ColumnElement[bool]:
    return (File.status == READY) & File.embedder.is_not(None) & (File.embedder != embedder)


async def count_other_embedder(session: AsyncSession, embedder: str) -> int:
    """How many ready files still have vectors of another embedder than `embedder`."""
    query = select(func.count()).select_from(File).where(_other_embedder(embedder))
    return int(await session.scalar(query) or 0)


async def claim_reembed(
    session: AsyncSession, embedder: str, *, stale_after: timedelta
) -> File | None:
    """Take a ready file whose vectors another embedder made, unless a live worker holds it.
    It stays `ready` (found by its words meanwhile). Cross-user by design, like claim_next."""
    now = utcnow()
    free = File.claimed_at.is_(None) | (File.claimed_at < now - stale_after)
    return await _claim(session, _other_embedder(embedder) & free, {"claimed_at": now})


async def renew_reembed(session: AsyncSession, file_id: str, claim: datetime) -> datetime | None:
    """Renew a re-embedding claim; None when the file changed hands or state meanwhile."""
    renewed = utcnow()
    result = await session.execute(
        update(File)
        .where(File.id == file_id, File.status == READY, File.claimed_at == claim)
        .values(claimed_at=renewed)
    )
    return renewed if getattr(result, "rowcount", 0) == 1 else None


async def replace_vectors(
    session: AsyncSession, file_id: str, claim: datetime, embedder: str, blocks: list[ChunkVectors]
) -> bool:
    """Swap the file's vectors for `blocks` of `embedder`, if the claim still holds (False
    otherwise: the file was deleted, re-queued or taken over, and nothing is written)."""
    result = await session.execute(
        update(File)
        .where(File.id == file_id, File.status == READY, File.claimed_at == claim)
        .values(embedder=embedder, claimed_at=None)
    )
    if not getattr(result, "rowcount", 0):
        return False
    await session.execute(delete(ChunkVectors).where(ChunkVectors.file_id == file_id))
    session.add_all(blocks)
    return True


async def release_reembed(session: AsyncSession, file_id: str, claim: datetime) -> None:
    await session.execute(
        update(File)
        .where(File.id == file_id, File.status == READY, File.claimed_at == claim)
        .values(claimed_at=None)
    )


async def chunks_of(session: AsyncSession, file_id: str) -> Sequence[Chunk]:
    query = select(Chunk).where(Chunk.file_id == file_id).order_by(Chunk.ordinal)
    return (await session.scalars(query)).all()
