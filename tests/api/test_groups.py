"""Groups (admin): create, rename, delete, members."""

from __future__ import annotations

import httpx
import pytest


async def _group(admin: httpx.AsyncClient, name: str = "Research") -> str:
    response = await admin.post("/api/groups", json={"name": name, "description": "The lab"})
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]
    return group_id


async def test_group_lifecycle(admin: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
    gid = await _group(admin)
    uid = user.user["id"]  # type: ignore[attr-defined]
    added = await admin.put(f"/api/groups/{gid}/members/{uid}")
    assert added.json()["member_ids"] == [uid]
    twice = await admin.put(f"/api/groups/{gid}/members/{uid}")
    assert twice.json()["member_ids"] == [uid]
    listed = (await admin.get("/api/groups")).json()["items"]
    assert [(g["name"], g["member_count"]) for g in listed] == [("Research", 1)]
    renamed = await admin.patch(f"/api/groups/{gid}", json={"name": "Lab"})
    assert renamed.json()["name"] == "Lab"
    assert renamed.json()["description"] == "The lab"
    removed = await admin.delete(f"/api/groups/{gid}/members/{uid}")
    assert removed.json()["member_ids"] == []
    assert (await admin.delete(f"/api/groups/{gid}/members/{uid}")).status_code == 404
    assert (await admin.delete(f"/api/groups/{gid}")).status_code == 204
    assert (await admin.get(f"/api/groups/{gid}")).status_code == 404


async def test_group_names_are_unique(admin: httpx.AsyncClient) -> None:
    await _group(admin, "Team")
    clash = await admin.post("/api/groups", json={"name": "Team"})
    assert clash.status_code == 409
    other = await _group(admin, "Other")
    rename_clash = await admin.patch(f"/api/groups/{other}", json={"name": "Team"})
    assert rename_clash.status_code == 409


async def test_members_must_exist(admin: httpx.AsyncClient) -> None:
    gid = await _group(admin)
    assert (await admin.put(f"/api/groups/{gid}/members/{'0' * 32}")).status_code == 404
    missing_group = await admin.put(f"/api/groups/{'0' * 32}/members/{admin.user['id']}")  # type: ignore[attr-defined]
    assert missing_group.status_code == 404


async def test_deleting_a_user_drops_their_memberships(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    gid = await _group(admin)
    uid = user.user["id"]  # type: ignore[attr-defined]
    await admin.put(f"/api/groups/{gid}/members/{uid}")
    await admin.delete(f"/api/users/{uid}")
    assert (await admin.get(f"/api/groups/{gid}")).json()["member_ids"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "ok", "description": "d" * 501},
        {"name": "ok", "owner_id": "me"},
    ],
)
async def test_bad_group_input(admin: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await admin.post("/api/groups", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request.")


async def test_group_pagination(admin: httpx.AsyncClient) -> None:
    for n in range(3):
        await _group(admin, f"G{n}")
    page = (await admin.get("/api/groups", params={"limit": 2})).json()
    assert len(page["items"]) == 2
    rest = (
        await admin.get("/api/groups", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
