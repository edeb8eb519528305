"""Files are sealed as a stream of segments: any size round-trips, and a stream that was cut,
reordered, extended, spliced from another file or bit-flipped does not open."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from confide.security.sealed_stream import SEGMENT_BYTES, open_stream, seal_stream
from confide.security.sealing import SealError

AEAD = AESGCM(os.urandom(32))
AAD = b"confide/v1|files|content|f1|u1"


async def pieces(items: Iterable[bytes]) -> AsyncIterator[bytes]:
    for item in items:
        yield item


async def sealed(data: bytes, aad: bytes = AAD, size: int = 10_000) -> list[bytes]:
    chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [frame async for frame in seal_stream(AEAD, aad, pieces(chunks))]


async def opened(frames: list[bytes], aad: bytes = AAD, split: int = 7_777) -> bytes:
    blob = b"".join(frames)
    parts = [blob[i : i + split] for i in range(0, len(blob), split)]
    return b"".join([p async for p in open_stream(AEAD, aad, pieces(parts))])


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES + 5]
)
async def test_any_size_round_trips_whatever_the_read_sizes(size: int) -> None:
    data = os.urandom(size)
    frames = await sealed(data)
    assert len(frames) == max(1, -(-size // SEGMENT_BYTES))
    assert await opened(frames) == data
    assert await opened(frames, split=1) == data


async def test_a_stream_cut_at_a_segment_boundary_does_not_open() -> None:
    frames = await sealed(os.urandom(3 * SEGMENT_BYTES))
    with pytest.raises(SealError, match="cut short"):
        await opened(frames[:2])


async def test_a_stream_cut_inside_a_segment_does_not_open() -> None:
    blob = b"".join(await sealed(os.urandom(SEGMENT_BYTES // 2)))
    with pytest.raises(SealError):
        await opened([blob[:-1]])


async def test_reordered_segments_do_not_open() -> None:
    frames = await sealed(os.urandom(3 * SEGMENT_BYTES))
    with pytest.raises(SealError):
        await opened([frames[1], frames[0], frames[2]])


async def test_segments_appended_after_the_last_do_not_open() -> None:
    frames = await sealed(os.urandom(SEGMENT_BYTES * 2))
    with pytest.raises(SealError):
        await opened([*frames, frames[-1]])


async def test_another_files_stream_does_not_open_here() -> None:
    frames = await sealed(b"someone else's file", aad=b"confide/v1|files|content|f2|u2")
    with pytest.raises(SealError):
        await opened(frames)


async def test_a_flipped_bit_does_not_open() -> None:
    blob = bytearray(b"".join(await sealed(b"x" * 1000)))
    blob[40] ^= 1
    with pytest.raises(SealError):
        await opened([bytes(blob)])


async def test_an_absurd_segment_length_is_refused_before_reading_it() -> None:
    with pytest.raises(SealError, match="larger"):
        await opened([b"\xff\xff\xff\xff" + b"x" * 10])
