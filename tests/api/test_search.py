"""Search over sealed chats: the blind index finds candidates, the opened text confirms them;
words, as-you-type prefixes, filters, snippets, paging, bad queries and isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from confide.db.tables import SearchDoc, SearchFresh
from confide.services import search
from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send, upstream
from tests.api.test_folders import new_folder
from tests.api.test_tags_and_bulk import tag
from tests.fakes.openai_server import FakeOpenAI


async def find(c: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await c.get("/api/chats/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def titles(c: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    return [hit["chat"]["title"] for hit in (await find(c, q, **params))["items"]]


async def talk(
    c: httpx.AsyncClient, ctx: Context, fake: FakeOpenAI, title: str, said: str, reply: str
) -> str:
    chat = await new_chat(c, title)
    fake.script(chunks=[reply])
    await finished(ctx, await send(c, chat, content=said))
    return chat


async def test_words_in_titles_questions_and_replies(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    await talk(user, ctx, upstream, "Garden plans", "When to plant tomatoes?", "In late spring.")
    await talk(user, ctx, upstream, "Trip", "Pack for Zürich", "Bring a warm Jacket.")
    assert await titles(user, "garden") == ["Garden plans"]
    assert await titles(user, "TOMATOES") == ["Garden plans"]
    assert await titles(user, "spring ") == ["Garden plans"]  # a word of the reply
    assert await titles(user, "zurich jacket") == ["Trip"]  # accents and case fold
    assert await titles(user, "zurich tomatoes") == []  # every word must occur
    assert await titles(user, "nothing") == []


async def test_the_last_word_matches_as_you_type(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    await talk(user, ctx, upstream, "Animals", "Tell me about the quokka", "It smiles.")
    await talk(user, ctx, upstream, "Other", "quiet please", "Sure.")
    assert await titles(user, "quo") == ["Animals"]
    assert await titles(user, "quok") == ["Animals"]
    assert await titles(user, "quokk") == ["Animals"]
    assert await titles(user, "qu") == []  # under 3 letters: whole words only
    assert await titles(user, "quok ") == []  # a space ends the word: no prefix any more
    assert sorted(await titles(user, "qui")) == ["Other"]
    assert await titles(user, "about quo") == ["Animals"]


async def test_snippets_point_at_the_words(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    long_reply = (
        "Filler words. " * 30 + "The Platypus lays eggs, and a platypus is odd. " + "More. " * 30
    )
    chat = await talk(user, ctx, upstream, "Biology", "What is odd about mammals?", long_reply)
    (hit,) = (await find(user, "platypus eggs"))["items"]
    found = hit["found"]
    assert hit["chat"]["id"] == chat and found["message_id"] is not None
    assert found["snippet"].startswith("…") and found["snippet"].endswith("…")
    assert len(found["snippet"]) <= search.SNIPPET_CHARS + 2
    marked = [found["snippet"][s:e] for s, e in found["highlights"]]
    assert marked == ["Platypus", "eggs", "platypus"]
    (title_hit,) = (await find(user, "biology"))["items"]
    assert title_hit["found"]["message_id"] is None
    assert title_hit["found"]["snippet"] == "Biology"


async def test_stale_postings_never_show(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    chat = await talk(user, ctx, upstream, "Wombat notes", "wombats dig", "Yes, burrows.")
    await user.patch(f"/api/chats/{chat}", json={"title": "Renamed"})
    assert await titles(user, "notes") == []  # the old title is gone
    assert await titles(user, "renamed") == ["Renamed"]
    first = (await user.get(f"/api/chats/{chat}")).json()["messages"][0]["id"]
    assert (await user.delete(f"/api/chats/{chat}/messages/{first}")).status_code == 204
    assert await titles(user, "burrows") == []


async def test_filters(user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI) -> None:
    work = await new_folder(user, "Work Stuff")
    inside = await new_folder(user, "Inner", work)
    a = await talk(user, ctx, upstream, "Budget A", "budget numbers", "ok")
    b = await talk(user, ctx, upstream, "Budget B", "budget review", "ok")
    c = await talk(user, ctx, upstream, "Budget C", "budget party", "ok")
    await user.patch(f"/api/chats/{a}", json={"folder_id": inside})
    await tag(user, b, "Finance team")
    await user.patch(f"/api/chats/{c}", json={"archived": True})
    assert await titles(user, 'budget folder:"work stuff"') == ["Budget A"]  # sub-folders too
    assert await titles(user, "budget folder:nowhere") == []
    assert await titles(user, 'budget tag:"finance TEAM"') == ["Budget B"]
    assert await titles(user, "tag:nope budget") == []
    assert sorted(await titles(user, "budget is:active")) == ["Budget A", "Budget B"]
    assert await titles(user, "budget is:archived") == ["Budget C"]
    assert len(await titles(user, "budget model:fake-small")) == 3
    assert await titles(user, "budget model:other") == []
    assert len(await titles(user, "budget after:2000-01-01 before:2999-12-31")) == 3
    assert await titles(user, "budget before:2000-01-01") == []
    assert sorted(await titles(user, 'tag:"Finance team"')) == ["Budget B"]  # filters alone


async def test_paging_through_many_hits(user: httpx.AsyncClient) -> None:
    made = [await new_chat(user, f"Meeting {i}") for i in range(25)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await find(user, "meeting", limit=10, **({"cursor": cursor} if cursor else {}))
        seen += [hit["chat"]["id"] for hit in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]


async def test_more_candidates_than_one_request_opens(
    user: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefix candidates that do not really match use up the request's budget; the cursor
    carries on from there rather than answering "no more"."""
    monkeypatch.setattr(search, "MAX_EXAMINED", 5)
    target = await new_chat(user, "zebra")
    for i in range(8):
        await new_chat(user, f"zebu {i}")
    page = await find(user, "zebr", limit=5)
    assert page["items"] == [] and page["next_cursor"]
    page = await find(user, "zebr", limit=5, cursor=page["next_cursor"])
    assert [hit["chat"]["id"] for hit in page["items"]] == [target]


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"q": 'tag:"unclosed'}, 400, "quote"),
        ({"q": "budget after:yesterday"}, 400, "2026-01-31"),
        ({"q": "is:deleted"}, 400, "archived"),
        ({"q": " ".join(f"w{i}" for i in range(13))}, 400, "12 words"),
        ({"q": ""}, 422, ""),
        ({"q": "x" * 501}, 422, ""),
        ({"q": "x", "limit": 51}, 422, ""),
        ({"q": "x", "cursor": "not-a-cursor"}, 400, "cursor"),
        ({}, 422, ""),
    ],
)
async def test_bad_searches_get_clear_errors(
    user: httpx.AsyncClient, params: dict[str, Any], status: int, says: str
) -> None:
    response = await user.get("/api/chats/search", params=params)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


