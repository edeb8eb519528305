"""Import: Confide's own export (a round trip keeps every branch, tag and folder), ChatGPT's
and Open WebUI's; idempotent; each chat whole or not at all; hostile files refused cleanly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confide.db.tables import AuditEvent, Chat, Message
from confide.services import folders, tags
from confide.services.context import Context
from confide.services.import_formats import MAX_CHATS, MAX_MESSAGES, MAX_TEXT_CHARS
from tests.api import samples
from tests.api.test_chats import new_chat, upstream
from tests.api.test_export import branched_chat, download
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["upstream"]  # a fixture
JSON = {"content-type": "application/json"}


async def post_file(c: httpx.AsyncClient, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await c.post("/api/chats/import", content=content, headers=JSON)


async def imported(c: httpx.AsyncClient, body: Any) -> dict[str, Any]:
    response = await post_file(c, body)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def tree_of(c: httpx.AsyncClient, chat_id: str) -> dict[str, Any]:
    response = await c.get(f"/api/chats/{chat_id}", params={"tree": True})
    assert response.status_code == 200, response.text
    chat: dict[str, Any] = response.json()
    return chat


def shape(chat: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A chat's tree without its ids: each message with its parent's position."""
    position = {m["id"]: i for i, m in enumerate(chat["messages"])}
    return [
        (
            position.get(m["parent_id"]),
            m["role"],
            m["content"],
            m["model"],
            m["status"],
            m["finish_reason"],
            m["created_at"],
        )
        for m in chat["messages"]
    ]


def confide_file(*chats: dict[str, Any]) -> dict[str, Any]:
    return {"format": "confide.chats", "version": 1, "exported_at": None, "chats": list(chats)}


def small_chat(chat_id: str, title: str = "Small", **changes: Any) -> dict[str, Any]:
    chat = {
        "id": chat_id,
        "title": title,
        "created_at": "2025-03-01T10:00:00Z",
        "updated_at": "2025-03-01T10:01:00Z",
        "pinned": False,
        "archived": False,
        "folder": None,
        "tags": [],
        "current_leaf_id": "m2",
        "messages": [
            {"id": "m1", "parent_id": None, "role": "user", "content": "Hello there"},
            {"id": "m2", "parent_id": "m1", "role": "assistant", "content": "General Kenobi"},
        ],
    }
    chat.update(changes)
    return chat


async def chat_count(ctx: Context) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Chat)) or 0)


# --- Confide's own format --------------------------------------------------------------------


