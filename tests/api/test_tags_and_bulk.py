"""Tags on chats (sealed names, found through the blind index), bulk actions on a selection of
chats (all or nothing), and "delete all my chats"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confide.db.tables import AuditEvent, Tag
from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send, upstream
from tests.api.test_folders import listed, new_folder


async def tag(c: httpx.AsyncClient, chat_id: str, *names: str) -> list[str]:
    response = await c.put(f"/api/chats/{chat_id}/tags", json={"tags": list(names)})
    assert response.status_code == 200, response.text
    tags: list[str] = response.json()["tags"]
    return tags


async def my_tags(c: httpx.AsyncClient) -> list[tuple[str, int]]:
    return [(t["name"], t["chats"]) for t in (await c.get("/api/tags")).json()]


async def test_tags_on_chats_and_filtering(user: httpx.AsyncClient) -> None:
    soup, bread, loose = [await new_chat(user, t) for t in ("Soup", "Bread", "Loose")]
    assert await tag(user, soup, "Cooking", "urgent") == ["Cooking", "urgent"]
    assert await tag(user, bread, "cooking") == ["Cooking"]  # the same tag, first spelling
    assert await my_tags(user) == [("Cooking", 2), ("urgent", 1)]
    assert set(await listed(user, tag="COOKING")) == {soup, bread}
    assert set(await listed(user, tag="cóoking")) == {soup, bread}  # accents fold too
    assert await listed(user, tag="cookin") == []  # but a tag is matched whole
    assert await listed(user, tag="never used") == []
    chat = (await user.get(f"/api/chats/{soup}")).json()
    assert chat["tags"] == ["Cooking", "urgent"]
    assert {c["id"]: c["tags"] for c in (await user.get("/api/chats")).json()["items"]} == {
        soup: ["Cooking", "urgent"],
        bread: ["Cooking"],
        loose: [],
    }


async def test_accents_and_case_fold_to_one_tag(user: httpx.AsyncClient) -> None:
    chat = await new_chat(user)
    assert await tag(user, chat, "Café", "CAFE", " café ") == ["Café"]
    assert await my_tags(user) == [("Café", 1)]


async def test_unused_tags_go_away(user: httpx.AsyncClient, ctx: Context) -> None:
    a, b = await new_chat(user), await new_chat(user)
    await tag(user, a, "one", "two")
    await tag(user, b, "two")
    await tag(user, a)  # no tags any more
    assert await my_tags(user) == [("two", 1)]
    assert (await user.delete(f"/api/chats/{b}")).status_code == 204
    assert await my_tags(user) == []
    async with ctx.db.read() as session:
        assert (await session.scalars(select(Tag))).all() == []


async def test_deleting_a_tag_untags_every_chat(user: httpx.AsyncClient) -> None:
    a, b = await new_chat(user), await new_chat(user)
    await tag(user, a, "gone", "kept")
    await tag(user, b, "gone")
    (gone,) = [t["id"] for t in (await user.get("/api/tags")).json() if t["name"] == "gone"]
    assert (await user.delete(f"/api/tags/{gone}")).status_code == 204
    assert (await user.get(f"/api/chats/{a}")).json()["tags"] == ["kept"]
    assert (await user.get(f"/api/chats/{b}")).json()["tags"] == []
    assert (await user.delete(f"/api/tags/{gone}")).status_code == 404


async def test_tag_names_are_sealed(user: httpx.AsyncClient, ctx: Context) -> None:
    await tag(user, await new_chat(user), "Divorce lawyer")
    async with ctx.db.read() as session:
        (stored,) = (await session.scalars(select(Tag))).all()
    assert b"Divorce" not in stored.name


@pytest.mark.parametrize(
    "body",
    [
        {"tags": [""]},
        {"tags": ["x" * 51]},
        {"tags": "work"},
        {"tags": [["nested"]]},
        {"tags": ["ok"], "chat_id": "other"},
        {"tags": [f"t{i}" for i in range(21)]},
        {"tags": ["   "]},
    ],
)
async def test_bad_tags_are_refused(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    chat = await new_chat(user)
    await tag(user, chat, "before")
    response = await user.put(f"/api/chats/{chat}/tags", json=body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"]
    assert (await user.get(f"/api/chats/{chat}")).json()["tags"] == ["before"]


async def test_tags_of_others_stay_theirs(
    user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    theirs = await new_chat(admin, "Admin's")
    await tag(admin, theirs, "secret project")
    (tag_id,) = [t["id"] for t in (await admin.get("/api/tags")).json()]
    assert (await user.put(f"/api/chats/{theirs}/tags", json={"tags": ["x"]})).status_code == 404
    assert (await user.delete(f"/api/tags/{tag_id}")).status_code == 404
    assert await listed(user, tag="secret project") == []
    await tag(user, await new_chat(user), "secret project")  # the same name: a tag of mine
    assert await my_tags(admin) == [("secret project", 1)]
    assert await my_tags(user) == [("secret project", 1)]


async def test_bulk_archive_pin_move_and_delete(user: httpx.AsyncClient) -> None:
    ids = [await new_chat(user, f"chat {i}") for i in range(4)]
    folder = await new_folder(user, "Sorted")

    async def bulk(**body: Any) -> int:
        response = await user.post("/api/chats/bulk", json=body)
        assert response.status_code == 200, response.text
        count: int = response.json()["count"]
        return count

    assert await bulk(chat_ids=ids[:2], action="archive") == 2
    assert set(await listed(user, archived=True)) == set(ids[:2])
    assert await bulk(chat_ids=ids[:1], action="unarchive") == 1
    assert await bulk(chat_ids=[ids[2], ids[2]], action="pin") == 1  # each chat once
    assert (await user.get(f"/api/chats/{ids[2]}")).json()["pinned"] is True
    await bulk(chat_ids=ids[2:], action="move", folder_id=folder)
    assert set(await listed(user, folder_id=folder)) == set(ids[2:])
    await bulk(chat_ids=ids[3:], action="move", folder_id=None)
    assert await listed(user, folder_id=folder) == [ids[2]]
    assert await bulk(chat_ids=ids[:3], action="delete") == 3
    assert await listed(user) == [ids[3]] and await listed(user, archived=True) == []


async def test_bulk_is_all_or_nothing(user: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    mine = await new_chat(user, "mine")
    theirs = await new_chat(admin, "theirs")
    for action in ("archive", "delete", "pin"):
        response = await user.post(
            "/api/chats/bulk", json={"chat_ids": [mine, theirs], "action": action}
        )
        assert response.status_code == 404, response.text
    assert await listed(user) == [mine]
    assert (await user.get(f"/api/chats/{mine}")).json()["pinned"] is False
    assert await listed(admin) == [theirs]


@pytest.mark.parametrize(
    "body",
    [
        {"chat_ids": [], "action": "archive"},
        {"chat_ids": ["x"] * 501, "action": "archive"},
        {"chat_ids": ["x"], "action": "explode"},
        {"chat_ids": "x", "action": "archive"},
        {"chat_ids": ["x"], "action": "archive", "folder_id": None},
        {"chat_ids": ["x"], "action": "delete", "user_id": "y"},
    ],
)
async def test_bad_bulk_requests(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    chat = await new_chat(user)
    if isinstance(body["chat_ids"], list):  # real ids, so only the request's shape is wrong
        body = {**body, "chat_ids": [chat if i == "x" else i for i in body["chat_ids"]]}
    response = await user.post("/api/chats/bulk", json=body)
    assert response.status_code in (400, 422), response.text
    assert await listed(user) == [chat]


@pytest.mark.usefixtures("upstream")
async def test_delete_all_needs_confirmation(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    chats = [await new_chat(user, f"c{i}") for i in range(3)]
    await finished(ctx, await send(user, chats[0], content="hello"))
    await tag(user, chats[1], "x")
    await user.patch(f"/api/chats/{chats[2]}", json={"archived": True})
    theirs = await new_chat(admin, "theirs")
    refused = await user.delete("/api/chats")
    assert refused.status_code == 400 and "confirm=true" in refused.json()["detail"]
    assert len(await listed(user)) == 2
    done = await user.delete("/api/chats", params={"confirm": "true"})
    assert done.status_code == 200 and done.json() == {"count": 3}
    assert await listed(user) == [] and await listed(user, archived=True) == []
    assert await my_tags(user) == []
    assert await listed(admin) == [theirs]
    async with ctx.db.read() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "chats.delete_all")
        )
    assert event is not None and event.detail == {"chats": 3}


async def test_tags_per_user_are_bounded(
    user: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("confide.services.tags.MAX_TAGS", 3)
    a, b = await new_chat(user), await new_chat(user)
    await tag(user, a, "one", "two")
    await tag(user, b, "three")
    refused = await user.put(f"/api/chats/{b}/tags", json={"tags": ["three", "four"]})
    assert refused.status_code == 409 and "3 tags" in refused.json()["detail"]
    assert (await user.get(f"/api/chats/{b}")).json()["tags"] == ["three"]
    assert await tag(user, b, "four") == ["four"]  # "three" goes, so "four" fits


__all__ = ["upstream"]
