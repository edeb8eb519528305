"""Ingestion through the real queue, parsers (in their child process) and the built-in
embedder: files become sealed passages and sealed vectors, failures are kept with a reason,
re-indexing replaces rather than adds, and a worker that lost its claim writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select, update

from confide.db.tables import Chunk, ChunkVectors, File
from confide.db.types import utcnow
from confide.services import ingest
from confide.services.context import Context
from confide.store import files, keys
from tests.rag import samples
from tests.store.test_sealed_content import every_value

GUIDE = (
    "# Otter field guide\n\n"
    "## Habitat\n\nRiver otters den in burrows along the Wenlock river banks.\n\n"
    "## Diet\n\nThey eat crayfish, frogs and the occasional zanderfish.\n"
)


async def upload(c: httpx.AsyncClient, name: str, data: bytes) -> dict[str, Any]:
    response = await c.post("/api/files", files={"file": (name, data, "application/x-any")})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def status(c: httpx.AsyncClient, file_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await c.get(f"/api/files/{file_id}")).json()
    return body


async def passages(ctx: Context, owner: str, file_id: str) -> list[dict[str, Any]]:
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, owner)
        rows = (
            await session.scalars(
                select(Chunk).where(Chunk.file_id == file_id).order_by(Chunk.ordinal)
            )
        ).all()
        return [
            json.loads(cipher.open("chunks", "body", f"{file_id}/{r.ordinal}", r.body))
            for r in rows
        ]


async def vectors(ctx: Context, owner: str, file_id: str) -> np.ndarray:
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, owner)
        blocks = (
            await session.scalars(
                select(ChunkVectors)
                .where(ChunkVectors.file_id == file_id)
                .order_by(ChunkVectors.block)
            )
        ).all()
        opened = [
            cipher.open_bytes("chunk_vectors", "vectors", f"{file_id}/{b.block}", b.vectors)
            for b in blocks
        ]
    return np.frombuffer(b"".join(opened), dtype=np.float16).reshape(-1, 384)


async def test_a_markdown_file_becomes_sealed_passages_and_vectors(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = await upload(user, "otters.md", GUIDE.encode())
    assert not ctx.embedder.loaded  # type: ignore[attr-defined]  # nothing loaded for an upload
    assert await ingest.run_pending(ctx) == 1
    done = await status(user, made["id"])
    assert (done["status"], done["progress"], done["error"]) == ("ready", 100, None)
    assert (done["kind"], done["content_type"]) == ("markdown", "text/markdown; charset=utf-8")
    owner = user.user["id"]  # type: ignore[attr-defined]
    found = await passages(ctx, owner, made["id"])
    assert len(found) == done["chunk_count"] >= 2
    diet = next(p for p in found if "crayfish" in p["text"])
    assert diet["headings"] == ["Otter field guide", "Diet"]
    assert diet["location"].startswith("line")
    matrix = await vectors(ctx, owner, made["id"])
    assert matrix.shape == (len(found), 384)
    assert np.allclose(np.linalg.norm(matrix.astype(np.float32), axis=1), 1.0, atol=1e-2)
    for value in await every_value(ctx):
        raw = value if isinstance(value, bytes) else str(value).encode()
        for word in (b"Wenlock", b"zanderfish", b"otters.md"):
            assert word not in raw


async def test_a_word_document_is_read_by_its_bytes_whatever_its_name(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = await upload(user, "renamed.txt", samples.sample_docx())
    await ingest.run_pending(ctx)
    done = await status(user, made["id"])
    assert (done["status"], done["kind"]) == ("ready", "docx"), done
    assert done["content_type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("label", "data", "says"),
    [
        ("a picture", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG image"),
        ("an encrypted PDF", samples.encrypted_pdf("hunter22"), "encrypted"),
        ("a zip bomb", samples.docx_bomb_by_ratio(), "expand"),
        ("a plain zip", samples.plain_zip(), "one by one"),
        ("an empty file", b"", ""),
    ],
)
async def test_a_file_that_cannot_be_read_is_kept_with_a_reason(
    user: httpx.AsyncClient, ctx: Context, label: str, data: bytes, says: str
) -> None:
    made = await upload(user, "upload.bin", data)
    await ingest.run_pending(ctx)
    done = await status(user, made["id"])
    assert done["status"] == "failed", f"{label}: {done}"
    assert done["error"] and says in done["error"], f"{label}: {done['error']}"
    assert done["chunk_count"] == 0
    download = await user.get(f"/api/files/{made['id']}/content")
    assert download.status_code == 200 and download.content == data, label


async def test_reindexing_replaces_the_passages(user: httpx.AsyncClient, ctx: Context) -> None:
    made = await upload(user, "otters.md", GUIDE.encode())
    await ingest.run_pending(ctx)
    first = await passages(ctx, user.user["id"], made["id"])  # type: ignore[attr-defined]
    again = await user.post(f"/api/files/{made['id']}/reindex")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert await ingest.run_pending(ctx) == 1
    assert await passages(ctx, user.user["id"], made["id"]) == first  # type: ignore[attr-defined]


async def test_a_worker_that_lost_its_claim_writes_nothing(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = await upload(user, "otters.md", GUIDE.encode())
    async with ctx.db.write() as session:
        row = await files.claim_next(session, stale_after=ingest.lease(ctx))
    assert row is not None and row.claimed_at is not None
    claim = row.claimed_at
    await user.post(f"/api/files/{made['id']}/reindex")  # the user asks again meanwhile
    async with ctx.db.write() as session:
        assert await files.set_progress(session, row.id, claim, 50) is None
        assert not await files.finish(session, row.id, claim, status=files.READY, chunk_count=3)
    assert (await status(user, made["id"]))["status"] == "pending"
    await ingest.run_pending(ctx)
    assert (await status(user, made["id"]))["status"] == "ready"


async def test_a_claim_left_by_a_dead_worker_is_taken_over(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = await upload(user, "otters.md", GUIDE.encode())
    async with ctx.db.write() as session:
        long_ago = utcnow() - ingest.lease(ctx) - timedelta(seconds=1)
        await session.execute(
            update(File)
            .where(File.id == made["id"])
            .values(status="processing", claimed_at=long_ago)
        )
    assert await ingest.run_pending(ctx) == 1
    assert (await status(user, made["id"]))["status"] == "ready"


async def test_a_fresh_claim_is_left_alone(user: httpx.AsyncClient, ctx: Context) -> None:
    await upload(user, "otters.md", GUIDE.encode())
    async with ctx.db.write() as session:
        assert await files.claim_next(session, stale_after=ingest.lease(ctx)) is not None
    assert await ingest.run_pending(ctx) == 0  # another worker holds it and is alive


async def test_deleting_a_file_removes_its_passages_and_vectors(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    made = await upload(user, "otters.md", GUIDE.encode())
    await ingest.run_pending(ctx)
    assert (await user.delete(f"/api/files/{made['id']}")).status_code == 204
    async with ctx.db.read() as session:
        assert (await session.scalars(select(Chunk))).all() == []
        assert (await session.scalars(select(ChunkVectors))).all() == []
