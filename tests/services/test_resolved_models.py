"""The model-resolution cache (`Context.resolved`): a connection change shows at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services.context import Context
from tests.fakes.openai_server import FakeOpenAI

HI = {"model": "fake-small", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def connection(admin: httpx.AsyncClient, fake_openai: FakeOpenAI) -> AsyncIterator[str]:
    body = {"kind": "openai", "name": "Fake", "base_url": fake_openai.base_url}
    response = await admin.post("/api/connections", json=body)
    assert response.status_code == 201, response.text
    yield response.json()["id"]


@pytest.fixture
async def bearer(user: httpx.AsyncClient) -> dict[str, str]:
    key = (await user.post("/api/api-keys", json={"name": "script"})).json()["key"]
    return {"authorization": f"Bearer {key}"}


async def _resolved_twice(ctx: Context, user: httpx.AsyncClient, bearer: dict[str, str]) -> None:
    for _ in range(2):
        response = await user.post("/v1/chat/completions", json=HI, headers=bearer)
        assert response.status_code == 200, response.text
    assert ctx.resolved.get("fake-small") is not None


@pytest.mark.parametrize(
    "change",
    [{"enabled": False}, {"model_allowlist": ["fake-large"]}, {"model_prefix": "elsewhere"}],
)
async def test_a_changed_connection_resolves_anew_at_once(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    bearer: dict[str, str],
    connection: str,
    change: dict[str, Any],
) -> None:
    await _resolved_twice(ctx, user, bearer)
    assert (await admin.patch(f"/api/connections/{connection}", json=change)).status_code == 200
    response = await user.post("/v1/chat/completions", json=HI, headers=bearer)
    assert response.status_code == 404, response.text


async def test_a_deleted_connection_resolves_to_nothing_at_once(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    bearer: dict[str, str],
    connection: str,
) -> None:
    await _resolved_twice(ctx, user, bearer)
    assert (await admin.delete(f"/api/connections/{connection}")).status_code == 204
    response = await user.post("/v1/chat/completions", json=HI, headers=bearer)
    assert response.status_code == 404, response.text
    assert len(ctx.resolved) == 0


async def test_a_new_key_is_used_at_once(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    bearer: dict[str, str],
    connection: str,
    fake_openai: FakeOpenAI,
) -> None:
    await _resolved_twice(ctx, user, bearer)
    change = {"api_key": "sk-rotated-upstream-key"}
    assert (await admin.patch(f"/api/connections/{connection}", json=change)).status_code == 200
    response = await user.post("/v1/chat/completions", json=HI, headers=bearer)
    assert response.status_code == 200, response.text
    assert fake_openai.requests[-1].headers["authorization"] == "Bearer sk-rotated-upstream-key"


async def test_unknown_models_are_not_cached(
    ctx: Context, user: httpx.AsyncClient, bearer: dict[str, str], connection: str
) -> None:
    body = {**HI, "model": "no-such-model"}
    response = await user.post("/v1/chat/completions", json=body, headers=bearer)
    assert response.status_code == 404, response.text
    assert ctx.resolved.get("no-such-model") is None
