"""The principal cache (`Context.principals`): never stale after a change made here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services.context import Context
from tests.conftest import PASSWORD, new_client


@pytest.fixture
async def other_session(app: Any, user: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second signed-in session of the ordinary user, its principal already cached."""
    async with new_client(app) as c:
        login = {"email": "user@example.com", "password": PASSWORD}
        assert (await c.post("/api/auth/login", json=login)).status_code == 200
        assert (await c.get("/api/auth/me")).status_code == 200
        yield c


async def _cached(ctx: Context, client: httpx.AsyncClient) -> None:
    """Authenticate twice: the second answer comes from the cache."""
    ctx.principals.invalidate()
    assert (await client.get("/api/auth/me")).status_code == 200
    assert len(ctx.principals) >= 1
    assert (await client.get("/api/auth/me")).status_code == 200


async def test_logout_ends_the_session_at_once(
    ctx: Context, other_session: httpx.AsyncClient
) -> None:
    await _cached(ctx, other_session)
    cookies = dict(other_session.cookies)
    assert (await other_session.post("/api/auth/logout")).status_code == 204
    other_session.cookies.update(cookies)  # replay the old cookie
    assert (await other_session.get("/api/auth/me")).status_code == 401


async def test_revoking_a_session_ends_it_at_once(
    ctx: Context, user: httpx.AsyncClient, other_session: httpx.AsyncClient
) -> None:
    await _cached(ctx, other_session)
    rows = (await user.get("/api/auth/sessions")).json()
    target = next(r["id"] for r in rows if not r["current"])
    assert (await user.delete(f"/api/auth/sessions/{target}")).status_code == 204
    assert (await other_session.get("/api/auth/me")).status_code == 401


async def test_revoking_all_other_sessions_ends_them_at_once(
    ctx: Context, user: httpx.AsyncClient, other_session: httpx.AsyncClient
) -> None:
    await _cached(ctx, other_session)
    assert (await user.delete("/api/auth/sessions")).status_code == 200
    assert (await other_session.get("/api/auth/me")).status_code == 401
    assert (await user.get("/api/auth/me")).status_code == 200


async def test_a_password_change_ends_other_sessions_at_once(
    ctx: Context, user: httpx.AsyncClient, other_session: httpx.AsyncClient
) -> None:
    await _cached(ctx, other_session)
    change = {"current_password": PASSWORD, "new_password": "another sturdy passphrase 7"}
    assert (await user.post("/api/auth/password", json=change)).status_code == 204
    assert (await other_session.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"disabled": True}, 401), ({"role": "pending"}, 401)],
)
async def test_an_admins_change_takes_effect_at_once(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    change: dict[str, Any],
    expected: int,
) -> None:
    await _cached(ctx, user)
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.patch(f"/api/users/{uid}", json=change)).status_code == 200
    assert (await user.get("/api/auth/me")).status_code == expected


async def test_a_demoted_admin_loses_admin_routes_at_once(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.patch(f"/api/users/{uid}", json={"role": "admin"})).status_code == 200
    ctx.principals.invalidate()
    assert (await user.get("/api/users")).status_code == 200  # cached as an admin now
    assert (await user.get("/api/users")).status_code == 200
    assert (await admin.patch(f"/api/users/{uid}", json={"role": "user"})).status_code == 200
    assert (await user.get("/api/users")).status_code == 403


async def test_deleting_an_account_ends_its_access_at_once(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    await _cached(ctx, user)
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.delete(f"/api/users/{uid}")).status_code == 204
    assert (await user.get("/api/auth/me")).status_code == 401


async def test_a_revoked_api_key_stops_at_once(ctx: Context, user: httpx.AsyncClient) -> None:
    created = (await user.post("/api/api-keys", json={"name": "script"})).json()
    bearer = {"authorization": f"Bearer {created['key']}"}
    ctx.principals.invalidate()
    assert (await user.get("/v1/models", headers=bearer)).status_code == 200
    assert len(ctx.principals) >= 1
    assert (await user.get("/v1/models", headers=bearer)).status_code == 200
    assert (await user.delete(f"/api/api-keys/{created['id']}")).status_code == 204
    assert (await user.get("/v1/models", headers=bearer)).status_code == 401


async def test_unknown_credentials_are_not_cached(ctx: Context, app: Any) -> None:
    ctx.principals.invalidate()
    async with new_client(app) as stranger:
        bearer = {"authorization": "Bearer cf-" + "x" * 43}
        assert (await stranger.get("/v1/models", headers=bearer)).status_code == 401
    assert len(ctx.principals) == 0
