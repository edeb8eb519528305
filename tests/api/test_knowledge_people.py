"""Sharing a knowledge base with a person by their address: it names their account (the
owner sees the address back), only approved, active accounts qualify, an address that does
not is refused by name and nothing is written, and lookups are rate-limited per owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services import knowledge as knowledge_service
from tests.api.test_knowledge import make, share, uid
from tests.api.test_presets import approved


@pytest.fixture
async def other(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with approved(app, admin, "other@example.com") as c:
        yield c


async def test_sharing_with_a_person_by_address(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    assert (await other.get(f"/api/knowledge/{kid}")).status_code == 404
    shared = await share(user, kid, {"email": "  Other@Example.COM ", "permission": "write"})
    assert shared.status_code == 200, shared.text
    expected = {
        "user_id": uid(other),
        "group_id": None,
        "email": "other@example.com",
        "permission": "write",
    }
    assert shared.json()["grants"] == [expected]
    assert (await user.get(f"/api/knowledge/{kid}")).json()["grants"] == [expected]
    assert (await other.get(f"/api/knowledge/{kid}")).json()["permission"] == "write"
    # Saved again as the screen does (by id, now that it has one): unchanged.
    again = await share(user, kid, {"user_id": uid(other), "permission": "write"})
    assert again.json()["grants"] == [expected]


async def test_addresses_that_cannot_be_shared_with(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    async with approved(app, admin, "pending@example.com") as soon_pending:
        demoted = await admin.patch(f"/api/users/{uid(soon_pending)}", json={"role": "pending"})
        assert demoted.status_code == 200, demoted.text
        refused = {
            "nobody@example.com": "No approved, active account uses the address nobody@example.com",
            # Pending looks exactly like missing: the refusal tells nothing about the account.
            "pending@example.com": "No approved, active account uses the address pending@",
            "not an address": "'not an address' cannot be shared with",
            "user@example.com": "You own this knowledge base",
        }
        for address, detail in refused.items():
            good = {"email": "other@example.com", "permission": "read"}
            response = await share(user, kid, good, {"email": address, "permission": "read"})
            assert response.status_code == 400, address
            assert response.json()["detail"].startswith(detail), response.text
    twice = await share(
        user,
        kid,
        {"user_id": uid(other), "permission": "read"},
        {"email": "other@example.com", "permission": "write"},
    )
    assert (twice.status_code, "twice" in twice.json()["detail"]) == (400, True)
    assert (await user.get(f"/api/knowledge/{kid}")).json()["grants"] == []  # nothing partial
    assert (await other.get(f"/api/knowledge/{kid}")).status_code == 404


async def test_looking_up_addresses_is_rate_limited(
    monkeypatch: pytest.MonkeyPatch, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    monkeypatch.setattr(knowledge_service, "ADDRESSES_PER_HOUR", 3)
    kid = (await make(user))["id"]
    for n in range(3):
        tried = await share(user, kid, {"email": f"guess{n}@example.com", "permission": "read"})
        assert tried.status_code == 400, tried.text
    limited = await share(user, kid, {"email": "other@example.com", "permission": "read"})
    assert limited.status_code == 429, limited.text
    assert "too many addresses" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) > 0
    # Ids are not looked up by address: sharing by id still works.
    by_id = await share(user, kid, {"user_id": uid(other), "permission": "read"})
    assert by_id.status_code == 200, by_id.text
