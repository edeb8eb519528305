"""Sign-up, login, logout, me, password change: the rules and their bad inputs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, new_client, signup


async def test_first_account_is_admin_and_gets_a_session(client: httpx.AsyncClient) -> None:
    body = await signup(client, "first@example.com", name="First")
    assert body["role"] == "admin"
    me = await client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "first@example.com"


async def test_twenty_concurrent_first_signups_make_exactly_one_admin(app: Any) -> None:
    async def attempt(n: int) -> dict[str, Any]:
        async with new_client(app) as c:
            return await signup(c, f"racer{n}@example.com", name=f"Racer {n}")

    results = await asyncio.gather(*(attempt(n) for n in range(20)))
    roles = sorted(r["role"] for r in results)
    assert roles.count("admin") == 1
    assert roles.count("pending") == 19


async def test_later_signups_are_pending_until_approved(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    body = await signup(client, "later@example.com")
    assert body["role"] == "pending"
    me = await client.get("/api/auth/me")
    assert me.json()["role"] == "pending"
    refused = await client.get("/api/api-keys")
    assert refused.status_code == 403
    assert "approval" in refused.json()["detail"]
    approved = await admin.post(f"/api/users/{body['id']}/approve")
    assert approved.json()["role"] == "user"
    assert (await client.get("/api/api-keys")).status_code == 200


async def test_open_mode_makes_users_directly(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    changed = await admin.patch("/api/settings", json={"signup_mode": "open"})
    assert changed.status_code == 200
    assert (await signup(client, "open@example.com"))["role"] == "user"


async def test_closed_mode_refuses_signups(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.patch("/api/settings", json={"signup_mode": "closed"})
    response = await client.post(
        "/api/auth/signup",
        json={"email": "no@example.com", "password": PASSWORD, "name": "No"},
    )
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]


async def test_duplicate_email_is_a_conflict_case_insensitively(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/api/auth/signup",
        json={"email": "ADMIN@Example.COM", "password": PASSWORD, "name": "Dup"},
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "name": "X"}, 422, "email"),
        ({"email": "a" * 310 + "@example.com", "password": PASSWORD, "name": "X"}, 422, "email"),
        ({"email": "a@exa mple.com", "password": PASSWORD, "name": "X"}, 422, "email"),
        ({"email": "a@example.com", "password": "short", "name": "X"}, 400, "at least 10"),
        ({"email": "a@example.com", "password": "password123", "name": "X"}, 400, "too common"),
        ({"email": "a@example.com", "password": "x" * 1025, "name": "X"}, 422, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "   "}, 422, "empty"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "n" * 201}, 422, "name"),
        (
            {"email": "a@example.com", "password": PASSWORD, "name": "evil\u202eman"},
            422,
            "direction",
        ),
        ({"email": "a@example.com", "password": PASSWORD, "name": "bell\x07"}, 422, "control"),
        ({"email": "a@example.com", "password": PASSWORD}, 422, "name"),
        (
            {"email": "a@example.com", "password": PASSWORD, "name": "X", "role": "admin"},
            422,
            "role",
        ),
        ({"email": ["a@example.com"], "password": PASSWORD, "name": "X"}, 422, "email"),
    ],
)
async def test_signup_rejects_bad_input_clearly(
    client: httpx.AsyncClient, payload: dict[str, Any], status: int, needle: str
) -> None:
    response = await client.post("/api/auth/signup", json=payload)
    assert response.status_code == status, response.text
    assert needle in response.text.lower()
    assert PASSWORD not in response.text  # inputs are never echoed back


async def test_unicode_names_and_emails_are_normalised(client: httpx.AsyncClient) -> None:
    decomposed = "Zoe\u0308 Ba\u0301nh"  # combining marks: stored as NFC
    body = await signup(client, "  Zoë@Exämple.com ", name=decomposed)
    assert body["name"] == "Zoë Bánh"
    assert body["email"] == "zoë@exämple.com"
    again = await client.post(
        "/api/auth/login", json={"email": "ZOË@EXÄMPLE.COM", "password": PASSWORD}
    )
    assert again.status_code == 200


async def test_login_logout_roundtrip(app: Any, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as c:
        response = await c.post(
            "/api/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200
        assert (await c.get("/api/auth/me")).status_code == 200
        assert (await c.post("/api/auth/logout")).status_code == 204
        assert (await c.get("/api/auth/me")).status_code == 401


async def test_logged_out_token_stays_dead(app: Any, admin: httpx.AsyncClient) -> None:
    token = admin.cookies.get("confide_session")
    await admin.post("/api/auth/logout")
    async with new_client(app, cookies={"confide_session": token}) as replay:
        assert (await replay.get("/api/auth/me")).status_code == 401


async def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    wrong = await client.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": "not the password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong email or password."}


async def test_session_cookie_flags(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/signup", json={"email": "c@example.com", "password": PASSWORD, "name": "C"}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert "secure" not in cookie  # plain-http localhost
    assert "confide_session=" in cookie


async def test_profile_update_and_mass_assignment_refused(admin: httpx.AsyncClient) -> None:
    ok = await admin.patch("/api/auth/me", json={"name": "New Name"})
    assert ok.json()["name"] == "New Name"
    sneaky = await admin.patch("/api/auth/me", json={"name": "X", "role": "user"})
    assert sneaky.status_code == 422
    assert (await admin.get("/api/auth/me")).json()["role"] == "admin"


async def test_password_change_ends_other_sessions_only(app: Any, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as other:
        await other.post(
            "/api/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert (await other.get("/api/auth/me")).status_code == 200
        changed = await admin.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "another fine passphrase"},
        )
        assert changed.status_code == 204
        assert (await other.get("/api/auth/me")).status_code == 401
        assert (await admin.get("/api/auth/me")).status_code == 200
    old = await admin.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401


async def test_password_change_needs_the_current_password(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/api/auth/password",
        json={"current_password": "wrong wrong wrong", "new_password": "another fine passphrase"},
    )
    assert response.status_code == 400
    assert "current password" in response.json()["detail"]


async def test_disabled_user_cannot_log_in(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    await admin.patch(f"/api/users/{user.user['id']}", json={"disabled": True})  # type: ignore[attr-defined]
    assert (await user.get("/api/auth/me")).status_code == 401
    async with new_client(app) as c:
        response = await c.post(
            "/api/auth/login", json={"email": "user@example.com", "password": PASSWORD}
        )
        assert response.status_code == 403
        assert "disabled" in response.json()["detail"]


async def test_setup_tells_a_visitor_whether_the_instance_is_new(client: httpx.AsyncClient) -> None:
    fresh = await client.get("/api/auth/setup")
    assert fresh.status_code == 200
    assert fresh.json() == {"needs_admin": True, "signup_mode": "approval"}
    await signup(client, "first@example.com")
    client.cookies.clear()
    after = (await client.get("/api/auth/setup")).json()
    assert after == {"needs_admin": False, "signup_mode": "approval"}
    assert "first@example.com" not in (await client.get("/api/auth/setup")).text


async def test_setup_shows_the_sign_up_mode_an_admin_chose(
    app: Any, admin: httpx.AsyncClient
) -> None:
    changed = await admin.patch("/api/settings", json={"signup_mode": "closed"})
    assert changed.status_code == 200, changed.text
    async with new_client(app) as visitor:
        assert (await visitor.get("/api/auth/setup")).json() == {
            "needs_admin": False,
            "signup_mode": "closed",
        }
