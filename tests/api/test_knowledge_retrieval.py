"""Retrieval from knowledge bases: searched with each file's owner's keys, only while the
asker may read the base, in `GET /api/files/search` and in chats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send, upstream  # noqa: F401
from tests.api.test_file_search import ANIMALS, COOKING, ready, search
from tests.api.test_knowledge import add, make, share, uid
from tests.api.test_presets import approved, group_with


@pytest.fixture
async def reader(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with approved(app, admin, "reader@example.com") as c:
        yield c


async def shared_base(ctx: Context, owner: httpx.AsyncClient, reader: httpx.AsyncClient) -> str:
    """A base of the owner's animals file, shared with `reader` to read."""
    animals = await ready(owner, ctx, "animals.md", ANIMALS)
    await ready(owner, ctx, "kitchen.md", COOKING)  # not in the base
    kid: str = (await make(owner))["id"]
    assert (await add(owner, kid, animals)).status_code == 201
    granted = await share(owner, kid, {"user_id": uid(reader), "permission": "read"})
    assert granted.status_code == 200, granted.text
    return kid


async def test_a_reader_searches_a_shared_base_until_the_grant_is_revoked(
    ctx: Context, user: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    kid = await shared_base(ctx, user, reader)
    [best, *_] = await search(reader, "what do otters eat?", knowledge_id=[kid])
    assert "crayfish" in best["text"] and best["file_name"] == "animals.md"
    [exact, *_] = await search(reader, "crayfish", knowledge_id=[kid])  # the owner's words
    assert "crayfish" in exact["text"]
    found = await search(reader, "sourdough bread", knowledge_id=[kid], limit=50)
    assert all("sourdough" not in item["text"] for item in found)  # only the base's files
    assert await search(reader, "what do otters eat?") == []  # not among the reader's own
    assert (await share(user, kid)).status_code == 200  # every grant withdrawn
    assert await search(reader, "what do otters eat?", knowledge_id=[kid]) == []


@pytest.mark.usefixtures("upstream")
async def test_a_shared_base_attached_in_a_chat_gives_the_reply_sources(
    ctx: Context, user: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    kid = await shared_base(ctx, user, reader)
    chat_id = await new_chat(reader)
    sent = await send(reader, chat_id, content="What do otters eat?", knowledge_ids=[kid])
    await finished(ctx, sent)
    asked, replied = (await reader.get(f"/api/chats/{chat_id}")).json()["messages"]
    assert asked["attachments"] == [{"kind": "knowledge", "id": kid, "name": "Quokka research"}]
    assert "crayfish" in replied["sources"][0]["text"]
    assert (await share(user, kid)).status_code == 200
    again = await send(reader, chat_id, content="And otters again?")  # still on the branch
    await finished(ctx, again)
    assert (await reader.get(f"/api/chats/{chat_id}")).json()["messages"][-1]["sources"] == []


async def preset_with(c: httpx.AsyncClient, kid: str, **body: Any) -> dict[str, Any]:
    payload = {"name": "Naturalist", "base_model": "fake-small", "knowledge_ids": [kid]}
    response = await c.post("/api/models/presets", json=payload | body)
    assert response.status_code == 201, response.text
    preset: dict[str, Any] = response.json()
    return preset


async def reply_sources(ctx: Context, c: httpx.AsyncClient, model: str) -> list[dict[str, Any]]:
    chat_id = await new_chat(c)
    sent = await send(c, chat_id, content="What do otters eat?", model=model)
    await finished(ctx, sent)
    sources: list[dict[str, Any]] = (await c.get(f"/api/chats/{chat_id}")).json()["messages"][-1][
        "sources"
    ]
    return sources


@pytest.mark.usefixtures("upstream")
async def test_a_presets_knowledge_bases_are_searched_for_those_who_may_read_them(
    ctx: Context, user: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    kid = await shared_base(ctx, user, reader)
    assert (await share(user, kid)).status_code == 200  # not shared with the reader yet
    preset = await preset_with(user, kid, visibility="everyone")
    assert preset["knowledge_ids"] == [kid]
    [first, *_] = await reply_sources(ctx, user, preset["model_id"])
    assert "crayfish" in first["text"]
    seen = (await reader.get(f"/api/models/presets/{preset['id']}")).json()
    assert seen["knowledge_ids"] == []  # the owner's eyes only
    assert await reply_sources(ctx, reader, preset["model_id"]) == []
    await share(user, kid, {"user_id": uid(reader), "permission": "read"})
    assert "crayfish" in (await reply_sources(ctx, reader, preset["model_id"]))[0]["text"]
    cleared = await user.patch(f"/api/models/presets/{preset['id']}", json={"knowledge_ids": []})
    assert cleared.status_code == 200 and cleared.json()["knowledge_ids"] == []
    assert await reply_sources(ctx, user, preset["model_id"]) == []


@pytest.mark.usefixtures("upstream")
async def test_a_preset_takes_only_knowledge_bases_its_owner_may_read(
    ctx: Context, user: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    kid = await shared_base(ctx, user, reader)
    theirs = (await make(reader))["id"]
    for bad in ([theirs], ["0" * 32]):
        body = {"name": "N", "base_model": "fake-small", "knowledge_ids": bad}
        refused = await user.post("/api/models/presets", json=body)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == "Knowledge base not found."
    preset = await preset_with(reader, kid)  # shared with the reader: theirs to use
    patched = await reader.patch(
        f"/api/models/presets/{preset['id']}", json={"knowledge_ids": [kid, theirs]}
    )
    assert patched.status_code == 200 and patched.json()["knowledge_ids"] == sorted([kid, theirs])
    too_many = await user.post(
        "/api/models/presets",
        json={"name": "N", "base_model": "fake-small", "knowledge_ids": ["x"] * 11},
    )
    assert too_many.status_code == 422


async def base_view(c: httpx.AsyncClient, kid: str) -> tuple[set[str], int]:
    got = (await c.get(f"/api/knowledge/{kid}")).json()
    return {f["name"] for f in got["files"]}, got["file_count"]


async def test_a_writers_files_leave_the_base_with_their_write_access(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """A writer who loses `write` can no longer take their files out, so the base stops using
    them at once (listed, counted, searched), whether the grant went, became `read`, or came
    through a group they left; granted `write` again, they are back."""
    kid = (await make(user))["id"]
    assert (await add(user, kid, await ready(user, ctx, "kitchen.md", COOKING))).status_code == 201
    writer_grant = {"user_id": uid(reader), "permission": "write"}
    assert (await share(user, kid, writer_grant)).status_code == 200
    animals = await ready(reader, ctx, "animals.md", ANIMALS)
    assert (await add(reader, kid, animals)).status_code == 201
    both = ({"kitchen.md", "animals.md"}, 2)
    assert await base_view(user, kid) == both
    [best, *_] = await search(user, "what do otters eat?", knowledge_id=[kid])
    assert best["file_name"] == "animals.md"

    async def only_the_owners() -> None:
        assert await base_view(user, kid) == ({"kitchen.md"}, 1)
        found = await search(user, "what do otters eat?", knowledge_id=[kid], limit=50)
        assert found and all(item["file_name"] == "kitchen.md" for item in found)

    assert (await share(user, kid, {**writer_grant, "permission": "read"})).status_code == 200
    await only_the_owners()
    assert await base_view(reader, kid) == ({"kitchen.md"}, 1)  # the reader sees the same
    assert (await share(user, kid)).status_code == 200
    await only_the_owners()
    gid = await group_with(admin, "Writers", user, reader)
    assert (await share(user, kid, {"group_id": gid, "permission": "write"})).status_code == 200
    assert await base_view(user, kid) == both  # back, through the group
    left = await admin.delete(f"/api/groups/{gid}/members/{uid(reader)}")
    assert left.status_code == 200, left.text
    await only_the_owners()
    # The writer's own file is untouched: still theirs, still searchable by them.
    [own, *_] = await search(reader, "what do otters eat?")
    assert own["file_name"] == "animals.md"
