"""Chats and messages through the API, against a real fake upstream over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confide.app import build_context, close_context
from confide.db.tables import Message
from confide.services import replicas
from confide.services.context import Context
from tests.fakes.openai_server import FakeOpenAI

MODEL = "fake-small"


@pytest.fixture
async def upstream(admin: httpx.AsyncClient, fake_openai: FakeOpenAI) -> AsyncIterator[FakeOpenAI]:
    response = await admin.post(
        "/api/connections",
        json={"kind": "openai", "name": "Fake", "base_url": fake_openai.base_url},
    )
    assert response.status_code == 201, response.text
    yield fake_openai


async def new_chat(c: httpx.AsyncClient, title: str | None = None) -> str:
    response = await c.post("/api/chats", json={"title": title} if title else {})
    assert response.status_code == 201, response.text
    chat_id: str = response.json()["id"]
    return chat_id


async def send(c: httpx.AsyncClient, chat_id: str, **body: Any) -> dict[str, Any]:
    payload = {"model": MODEL, **body}
    response = await c.post(f"/api/chats/{chat_id}/messages", json=payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def finished(ctx: Context, sent: dict[str, Any]) -> None:
    for message_id in sent["assistant_message_ids"]:
        await ctx.runner.wait(message_id)


def events(text: str) -> list[tuple[str | None, str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            out.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return out


async def test_send_and_read_back(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="Say hello")
    assert sent["user_message_id"]
    assert len(sent["assistant_message_ids"]) == 1
    await finished(ctx, sent)
    chat = (await user.get(f"/api/chats/{chat_id}")).json()
    roles = [(m["role"], m["content"], m["status"]) for m in chat["messages"]]
    assert roles == [("user", "Say hello", "complete"), ("assistant", "Hello, world!", "complete")]
    reply = chat["messages"][1]
    assert reply["model"] == MODEL
    assert reply["finish_reason"] == "stop"
    assert reply["usage"]["completion_tokens"] > 0
    assert "first_token_ms" in reply["usage"]
    chat_calls = [r.json for r in upstream.requests if r.path.endswith("/chat/completions")]
    assert chat_calls[0]["messages"] == [{"role": "user", "content": "Say hello"}]
    assert chat_calls[0]["stream"] is True


async def test_follow_the_stream_and_resume(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["a", "b", "c", "d"], delay=0.01)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="go")
    reply_id = sent["assistant_message_ids"][0]
    url = f"/api/chats/{chat_id}/messages/{reply_id}/stream"
    full = events((await user.get(url)).text)
    assert "".join(d["text"] for _, kind, d in full if kind == "delta") == "abcd"
    assert full[-1][1] == "done"
    assert full[-1][2]["status"] == "complete"
    resumed = events((await user.get(url, headers={"last-event-id": "2"})).text)
    assert "".join(d["text"] for _, kind, d in resumed if kind == "delta") == "cd"


async def test_finished_reply_comes_as_a_snapshot(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="go")
    await finished(ctx, sent)
    ctx.broker.close(sent["assistant_message_ids"][0])
    ctx.broker._channels.clear()  # as after the replay window has passed
    url = f"/api/chats/{chat_id}/messages/{sent['assistant_message_ids'][0]}/stream"
    got = events((await user.get(url)).text)
    assert [kind for _, kind, _ in got] == ["snapshot", "done"]
    assert got[0][2]["text"] == "Hello, world!"


async def test_reply_survives_nobody_listening(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["x"] * 20, delay=0.005)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="long one")
    await finished(ctx, sent)
    messages = (await user.get(f"/api/chats/{chat_id}")).json()["messages"]
    assert messages[-1]["content"] == "x" * 20


async def test_stop_keeps_partial_text(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["y"] * 200, delay=0.01)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="go on")
    reply_id = sent["assistant_message_ids"][0]
    await _until_some_text(ctx, reply_id)
    assert (await user.post(f"/api/chats/{chat_id}/messages/{reply_id}/stop")).status_code == 204
    await finished(ctx, sent)
    reply = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    assert reply["status"] == "stopped"
    assert 0 < len(reply["content"]) < 200
    again = await user.post(f"/api/chats/{chat_id}/messages/{reply_id}/stop")
    assert again.status_code == 409


async def _until_some_text(ctx: Context, message_id: str) -> None:
    async for batch in ctx.broker.follow(message_id, 0):
        if any(e.kind == "delta" for e in batch):
            return


async def test_upstream_failure_ends_in_a_clear_error_and_chat_stays_usable(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["part"], abort_after=1)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="break")
    await finished(ctx, sent)
    reply = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    assert reply["status"] == "error"
    assert reply["error"]
    upstream.script(chunks=["fine"])
    again = await send(user, chat_id, content="again")
    await finished(ctx, again)
    assert (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]["content"] == "fine"


async def test_garbage_upstream_is_a_readable_error(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["ok"], malformed=b"data: {not json\n\n", done=False)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="x")
    await finished(ctx, sent)
    reply = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    assert reply["status"] == "error"
    assert "could not read" in reply["error"]


async def test_regenerate_edit_and_switch_branch(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    first = await send(user, chat_id, content="question")
    await finished(ctx, first)
    upstream.script(chunks=["second answer"])
    regen = await send(user, chat_id, parent_id=first["user_message_id"])
    assert regen["user_message_id"] is None
    await finished(ctx, regen)
    chat = (await user.get(f"/api/chats/{chat_id}")).json()
    assert chat["messages"][-1]["content"] == "second answer"
    assert chat["messages"][-1]["sibling_ids"] == [
        first["assistant_message_ids"][0],
        regen["assistant_message_ids"][0],
    ]
    upstream.script(chunks=["edited answer"])
    edit = await send(user, chat_id, content="better question", parent_id=None)
    await finished(ctx, edit)
    tree = (await user.get(f"/api/chats/{chat_id}", params={"tree": "true"})).json()
    assert len(tree["messages"]) == 5
    switched = await user.patch(
        f"/api/chats/{chat_id}", json={"current_leaf_id": first["assistant_message_ids"][0]}
    )
    assert switched.status_code == 200
    branch = (await user.get(f"/api/chats/{chat_id}")).json()["messages"]
    assert [m["content"] for m in branch] == ["question", "Hello, world!"]


async def test_editing_the_first_message_starts_a_sibling_root(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    first = await send(user, chat_id, content="first try")
    await finished(ctx, first)
    await finished(ctx, await send(user, chat_id, content="follow-up"))
    edit = await send(user, chat_id, content="second try", at_root=True)
    await finished(ctx, edit)
    branch = (await user.get(f"/api/chats/{chat_id}")).json()["messages"]
    assert [m["content"] for m in branch] == ["second try", "Hello, world!"]
    assert branch[0]["parent_id"] is None
    assert branch[0]["sibling_ids"] == [first["user_message_id"], edit["user_message_id"]]
    calls = [r.json for r in upstream.requests if r.path.endswith("/chat/completions")]
    sent = next(c for c in reversed(calls) if c["messages"][-1]["content"] == "second try")
    assert [m["content"] for m in sent["messages"]] == ["second try"]  # nothing of the old branch


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"at_root": True}, "at_root"),
        ({"at_root": True, "content": "x", "parent_id": "0" * 26}, "at_root"),
    ],
    ids=["without content", "with a parent"],
)
async def test_at_root_is_refused_when_it_makes_no_sense(
    user: httpx.AsyncClient, upstream: FakeOpenAI, body: dict[str, Any], problem: str
) -> None:
    chat_id = await new_chat(user)
    response = await user.post(f"/api/chats/{chat_id}/messages", json={"model": MODEL, **body})
    assert response.status_code == 422
    assert problem in response.text
    assert (await user.get(f"/api/chats/{chat_id}")).json()["messages"] == []


async def test_history_is_sent_upstream_in_order(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    await finished(ctx, await send(user, chat_id, content="one"))
    await finished(ctx, await send(user, chat_id, content="two"))
    await _background_done(ctx)
    calls = [r.json for r in upstream.requests if r.path.endswith("/chat/completions")]
    last = next(c for c in reversed(calls) if c["messages"][-1]["content"] == "two")
    assert [m["content"] for m in last["messages"]] == ["one", "Hello, world!", "two"]


async def test_several_models_answer_in_parallel(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="both", model=None, models=[MODEL, "fake-large"])
    assert len(sent["assistant_message_ids"]) == 2
    await finished(ctx, sent)
    tree = (await user.get(f"/api/chats/{chat_id}", params={"tree": "true"})).json()
    replies = [m for m in tree["messages"] if m["role"] == "assistant"]
    assert sorted(m["model"] for m in replies) == ["fake-large", MODEL]


async def test_first_exchange_titles_the_chat(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="How do tides work?")
    await finished(ctx, sent)
    await _background_done(ctx)
    title = (await user.get(f"/api/chats/{chat_id}")).json()["title"]
    assert title == "Hello, world!"


async def test_title_falls_back_to_first_words(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    upstream.script(chunks=["reply"])
    sent = await send(user, chat_id, content="one two three four five six seven eight")
    await finished(ctx, sent)
    upstream.script(status=500, body={"error": {"message": "down"}})
    await _background_done(ctx)
    title = (await user.get(f"/api/chats/{chat_id}")).json()["title"]
    assert title in {"reply", "one two three four five six…"}


async def test_user_title_is_never_overwritten(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user, title="Mine")
    await finished(ctx, await send(user, chat_id, content="hello"))
    await _background_done(ctx)
    assert (await user.get(f"/api/chats/{chat_id}")).json()["title"] == "Mine"


async def _background_done(ctx: Context) -> None:
    for task in list(ctx.runner._background):
        await task


async def test_interrupted_on_restart(ctx: Context, user: httpx.AsyncClient) -> None:
    chat_id = await new_chat(user)
    async with ctx.db.write() as session:
        row = Message(
            id="f" * 32, chat_id=chat_id, role="assistant", content=b"", status="streaming"
        )
        session.add(row)
    restarted = await build_context(ctx.settings)
    await replicas.arrive(restarted)  # what `confide serve` does as it starts
    await close_context(restarted)
    async with ctx.db.read() as session:
        status = await session.scalar(select(Message.status).where(Message.id == "f" * 32))
    assert status == "interrupted"


async def test_text_is_saved_while_the_reply_streams(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["z"] * 120, delay=0.01)
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="long")
    await asyncio.sleep(0.8)
    midway = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    assert midway["status"] == "streaming"
    assert 0 < len(midway["content"]) < 120
    await finished(ctx, sent)
    final = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    assert final["content"] == "z" * 120
    assert final["status"] == "complete"
