"""`/api/models` and `services.models.resolve`: the merged list, prefixes, allow-lists,
duplicates, unreachable upstreams, caching, and resolution for each source."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from confide.errors import NotFound
from confide.providers.base import MESSAGES, ErrorKind, GenerationParams
from confide.providers.local import DEFAULT_ID
from confide.services import models
from confide.services.context import Context
from confide.store.access import Principal, Role
from tests.api.test_connections import KEY, closed_port_url, create
from tests.conftest import new_client, signup
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI


def as_principal(c: httpx.AsyncClient, role: Role = Role.user) -> Principal:
    return Principal(user_id=c.user["id"], role=role)  # type: ignore[attr-defined]


async def listed(c: httpx.AsyncClient) -> dict[str, Any]:
    response = await c.get("/api/models")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_merged_list_with_sources(
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    fake_openai: FakeOpenAI,
    fake_ollama: FakeOllama,
) -> None:
    fake_openai.models = ["gpt-fake", "shared"]
    fake_ollama.models = ["llama-fake", "shared", DEFAULT_ID]
    oa = await create(admin, name="OpenAI", base_url=fake_openai.base_url, api_key=KEY)
    ol = await create(admin, kind="ollama", name="Ollama", base_url=fake_ollama.base_url)
    body = await listed(user)
    assert [m["id"] for m in body["items"]] == [DEFAULT_ID, "gpt-fake", "shared", "llama-fake"]
    by_id = {m["id"]: m for m in body["items"]}
    assert by_id[DEFAULT_ID]["source"] == {
        "type": "local",
        "connection_id": None,
        "connection_name": None,
        "preset_id": None,
    }
    assert by_id["shared"]["source"]["connection_id"] == oa["id"]  # the first connection wins
    assert by_id["llama-fake"]["source"]["connection_name"] == "Ollama"
    assert [(d["id"], d["source"]["connection_id"]) for d in body["duplicates"]] == [
        ("shared", ol["id"]),
        (DEFAULT_ID, ol["id"]),
    ]
    assert body["connections"] == [
        {"id": oa["id"], "name": "OpenAI", "ok": True, "error": None},
        {"id": ol["id"], "name": "Ollama", "ok": True, "error": None},
    ]
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_unreachable_connection_does_not_block_the_list(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_ollama: FakeOllama
) -> None:
    down = await create(admin, name="Down", base_url=closed_port_url())
    await create(admin, kind="ollama", name="Up", base_url=fake_ollama.base_url)
    started = time.monotonic()
    body = await listed(user)
    assert time.monotonic() - started < 3
    assert [m["id"] for m in body["items"]] == [DEFAULT_ID, "fake-small", "fake-large"]
    state = body["connections"][0]
    assert (state["id"], state["ok"]) == (down["id"], False)
    assert state["error"] == MESSAGES[ErrorKind.unreachable]  # users get no internals


async def test_a_hanging_connection_is_cut_off(
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    fake_openai: FakeOpenAI,
    fake_ollama: FakeOllama,
) -> None:
    fake_openai.script(hang=True)
    await create(admin, name="Hangs", base_url=fake_openai.base_url, read_timeout=600)
    await create(admin, kind="ollama", name="Up", base_url=fake_ollama.base_url)
    started = time.monotonic()
    body = await listed(user)
    assert time.monotonic() - started < models.LIST_DEADLINE + 2
    assert body["connections"][0]["ok"] is False
    assert body["connections"][0]["error"] == MESSAGES[ErrorKind.timeout]
    assert [m["id"] for m in body["items"]] == [DEFAULT_ID, "fake-small", "fake-large"]


async def test_prefix_and_allow_list(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.models = ["a", "b", "c"]
    conn = await create(
        admin, base_url=fake_openai.base_url, model_prefix="oa", model_allowlist=["a", "c", "z"]
    )
    assert [m["id"] for m in (await listed(user))["items"]] == [DEFAULT_ID, "oa/a", "oa/c"]
    who = as_principal(user)
    resolved = await models.resolve(who, ctx, "oa/a")
    assert (resolved.public_id, resolved.upstream_id, resolved.source) == (
        "oa/a",
        "a",
        "connection",
    )
    for unknown in ["oa/b", "oa/z", "a", "oa/", "nope/a"]:
        with pytest.raises(NotFound, match="Unknown model"):
            await models.resolve(who, ctx, unknown)
    await admin.patch(f"/api/connections/{conn['id']}", json={"model_allowlist": []})
    assert [m["id"] for m in (await listed(user))["items"]][1:] == ["oa/a", "oa/b", "oa/c"]


async def test_prefixed_ids_go_straight_to_their_connection(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    fake_openai: FakeOpenAI,
    fake_ollama: FakeOllama,
) -> None:
    await create(admin, kind="ollama", name="Unprefixed", base_url=fake_ollama.base_url)
    await create(admin, base_url=fake_openai.base_url, model_prefix="oa")
    resolved = await models.resolve(as_principal(user), ctx, "oa/fake-small")
    assert resolved.upstream_id == "fake-small"
    assert fake_ollama.requests == []  # the other connection was not listed
    assert [r.path for r in fake_openai.requests] == ["/v1/models"]


async def test_unprefixed_ids_use_the_cached_listing(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_ollama: FakeOllama
) -> None:
    await create(admin, kind="ollama", name="O", base_url=fake_ollama.base_url)
    await listed(user)
    resolved = await models.resolve(as_principal(user), ctx, "fake-large")
    assert (resolved.upstream_id, resolved.source) == ("fake-large", "connection")
    assert resolved.params == GenerationParams()
    assert resolved.system_prompt is None
    assert len(fake_ollama.requests) == 1


async def test_an_unreachable_prefixed_connection_lets_the_id_through(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    """The call then fails with the upstream's real reason, not "unknown model"."""
    await create(admin, base_url=closed_port_url(), model_prefix="dead")
    resolved = await models.resolve(as_principal(user), ctx, "dead/anything")
    assert resolved.upstream_id == "anything"