async def test_round_trip_into_another_account(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    await user.patch(f"/api/chats/{made['id']}", json={"pinned": True})
    other = await new_chat(user, "Plain")
    exported = (await download(user, "/api/chats/export")).content
    report = await imported(admin, exported)
    assert (report["format"], report["imported"], report["skipped"], report["failed"]) == (
        "confide",
        2,
        0,
        0,
    )
    by_title = {r["title"]: r for r in report["results"]}
    assert set(by_title) == {"Trip <b>plans</b>", "Plain"}
    assert all(r["status"] == "imported" and r["error"] is None for r in report["results"])
    copy = await tree_of(admin, by_title["Trip <b>plans</b>"]["chat_id"])
    original = await tree_of(user, made["id"])
    assert copy["id"] != original["id"]
    assert shape(copy) == shape(original)  # every branch, in order, with times and models
    leaf = [m["id"] for m in original["messages"]].index(original["current_leaf_id"])
    assert copy["current_leaf_id"] == copy["messages"][leaf]["id"]
    for key in ("title", "tags", "pinned", "archived", "created_at", "updated_at"):
        assert copy[key] == original[key], key
    folders_there = {f["id"]: f for f in (await admin.get("/api/folders")).json()}
    inner = folders_there[copy["folder_id"]]
    assert inner["name"] == "Project <X>"
    assert folders_there[inner["parent_id"]]["name"] == "Work"
    assert (await tree_of(admin, by_title["Plain"]["chat_id"]))["messages"] == []
    assert other not in {r["chat_id"] for r in report["results"]}


async def test_importing_twice_skips(admin: httpx.AsyncClient, ctx: Context) -> None:
    file = confide_file(small_chat("a" * 32, "One"), small_chat("b" * 32, "Two"))
    first = await imported(admin, file)
    assert first["imported"] == 2
    again = await imported(admin, file)
    assert (again["imported"], again["skipped"], again["failed"]) == (0, 2, 0)
    assert [r["chat_id"] for r in again["results"]] == [r["chat_id"] for r in first["results"]]
    assert await chat_count(ctx) == 2


async def test_my_own_export_back_into_my_account_is_skipped(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    chat_id = await new_chat(user, "Mine")
    report = await imported(user, (await download(user, "/api/chats/export")).content)
    assert report["results"] == [
        {"index": 0, "title": "Mine", "status": "skipped", "chat_id": chat_id, "error": None}
    ]
    assert await chat_count(ctx) == 1


async def test_imported_chats_are_mine_whatever_the_file_says(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context
) -> None:
    users_chat = await new_chat(user, "User's own")
    owui = samples.openwebui_chat()
    owui["user_id"] = user.user["id"]  # type: ignore[attr-defined]
    file = confide_file(small_chat(users_chat, "Claims the user's chat id"))
    for body in (owui, file):
        report = await imported(admin, body)
        assert report["imported"] == 1, report
    async with ctx.db.read() as session:
        owners = (await session.execute(select(Chat.user_id, Chat.id))).all()
    admin_id = admin.user["id"]  # type: ignore[attr-defined]
    assert sorted(o for o, _ in owners) == sorted([user.user["id"], admin_id, admin_id])  # type: ignore[attr-defined]
    assert (await tree_of(user, users_chat))["title"] == "User's own"
    listed = (await user.get("/api/chats")).json()["items"]
    assert [c["id"] for c in listed] == [users_chat]


async def test_imported_chats_are_sealed_and_searchable(
    admin: httpx.AsyncClient, ctx: Context
) -> None:
    chat = small_chat("c" * 32, "Zanzibar holidays")
    chat["messages"][0]["content"] = "Quokkas everywhere"
    await imported(admin, confide_file(chat))
    async with ctx.db.read() as session:
        (title,) = (await session.scalars(select(Chat.title))).all()
        contents = (await session.scalars(select(Message.content))).all()
    assert b"Zanzibar" not in title and all(b"Quokka" not in c for c in contents)
    for q in ("zanzibar", "quokkas", "kenobi", "quok"):
        found = (await admin.get("/api/chats/search", params={"q": q})).json()["items"]
        assert [h["chat"]["title"] for h in found] == ["Zanzibar holidays"], q


async def test_html_in_titles_is_kept_as_text(admin: httpx.AsyncClient) -> None:
    title = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    report = await imported(admin, confide_file(small_chat("d" * 32, title)))
    assert report["results"][0]["title"] == title
    assert (await tree_of(admin, report["results"][0]["chat_id"]))["title"] == title


async def test_import_is_audited_with_counts(admin: httpx.AsyncClient, ctx: Context) -> None:
    bad = small_chat("e" * 32, "Secret title")
    bad["messages"][0]["role"] = "wizard"
    await imported(admin, confide_file(small_chat("f" * 32, "Secret title"), bad))
    async with ctx.db.read() as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "chats.import"))
    assert event is not None
    assert event.detail == {"format": "confide", "imported": 1, "skipped": 0, "failed": 1}
    assert event.actor_id == admin.user["id"]  # type: ignore[attr-defined]


# --- ChatGPT and Open WebUI ------------------------------------------------------------------


async def test_chatgpt_conversations(admin: httpx.AsyncClient) -> None:
    report = await imported(admin, samples.chatgpt_export())
    assert (report["format"], report["imported"]) == ("chatgpt", 2)
    first = await tree_of(admin, report["results"][0]["chat_id"])
    assert first["title"] == "Capital <i>of</i> France"
    assert first["created_at"].startswith("2023-11-14T22:13:20")
    got = [(m["role"], m["content"], m["model"]) for m in first["messages"]]
    assert got == [
        ("user", "What is the capital of France?", None),
        ("assistant", "Paris.", "gpt-4o"),
        ("assistant", "Paris, for sure.", "gpt-4o"),  # the tool call between is left out
        ("assistant", "It is Paris.", "gpt-4o-mini"),
        ("user", "[image]\n\nAnd this?", None),
        ("assistant", "A croissant.", "gpt-4o"),  # the code run after it is left out
    ]
    ids = [m["id"] for m in first["messages"]]
    parents = [ids.index(m["parent_id"]) if m["parent_id"] else None for m in first["messages"]]
    assert parents == [None, 0, 1, 0, 3, 4]  # two branches under the question
    assert first["current_leaf_id"] == ids[5]
    assert first["messages"][1]["finish_reason"] == "stop"
    current = (await admin.get(f"/api/chats/{first['id']}")).json()
    assert [m["content"] for m in current["messages"]][-1] == "A croissant."
    again = await imported(admin, samples.chatgpt_export())
    assert again["skipped"] == 2


