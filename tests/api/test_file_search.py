"""`GET /api/files/search`: hybrid search (meaning and keywords) over my indexed files,
permission-aware at query time, with the passage's place in its file for a citation."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import delete, select, update

from confide.db.tables import ChunkKeywords, File
from confide.rag.vectors import Key, VectorCache, nearest, stack
from confide.services import ingest
from confide.services.context import Context

ANIMALS = (
    "# Field guide\n\n## Otters\n\nRiver otters hunt crayfish and fish along the riverbank.\n\n"
    "## Bees\n\nHoneybees collect nectar from flowers and make honey in the hive.\n"
)
COOKING = "# Kitchen notes\n\nBake the sourdough bread at 240 degrees for forty minutes.\n"


async def ready(c: httpx.AsyncClient, ctx: Context, name: str, text: str) -> str:
    sent = await c.post("/api/files", files={"file": (name, text.encode(), "text/markdown")})
    assert sent.status_code == 201, sent.text
    await ingest.run_pending(ctx)
    file_id: str = sent.json()["id"]
    assert (await c.get(f"/api/files/{file_id}")).json()["status"] == "ready"
    return file_id


async def search(c: httpx.AsyncClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = await c.get("/api/files/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_passage_closest_in_meaning_comes_first_with_its_place(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    await ready(user, ctx, "kitchen.md", COOKING)
    [best, *_] = await search(user, "what do otters eat?")
    assert best["file_id"] == animals and best["file_name"] == "animals.md"
    assert "crayfish" in best["text"]
    assert best["headings"] == ["Field guide", "Otters"]
    assert best["location"].startswith("line")
    [best] = await search(user, "how long should bread bake", limit=1)
    assert "sourdough" in best["text"]
    scores = [item["score"] for item in await search(user, "insects making honey")]
    assert scores == sorted(scores, reverse=True)


async def test_the_search_can_be_limited_to_some_files(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    await ready(user, ctx, "animals.md", ANIMALS)
    kitchen = await ready(user, ctx, "kitchen.md", COOKING)
    found = await search(user, "what do otters eat?", file_id=[kitchen])
    assert {item["file_id"] for item in found} == {kitchen}


async def test_another_users_files_are_never_searched(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    assert await search(admin, "what do otters eat?") == []
    assert await search(admin, "otters", file_id=[animals]) == []


async def test_a_deleted_file_stops_being_found_at_once(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    assert await search(user, "otters")  # its vectors are now cached
    assert (await user.delete(f"/api/files/{animals}")).status_code == 204
    assert await search(user, "otters") == []


async def test_a_file_being_reindexed_is_not_searched_until_ready(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    assert (await user.post(f"/api/files/{animals}/reindex")).status_code == 202
    assert await search(user, "otters") == []
    await ingest.run_pending(ctx)
    assert await search(user, "otters")


@pytest.mark.parametrize(
    ("params", "status"),
    [({"q": ""}, 422), ({"q": "x" * 2001}, 422), ({"q": "x", "limit": 0}, 422), ({}, 422)],
)
async def test_bad_queries_get_a_clear_error(
    user: httpx.AsyncClient, params: dict[str, Any], status: int
) -> None:
    response = await user.get("/api/files/search", params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_nearest_ranks_across_files_and_keeps_each_passages_place() -> None:
    eye = np.eye(4, dtype=np.float32)
    matrices = [("f1", eye[:2]), ("f2", eye[2:])]
    query = np.array([0.1, 0.2, 0.9, 0.3], dtype=np.float32)
    hits = nearest(query, matrices, 3)
    assert [(h.file_id, h.ordinal) for h in hits] == [("f2", 0), ("f2", 1), ("f1", 1)]
    assert nearest(query, [], 3) == [] and len(nearest(query, matrices, 99)) == 4


def test_the_vector_cache_stays_within_its_budget_and_drops_old_versions() -> None:
    from datetime import UTC, datetime

    cache = VectorCache(budget=3 * 4 * 4)  # three 4-float rows
    one, two = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    cache.put(Key.of("m", [("a", one)]), np.zeros((2, 4), dtype=np.float32))
    cache.put(Key.of("m", [("a", two)]), np.ones((1, 4), dtype=np.float32))  # re-indexed
    assert cache.get(Key.of("m", [("a", one)])) is None and cache.size_bytes == 16
    cache.put(Key.of("m", [("b", one)]), np.zeros((2, 4), dtype=np.float32))
    assert cache.size_bytes == 48
    cache.put(Key.of("m", [("c", one)]), np.zeros((1, 4), dtype=np.float32))  # evicts the oldest
    assert cache.get(Key.of("m", [("a", two)])) is None and cache.size_bytes == 48
    cache.put(Key.of("m", [("huge", one)]), np.zeros((9, 4), dtype=np.float32))  # never fits
    assert cache.get(Key.of("m", [("huge", one)])) is None


def test_a_stack_holds_each_files_rows_and_a_new_set_reuses_them() -> None:
    from datetime import UTC, datetime

    now, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    eye = np.eye(4, dtype=np.float32)
    both = stack([("f1", eye[:3]), ("f2", eye[3:])], 4)
    assert np.array_equal(both.part("f1"), eye[:3]) and np.array_equal(both.part("f2"), eye[3:])
    assert [(h.file_id, h.ordinal) for h in both.nearest(eye[3], 1)] == [("f2", 0)]
    cache = VectorCache()
    cache.put(Key.of("m", [("f1", now), ("f2", now)]), both)
    assert cache.find("m", "f2", now) is both  # a question about f2 alone starts from it
    assert cache.find("m", "f2", later) is None and cache.find("other", "f2", now) is None
    # f2 re-indexed: every set holding its old version goes, sets without it stay
    cache.put(Key.of("m", [("f1", now)]), stack([("f1", eye[:3])], 4))
    cache.put(Key.of("m", [("f2", later)]), stack([("f2", eye[:1])], 4))
    assert cache.get(Key.of("m", [("f1", now), ("f2", now)])) is None
    assert cache.get(Key.of("m", [("f1", now)])) is not None
    assert stack([], 4).nearest(eye[0], 5) == []


REPORTS = "# Status reports\n\n" + "\n\n".join(
    f"## Week {n}\n\nThe team reviewed invoices, budgets and supplier contracts this week."
    + (" Ticket ZX-40917 blocks the supplier payment run." if n == 7 else "")
    for n in range(1, 13)
)


async def test_an_exact_code_is_found_by_its_words_where_meaning_cannot_tell(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    await ready(user, ctx, "reports.md", REPORTS)
    [best, *_] = await search(user, "ZX-40917")
    assert "ZX-40917" in best["text"] and best["headings"] == ["Status reports", "Week 7"]
    scores = [item["score"] for item in await search(user, "ZX-40917")]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]


async def test_a_file_of_another_embedder_is_found_by_its_words_only(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    async with ctx.db.write() as session:
        await session.execute(update(File).where(File.id == animals).values(embedder="other"))
    assert await search(user, "aquatic mammals catching shellfish") == []
    [found] = await search(user, "crayfish", limit=5)
    assert found["file_id"] == animals and "crayfish" in found["text"]


async def test_a_file_without_a_keyword_index_is_still_found_by_meaning(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    async with ctx.db.write() as session:  # as a file indexed before keyword indexes existed
        await session.execute(delete(ChunkKeywords).where(ChunkKeywords.file_id == animals))
    ctx.vectors.clear()
    [best, *_] = await search(user, "what do otters eat?")
    assert best["file_id"] == animals and "crayfish" in best["text"]


async def test_the_keyword_index_is_sealed_and_holds_no_words(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    animals = await ready(user, ctx, "animals.md", ANIMALS)
    async with ctx.db.read() as session:
        body = await session.scalar(
            select(ChunkKeywords.body).where(ChunkKeywords.file_id == animals)
        )
    assert body is not None and b"CKW1" not in body
    assert b"crayfish" not in body.lower() and b"otters" not in body.lower()


def test_many_files_are_ranked_as_one_sort_of_all_their_scores_would() -> None:
    rng = np.random.default_rng(7)
    matrices = [(f"f{n}", rng.standard_normal((1000, 8)).astype(np.float32)) for n in range(30)]
    query = rng.standard_normal(8).astype(np.float32)
    everything = np.concatenate([m for _, m in matrices]) @ query
    best = np.argsort(-everything, kind="stable")[:20]
    hits = nearest(query, matrices, 20)  # 30,000 rows: the sampled bar picks them
    assert [(h.file_id, h.ordinal) for h in hits] == [(f"f{i // 1000}", i % 1000) for i in best]
    assert [h.score for h in hits] == pytest.approx(everything[best].tolist(), rel=1e-6)
