"""Authentication: bad, expired, revoked, forged and malformed session cookies and API keys get
a clear 401 (never a 500); sessions end with a password change, disabling and deletion; the
session cookie's flags; login rate limits; wrong-user and wrong-password timing."""

from __future__ import annotations

import secrets
import statistics
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from confide.db.tables import ApiKey, Session
from confide.db.types import utcnow
from confide.services.context import Context
from tests.conftest import PASSWORD, new_client, signup
from tests.security.checks import assert_clear_error
from tests.security.world import World

COOKIE = "confide_session"
BAD_TOKENS = {
    "forged": secrets.token_urlsafe(32),
    "empty": "",
    "short": "abc",
    "too long": "a" * 65,
    "very long": "a" * 4000,
    "wrong alphabet": "!" * 43,
    "unicode": "é" * 43,
    "an API key": "cf-" + secrets.token_urlsafe(32),
    "NUL": "a" * 20 + "\x00" + "a" * 22,
}
BAD_AUTHORIZATIONS = {
    "forged key": "Bearer cf-" + secrets.token_urlsafe(32),
    "wrong prefix": "Bearer sk-" + secrets.token_urlsafe(32),
    "no prefix": "Bearer " + secrets.token_urlsafe(32),
    "prefix only": "Bearer cf-",
    "too long": "Bearer cf-" + "a" * 500,
    "unicode": "Bearer cf-" + "é" * 43,
    "empty bearer": "Bearer ",
    "bare word": "Bearer",
    "basic": "Basic YWxpY2U6c2VjcmV0",
    "empty": "",
}


def _raw(value: str) -> bytes:
    return value.encode("utf-8")


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
async def test_bad_session_cookies_are_refused(world: World, token: str) -> None:
    c = world.client("anon")
    response = await c.get("/api/chats", headers={"cookie": _raw(f"{COOKIE}={token}")})  # type: ignore[dict-item]
    assert response.status_code == 401, response.text
    assert_clear_error(response)


@pytest.mark.parametrize("value", BAD_AUTHORIZATIONS.values(), ids=BAD_AUTHORIZATIONS.keys())
@pytest.mark.parametrize("path", ["/api/chats", "/v1/models"])
async def test_bad_api_keys_are_refused(world: World, path: str, value: str) -> None:
    c = world.client("anon")
    response = await c.get(path, headers={"authorization": _raw(value)})  # type: ignore[dict-item]
    assert response.status_code == 401, response.text
    assert_clear_error(response)


async def test_a_bad_key_beside_a_good_cookie_is_refused(world: World) -> None:
    """A credential that is wrong is never quietly replaced by another that is right."""
    response = await world.client("a").get("/api/chats", headers={"authorization": "Bearer x"})
    assert response.status_code == 401


async def _rows(ctx: Context, table: Any, user_id: str, **values: Any) -> None:
    async with ctx.db.write() as session:
        await session.execute(update(table).where(table.user_id == user_id).values(**values))


async def _new_session(app: Any, email: str) -> httpx.AsyncClient:
    c = new_client(app)
    response = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return c


async def test_expired_sessions_are_refused(
    app: Any, ctx: Context, admin: httpx.AsyncClient
) -> None:
    async with new_client(app) as c:
        user = await signup(c, "late@example.com")
        # Not used since it was made (so not remembered): its end is in the past now.
        await _rows(ctx, Session, user["id"], expires_at=utcnow() - timedelta(seconds=1))
        response = await c.get("/api/auth/me")
    assert response.status_code == 401


async def test_idle_sessions_are_refused(app: Any, ctx: Context, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as c:
        user = await signup(c, "idle@example.com")
        idle = timedelta(minutes=ctx.settings.session_idle_minutes + 1)
        await _rows(ctx, Session, user["id"], last_seen_at=utcnow() - idle)
        response = await c.get("/api/auth/me")
    assert response.status_code == 401


async def test_expired_and_revoked_keys_are_refused(ctx: Context, user: httpx.AsyncClient) -> None:
    made = [(await user.post("/api/api-keys", json={"name": f"k{i}"})).json() for i in range(2)]
    await _rows(ctx, ApiKey, user.user["id"], expires_at=utcnow() - timedelta(seconds=1))  # type: ignore[attr-defined]
    assert (await user.delete(f"/api/api-keys/{made[1]['id']}")).status_code == 204
    for key in made:
        response = await user.get("/v1/models", headers={"authorization": f"Bearer {key['key']}"})
        assert response.status_code == 401, response.text
        assert "expired or was revoked" in response.json()["error"]["message"]


async def test_revoked_and_logged_out_sessions_are_refused(
    app: Any, user: httpx.AsyncClient
) -> None:
    other = await _new_session(app, "user@example.com")
    third = await _new_session(app, "user@example.com")
    sessions = (await other.get("/api/auth/sessions")).json()
    current = next(s["id"] for s in sessions if s["current"])
    assert (await user.delete(f"/api/auth/sessions/{current}")).status_code == 204
    assert (await third.post("/api/auth/logout")).status_code == 204
    for c in (other, third):
        assert (await c.get("/api/auth/me")).status_code == 401
        await c.aclose()
    assert (await user.get("/api/auth/me")).status_code == 200


async def test_a_password_change_ends_every_other_session(
    app: Any, user: httpx.AsyncClient
) -> None:
    other = await _new_session(app, "user@example.com")
    new = "a different passphrase 77"
    changed = await user.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": new}
    )
    assert changed.status_code == 204, changed.text
    assert (await other.get("/api/auth/me")).status_code == 401
    assert (await user.get("/api/auth/me")).status_code == 200
    await other.aclose()
    old = await user.post(
        "/api/auth/login", json={"email": "user@example.com", "password": PASSWORD}
    )
    assert old.status_code == 401


