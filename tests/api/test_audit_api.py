"""The audit log through the API: what gets recorded, filters, pagination, no secrets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import PASSWORD, new_client


async def _actions(admin: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await admin.get("/api/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return [e["action"] for e in response.json()["items"]]


async def test_account_events_are_recorded(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    async with new_client(app) as c:
        await c.post(
            "/api/auth/login", json={"email": "user@example.com", "password": "nope nope nope"}
        )
        await c.post("/api/auth/login", json={"email": "user@example.com", "password": PASSWORD})
        await c.post("/api/auth/logout")
    key = (await user.post("/api/api-keys", json={"name": "k"})).json()
    await user.delete(f"/api/api-keys/{key['id']}")
    await admin.patch(f"/api/users/{user.user['id']}", json={"role": "admin"})  # type: ignore[attr-defined]
    actions = await _actions(admin)
    for expected in [
        "auth.signup",
        "admin.user_approved",
        "auth.login_failed",
        "auth.login",
        "auth.logout",
        "api_key.created",
        "api_key.revoked",
        "admin.user_role",
    ]:
        assert expected in actions, expected


async def test_no_secrets_in_the_audit_log(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    key = (await user.post("/api/api-keys", json={"name": "k"})).json()["key"]
    body = (await admin.get("/api/audit", params={"limit": 200})).text
    assert PASSWORD not in body
    assert key not in body
    assert str(admin.cookies.get("confide_session")) not in body


async def test_filters_and_cursor(admin: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert set(await _actions(admin, actor_id=uid)) == {"auth.signup"}
    assert set(await _actions(admin, action="admin.user_approved")) == {"admin.user_approved"}
    assert await _actions(admin, since="2999-01-01T00:00:00Z") == []
    assert await _actions(admin, until="2000-01-01T00:00:00Z") == []
    first = (await admin.get("/api/audit", params={"limit": 1})).json()
    second = (
        await admin.get("/api/audit", params={"limit": 1, "cursor": first["next_cursor"]})
    ).json()
    assert second["items"][0]["seq"] < first["items"][0]["seq"]


async def test_bad_audit_queries(admin: httpx.AsyncClient) -> None:
    for params in [
        {"cursor": "abc"},
        {"since": "yesterday"},
        {"since": "2026-01-01T00:00:00"},
        {"limit": 1000},
    ]:
        response = await admin.get("/api/audit", params=params)
        assert response.status_code in {400, 422}, params
        assert response.json()["detail"]
