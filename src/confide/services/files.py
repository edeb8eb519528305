"""Files a user uploads: store (sealed, as it arrives), list, read back, delete, re-index.

The file name is the user's and only ever metadata: sealed in the row, cleaned of any path,
never used for storage (blobs live under random keys) and never to decide the type (that is
read from the bytes when the file is ingested).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from confide.db.ids import new_id
from confide.db.tables import File
from confide.errors import Damaged, TooLarge
from confide.security.sealing import SealError
from confide.services.audit import record
from confide.services.context import Context
from confide.store import blobs, files, keys
from confide.store.access import Principal
from confide.store.keys import UserCipher

log = logging.getLogger(__name__)

MAX_NAME = 255
DAMAGED = "This file's stored copy is damaged or was altered, so it cannot be read."
UNNAMED = "untitled"


@dataclass(frozen=True)
class FileInfo:
    id: str
    name: str
    size: int
    content_type: str
    kind: str | None
    status: str
    progress: int
    error: str | None
    chunk_count: int
    created_at: datetime
    updated_at: datetime


def clean_name(name: str) -> str:
    """The name to show: the last part of any path, without control characters, at most
    MAX_NAME characters. Only ever shown back to its owner; never a path."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:MAX_NAME].strip() or UNNAMED


async def upload(
    principal: Principal,
    ctx: Context,
    name: str,
    chunks: AsyncIterable[bytes],
    *,
    at_least: int | None = None,
) -> FileInfo:
    """Seal and store the file as it arrives, then queue it for ingestion. Too large for the
    per-file limit or the owner's quota: TooLarge, and nothing is kept. `at_least` (the size
    the request says the file has, at least) refuses a hopeless upload before reading it."""
    async with ctx.db.read() as session:
        room = _room(ctx, await files.bytes_used(session, principal))
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    if at_least is not None and at_least > room:
        raise TooLarge(_too_large(ctx, room))
    file_id, blob, counted = (
        new_id(),
        blobs.new_key(),
        _Counter(chunks, limit=room, refusal=_too_large(ctx, room)),
    )
    sealed = cipher.seal_stream("files", "content", file_id, counted)
    await ctx.blobs.write(blob, sealed)
    try:
        row = await _add_row(principal, ctx, cipher, file_id, blob, clean_name(name), counted)
    except BaseException:
        await ctx.blobs.delete(blob)
        raise
    ctx.ingest_wakeup.set()
    return _info(cipher, row)


async def _add_row(
    principal: Principal,
    ctx: Context,
    cipher: UserCipher,
    file_id: str,
    blob: str,
    name: str,
    counted: _Counter,
) -> File:
    async with ctx.db.write() as session:
        await files.lock_owner(session, principal)  # concurrent uploads count against one quota
        room = _room(ctx, await files.bytes_used(session, principal))
        if counted.total > room:
            raise TooLarge(_too_large(ctx, room))
        row = File(
            id=file_id,
            user_id=principal.uid,
            name=cipher.seal("files", "name", file_id, name),
            size=counted.total,
            blob=blob,
        )
        session.add(row)
        await session.flush()
        await record(
            session,
            principal,
            "file.uploaded",
            target_type="file",
            target_id=file_id,
            bytes=counted.total,
        )
        await session.refresh(row)
    return row


def _room(ctx: Context, used: int) -> int:
    return max(0, min(ctx.settings.file_max_bytes, ctx.settings.file_quota_bytes - used))


def _too_large(ctx: Context, room: int) -> str:
    limit = ctx.settings.file_max_bytes
    if room >= limit:
        return f"The file is larger than the {_size(limit)} limit."
    return (
        f"Not enough room: your files may take {_size(ctx.settings.file_quota_bytes)} in all, "
        f"and {_size(room)} is left. Delete some files first."
    )


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if count < 1024:
            return f"{count} {unit}"
        count //= 1024
    return f"{count} GB"


class _Counter:
    """Passes chunks on, counting them, and stops the upload once it passes `limit`."""

    def __init__(self, chunks: AsyncIterable[bytes], limit: int, refusal: str) -> None:
        self.chunks, self.limit, self.refusal, self.total = chunks, limit, refusal, 0

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._count()

    async def _count(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            self.total += len(chunk)
            if self.total > self.limit:
                raise TooLarge(self.refusal)
            yield chunk


async def page(
    principal: Principal, ctx: Context, *, before: str | None, limit: int
) -> list[FileInfo]:
    async with ctx.db.read() as session:
        rows = await files.page(session, principal, before=before, limit=limit)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    return [_info(cipher, row) for row in rows]


async def get(principal: Principal, ctx: Context, file_id: str) -> FileInfo:
    async with ctx.db.read() as session:
        row = await files.get(session, principal, file_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    return _info(cipher, row)


async def content(
    principal: Principal, ctx: Context, file_id: str
) -> tuple[FileInfo, AsyncIterator[bytes]]:
    """The file and its bytes (opened as they are read from storage). The first piece is
    opened before answering, so a swapped or altered blob is refused with Damaged rather than
    cut off mid-download (a later bad piece still ends the download: nothing unsealed leaks)."""
    async with ctx.db.read() as session:
        row = await files.get(session, principal, file_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    body = read_blob(ctx, cipher, row)
    try:
        first = await anext(body)
    except (SealError, FileNotFoundError):
        log.exception("file %s: its stored bytes do not open", row.id)
        raise Damaged(DAMAGED) from None
    return _info(cipher, row), _then(first, body)


async def _then(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for piece in rest:
        yield piece


def read_blob(ctx: Context, cipher: UserCipher, row: File) -> AsyncIterator[bytes]:
    """A file's plaintext; SealError (mid-way) when its blob was altered or swapped."""
    return cipher.open_stream("files", "content", row.id, ctx.blobs.read(row.blob))


async def read_all(ctx: Context, cipher: UserCipher, row: File) -> bytes:
    parts = [piece async for piece in read_blob(ctx, cipher, row)]
    return b"".join(parts)


async def delete(principal: Principal, ctx: Context, file_id: str) -> None:
    """Delete the file, its chunks and its stored bytes."""
    async with ctx.db.write() as session:
        row = await files.get(session, principal, file_id)
        await files.remove(session, row)
        await record(session, principal, "file.deleted", target_type="file", target_id=file_id)
    await ctx.blobs.delete(row.blob)


async def reindex(principal: Principal, ctx: Context, file_id: str) -> FileInfo:
    """Read and index the file again (after a parser or embedder change, or a failure)."""
    async with ctx.db.write() as session:
        row = await files.get(session, principal, file_id)
        await files.requeue(session, row)
        await session.refresh(row)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    ctx.ingest_wakeup.set()
    return _info(cipher, row)


async def remove_user_blobs(ctx: Context, blob_keys: Sequence[str]) -> None:
    """After an account is deleted: its files' stored bytes (already unreadable: its data key
    is gone) are removed too, so they take no room."""
    for key in blob_keys:
        await ctx.blobs.delete(key)


def _info(cipher: UserCipher, row: File) -> FileInfo:
    error = None if row.error is None else cipher.open("files", "error", row.id, row.error)
    return FileInfo(
        id=row.id,
        name=cipher.open("files", "name", row.id, row.name),
        size=row.size,
        content_type=row.content_type,
        kind=row.kind,
        status=row.status,
        progress=row.progress,
        error=error,
        chunk_count=row.chunk_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
