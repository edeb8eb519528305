"""My sessions: listing, revoking one or all others, idle and absolute expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from confide.db.tables import Session
from confide.db.types import utcnow
from confide.services.context import Context
from tests.conftest import PASSWORD, new_client


@asynccontextmanager
async def _second_login(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app, headers={"user-agent": "second-browser"}) as c:
        response = await c.post(
            "/api/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200
        yield c


async def test_list_sessions_marks_the_current_one(app: Any, admin: httpx.AsyncClient) -> None:
    async with _second_login(app):
        rows = (await admin.get("/api/auth/sessions")).json()
    assert len(rows) == 2
    assert sum(r["current"] for r in rows) == 1
    assert {r["user_agent"] for r in rows} >= {"second-browser"}
    assert all("token" not in key for r in rows for key in r)


async def test_revoke_one_session(app: Any, admin: httpx.AsyncClient) -> None:
    async with _second_login(app) as other:
        rows = (await admin.get("/api/auth/sessions")).json()
        target = next(r["id"] for r in rows if not r["current"])
        assert (await admin.delete(f"/api/auth/sessions/{target}")).status_code == 204
        assert (await other.get("/api/auth/me")).status_code == 401
        assert (await admin.get("/api/auth/me")).status_code == 200
        again = await admin.delete(f"/api/auth/sessions/{target}")
        assert again.status_code == 404


async def test_revoke_all_other_sessions(app: Any, admin: httpx.AsyncClient) -> None:
    async with _second_login(app) as a, _second_login(app) as b:
        response = await admin.delete("/api/auth/sessions")
        assert response.json() == {"revoked": 2}
        assert (await a.get("/api/auth/me")).status_code == 401
        assert (await b.get("/api/auth/me")).status_code == 401
    assert (await admin.get("/api/auth/me")).status_code == 200


async def test_cannot_revoke_another_users_session(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    admin_session = (await admin.get("/api/auth/sessions")).json()[0]["id"]
    response = await user.delete(f"/api/auth/sessions/{admin_session}")
    assert response.status_code == 404
    assert (await admin.get("/api/auth/me")).status_code == 200


async def test_absolutely_expired_session_is_refused_and_removed(
    ctx: Context, admin: httpx.AsyncClient
) -> None:
    async with ctx.db.write() as s:
        await s.execute(update(Session).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await admin.get("/api/auth/me")).status_code == 401
    async with ctx.db.read() as s:
        assert (await s.scalars(select(Session))).all() == []


async def test_idle_session_is_refused(ctx: Context, admin: httpx.AsyncClient) -> None:
    idle = timedelta(minutes=ctx.settings.session_idle_minutes, seconds=1)
    async with ctx.db.write() as s:
        await s.execute(update(Session).values(last_seen_at=utcnow() - idle))
    assert (await admin.get("/api/auth/me")).status_code == 401


async def test_activity_keeps_a_session_alive(ctx: Context, admin: httpx.AsyncClient) -> None:
    almost = timedelta(minutes=ctx.settings.session_idle_minutes - 1)
    async with ctx.db.write() as s:
        await s.execute(update(Session).values(last_seen_at=utcnow() - almost))
    assert (await admin.get("/api/auth/me")).status_code == 200
    await ctx.touches.drain()  # last-seen times are written in batches, within 2 s
    async with ctx.db.read() as s:
        row = (await s.scalars(select(Session))).one()
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


async def test_forged_and_malformed_cookies_are_anonymous(
    app: Any, admin: httpx.AsyncClient
) -> None:
    for token in ["x" * 43, "", "a" * 5000, "../../etc/passwd", "%C3%A9" * 15]:
        async with new_client(app, cookies={"confide_session": token}) as c:
            assert (await c.get("/api/auth/me")).status_code == 401


async def test_only_the_token_hash_is_stored(ctx: Context, admin: httpx.AsyncClient) -> None:
    token = admin.cookies.get("confide_session")
    assert token
    async with ctx.db.read() as s:
        row = (await s.scalars(select(Session))).one()
    assert token not in row.token_hash
    assert len(row.token_hash) == 64
