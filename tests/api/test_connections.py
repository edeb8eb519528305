"""Connections (admin): CRUD, input checks, the write-only sealed key, "test connection"."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from confide.db.tables import Connection
from confide.security.sealing import SealError
from confide.services.context import Context
from confide.store import connections as store
from tests.conftest import new_client, signup
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI

KEY = "sk-test-4f7a9c1e-very-secret-key"


async def create(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    payload = {"kind": "openai", "name": "Upstream", "base_url": "http://127.0.0.1:9/v1", **body}
    response = await admin.post("/api/connections", json=payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connecting is refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


async def test_connection_lifecycle(admin: httpx.AsyncClient) -> None:
    created = await create(
        admin, api_key=KEY, model_prefix="up", model_allowlist=["a", "b", "a"], read_timeout=30
    )
    assert created["has_api_key"] is True
    assert "api_key" not in created
    assert created["model_allowlist"] == ["a", "b"]
    assert (created["enabled"], created["connect_timeout"], created["read_timeout"]) == (
        True,
        5.0,
        30.0,
    )
    cid = created["id"]
    listed = (await admin.get("/api/connections")).json()
    assert [c["id"] for c in listed["items"]] == [cid]
    assert (await admin.get(f"/api/connections/{cid}")).json()["name"] == "Upstream"
    patched = await admin.patch(
        f"/api/connections/{cid}", json={"name": "Renamed", "enabled": False}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Renamed"
    assert patched.json()["enabled"] is False
    assert patched.json()["has_api_key"] is True  # omitted: kept
    cleared = await admin.patch(f"/api/connections/{cid}", json={"api_key": None})
    assert cleared.json()["has_api_key"] is False
    again = await admin.patch(f"/api/connections/{cid}", json={"api_key": "new-key"})
    assert again.json()["has_api_key"] is True
    no_prefix = await admin.patch(f"/api/connections/{cid}", json={"model_prefix": None})
    assert no_prefix.json()["model_prefix"] is None
    assert (await admin.delete(f"/api/connections/{cid}")).status_code == 204
    assert (await admin.get(f"/api/connections/{cid}")).status_code == 404
    assert (await admin.patch(f"/api/connections/{cid}", json={"name": "x"})).status_code == 404
    assert (await admin.delete(f"/api/connections/{cid}")).status_code == 404


async def test_base_url_is_normalized(admin: httpx.AsyncClient) -> None:
    created = await create(admin, base_url="HTTP://LocalHost:11434/")
    assert created["base_url"] == "http://localhost:11434"
    v6 = await create(admin, base_url="http://[::1]:8000/v1/")
    assert v6["base_url"] == "http://[::1]:8000/v1"


async def test_pagination_in_creation_order(admin: httpx.AsyncClient) -> None:
    ids = [(await create(admin, name=f"C{n}"))["id"] for n in range(3)]
    first = (await admin.get("/api/connections", params={"limit": 2})).json()
    assert [c["id"] for c in first["items"]] == ids[:2]
    rest = await admin.get("/api/connections", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [c["id"] for c in rest.json()["items"]] == ids[2:]
    assert rest.json()["next_cursor"] is None
    assert (await admin.get("/api/connections", params={"cursor": "junk"})).status_code == 400


BAD_URLS = [
    "http://user:pw@127.0.0.1:11434",
    "http://user@127.0.0.1",
    "ftp://127.0.0.1/v1",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "127.0.0.1:11434",
    "http://",
    "http:///v1",
    "http://127.0.0.1:11434/v1\r\nX-Injected: 1",
    "http://127.0.0.1:11434/v1\n",
    "http://127.0.0.1/\x00",
    "http://exa mple.com",
    "http://127.0.0.1/v1?key=1",
    "http://127.0.0.1/v1#frag",
    "http://127.0.0.1:99999",
    "http://127.0.0.1:0",
    "http://127.0.0.1:port",
    "http://evil.example\\@good.example",
    "http://ex%61mple.com",
    "http://bad_host!.example",
    "http://bücher.example",
    "http://[::1",
    "http://" + "a" * 500 + ".example",
    "",
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_bad_base_urls_are_refused(admin: httpx.AsyncClient, url: str) -> None:
    payload = {"kind": "openai", "name": "x", "base_url": url}
    response = await admin.post("/api/connections", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("Invalid request.")
    good = await create(admin)
    patched = await admin.patch(f"/api/connections/{good['id']}", json={"base_url": url})
    assert patched.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "anthropic"},
        {"kind": None},
        {"name": ""},
        {"name": "n" * 101},
        {"model_prefix": "Upper"},
        {"model_prefix": "-dash"},
        {"model_prefix": "has/slash"},
        {"model_prefix": "a" * 33},
        {"model_prefix": ""},
        {"model_prefix": "ok\n"},
        {"connect_timeout": 0.1},
        {"connect_timeout": 61},
        {"read_timeout": 0.5},
        {"read_timeout": 601},
        {"read_timeout": "NaN"},
        {"api_key": ""},
        {"api_key": "has space"},
        {"api_key": "line\r\nbreak"},
        {"model_allowlist": [""]},
        {"model_allowlist": ["a\nb"]},
        {"model_allowlist": "a"},
        {"enabled": "maybe"},
        {"id": "chosen-by-me"},
        {"has_api_key": True},
        {"owner_id": "x"},
    ],
)
async def test_bad_fields_are_refused(admin: httpx.AsyncClient, body: dict[str, Any]) -> None:
    payload = {"kind": "openai", "name": "x", "base_url": "http://127.0.0.1:1", **body}
    response = await admin.post("/api/connections", json=payload)
    assert response.status_code == 422, response.text
    good = await create(admin)
    assert (await admin.patch(f"/api/connections/{good['id']}", json=body)).status_code == 422


@pytest.mark.parametrize("field", ["kind", "name", "base_url", "enabled", "read_timeout"])
async def test_patch_refuses_null_for_required_fields(admin: httpx.AsyncClient, field: str) -> None:
    cid = (await create(admin))["id"]
    response = await admin.patch(f"/api/connections/{cid}", json={field: None})
    assert response.status_code == 422
    assert "cannot be null" in response.json()["detail"]


async def test_model_prefixes_are_unique(admin: httpx.AsyncClient) -> None:
    await create(admin, model_prefix="same")
    clash = await admin.post(
        "/api/connections",
        json={
            "kind": "ollama",
            "name": "b",
            "base_url": "http://localhost",
            "model_prefix": "same",
        },
    )
    assert clash.status_code == 409
    other = await create(admin, model_prefix="other")
    rename = await admin.patch(f"/api/connections/{other['id']}", json={"model_prefix": "same"})
    assert rename.status_code == 409
    assert (await admin.get(f"/api/connections/{other['id']}")).json()["model_prefix"] == "other"


# --- who may -------------------------------------------------------------------------------


ROUTES = [
    ("GET", "/api/connections", None),
    ("POST", "/api/connections", {"kind": "openai", "name": "x", "base_url": "http://h"}),
    ("GET", "/api/connections/{id}", None),
    ("PATCH", "/api/connections/{id}", {"name": "taken over"}),
    ("DELETE", "/api/connections/{id}", None),
    ("POST", "/api/connections/{id}/test", None),
]


async def _calls(c: httpx.AsyncClient, cid: str) -> list[int]:
    codes = []
    for method, path, body in ROUTES:
        response = await c.request(method, path.format(id=cid), json=body)
        codes.append(response.status_code)
    return codes


async def test_only_admins(app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
    cid = (await create(admin))["id"]
    assert await _calls(user, cid) == [403] * len(ROUTES)
    key = (await user.post("/api/api-keys", json={"name": "k"})).json()["key"]
    headers = {"authorization": f"Bearer {key}", "x-confide-csrf": ""}
    async with new_client(app, headers=headers) as api:
        assert await _calls(api, cid) == [403] * len(ROUTES)
    async with new_client(app) as pending:
        await signup(pending, "pending@example.com")
        assert await _calls(pending, cid) == [403] * len(ROUTES)
    async with new_client(app) as anonymous:
        assert await _calls(anonymous, cid) == [401] * len(ROUTES)
    assert (await admin.get(f"/api/connections/{cid}")).json()["name"] == "Upstream"
    assert len((await admin.get("/api/connections")).json()["items"]) == 1


async def test_an_admins_api_key_works(app: Any, admin: httpx.AsyncClient) -> None:
    key = (await admin.post("/api/api-keys", json={"name": "k"})).json()["key"]
    headers = {"authorization": f"Bearer {key}", "x-confide-csrf": ""}
    async with new_client(app, headers=headers) as api:
        response = await api.post(
            "/api/connections", json={"kind": "ollama", "name": "o", "base_url": "http://h"}
        )
    assert response.status_code == 201


# --- the key ---------------------------------------------------------------------------------


async def test_key_is_sealed_and_never_shown(
    ctx: Context, admin: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    created = await create(admin, base_url=fake_openai.base_url, api_key=KEY)
    cid = created["id"]
    bodies = [
        (await admin.get("/api/connections")).text,
        (await admin.get(f"/api/connections/{cid}")).text,
        (await admin.patch(f"/api/connections/{cid}", json={"api_key": KEY + "2"})).text,
        (await admin.post(f"/api/connections/{cid}/test")).text,
        (await admin.get("/api/models")).text,
        (await admin.get("/api/audit", params={"limit": 200})).text,
    ]
    for body in bodies:
        assert KEY not in body
    async with ctx.db.read() as session:
        raw = (await session.execute(text("SELECT api_key FROM connections"))).scalar_one()
        row = (await session.scalars(select(Connection))).one()
        box = await store.cipher(session, ctx.sealer)
    assert KEY.encode() not in bytes(raw)
    assert store.open_key(box, row) == KEY + "2"


async def test_sealed_key_is_bound_to_its_row(ctx: Context, admin: httpx.AsyncClient) -> None:
    first = await create(admin, api_key=KEY)
    second = await create(admin, name="Other")
    async with ctx.db.write() as session:
        a = await session.get(Connection, first["id"])
        b = await session.get(Connection, second["id"])
        assert a is not None and b is not None
        b.api_key = a.api_key  # a ciphertext moved to another row
        box = await store.cipher(session, ctx.sealer)
        with pytest.raises(SealError):
            store.open_key(box, b)


async def test_key_reaches_the_upstream_as_bearer(
    admin: httpx.AsyncClient, fake_openai: FakeOpenAI, fake_ollama: FakeOllama
) -> None:
    openai = await create(admin, base_url=fake_openai.base_url, api_key=KEY)
    await create(admin, kind="ollama", name="O", base_url=fake_ollama.base_url)
    probe = await admin.post(f"/api/connections/{openai['id']}/test")
    assert probe.json() == {"ok": True, "model_count": 2, "error": None}
    assert [r.path for r in fake_openai.requests] == ["/v1/models"]
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"
    fake_openai.requests.clear()
    await admin.get("/api/models")
    assert "authorization" not in fake_ollama.requests[0].headers  # no key: none sent
    assert fake_openai.requests == []  # the test refreshed the cached listing


async def test_probe_reports_failures(admin: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    down = await create(admin, base_url=closed_port_url())
    result = (await admin.post(f"/api/connections/{down['id']}/test")).json()
    assert result["ok"] is False
    assert result["model_count"] == 0
    assert result["error"].startswith("The model server could not be reached")
    fake_openai.script(status=401, body={"error": {"message": "bad key"}})
    refused = await create(admin, base_url=fake_openai.base_url, api_key="wrong")
    result = (await admin.post(f"/api/connections/{refused['id']}/test")).json()
    assert result["ok"] is False
    assert result["error"].startswith("The model server refused the credentials")
    assert (await admin.post(f"/api/connections/{'0' * 32}/test")).status_code == 404


async def test_probe_is_bounded_by_the_connections_timeouts(
    admin: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(hang=True)
    hung = await create(admin, base_url=fake_openai.base_url, connect_timeout=0.5, read_timeout=1)
    result = (await admin.post(f"/api/connections/{hung['id']}/test")).json()
    assert result["ok"] is False
    assert "did not answer in time" in result["error"]


async def test_admin_changes_are_audited(admin: httpx.AsyncClient) -> None:
    cid = (await create(admin, api_key=KEY))["id"]
    await admin.patch(f"/api/connections/{cid}", json={"api_key": "other-key", "name": "N"})
    await admin.patch(f"/api/connections/{cid}", json={"name": "N"})  # no change: no event
    await admin.delete(f"/api/connections/{cid}")
    events = (await admin.get("/api/audit", params={"target_id": cid})).json()["items"]
    assert [e["action"] for e in events] == [
        "admin.connection_deleted",
        "admin.connection_updated",
        "admin.connection_created",
    ]
    assert events[1]["detail"] == {"changed": ["name", "api_key"]}
    assert events[2]["detail"] == {"kind": "openai", "api_key_set": True}
    assert "other-key" not in str(events)
