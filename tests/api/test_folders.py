"""Folders of chats: a tree per user, with rename, move (no cycles), and delete that moves the
chats out or deletes them; names are sealed at rest."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from confide.db.tables import Chat, Folder
from confide.services.context import Context
from confide.services.folders import MAX_DEPTH
from tests.api.test_chats import new_chat


async def new_folder(c: httpx.AsyncClient, name: str, parent_id: str | None = None) -> str:
    response = await c.post("/api/folders", json={"name": name, "parent_id": parent_id})
    assert response.status_code == 201, response.text
    folder_id: str = response.json()["id"]
    return folder_id


async def folder_of(c: httpx.AsyncClient, chat_id: str) -> str | None:
    response = await c.get(f"/api/chats/{chat_id}")
    assert response.status_code == 200, response.text
    folder_id: str | None = response.json()["folder_id"]
    return folder_id


async def listed(c: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await c.get("/api/chats", params=params)
    assert response.status_code == 200, response.text
    return [chat["id"] for chat in response.json()["items"]]


async def test_a_tree_of_folders_listed_by_name(user: httpx.AsyncClient) -> None:
    work = await new_folder(user, "Work")
    await new_folder(user, "archive  2024 ")  # spacing tidied
    project = await new_folder(user, "Project X", work)
    folders = (await user.get("/api/folders")).json()
    assert [(f["name"], f["parent_id"]) for f in folders] == [
        ("archive 2024", None),
        ("Project X", work),
        ("Work", None),
    ]
    assert {f["id"] for f in folders} >= {work, project}


async def test_names_are_sealed_at_rest(user: httpx.AsyncClient, ctx: Context) -> None:
    await new_folder(user, "Tax fraud evidence")
    async with ctx.db.read() as session:
        (stored,) = (await session.scalars(select(Folder.name))).all()
    assert b"Tax fraud" not in stored


async def test_rename_and_move_and_back_to_the_top(user: httpx.AsyncClient) -> None:
    a, b = await new_folder(user, "A"), await new_folder(user, "B")
    renamed = await user.patch(f"/api/folders/{a}", json={"name": "Alpha"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Alpha"
    moved = await user.patch(f"/api/folders/{a}", json={"parent_id": b})
    assert moved.json()["parent_id"] == b and moved.json()["name"] == "Alpha"
    top = await user.patch(f"/api/folders/{a}", json={"parent_id": None})
    assert top.json()["parent_id"] is None
    unchanged = await user.patch(f"/api/folders/{a}", json={})  # nothing given: nothing moves
    assert unchanged.json()["parent_id"] is None


async def test_a_folder_cannot_go_inside_itself(user: httpx.AsyncClient) -> None:
    top = await new_folder(user, "top")
    middle = await new_folder(user, "middle", top)
    bottom = await new_folder(user, "bottom", middle)
    for target in (top, bottom):
        response = await user.patch(f"/api/folders/{top}", json={"parent_id": target})
        assert response.status_code == 400
        assert "inside itself" in response.json()["detail"]
    folders = {f["id"]: f["parent_id"] for f in (await user.get("/api/folders")).json()}
    assert folders == {top: None, middle: top, bottom: middle}


async def test_nesting_is_bounded(user: httpx.AsyncClient) -> None:
    parent = None
    for level in range(MAX_DEPTH):
        parent = await new_folder(user, f"level {level}", parent)
    too_deep = await user.post("/api/folders", json={"name": "one more", "parent_id": parent})
    assert too_deep.status_code == 400 and "levels deep" in too_deep.json()["detail"]
    # Moving a two-level subtree under the deepest folder would also go too deep.
    other = await new_folder(user, "other")
    await new_folder(user, "inside other", other)
    first = (await user.get("/api/folders")).json()
    level_8 = next(f["id"] for f in first if f["name"] == f"level {MAX_DEPTH - 2}")
    response = await user.patch(f"/api/folders/{other}", json={"parent_id": level_8})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": 7},
        {"name": "ok", "user_id": "someone"},
        {"name": "ok", "parent_id": "x" * 65},
    ],
)
async def test_bad_folders_are_refused(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await user.post("/api/folders", json=body)
    assert response.status_code == 422, response.text
    assert (await user.get("/api/folders")).json() == []


async def test_an_unknown_parent_is_not_found(user: httpx.AsyncClient) -> None:
    response = await user.post("/api/folders", json={"name": "x", "parent_id": "nope"})
    assert response.status_code == 404 and response.json()["detail"] == "Folder not found."


async def test_chats_move_in_and_out_and_list_by_folder(user: httpx.AsyncClient) -> None:
    folder = await new_folder(user, "Recipes")
    inside = await new_chat(user, "Soup")
    outside = await new_chat(user, "Loose")
    created_in = await user.post("/api/chats", json={"title": "Bread", "folder_id": folder})
    assert created_in.status_code == 201 and created_in.json()["folder_id"] == folder
    moved = await user.patch(f"/api/chats/{inside}", json={"folder_id": folder})
    assert moved.status_code == 200 and moved.json()["folder_id"] == folder
    assert set(await listed(user, folder_id=folder)) == {inside, created_in.json()["id"]}
    assert await listed(user, folder_id="none") == [outside]
    assert len(await listed(user)) == 3  # no filter: every chat
    renamed = await user.patch(f"/api/chats/{inside}", json={"title": "Soups"})
    assert renamed.json()["folder_id"] == folder  # not given: stays where it is
    out = await user.patch(f"/api/chats/{inside}", json={"folder_id": None})
    assert out.json()["folder_id"] is None


async def test_delete_moves_the_chats_to_the_parent(user: httpx.AsyncClient) -> None:
    top = await new_folder(user, "top")
    doomed = await new_folder(user, "doomed", top)
    below = await new_folder(user, "below doomed", doomed)
    a = (await user.post("/api/chats", json={"folder_id": doomed})).json()["id"]
    b = (await user.post("/api/chats", json={"folder_id": below})).json()["id"]
    response = await user.delete(f"/api/folders/{doomed}")
    assert response.status_code == 204
    assert [f["id"] for f in (await user.get("/api/folders")).json()] == [top]
    assert await folder_of(user, a) == top and await folder_of(user, b) == top


async def test_delete_with_its_chats(user: httpx.AsyncClient) -> None:
    doomed = await new_folder(user, "doomed")
    below = await new_folder(user, "below", doomed)
    gone = [
        (await user.post("/api/chats", json={"folder_id": f})).json()["id"] for f in (doomed, below)
    ]
    kept = await new_chat(user, "kept")
    response = await user.delete(f"/api/folders/{doomed}", params={"chats": "delete"})
    assert response.status_code == 204
    for chat_id in gone:
        assert (await user.get(f"/api/chats/{chat_id}")).status_code == 404
    assert await listed(user) == [kept]
    assert (await user.get("/api/folders")).json() == []


async def test_delete_refuses_an_unknown_mode(user: httpx.AsyncClient) -> None:
    folder = await new_folder(user, "stays")
    response = await user.delete(f"/api/folders/{folder}", params={"chats": "shred"})
    assert response.status_code == 422
    assert len((await user.get("/api/folders")).json()) == 1


async def test_another_users_folder_is_not_found(
    user: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    theirs = await new_folder(admin, "Admin's secrets")
    mine = await new_chat(user, "mine")
    my_folder = await new_folder(user, "mine")
    attempts = [
        user.patch(f"/api/folders/{theirs}", json={"name": "pwned"}),
        user.delete(f"/api/folders/{theirs}"),
        user.post("/api/folders", json={"name": "x", "parent_id": theirs}),
        user.patch(f"/api/folders/{my_folder}", json={"parent_id": theirs}),
        user.patch(f"/api/chats/{mine}", json={"folder_id": theirs}),
        user.post("/api/chats", json={"folder_id": theirs}),
        user.get("/api/chats", params={"folder_id": theirs}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404, response.text
    assert [f["name"] for f in (await admin.get("/api/folders")).json()] == ["Admin's secrets"]
    assert await folder_of(user, mine) is None


async def counts(c: httpx.AsyncClient) -> dict[str, tuple[int, int]]:
    folders = (await c.get("/api/folders")).json()
    return {f["id"]: (f["chats"], f["archived_chats"]) for f in folders}


async def test_each_folder_counts_the_chats_directly_in_it(user: httpx.AsyncClient) -> None:
    work = await new_folder(user, "Work")
    inside = await new_folder(user, "Inside work", work)
    empty = await new_folder(user, "Empty")
    a = (await user.post("/api/chats", json={"folder_id": work})).json()["id"]
    b = (await user.post("/api/chats", json={"folder_id": work})).json()["id"]
    deep = (await user.post("/api/chats", json={"folder_id": inside})).json()["id"]
    await new_chat(user, "in no folder")
    assert await counts(user) == {work: (2, 0), inside: (1, 0), empty: (0, 0)}

    await user.patch(f"/api/chats/{a}", json={"folder_id": empty})  # moved
    assert await counts(user) == {work: (1, 0), inside: (1, 0), empty: (1, 0)}
    await user.patch(f"/api/chats/{b}", json={"archived": True})  # archived: counted apart
    assert await counts(user) == {work: (0, 1), inside: (1, 0), empty: (1, 0)}
    assert (await user.delete(f"/api/chats/{deep}")).status_code == 204
    assert await counts(user) == {work: (0, 1), inside: (0, 0), empty: (1, 0)}
    bulk = {"chat_ids": [a], "action": "move", "folder_id": inside}
    assert (await user.post("/api/chats/bulk", json=bulk)).status_code == 200
    assert await counts(user) == {work: (0, 1), inside: (1, 0), empty: (0, 0)}


async def test_a_renamed_or_moved_folder_keeps_its_count(user: httpx.AsyncClient) -> None:
    top, folder = await new_folder(user, "top"), await new_folder(user, "folder")
    await user.post("/api/chats", json={"folder_id": folder})
    renamed = (await user.patch(f"/api/folders/{folder}", json={"name": "renamed"})).json()
    moved = (await user.patch(f"/api/folders/{folder}", json={"parent_id": top})).json()
    created = (await user.post("/api/folders", json={"name": "new"})).json()
    assert (renamed["chats"], moved["chats"], created["chats"]) == (1, 1, 0)


async def test_counts_follow_a_deleted_folder_s_chats(user: httpx.AsyncClient) -> None:
    top = await new_folder(user, "top")
    doomed = await new_folder(user, "doomed", top)
    await user.post("/api/chats", json={"folder_id": doomed})
    await user.post("/api/chats", json={"folder_id": top})
    await user.delete(f"/api/folders/{doomed}")  # its chat moves up to `top`
    assert await counts(user) == {top: (2, 0)}
    await user.delete(f"/api/folders/{top}", params={"chats": "delete"})
    assert await counts(user) == {}


async def test_another_users_chats_are_never_counted(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    mine = await new_folder(user, "mine")
    theirs = await new_folder(admin, "theirs")
    await user.post("/api/chats", json={"folder_id": mine})
    for _ in range(3):
        await admin.post("/api/chats", json={"folder_id": theirs})
    # Even a chat of theirs pointing at my folder (never possible through the API) is not mine.
    async with ctx.db.write() as session:
        await session.execute(update(Chat).where(Chat.folder_id == theirs).values(folder_id=mine))
    assert await counts(user) == {mine: (1, 0)}
    assert await counts(admin) == {theirs: (0, 0)}
