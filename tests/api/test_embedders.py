"""The admin chooses the embedder: the built-in one, or a connection's model. Files of the
previous embedder are re-embedded in the background and found by their words meanwhile; new
files, questions and `/v1/embeddings` use the new one; vector spaces never mix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confide.db.tables import ChunkVectors, File
from confide.rag.chunking import chunk
from confide.rag.loaders import parse_isolated
from confide.services import ingest
from confide.services.context import Context
from confide.services.reembed import embedded_text, reembed_next
from confide.store import files, keys
from tests.api.test_chats import upstream  # noqa: F401
from tests.api.test_file_search import ANIMALS, COOKING, ready, search
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.usefixtures("upstream")
REMOTE = "fake-small"


async def choose(admin: httpx.AsyncClient, model: str) -> dict[str, Any]:
    response = await admin.patch("/api/settings", json={"embedding_model": model})
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def embedder_of(ctx: Context, file_id: str) -> str | None:
    async with ctx.db.read() as session:
        found: str | None = await session.scalar(select(File.embedder).where(File.id == file_id))
        return found


async def reembed_all(ctx: Context) -> int:
    done = 0
    while await reembed_next(ctx):
        done += 1
    return done


async def test_files_of_the_old_embedder_are_reembedded_and_found_meanwhile(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    assert (await admin.get("/api/settings")).json()["embedding_model"] == ""
    view = await choose(admin, REMOTE)
    assert view["embedding_model"] == REMOTE and view["files_to_reembed"] == 1
    [found] = await search(user, "crayfish", limit=5)  # by its words, meanwhile
    assert found["file_id"] == animals
    assert await reembed_all(ctx) == 1
    assert await embedder_of(ctx, animals) == REMOTE
    async with ctx.db.read() as session:
        blocks = (await session.scalars(select(ChunkVectors))).all()
    assert {b.embedder for b in blocks} == {REMOTE}
    assert (await admin.get("/api/settings")).json()["files_to_reembed"] == 0
    found_again = await search(user, "what do otters eat?")
    assert {item["file_id"] for item in found_again} == {animals}
    # and back: the built-in embedder's vectors again
    assert (await choose(admin, ""))["files_to_reembed"] == 1
    assert await reembed_all(ctx) == 1 and await embedder_of(ctx, animals) == "all-MiniLM-L6-v2"
    [best, *_] = await search(user, "what do otters eat?")
    assert "crayfish" in best["text"]


async def test_new_files_questions_and_the_api_use_the_chosen_model(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    await choose(admin, REMOTE)
    kitchen = await ready(user, ctx, "kitchen.md", COOKING)
    assert await embedder_of(ctx, kitchen) == REMOTE
    asked = [r.json["input"] for r in fake_openai.requests if r.path.endswith("/embeddings")]
    assert any("sourdough" in text for batch in asked for text in batch)
    assert await search(user, "bread")
    body = {"model": REMOTE, "input": ["one", "three"]}
    answer = await user.post("/v1/embeddings", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == REMOTE and len(answer.json()["data"][0]["embedding"]) == 3
    wrong = await user.post("/v1/embeddings", json={"model": "all-MiniLM-L6-v2", "input": "x"})
    assert wrong.status_code == 404 and REMOTE in wrong.json()["error"]["message"]


async def test_when_the_chosen_model_is_gone_search_goes_on_by_words(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    await choose(admin, REMOTE)
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    [connection] = (await admin.get("/api/connections")).json()["items"]
    assert (await admin.delete(f"/api/connections/{connection['id']}")).status_code == 204
    [found] = await search(user, "crayfish", limit=5)
    assert found["file_id"] == animals
    sent = await user.post("/api/files", files={"file": ("late.md", b"# Late\n\ntext", "text/md")})
    await ingest.run_pending(ctx)
    late = (await user.get(f"/api/files/{sent.json()['id']}")).json()
    assert late["status"] == "failed" and "not available" in late["error"]
    assert await reembed_next(ctx) is False


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("no-such-model", "Unknown model"),
        ("preset:0123456789abcdef0123456789abcdef", "not a preset"),
        ("all-MiniLM-L6-v2", "built-in"),
    ],
)
async def test_a_model_that_cannot_embed_is_refused(
    admin: httpx.AsyncClient, model: str, problem: str
) -> None:
    response = await admin.patch("/api/settings", json={"embedding_model": model})
    assert response.status_code == 400 and problem in response.json()["detail"], response.text
    assert (await admin.get("/api/settings")).json()["embedding_model"] == ""


async def test_a_model_server_that_fails_to_embed_is_refused(
    admin: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    assert (await admin.get("/api/models")).status_code == 200  # the model is listed
    fake_openai.script(status=404, body={"error": {"message": "no embeddings here"}})
    response = await admin.patch("/api/settings", json={"embedding_model": REMOTE})
    assert response.status_code == 400 and "cannot make embeddings" in response.json()["detail"]
    assert (await admin.get("/api/settings")).json()["embedding_model"] == ""


async def test_only_an_admin_chooses_the_embedder(user: httpx.AsyncClient) -> None:
    response = await user.patch("/api/settings", json={"embedding_model": REMOTE})
    assert response.status_code == 403


async def test_a_passage_is_reembedded_as_the_text_it_was_first_embedded_as(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    async with ctx.db.read() as session:
        row = await session.get(File, animals)
        assert row is not None
        cipher = await keys.cipher_for(session, ctx.sealer, row.user_id)
        chunks = await files.chunks_of(session, animals)
    texts = [embedded_text(cipher, chunk) for chunk in chunks]
    document = await parse_isolated(ANIMALS.encode(), "markdown")
    pieces = chunk(
        document, max_tokens=200, overlap_tokens=40, count_tokens=ctx.embedder.count_tokens
    )
    assert texts == [piece.text for piece in pieces]
    assert texts[0].startswith("Field guide")


async def test_a_file_changed_while_it_is_reembedded_keeps_what_it_has(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    await choose(admin, REMOTE)
    async with ctx.db.write() as session:
        claimed = await files.claim_reembed(session, REMOTE, stale_after=ingest.lease(ctx))
    assert claimed is not None and claimed.claimed_at is not None
    assert (await user.post(f"/api/files/{animals}/reindex")).status_code == 202
    async with ctx.db.write() as session:
        replaced = await files.replace_vectors(session, animals, claimed.claimed_at, REMOTE, [])
    assert replaced is False
    assert await embedder_of(ctx, animals) == "all-MiniLM-L6-v2"
