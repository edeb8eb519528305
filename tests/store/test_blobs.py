"""The blob store contract, held by both stores: local disk and an S3 bucket (a real
S3-compatible server, moto, on 127.0.0.1). Round trips of every size, a missing blob, deleting
twice, a write that fails or is cancelled part-way (nothing is left), keys that are not keys."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from confide.settings import Settings
from confide.store.blobs import READ_BYTES, BlobStore, LocalBlobs, new_key
from confide.store.s3_blobs import PART_BYTES, S3Blobs
from tests.conftest import new_bucket, object_names, s3_client, s3_settings

BIG = os.urandom(2 * PART_BYTES + 12345)  # three parts in S3: two whole, one short


@dataclass
class Stored:
    """A store under test, and a way to see everything it keeps (temporaries included)."""

    blobs: BlobStore
    leftovers: Callable[[], list[str]]
    name_of: Callable[[str], str]


def _local(root: Path) -> Stored:
    def leftovers() -> list[str]:
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return Stored(LocalBlobs(root), leftovers, lambda key: f"{key[:2]}/{key}")


def _s3(endpoint: str) -> Stored:
    bucket = new_bucket(endpoint)
    blobs = S3Blobs.from_settings(Settings(**s3_settings(endpoint, bucket, prefix="files/here")))

    def leftovers() -> list[str]:
        pending = s3_client(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return sorted(object_names(endpoint, bucket) + [f"upload:{u['Key']}" for u in pending])

    return Stored(blobs, leftovers, lambda key: f"files/here/{key[:2]}/{key}")


@pytest.fixture(params=["local", "s3"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Stored:
    if request.param == "local":
        return _local(tmp_path / "files")
    return _s3(request.getfixturevalue("s3_endpoint"))


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


async def read_all(blobs: BlobStore, key: str) -> list[bytes]:
    return [piece async for piece in blobs.read(key)]


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (b"", 1),
        (b"sealed bytes", 100),
        (os.urandom(300_000), 7_777),  # many chunks, more than one read piece
        (BIG, 1_000_003),  # several parts in S3, chunks that do not line up with them
    ],
    ids=["empty", "small", "chunked", "multipart"],
)
async def test_a_blob_comes_back_byte_for_byte(stored: Stored, data: bytes, size: int) -> None:
    key = new_key()
    assert await stored.blobs.write(key, pieces(data, size)) == len(data)
    assert stored.leftovers() == [stored.name_of(key)]
    back = await read_all(stored.blobs, key)
    assert b"".join(back) == data
    assert all(len(piece) <= READ_BYTES for piece in back)  # read a piece at a time


async def test_blobs_are_kept_apart(stored: Stored) -> None:
    first, second = new_key(), new_key()
    await stored.blobs.write(first, pieces(b"first", 2))
    await stored.blobs.write(second, pieces(b"second", 2))
    assert b"".join(await read_all(stored.blobs, first)) == b"first"
    assert b"".join(await read_all(stored.blobs, second)) == b"second"
    await stored.blobs.delete(first)
    assert stored.leftovers() == [stored.name_of(second)]


async def test_a_missing_blob_is_file_not_found(stored: Stored) -> None:
    with pytest.raises(FileNotFoundError):
        await read_all(stored.blobs, new_key())


async def test_deleting_twice_is_fine(stored: Stored) -> None:
    key = new_key()
    await stored.blobs.write(key, pieces(b"gone soon", 4))
    await stored.blobs.delete(key)
    await stored.blobs.delete(key)
    await stored.blobs.delete(new_key())  # never written
    assert stored.leftovers() == []
    with pytest.raises(FileNotFoundError):
        await read_all(stored.blobs, key)


async def test_a_reader_that_stops_early_lets_go(stored: Stored) -> None:
    key = new_key()
    await stored.blobs.write(key, pieces(BIG, 1 << 20))
    reader = stored.blobs.read(key)
    first = await anext(reader)
    await reader.aclose()
    assert first == BIG[: len(first)]
    await stored.blobs.delete(key)
    assert stored.leftovers() == []


class Refused(Exception):
    pass


async def failing(data: bytes, after: int) -> AsyncIterator[bytes]:
    """`data` in 1 MiB chunks, then the caller gives up (a quota, a dropped client)."""
    sent = 0
    async for piece in pieces(data, 1 << 20):
        if sent >= after:
            raise Refused("over quota")
        yield piece
        sent += len(piece)


@pytest.mark.parametrize("after", [0, 3 << 20, PART_BYTES + (3 << 20)])
async def test_a_write_whose_chunks_fail_leaves_nothing(stored: Stored, after: int) -> None:
    key = new_key()
    with pytest.raises(Refused, match="over quota"):  # the caller's own error, unchanged
        await stored.blobs.write(key, failing(BIG, after))
    assert stored.leftovers() == []  # no object, no temporary, no upload in progress
    with pytest.raises(FileNotFoundError):
        await read_all(stored.blobs, key)


async def test_a_cancelled_write_leaves_nothing(stored: Stored) -> None:
    key, sent = new_key(), asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        async for piece in pieces(BIG[: PART_BYTES + (2 << 20)], 1 << 20):
            yield piece
        sent.set()
        await asyncio.Event().wait()  # the client stops sending; the request is cancelled
        yield b"never"

    writing = asyncio.create_task(stored.blobs.write(key, stalls()))
    await asyncio.wait_for(sent.wait(), 30)
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    assert stored.leftovers() == []


BAD_KEYS = [
    "",
    "../../../etc/passwd",
    "notes.md",
    "0" * 31,
    "0" * 33,
    "A" * 32,  # upper case: not what new_key makes
    "g" * 32,
    "00/" + "0" * 29,
    "0" * 30 + "/x",
    "0" * 31 + "\x00",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_anything_but_a_blob_key_is_refused(stored: Stored, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        await stored.blobs.write(key, pieces(b"x", 1))
    with pytest.raises(ValueError, match="not a blob key"):
        await read_all(stored.blobs, key)
    with pytest.raises(ValueError, match="not a blob key"):
        await stored.blobs.delete(key)
    assert stored.leftovers() == []
