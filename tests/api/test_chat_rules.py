"""Chats: bad inputs refused clearly with nothing written, and user B never reaching A's data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confide.db.tables import Message
from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send, upstream
from tests.conftest import new_client, signup
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["upstream"]


async def _message_count(ctx: Context) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"content": "", "model": "fake-small"}, 422, "empty"),
        ({"content": "   \n ", "model": "fake-small"}, 422, "empty"),
        ({"content": "x" * 100_001, "model": "fake-small"}, 422, "content"),
        ({"content": "hi"}, 422, "model"),
        ({"content": "hi", "model": "fake-small", "models": ["fake-small"]}, 422, "model"),
        ({"content": "hi", "models": []}, 400, "models"),
        ({"content": "hi", "models": ["fake-small", "fake-small"]}, 400, "different"),
        ({"content": "hi", "model": "no-such-model"}, 404, "Unknown model"),
        ({"content": "hi", "model": "fake-small", "parent_id": "0" * 32}, 404, "Parent"),
        ({"content": "hi", "model": "fake-small", "role": "system"}, 422, "role"),
        (
            {"content": "hi", "model": "fake-small", "params": {"temperature": 9}},
            422,
            "temperature",
        ),
        ({"model": "fake-small"}, 422, "parent_id"),
    ],
)
async def test_bad_messages_are_refused_and_nothing_is_written(
    ctx: Context,
    user: httpx.AsyncClient,
    upstream: FakeOpenAI,
    body: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    chat_id = await new_chat(user)
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code == status, response.text
    assert needle.lower() in response.json()["detail"].lower()
    assert await _message_count(ctx) == 0


async def test_a_one_megabyte_message_is_refused(ctx: Context, user: httpx.AsyncClient) -> None:
    chat_id = await new_chat(user)
    body = {"content": "x" * 1_000_000, "model": "fake-small"}
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code == 422
    assert await _message_count(ctx) == 0


async def test_regenerate_needs_a_user_message(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="q")
    await finished(ctx, sent)
    response = await user.post(
        f"/api/chats/{chat_id}/messages",
        json={"model": "fake-small", "parent_id": sent["assistant_message_ids"][0]},
    )
    assert response.status_code == 400


async def test_parent_from_another_chat_is_404(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    one, two = await new_chat(user), await new_chat(user)
    sent = await send(user, one, content="q")
    await finished(ctx, sent)
    before = await _message_count(ctx)
    response = await user.post(
        f"/api/chats/{two}/messages",
        json={"content": "x", "model": "fake-small", "parent_id": sent["user_message_id"]},
    )
    assert response.status_code == 404
    assert await _message_count(ctx) == before


async def test_chat_list_pages_newest_first(user: httpx.AsyncClient) -> None:
    ids = [await new_chat(user, f"Chat {n}") for n in range(5)]
    first = (await user.get("/api/chats", params={"limit": 3})).json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:3]
    rest = (
        await user.get("/api/chats", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert [c["id"] for c in rest["items"]] == ids[::-1][3:]
    assert rest["next_cursor"] is None
    assert (await user.get("/api/chats", params={"cursor": "junk"})).status_code == 400


async def test_rename_pin_archive_delete(user: httpx.AsyncClient) -> None:
    chat_id = await new_chat(user)
    changed = await user.patch(
        f"/api/chats/{chat_id}", json={"title": "<b>Plans</b>", "pinned": True, "archived": True}
    )
    assert changed.json()["title"] == "<b>Plans</b>"
    assert (await user.get("/api/chats")).json()["items"] == []
    archived = (await user.get("/api/chats", params={"archived": "true"})).json()["items"]
    assert [c["pinned"] for c in archived] == [True]
    assert (await user.delete(f"/api/chats/{chat_id}")).status_code == 204
    assert (await user.get(f"/api/chats/{chat_id}")).status_code == 404
    assert (await user.patch(f"/api/chats/{chat_id}", json={"title": ""})).status_code == 422


async def test_delete_a_message_and_its_replies(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="q")
    await finished(ctx, sent)
    gone = await user.delete(f"/api/chats/{chat_id}/messages/{sent['user_message_id']}")
    assert gone.status_code == 204
    chat = (await user.get(f"/api/chats/{chat_id}")).json()
    assert chat["messages"] == []
    assert chat["current_leaf_id"] is None


async def test_user_b_cannot_touch_user_as_chats(
    app: Any, ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user, "A's secret")
    sent = await send(user, chat_id, content="A's question")
    await finished(ctx, sent)
    reply, question = sent["assistant_message_ids"][0], sent["user_message_id"]
    async with new_client(app) as b:
        b_user = await signup(b, "b@example.com")
        await admin.post(f"/api/users/{b_user['id']}/approve")
        b_chat = await new_chat(b)
        attempts = [
            ("GET", f"/api/chats/{chat_id}", None),
            ("PATCH", f"/api/chats/{chat_id}", {"title": "pwned"}),
            ("PATCH", f"/api/chats/{b_chat}", {"current_leaf_id": reply}),
            ("DELETE", f"/api/chats/{chat_id}", None),
            ("POST", f"/api/chats/{chat_id}/messages", {"content": "x", "model": "fake-small"}),
            (
                "POST",
                f"/api/chats/{b_chat}/messages",
                {"content": "x", "model": "fake-small", "parent_id": question},
            ),
            (
                "POST",
                f"/api/chats/{b_chat}/messages",
                {"model": "fake-small", "parent_id": question},
            ),
            ("GET", f"/api/chats/{chat_id}/messages/{reply}/stream", None),
            ("GET", f"/api/chats/{b_chat}/messages/{reply}/stream", None),
            ("POST", f"/api/chats/{chat_id}/messages/{reply}/stop", None),
            ("DELETE", f"/api/chats/{chat_id}/messages/{question}", None),
        ]
        for method, path, body in attempts:
            response = await b.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
        assert (await b.get("/api/chats")).json()["items"][0]["id"] == b_chat
    chat = (await user.get(f"/api/chats/{chat_id}")).json()
    assert chat["title"] == "A's secret"
    assert [m["content"] for m in chat["messages"]] == ["A's question", "Hello, world!"]
