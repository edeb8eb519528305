"""The OpenAI-compatible API, driven by the official `openai` SDK, streaming and not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from confide.services.context import Context
from tests.api.test_chats import upstream
from tests.conftest import BASE_URL
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["upstream"]


@pytest.fixture
async def sdk(app: Any, user: httpx.AsyncClient) -> AsyncIterator[openai.AsyncOpenAI]:
    key = (await user.post("/api/api-keys", json={"name": "sdk"})).json()["key"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield openai.AsyncOpenAI(
            api_key=key, base_url=f"{BASE_URL}/v1", http_client=http, max_retries=0
        )


async def test_models_are_listed(sdk: openai.AsyncOpenAI, upstream: FakeOpenAI) -> None:
    ids = [m.id async for m in sdk.models.list()]
    assert "fake-small" in ids
    assert "fake-large" in ids


async def test_non_streamed_completion(sdk: openai.AsyncOpenAI, upstream: FakeOpenAI) -> None:
    result = await sdk.chat.completions.create(
        model="fake-small", messages=[{"role": "user", "content": "hi"}], temperature=0.3
    )
    assert result.choices[0].message.content == "Hello, world!"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.prompt_tokens == 11
    sent = upstream.requests[-1].json
    assert sent["temperature"] == 0.3
    assert sent["model"] == "fake-small"


async def test_streamed_completion_with_usage(
    sdk: openai.AsyncOpenAI, upstream: FakeOpenAI
) -> None:
    stream = await sdk.chat.completions.create(
        model="fake-small",
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, reasons, usage = [], [], None
    async for chunk in stream:
        if chunk.choices:
            text.append(chunk.choices[0].delta.content or "")
            reasons.append(chunk.choices[0].finish_reason)
        if chunk.usage:
            usage = chunk.usage
    assert "".join(text) == "Hello, world!"
    assert reasons[-1] == "stop"
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_unknown_model_is_a_404_the_sdk_understands(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        await sdk.chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "hi"}]
        )
    assert "Unknown model" in str(caught.value)


async def test_bad_requests_are_clear(sdk: openai.AsyncOpenAI, upstream: FakeOpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        await sdk.chat.completions.create(model="fake-small", messages=[])
    with pytest.raises(openai.UnprocessableEntityError):
        await sdk.chat.completions.create(
            model="fake-small", messages=[{"role": "user", "content": "hi"}], n=2
        )


async def test_upstream_errors_map_to_gateway_errors(
    sdk: openai.AsyncOpenAI, upstream: FakeOpenAI
) -> None:
    assert [m.id async for m in sdk.models.list()]  # the listing is cached before the outage
    upstream.script(status=500, body={"error": {"message": "exploded"}})
    with pytest.raises(openai.InternalServerError) as caught:
        await sdk.chat.completions.create(
            model="fake-small", messages=[{"role": "user", "content": "hi"}]
        )
    assert "failed while answering" in str(caught.value)


async def test_error_in_the_middle_of_a_stream(
    sdk: openai.AsyncOpenAI, upstream: FakeOpenAI
) -> None:
    upstream.script(chunks=["a", "b"], abort_after=1)
    stream = await sdk.chat.completions.create(
        model="fake-small", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass


async def test_usage_is_accounted_per_key(
    ctx: Context,
    sdk: openai.AsyncOpenAI,
    user: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    upstream: FakeOpenAI,
) -> None:
    for _ in range(2):
        await sdk.chat.completions.create(
            model="fake-small", messages=[{"role": "user", "content": "hi"}]
        )
    rows = (await user.get("/api/usage")).json()
    assert len(rows) == 1
    assert rows[0]["requests"] == 2
    assert rows[0]["prompt_tokens"] == 22
    assert rows[0]["api_key_id"] is not None
    totals = (await admin.get("/api/usage/totals")).json()
    assert totals[0]["users"] == 1
    assert (await user.get("/api/usage/totals")).status_code == 403
    assert (
        await user.get("/api/usage", params={"since": "2026-01-01", "until": "2025-01-01"})
    ).status_code == 400


async def test_v1_needs_credentials(app: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        response = await c.get("/v1/models")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Sign in first."