@pytest.mark.parametrize("change", ["disable", "delete", "un-approve"])
async def test_access_ends_at_once_when_an_account_loses_it(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, change: str
) -> None:
    key = (await user.post("/api/api-keys", json={"name": "k"})).json()["key"]
    by_key = {"authorization": f"Bearer {key}"}
    assert (await user.get("/api/chats", headers=by_key)).status_code == 200  # remembered now
    uid = user.user["id"]  # type: ignore[attr-defined]
    done = {
        "disable": lambda: admin.patch(f"/api/users/{uid}", json={"disabled": True}),
        "delete": lambda: admin.delete(f"/api/users/{uid}"),
        "un-approve": lambda: admin.patch(f"/api/users/{uid}", json={"role": "pending"}),
    }[change]
    assert (await done()).status_code in (200, 204)
    assert (await user.get("/api/chats")).status_code == 401
    expected = 403 if change == "un-approve" else 401
    assert (await user.get("/api/chats", headers=by_key)).status_code == expected


# --- the cookie --------------------------------------------------------------------------------


def _cookie_attributes(response: httpx.Response) -> tuple[str, set[str]]:
    header = response.headers["set-cookie"]
    name = header.split("=", 1)[0]
    return name, {part.strip().lower() for part in header.split(";")[1:]}


async def test_cookie_flags_on_plain_http_localhost(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/signup", json={"email": "c@example.com", "password": PASSWORD, "name": "C"}
    )
    name, attributes = _cookie_attributes(response)
    assert name == COOKIE
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert "secure" not in attributes
    assert not any(a.startswith("domain") for a in attributes)


class TestHttps:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"public_url": "https://confide.example"}

    async def test_cookie_is_secure_and_host_prefixed(self, app: Any) -> None:
        transport = httpx.ASGITransport(app=app)
        headers = {"x-confide-csrf": "1"}
        async with httpx.AsyncClient(
            transport=transport, base_url="https://confide.example", headers=headers
        ) as c:
            body = {"email": "s@example.com", "password": PASSWORD, "name": "S"}
            response = await c.post("/api/auth/signup", json=body)
            name, attributes = _cookie_attributes(response)
            assert name == "__Host-confide_session"
            assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
            assert not any(a.startswith("domain") for a in attributes)
            assert (await c.get("/api/auth/me")).status_code == 200
            logout = await c.post("/api/auth/logout")
            _, cleared = _cookie_attributes(logout)
            assert {"secure", "httponly", "path=/"} <= cleared
            assert (await c.get("/api/auth/me")).status_code == 401


# --- guessing ----------------------------------------------------------------------------------


class TestRateLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_rate_per_ip": 50, "login_rate_per_account": 3}

    async def test_per_account_limit_holds_for_every_spelling(
        self, app: Any, admin: httpx.AsyncClient
    ) -> None:
        spellings = ["admin@example.com", "ADMIN@example.com", " Admin@Example.com "]
        async with new_client(app) as c:
            for email in spellings:
                wrong = await c.post("/api/auth/login", json={"email": email, "password": "nope"})
                assert wrong.status_code == 401
            right = {"email": "admin@example.com", "password": PASSWORD}
            limited = await c.post("/api/auth/login", json=right)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert_clear_error(limited)


class TestTiming:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_rate_per_ip": 1000, "login_rate_per_account": 1000}

    async def test_wrong_user_and_wrong_password_take_about_as_long(
        self, app: Any, admin: httpx.AsyncClient
    ) -> None:
        """Medians of interleaved tries, within 2x of each other (robust on a busy machine)."""
        cases = {"unknown account": "nobody@example.com", "wrong password": "admin@example.com"}
        times: dict[str, list[float]] = {name: [] for name in cases}
        async with new_client(app) as c:
            for _ in range(5):
                for name, email in cases.items():
                    started = time.perf_counter()
                    body = {"email": email, "password": "not the password"}
                    response = await c.post("/api/auth/login", json=body)
                    times[name].append(time.perf_counter() - started)
                    assert response.status_code == 401
        unknown, wrong = (statistics.median(t) for t in times.values())
        assert max(unknown, wrong) / min(unknown, wrong) < 2.0, times