async def test_openwebui_one_chat_and_all_chats(admin: httpx.AsyncClient) -> None:
    one = await imported(admin, samples.openwebui_chat())
    assert (one["format"], one["imported"]) == ("openwebui", 1)
    chat = await tree_of(admin, one["results"][0]["chat_id"])
    assert chat["title"] == "Fruit quiz" and chat["pinned"] is True and chat["tags"] == ["quiz"]
    assert chat["created_at"].startswith("2024-03-09T16:00:00")
    got = [(m["role"], m["content"], m["parent_id"] is None) for m in chat["messages"]]
    assert got == [
        ("user", "Name a red fruit.", True),
        ("assistant", "A strawberry.", False),
        ("user", "Name a yellow fruit.", True),  # the edit: a second root
        ("assistant", "A banana.", False),
    ]
    assert chat["current_leaf_id"] == chat["messages"][3]["id"]
    assert chat["messages"][3]["model"] == "llama3.1:8b"
    everything = await imported(admin, samples.openwebui_export_all())
    assert [r["status"] for r in everything["results"]] == ["skipped", "imported"]
    listed = await admin.get("/api/chats", params={"limit": 10})
    assert len(listed.json()["items"]) == 2


# --- partial failure and per-chat errors -----------------------------------------------------


def _bad_chats() -> list[tuple[dict[str, Any], str]]:
    too_long = small_chat("1" * 32)
    too_long["messages"][0]["content"] = "x" * (MAX_TEXT_CHARS + 1)
    unknown_role = small_chat("2" * 32)
    unknown_role["messages"][1]["role"] = "wizard"
    dangling = small_chat("3" * 32)
    dangling["messages"][1]["parent_id"] = "nowhere"
    cycle = small_chat("4" * 32)
    cycle["messages"][0]["parent_id"] = "m2"
    wrong_type = small_chat("5" * 32)
    wrong_type["messages"][0]["content"] = {"text": "hi"}
    missing = small_chat("6" * 32)
    del missing["messages"][0]["role"]
    many = small_chat("7" * 32)
    many["messages"] = [
        {"id": f"m{i}", "parent_id": f"m{i - 1}" if i else None, "role": "user", "content": "x"}
        for i in range(MAX_MESSAGES + 1)
    ]
    return [
        (too_long, 'Message "m1" is longer than 100,000 characters.'),
        (unknown_role, 'Message "m2" has the role "wizard", which Confide does not know'),
        (dangling, 'Message "m2" answers "nowhere", which is not in the chat.'),
        (cycle, "is in a cycle of messages answering each other."),
        (wrong_type, 'Message "m1": "content" must be text, not an object.'),
        (missing, 'Message "m1" has no "role".'),
        (many, f"at most {MAX_MESSAGES}"),
        (small_chat("8" * 32, "x" * 201), "The title is longer than 200 characters."),
        (small_chat("9" * 32, "Bad\x00title"), "contains a NUL character."),
        (small_chat("a1" * 16, tags=["ok", 3]), '"tags" must be a list of names.'),
        (small_chat("a2" * 16, pinned="yes"), '"pinned" must be true or false.'),
        (small_chat("a3" * 16, created_at="yesterday"), "created_at is not a date and time."),
        (small_chat("a4" * 16, folder=["a"] * 11), "at most 10 levels deep."),
    ]


async def test_one_bad_chat_never_stops_the_others(admin: httpx.AsyncClient, ctx: Context) -> None:
    bad = _bad_chats()
    chats = [small_chat("f0" * 16, "Good first")]
    chats += [chat for chat, _ in bad]
    chats += ["not a chat", small_chat("f1" * 16, "Good last")]
    report = await imported(admin, confide_file(*chats))
    assert (report["imported"], report["failed"]) == (2, len(bad) + 1)
    results = report["results"]
    assert [r["index"] for r in results] == list(range(len(chats)))
    assert results[0]["status"] == results[-1]["status"] == "imported"
    for result, (_, message) in zip(results[1:-2], bad, strict=True):
        assert result["status"] == "failed" and result["chat_id"] is None
        assert message in result["error"], (result["error"], message)
    assert results[-2]["error"] == "The chat must be a JSON object, not text."
    assert await chat_count(ctx) == 2
    async with ctx.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 4


