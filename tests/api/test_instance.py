"""Instance settings: the admin's sign-up mode and public share links, and the environment
winning over them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from confide.app import create_app
from tests.conftest import make_settings, new_client, signup


async def test_admin_reads_and_changes_the_signup_mode(admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/api/settings")).json() == {
        "signup_mode": "approval",
        "signup_mode_locked": False,
        "public_shares": False,
        "public_shares_locked": False,
        "admins_need_two_factor": False,
        "embedding_model": "",
        "files_to_reembed": 0,
        "rerank_model": "",
    }
    changed = await admin.patch("/api/settings", json={"signup_mode": "open"})
    assert changed.json()["signup_mode"] == "open"
    assert (await admin.get("/api/settings")).json()["signup_mode"] == "open"
    bad = await admin.patch("/api/settings", json={"signup_mode": "sometimes"})
    assert bad.status_code == 422


async def test_admin_allows_public_share_links(admin: httpx.AsyncClient) -> None:
    changed = await admin.patch("/api/settings", json={"public_shares": True})
    assert changed.status_code == 200
    assert changed.json()["public_shares"] is True
    assert changed.json()["signup_mode"] == "approval"  # what was not given stays
    assert (await admin.get("/api/settings")).json()["public_shares"] is True
    both = await admin.patch("/api/settings", json={"signup_mode": "open", "public_shares": False})
    assert (both.json()["signup_mode"], both.json()["public_shares"]) == ("open", False)
    assert (await admin.patch("/api/settings", json={"public_shares": None})).status_code == 422


async def test_environment_beats_the_stored_mode(
    tmp_path: Any, database_url: str, ctx: Any, admin: httpx.AsyncClient
) -> None:
    await admin.patch("/api/settings", json={"signup_mode": "open"})
    locked_settings = make_settings(tmp_path, database_url, signup_mode="closed")
    locked_ctx = type(ctx)(**{**ctx.__dict__, "settings": locked_settings})
    app = create_app(locked_settings, locked_ctx)
    async with new_client(app) as c:
        refused = await c.post(
            "/api/auth/signup",
            json={"email": "z@example.com", "password": "a sturdy passphrase 42", "name": "Z"},
        )
        assert refused.status_code == 403
    async with new_client(app, cookies=admin.cookies) as a:
        view = (await a.get("/api/settings")).json()
        assert view["signup_mode"] == "closed" and view["signup_mode_locked"] is True
        assert (await a.patch("/api/settings", json={"signup_mode": "open"})).status_code == 409


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_first_account_is_admin_in_every_mode(app: Any, mode: str, settings: Any) -> None:
    async with new_client(app) as c:
        assert (await signup(c, "only@example.com"))["role"] == "admin"
