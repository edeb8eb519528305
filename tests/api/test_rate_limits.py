"""Login and sign-up are rate-limited per IP and per account, with Retry-After."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, new_client


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"login_rate_per_ip": 6, "login_rate_per_account": 3, "login_rate_window_seconds": 60}


async def _login(
    c: httpx.AsyncClient, email: str, password: str = "wrong password!"
) -> httpx.Response:
    return await c.post("/api/auth/login", json={"email": email, "password": password})


async def test_per_account_limit(app: Any, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as c:
        statuses = [(await _login(c, "admin@example.com")).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        limited = await _login(c, "ADMIN@example.com", PASSWORD)
        assert limited.status_code == 429
        assert 0 < int(limited.headers["retry-after"]) <= 60
        assert "Too many attempts" in limited.json()["detail"]


async def test_per_ip_limit_across_accounts(app: Any, admin: httpx.AsyncClient) -> None:
    async with new_client(app) as c:
        statuses = [(await _login(c, f"n{i}@example.com")).status_code for i in range(7)]
    assert statuses[:5] == [401] * 5  # the admin fixture's sign-up spent one of six
    assert statuses[-1] == 429


async def test_signup_limited_per_ip(app: Any) -> None:
    async with new_client(app) as c:
        statuses = []
        for i in range(7):
            response = await c.post(
                "/api/auth/signup",
                json={"email": f"s{i}@example.com", "password": PASSWORD, "name": "S"},
            )
            statuses.append(response.status_code)
    assert statuses[:6] == [201] * 6
    assert statuses[6] == 429