async def test_nobody_finds_another_users_chats(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    await new_chat(admin, "Confidential merger Kangaroo")
    await new_chat(user, "My kangaroo drawing")
    assert await titles(user, "kangaroo") == ["My kangaroo drawing"]
    assert await titles(user, "merger") == []
    assert await titles(admin, "drawing") == []
    async with ctx.db.read() as session:
        postings = (await session.execute(select(SearchFresh.term, SearchFresh.doc))).all()
        docs = dict((await session.execute(select(SearchDoc.chat_id, SearchDoc.id))).all())
    by_doc: dict[int, set[int]] = {}
    for term, doc in postings:
        by_doc.setdefault(doc, set()).add(term)
    # The same word hashes differently for each user: nothing links their chats.
    assert len(docs) == 2 and not set.intersection(*by_doc.values())


async def test_older_chats_are_indexed_in_the_background(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    chat = await new_chat(user, "Written before search existed")
    async with ctx.db.write() as session:
        await session.execute(delete(SearchDoc).where(SearchDoc.chat_id == chat))
    assert await titles(user, "existed") == []
    assert await search.backfill(ctx, batch=1) == 1
    assert await titles(user, "existed") == ["Written before search existed"]
    assert await search.backfill(ctx) == 0


async def test_a_reply_to_a_deleted_chat_is_not_indexed(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    chat = await new_chat(user, "soon gone")
    upstream.script(chunks=["slow words"], delay=0.3)
    sent = await send(user, chat, content="hello")
    assert (await user.delete(f"/api/chats/{chat}")).status_code == 204
    await finished(ctx, sent)
    async with ctx.db.read() as session:
        assert (await session.scalars(select(SearchDoc))).all() == []


__all__ = ["upstream"]
