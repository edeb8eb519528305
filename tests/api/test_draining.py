"""A replica draining for shutdown: unready for the load balancer, still alive, refusing new
replies with 503 and Retry-After before writing anything, serving everything else."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_chats import MODEL, new_chat

CHATTING = {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]}


async def test_readiness_turns_unready_and_liveness_stays_up(
    app: Any, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    app.state.drain.draining = True
    ready, alive = await client.get("/readyz"), await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "draining"
    assert alive.status_code == 200


async def test_new_replies_are_refused_and_nothing_is_written(
    app: Any, user: httpx.AsyncClient
) -> None:
    chat_id = await new_chat(user)
    app.state.drain.draining = True
    refused = await user.post(
        f"/api/chats/{chat_id}/messages", json={"content": "hello", "model": MODEL}
    )
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert "restarting" in refused.json()["detail"]
    chat = await user.get(f"/api/chats/{chat_id}")  # reading goes on as usual
    assert chat.status_code == 200
    assert chat.json()["messages"] == []


async def test_the_openai_api_refuses_in_its_own_shape(app: Any, user: httpx.AsyncClient) -> None:
    key = await user.post("/api/api-keys", json={"name": "drain"})
    assert key.status_code == 201, key.text
    app.state.drain.draining = True
    headers = {"authorization": f"Bearer {key.json()['key']}"}
    refused = await user.post("/v1/chat/completions", json=CHATTING, headers=headers)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert "restarting" in refused.json()["error"]["message"]
