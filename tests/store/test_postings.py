"""The blind index's postings: the block format, merging fresh postings into blocks (with
writes landing meanwhile and deleted chats), compaction and purging; search answers the same
before and after a merge."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confide.db.tables import SearchBlock, SearchDoc, SearchFresh
from confide.services import postings as posting_service
from confide.services.context import Context
from confide.store import postings
from confide.store import search as search_store
from tests.api.test_chats import new_chat
from tests.api.test_search import titles


@pytest.mark.parametrize("seed", range(20))
def test_blocks_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    top = rng.choice([10, 5_000, 2**20, 2**32 - 1])
    ids = sorted(rng.sample(range(top + 1), rng.randint(1, min(top, postings.BLOCK_IDS))))
    blob = postings.encode(ids)
    assert postings.decode(blob) == ids


def test_dense_ids_take_little_room() -> None:
    ids = list(range(1_000, 1_000 + postings.BLOCK_IDS))
    assert len(postings.encode(ids)) < 100
    assert postings.decode(postings.encode([7])) == [7]


def test_membership_decodes_only_where_it_looks() -> None:
    parts = [list(range(1, 4097)), list(range(5000, 9096, 2))]
    found = postings.Postings(
        [p[0] for p in parts], [postings.encode(p) for p in parts], [len(p) for p in parts], {3}
    )
    assert 4096 in found and 5002 in found and 3 in found
    assert 5001 not in found and 0 not in found and 10**6 not in found
    assert found.size == 4096 + 2048 + 1
    assert found.all() == set(parts[0]) | set(parts[1])


async def counts(ctx: Context) -> tuple[int, int]:
    async with ctx.db.read() as session:
        fresh = await session.scalar(select(func.count()).select_from(SearchFresh))
        blocks = await session.scalar(select(func.count()).select_from(SearchBlock))
    return int(fresh or 0), int(blocks or 0)


async def blocked_docs(ctx: Context) -> set[int]:
    async with ctx.db.read() as session:
        blobs = (await session.scalars(select(SearchBlock.docs))).all()
    return {doc for blob in blobs for doc in postings.decode(blob)}


QUERIES = ["garden", "garden ", "gar", "tomato", "tomatoes plants", "zzz", "plan", "plans"]


async def search_all(c: httpx.AsyncClient) -> dict[str, list[str]]:
    return {q: await titles(c, q) for q in QUERIES}


async def test_search_answers_the_same_after_a_merge(user: httpx.AsyncClient, ctx: Context) -> None:
    for i in range(30):
        await new_chat(user, f"Garden plans {i} tomatoes" if i % 3 else f"Other plants {i}")
    before = await search_all(user)
    assert len(before["garden"]) == 20 and before["zzz"] == []
    assert await posting_service.merge(ctx) > 0
    assert (await counts(ctx))[0] == 0
    assert await search_all(user) == before
    await new_chat(user, "Garden plans new")  # fresh and blocks together
    after = await search_all(user)
    assert after["garden"] == ["Garden plans new", *before["garden"][:19]]


async def test_merge_in_bounded_batches(ctx: Context, user: httpx.AsyncClient) -> None:
    for i in range(5):
        await new_chat(user, f"Batch words number {i}")
    fresh, _ = await counts(ctx)
    async with ctx.db.write() as session:
        assert await postings.merge_batch(session, limit=7) == 7
    assert (await counts(ctx))[0] == fresh - 7
    assert await posting_service.merge(ctx) == fresh - 7
    assert sorted(await titles(user, "batch")) == [f"Batch words number {i}" for i in range(5)]


async def test_a_posting_written_during_a_merge_is_kept(
    user: httpx.AsyncClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_chat(user, "Early bird")
    late = await new_chat(user, "Second chat")
    async with ctx.db.read() as session:
        doc = await session.scalar(select(SearchDoc.id).where(SearchDoc.chat_id == late))
        low = await session.scalar(select(func.min(SearchFresh.term)))
    assert doc is not None and low is not None
    merge_terms = postings._merge_terms

    async def meanwhile(session: Any, user_id: str, terms: dict[int, list[int]]) -> None:
        # lands after the merge read the fresh rows, before it deletes the ones it read
        await postings.add_fresh(session, doc, [low - 1, low - 2])
        await merge_terms(session, user_id, terms)

    monkeypatch.setattr(postings, "_merge_terms", meanwhile)
    async with ctx.db.write() as session:
        await postings.merge_batch(session)
    async with ctx.db.read() as session:
        left = (await session.execute(select(SearchFresh.term, SearchFresh.doc))).all()
    assert {tuple(row) for row in left} == {(low - 1, doc), (low - 2, doc)}


async def test_deleted_chats_are_dropped_and_compacted(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    kept = await new_chat(user, "Keep this walrus")
    gone = await new_chat(user, "Drop this walrus")
    async with ctx.db.read() as session:
        docs = dict((await session.execute(select(SearchDoc.chat_id, SearchDoc.id))).all())
    assert (await user.delete(f"/api/chats/{gone}")).status_code == 204
    await posting_service.merge(ctx)  # the deleted chat's fresh postings are dropped
    assert await blocked_docs(ctx) == {docs[kept]}
    again = await new_chat(user, "Another walrus")
    await posting_service.merge(ctx)
    assert (await user.delete(f"/api/chats/{again}")).status_code == 204
    assert docs[kept] in await blocked_docs(ctx) and len(await blocked_docs(ctx)) == 2
    me = (await user.get("/api/auth/me")).json()["id"]
    await posting_service.compact(ctx, me)
    assert await blocked_docs(ctx) == {docs[kept]}
    assert await titles(user, "walrus") == ["Keep this walrus"]


async def test_delete_all_and_account_deletion_purge_postings(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    await new_chat(admin, "Admin's own words")
    for i in range(3):
        await new_chat(user, f"Mine {i}")
    await posting_service.merge(ctx)
    await new_chat(user, "Mine fresh")
    me = (await user.get("/api/auth/me")).json()["id"]
    assert (await user.delete("/api/chats", params={"confirm": "true"})).status_code == 200

    async def mine() -> tuple[int, int]:
        async with ctx.db.read() as session:
            blocks = await session.scalar(
                select(func.count()).select_from(SearchBlock).where(SearchBlock.user_id == me)
            )
            fresh = await session.scalar(select(func.count()).select_from(SearchFresh))
        return int(blocks or 0), int(fresh or 0)

    assert await mine() == (0, 0)  # the admin's postings are merged: fresh is empty
    await new_chat(user, "Back again")
    await posting_service.merge(ctx)
    await new_chat(user, "And fresh")
    assert (await admin.delete(f"/api/users/{me}")).status_code == 204
    assert await mine() == (0, 0)
    assert await titles(admin, "admin") == ["Admin's own words"]


async def test_walking_newest_first_finds_what_the_rare_path_finds(
    user: httpx.AsyncClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(30):
        await new_chat(user, f"Garden plans {i} tomatoes" if i % 3 else f"Other plants {i}")
    await posting_service.merge(ctx)
    await new_chat(user, "Garden plans fresh tomatoes")
    rare = await search_all(user)
    paged = await search_pages(user, "garden")
    monkeypatch.setattr(search_store, "SMALL", 0)  # every value is "common": walk
    monkeypatch.setattr(search_store, "WALK", 4)
    assert await search_all(user) == rare
    assert await search_pages(user, "garden") == paged
    assert await titles(user, "garden is:archived") == []


async def search_pages(c: httpx.AsyncClient, q: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params = {"q": q, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = (await c.get("/api/chats/search", params=params)).json()
        pages.append([hit["chat"]["title"] for hit in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
