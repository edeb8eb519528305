"""Admin over users: list, search, approve, roles, disable, delete, the last admin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import new_client, signup


async def test_list_users_newest_first_with_cursor(app: Any, admin: httpx.AsyncClient) -> None:
    for n in range(5):
        async with new_client(app) as c:
            await signup(c, f"u{n}@example.com", name=f"User {n}")
    first = (await admin.get("/api/users", params={"limit": 4})).json()
    assert [u["email"] for u in first["items"]][:2] == ["u4@example.com", "u3@example.com"]
    assert first["next_cursor"]
    rest = (
        await admin.get("/api/users", params={"limit": 4, "cursor": first["next_cursor"]})
    ).json()
    assert [u["email"] for u in rest["items"]] == ["u0@example.com", "admin@example.com"]
    assert rest["next_cursor"] is None


async def test_search_and_filter(app: Any, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as c:
        await signup(c, "grace@example.com", name="Grace Hopper")
    found = (await admin.get("/api/users", params={"q": "HOPP"})).json()["items"]
    assert [u["email"] for u in found] == ["grace@example.com"]
    pending = (await admin.get("/api/users", params={"role": "pending"})).json()["items"]
    assert [u["email"] for u in pending] == ["grace@example.com"]
    wild = (await admin.get("/api/users", params={"q": "%"})).json()["items"]
    assert wild == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"role": "superuser"}, {"cursor": "nope"}, {"q": "x" * 101}],
)
async def test_list_users_bad_params(admin: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await admin.get("/api/users", params=params)
    assert response.status_code in {400, 422}
    assert response.json()["detail"]


async def test_role_changes_and_approval(admin: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    promoted = await admin.patch(f"/api/users/{uid}", json={"role": "admin"})
    assert promoted.json()["role"] == "admin"
    assert (await user.get("/api/users")).status_code == 200
    again = await admin.post(f"/api/users/{uid}/approve")
    assert again.status_code == 409


async def test_demoting_to_pending_ends_sessions(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    await admin.patch(f"/api/users/{uid}", json={"role": "pending"})
    assert (await user.get("/api/auth/me")).status_code == 401


async def test_the_last_admin_is_protected(admin: httpx.AsyncClient) -> None:
    me = admin.user["id"]  # type: ignore[attr-defined]
    for change in [{"role": "user"}, {"role": "pending"}, {"disabled": True}]:
        response = await admin.patch(f"/api/users/{me}", json=change)
        assert response.status_code == 409, change
        assert "last admin" in response.json()["detail"]
    assert (await admin.delete(f"/api/users/{me}")).status_code == 409
    assert (await admin.get("/api/auth/me")).json()["role"] == "admin"


async def test_with_two_admins_one_may_step_down(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    await admin.patch(f"/api/users/{uid}", json={"role": "admin"})
    me = admin.user["id"]  # type: ignore[attr-defined]
    assert (await admin.patch(f"/api/users/{me}", json={"role": "user"})).status_code == 200
    assert (await user.patch(f"/api/users/{uid}", json={"role": "user"})).status_code == 409


async def test_delete_user_removes_account_and_sessions(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.delete(f"/api/users/{uid}")).status_code == 204
    assert (await admin.get(f"/api/users/{uid}")).status_code == 404
    assert (await user.get("/api/auth/me")).status_code == 401
    assert (await admin.delete(f"/api/users/{uid}")).status_code == 404


async def test_unknown_user_is_404_and_mass_assignment_refused(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    assert (await admin.get("/api/users/" + "0" * 32)).status_code == 404
    uid = user.user["id"]  # type: ignore[attr-defined]
    for body in [{"email": "x@example.com"}, {"password_hash": "x"}, {"is_admin": True}]:
        assert (await admin.patch(f"/api/users/{uid}", json=body)).status_code == 422
    assert (await admin.patch(f"/api/users/{uid}", json={"role": "root"})).status_code == 422


async def test_admin_routes_refused_for_non_admins(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    async with new_client(app) as pending, new_client(app) as anonymous:
        await signup(pending, "pending@example.com")
        key = (await user.post("/api/api-keys", json={"name": "k"})).json()["key"]
        async with new_client(app, headers={"authorization": f"Bearer {key}"}) as by_key:
            target = admin.user["id"]  # type: ignore[attr-defined]
            for who, expected in [(user, 403), (pending, 403), (anonymous, 401), (by_key, 403)]:
                for method, path in [
                    ("GET", "/api/users"),
                    ("GET", f"/api/users/{target}"),
                    ("PATCH", f"/api/users/{target}"),
                    ("DELETE", f"/api/users/{target}"),
                    ("POST", f"/api/users/{target}/approve"),
                    ("GET", "/api/groups"),
                    ("POST", "/api/groups"),
                    ("GET", "/api/audit"),
                    ("GET", "/api/settings"),
                    ("PATCH", "/api/settings"),
                ]:
                    body = {} if method in {"PATCH", "POST"} else None
                    response = await who.request(method, path, json=body)
                    assert response.status_code == expected, (method, path, response.text)
    assert (await admin.get("/api/auth/me")).json()["role"] == "admin"