async def test_a_chat_over_a_limit_is_left_out_whole(
    admin: httpx.AsyncClient, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folder and tag limits are checked as each chat is written; one over them is rolled
    back entirely (no half-made folders, no messages) and the rest still go in."""
    monkeypatch.setattr(folders, "MAX_FOLDERS", 2)
    monkeypatch.setattr(tags, "MAX_TAGS", 2)
    file = confide_file(
        small_chat("c1" * 16, "In two folders", folder=["A", "B"], tags=["t1"]),
        small_chat("c2" * 16, "A third folder", folder=["A", "C"]),
        small_chat("c3" * 16, "Too many tags", tags=["t1", "t2", "t3"]),
        small_chat("c4" * 16, "Reuses them", folder=["A", "B"], tags=["T1", "t2"]),
    )
    report = await imported(admin, file)
    assert [r["status"] for r in report["results"]] == ["imported", "failed", "failed", "imported"]
    assert "2 folders, the most there can be" in report["results"][1]["error"]
    assert "2 tags, the most there can be" in report["results"][2]["error"]
    assert len((await admin.get("/api/folders")).json()) == 2
    assert sorted(t["name"] for t in (await admin.get("/api/tags")).json()) == ["t1", "t2"]
    last = await tree_of(admin, report["results"][3]["chat_id"])
    first = await tree_of(admin, report["results"][0]["chat_id"])
    assert last["folder_id"] == first["folder_id"] and last["tags"] == ["t1", "t2"]
    assert await chat_count(ctx) == 2


# --- hostile files ---------------------------------------------------------------------------


async def refused(c: httpx.AsyncClient, body: Any, status: int, *words: str) -> None:
    response = await post_file(c, body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    for word in words:
        assert word in detail, detail


async def test_not_json_unknown_format_and_deep_nesting(
    admin: httpx.AsyncClient, ctx: Context
) -> None:
    await refused(admin, b"this is not json", 400, "not valid JSON")
    await refused(admin, b"\xff\xfe\x00", 400, "UTF-8")
    await refused(admin, b'{"a": NaN}', 400, "not valid JSON")
    await refused(admin, {"hello": "world"}, 400, "ChatGPT", "Open WebUI", "confide.chats")
    await refused(admin, [1, 2, 3], 400, "not a chat export")
    await refused(admin, "just a string", 400, "not a chat export")
    await refused(admin, {"format": "confide.chats", "version": 99}, 400, "version 99")
    await refused(admin, {"format": "confide.chats", "version": 1, "chats": {}}, 400, "chats")
    for depth in (100_000, 5_000):
        await refused(admin, b"[" * depth + b"]" * depth, 400, "nests too deeply")
    deep_inside = b'[{"mapping": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}]"
    await refused(admin, deep_inside, 400, "nests too deeply")
    assert await chat_count(ctx) == 0


async def test_empty_file_imports_nothing(admin: httpx.AsyncClient) -> None:
    report = await imported(admin, [])
    assert (report["imported"], report["skipped"], report["failed"], report["results"]) == (
        0,
        0,
        0,
        [],
    )


async def test_too_many_chats_in_one_file(admin: httpx.AsyncClient, ctx: Context) -> None:
    body = [{"mapping": {}}] * (MAX_CHATS + 1)
    await refused(admin, body, 400, f"at most {MAX_CHATS}")
    assert await chat_count(ctx) == 0


async def test_a_100_mb_file_is_refused_before_it_is_read(admin: httpx.AsyncClient) -> None:
    response = await post_file(admin, b" " * (100 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than the limit of 50 MiB."


async def test_only_the_import_gets_the_larger_limit(user: httpx.AsyncClient) -> None:
    """30 MB: fine for an import (50 MB), too large for anything else (25 MB)."""
    big = json.dumps(confide_file(small_chat("ab" * 16, "Big", messages=[]))).encode()
    big = big[:-1] + b" " * (30 * 1024 * 1024) + b"}"
    assert (await post_file(user, big)).status_code == 200
    other = await user.post("/api/chats", content=big, headers=JSON)
    assert other.status_code == 413
    assert "25 MiB" in other.json()["detail"]


class TestStreamedBodies:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"import_max_bytes": 4096}

    async def test_a_chunked_body_over_the_limit_is_cut_off(
        self, admin: httpx.AsyncClient, ctx: Context
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"format": "confide.chats", "version": 1, "chats": ['
            for _ in range(100):
                yield json.dumps(small_chat("cd" * 16)).encode() + b","

        response = await admin.post("/api/chats/import", content=chunks(), headers=JSON)
        assert response.status_code == 413
        assert (
            response.json()["detail"] == "The request body is larger than the limit of 4096 bytes."
        )
        assert await chat_count(ctx) == 0


async def test_imports_are_rate_limited(admin: httpx.AsyncClient) -> None:
    statuses = [(await post_file(admin, [])).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    limited = await post_file(admin, [])
    assert int(limited.headers["retry-after"]) > 0
