"""API keys: shown once, hashed at rest, revocable, expiring, dead with their owner's access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from confide.db.tables import ApiKey
from confide.db.types import utcnow
from confide.services.context import Context
from tests.conftest import new_client


async def _create(c: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await c.post("/api/api-keys", json={"name": "script", **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _bearer(app: Any, key: str) -> httpx.AsyncClient:
    return new_client(app, headers={"authorization": f"Bearer {key}", "x-confide-csrf": ""})


async def test_key_is_shown_once_and_works(app: Any, user: httpx.AsyncClient) -> None:
    created = await _create(user)
    assert created["key"].startswith("cf-")
    assert created["prefix"] == created["key"][:11]
    listed = (await user.get("/api/api-keys")).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0]
    async with _bearer(app, created["key"]) as api:
        me = await api.get("/api/auth/me")
        assert me.status_code == 200
        assert me.json()["email"] == "user@example.com"
    listed = (await user.get("/api/api-keys")).json()
    assert listed[0]["last_used_at"] is not None


async def test_only_a_hash_is_stored(ctx: Context, user: httpx.AsyncClient) -> None:
    created = await _create(user)
    async with ctx.db.read() as s:
        row = (await s.scalars(select(ApiKey))).one()
    assert created["key"] not in row.key_hash
    assert created["key"][3:] not in row.key_hash


async def test_revoked_key_stops_working(app: Any, user: httpx.AsyncClient) -> None:
    created = await _create(user)
    assert (await user.delete(f"/api/api-keys/{created['id']}")).status_code == 204
    async with _bearer(app, created["key"]) as api:
        response = await api.get("/api/auth/me")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_expired_key_stops_working(app: Any, ctx: Context, user: httpx.AsyncClient) -> None:
    created = await _create(user, expires_in_days=1)
    async with ctx.db.write() as s:
        await s.execute(update(ApiKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    async with _bearer(app, created["key"]) as api:
        assert (await api.get("/api/auth/me")).status_code == 401


async def test_disabled_or_pending_users_keys_stop_at_once(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    created = await _create(user)
    uid = user.user["id"]  # type: ignore[attr-defined]
    async with _bearer(app, created["key"]) as api:
        await admin.patch(f"/api/users/{uid}", json={"disabled": True})
        assert (await api.get("/api/auth/me")).status_code == 401
        await admin.patch(f"/api/users/{uid}", json={"disabled": False, "role": "pending"})
        refused = await api.get("/api/api-keys")
        assert refused.status_code == 403
        await admin.patch(f"/api/users/{uid}", json={"role": "user"})
        assert (await api.get("/api/api-keys")).status_code == 200


async def test_cannot_revoke_someone_elses_key(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    created = await _create(admin)
    assert (await user.delete(f"/api/api-keys/{created['id']}")).status_code == 404
    assert len((await admin.get("/api/api-keys")).json()) == 1


async def test_malformed_authorization_headers(app: Any, user: httpx.AsyncClient) -> None:
    for header in ["Basic abc", "Bearer", "Bearer cf-short", "Bearer " + "x" * 500, "cf-abc"]:
        async with new_client(app, headers={"authorization": header}) as c:
            response = await c.get("/api/auth/me")
            assert response.status_code == 401, header
            assert response.json()["detail"]


async def test_api_key_requests_need_no_csrf_header(app: Any, user: httpx.AsyncClient) -> None:
    created = await _create(user)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1:8080",
        headers={"authorization": f"Bearer {created['key']}", "origin": "https://evil.example"},
    ) as api:
        response = await api.post("/api/api-keys", json={"name": "from a script"})
    assert response.status_code == 201


async def test_bad_key_requests(user: httpx.AsyncClient) -> None:
    assert (await user.post("/api/api-keys", json={"name": ""})).status_code == 422
    assert (
        await user.post("/api/api-keys", json={"name": "x", "expires_in_days": 0})
    ).status_code == 422
    assert (await user.post("/api/api-keys", json={"name": "x", "user_id": "y"})).status_code == 422
    assert (await user.delete("/api/api-keys/" + "z" * 65)).status_code == 422
