from __future__ import annotations

import httpx


async def test_first_signup_is_admin(admin: httpx.AsyncClient) -> None:
    me = await admin.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["role"] == "admin"


async def test_second_signup_waits_for_approval(client: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    from tests.conftest import signup

    body = await signup(client, "later@example.com")
    assert body["role"] == "pending"
    refused = await client.get("/api/api-keys")
    assert refused.status_code == 403
    assert "approval" in refused.json()["detail"]