async def test_disabled_connections_are_neither_listed_nor_resolved(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    await create(admin, base_url=fake_openai.base_url, enabled=False, name="Off")
    await create(admin, base_url=fake_openai.base_url, enabled=False, model_prefix="off")
    body = await listed(user)
    assert [m["id"] for m in body["items"]] == [DEFAULT_ID]
    assert body["connections"] == []
    for model_id in ["fake-small", "off/fake-small"]:
        with pytest.raises(NotFound):
            await models.resolve(as_principal(user), ctx, model_id)
    assert fake_openai.requests == []


async def test_shadowed_ids_are_left_out_and_reported(
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    fake_openai: FakeOpenAI,
    fake_ollama: FakeOllama,
) -> None:
    fake_ollama.models = ["oa/fake-small", "preset:abc", "plain"]
    await create(admin, kind="ollama", name="O", base_url=fake_ollama.base_url)
    await create(admin, base_url=fake_openai.base_url, model_prefix="oa")
    body = await listed(user)
    assert [m["id"] for m in body["items"]][1:] == ["plain", "oa/fake-small", "oa/fake-large"]
    assert [d["id"] for d in body["duplicates"]] == ["oa/fake-small", "preset:abc"]


async def test_local_models_resolve_to_the_local_runtime(
    ctx: Context, user: httpx.AsyncClient
) -> None:
    resolved = await models.resolve(as_principal(user), ctx, DEFAULT_ID)
    assert resolved.backend is ctx.local
    assert (resolved.upstream_id, resolved.source) == (DEFAULT_ID, "local")


async def test_listings_are_cached_until_the_connection_changes(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    conn = await create(admin, base_url=fake_openai.base_url)
    await listed(user)
    await listed(admin)
    assert len(fake_openai.requests) == 1
    fake_openai.models = ["fresh"]
    assert [m["id"] for m in (await listed(user))["items"]] == [
        DEFAULT_ID,
        "fake-small",
        "fake-large",
    ]
    await admin.patch(f"/api/connections/{conn['id']}", json={"read_timeout": 60})
    assert [m["id"] for m in (await listed(user))["items"]] == [DEFAULT_ID, "fresh"]
    assert len(fake_openai.requests) == 2
    await admin.delete(f"/api/connections/{conn['id']}")
    assert [m["id"] for m in (await listed(user))["items"]] == [DEFAULT_ID]


async def test_unknown_model_message_is_bounded(ctx: Context, user: httpx.AsyncClient) -> None:
    with pytest.raises(NotFound) as caught:
        await models.resolve(as_principal(user), ctx, "x" * 5000)
    assert len(caught.value.message) < 300


async def test_who_may_list(app: Any, user: httpx.AsyncClient) -> None:
    key = (await user.post("/api/api-keys", json={"name": "k"})).json()["key"]
    headers = {"authorization": f"Bearer {key}", "x-confide-csrf": ""}
    async with new_client(app, headers=headers) as api:
        assert (await api.get("/api/models")).status_code == 200
    async with new_client(app) as pending:
        await signup(pending, "pending@example.com")
        assert (await pending.get("/api/models")).status_code == 403
    async with new_client(app) as anonymous:
        assert (await anonymous.get("/api/models")).status_code == 401
