"""Where uploaded files' (sealed) bytes live: a directory in the data dir by default.

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
from typing import BinaryIO, Protocol

READ_BYTES = 256 * 1024
_KEY_CHARS = frozenset("0123456789abcdef")


class BlobStore(Protocol):
    async def write(self, key: str, chunks: AsyncIterable[bytes]) -> int: ...

    def read(self, key: str) -> AsyncIterator[bytes]: ...

    async def delete(self, key: str) -> None: ...


def new_key() -> str:
    """A fresh random blob key (128 bits, hex)."""
    return secrets.token_hex(16)


class LocalBlobs:
    """Blobs as files under `root/<first two characters>/<key>`, private to this user (0600)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 32 or not set(key) <= _KEY_CHARS:
            raise ValueError("not a blob key")
        return self.root / key[:2] / key

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
