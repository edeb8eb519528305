"""Sealing a file's bytes as a stream of segments, so an upload or a download never holds the
whole file in memory and never writes plaintext anywhere.

Each segment (at most SEGMENT_BYTES of plaintext) is sealed on its own with AES-256-GCM. Its
associated data names the file's cell (like every sealed value) plus the segment's index and
whether it is the last one, so segments cannot be reordered, dropped, spliced in from another
file, or cut off at the end without the read failing. On disk a segment is its sealed length
(4 bytes, big-endian) followed by the sealed bytes.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterable, AsyncIterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from confide.security.sealing import SealError, open_with, seal_with

SEGMENT_BYTES = 64 * 1024
_LENGTH = struct.Struct(">I")
_MAX_SEALED = SEGMENT_BYTES + 64  # format byte, nonce, tag: anything larger is not ours


def _segment_aad(base: bytes, index: int, last: bool) -> bytes:
    return base + b"|segment|" + struct.pack(">QB", index, last)


async def seal_stream(
    aead: AESGCM, aad: bytes, chunks: AsyncIterable[bytes]
) -> AsyncIterator[bytes]:
    """The framed, sealed segments of `chunks` (any sizes); an empty input is one empty, last
    segment, so even an empty file proves it was not cut short."""
    pending = bytearray()
    index = 0
    async for chunk in chunks:
        pending += chunk
        while len(pending) > SEGMENT_BYTES:  # keep one back: it may turn out to be the last
            yield _frame(aead, aad, index, bytes(pending[:SEGMENT_BYTES]), last=False)
            del pending[:SEGMENT_BYTES]
            index += 1
    yield _frame(aead, aad, index, bytes(pending), last=True)


def _frame(aead: AESGCM, aad: bytes, index: int, plain: bytes, *, last: bool) -> bytes:
    sealed = seal_with(aead, _segment_aad(aad, index, last), plain)
    return _LENGTH.pack(len(sealed)) + sealed


async def open_stream(
    aead: AESGCM, aad: bytes, framed: AsyncIterable[bytes]
) -> AsyncIterator[bytes]:
    """The plaintext of a sealed stream, segment by segment. Raises SealError when a segment
    does not open here, is out of place, or the stream ends before its last segment."""
    buffer = bytearray()
    index = 0
    finished = False
    async for chunk in framed:
        buffer += chunk
        while (segment := _take_frame(buffer)) is not None:
            if finished:
                raise SealError("sealed stream has data after its last segment")
            plain, finished = _open_segment(aead, aad, index, segment)
            index += 1
            yield plain
    if buffer or not finished:
        raise SealError("sealed stream is cut short")


def _take_frame(buffer: bytearray) -> bytes | None:
    if len(buffer) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack_from(buffer)
    if size > _MAX_SEALED:
        raise SealError("sealed stream has a segment larger than any it writes")
    if len(buffer) < _LENGTH.size + size:
        return None
    segment = bytes(buffer[_LENGTH.size : _LENGTH.size + size])
    del buffer[: _LENGTH.size + size]
    return segment


def _open_segment(aead: AESGCM, aad: bytes, index: int, segment: bytes) -> tuple[bytes, bool]:
    for last in (False, True):
        try:
            return open_with(aead, _segment_aad(aad, index, last), segment), last
        except SealError:
            continue
    raise SealError("sealed stream segment does not open here")
