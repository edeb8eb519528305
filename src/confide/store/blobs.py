"""Where uploaded files' (sealed) bytes live: a directory in the data dir by default, or an
S3-compatible bucket (`S3Blobs` in s3_blobs.py) when CONFIDE_STORAGE_URL says so.

A blob's key is random (see `new_key`), never derived from the user's file name, so nothing a
user types reaches a path. Writes land in a temporary file first and are renamed into place,
so a crash or a refused upload never leaves a half-written blob under a real key.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from confide.settings import Settings

READ_BYTES = 256 * 1024
_KEY_CHARS = frozenset("0123456789abcdef")


class BlobStore(Protocol):
    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...


class StorageError(Exception):
    """The configured object store cannot be used; the message is one line for the operator."""


def new_key() -> str:
    """A fresh random blob key (128 bits, hex)."""
    return secrets.token_hex(16)


def check_key(key: str) -> str:
    """`key` when it is one `new_key` could have made; ValueError otherwise, so nothing else
    (a user's text, a path) ever becomes a file or object name."""
    if len(key) != 32 or not set(key) <= _KEY_CHARS:
        raise ValueError("not a blob key")
    return key


def blob_store(settings: Settings) -> BlobStore:
    """The store CONFIDE_STORAGE_URL names: local disk when it is empty."""
    if not settings.storage_url:
        return LocalBlobs(settings.files_dir)
    # Imported here on purpose: boto3 costs the start time and memory, paid only with S3.
    from confide.store.s3_blobs import S3Blobs

    return S3Blobs.from_settings(settings)


def check_storage(settings: Settings) -> None:
    """Before serving: StorageError (one line) when the configured bucket is unusable."""
    if settings.storage_url:
        from confide.store.s3_blobs import S3Blobs

        S3Blobs.from_settings(settings).check()


class LocalBlobs:
    """Blobs as files under `root/<first two characters>/<key>`, private to this user (0600)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / check_key(key)

    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int:
        """Store `chunks` under `key`; answers the bytes written. On any error (including the
        caller's iterator raising) nothing is left behind."""
        path = self._path(key)
        temporary = path.with_name(f".{key}.{secrets.token_hex(4)}.part")
        handle = await asyncio.to_thread(_open_private, temporary)
        written = 0
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
                written += len(chunk)
            await asyncio.to_thread(_finish, handle, temporary, path)
        except BaseException:
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        return written

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The blob's bytes, a piece at a time; FileNotFoundError when there is none."""
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            while piece := await asyncio.to_thread(handle.read, READ_BYTES):
                yield piece
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        """Remove the blob (nothing to do when it is already gone)."""
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(key).unlink)


def _open_private(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Mode 0600 from the start: the file is never readable by others, not even briefly.
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _finish(handle: BinaryIO, temporary: Path, path: Path) -> None:
    handle.flush()
    handle.close()
    temporary.replace(path)
