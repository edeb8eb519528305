"""Groups (admin): create, rename, delete, members; and `/api/groups/mine` for members."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import new_client, signup


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


async def _join(admin: httpx.AsyncClient, gid: str, c: httpx.AsyncClient) -> None:
    added = await admin.put(f"/api/groups/{gid}/members/{c.user['id']}")  # type: ignore[attr-defined]
    assert added.status_code == 200, added.text


async def _names(c: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await c.get("/api/groups/mine", params=params)
    assert response.status_code == 200, response.text
    return [g["name"] for g in response.json()["items"]]


async def test_members_list_only_their_own_groups(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    async with new_client(app) as other:
        other.user = await signup(other, "other@example.com")  # type: ignore[attr-defined]
        await admin.post(f"/api/users/{other.user['id']}/approve")  # type: ignore[attr-defined]
        alpha, beta, gamma = [await _group(admin, n) for n in ("Alpha", "Beta", "Gamma")]
        await _join(admin, alpha, user)
        await _join(admin, beta, user)
        await _join(admin, beta, other)
        await _join(admin, gamma, other)
        response = await user.get("/api/groups/mine")
        newest_first = sorted([(alpha, "Alpha"), (beta, "Beta")], reverse=True)
        assert response.json() == {
            "items": [{"id": g, "name": n, "description": "The lab"} for g, n in newest_first],
            "next_cursor": None,
        }
        assert sorted(await _names(other)) == ["Beta", "Gamma"]
        assert await _names(admin) == []  # admins too see only groups they are in
        await admin.delete(f"/api/groups/{beta}/members/{user.user['id']}")  # type: ignore[attr-defined]
        assert await _names(user) == ["Alpha"]


async def test_my_groups_pagination(admin: httpx.AsyncClient, user: httpx.AsyncClient) -> None:
    """Newest group first (ids are time-ordered), `limit` at a time, the cursor the last id."""
    mine = [await _group(admin, f"G{n}") for n in range(3)]
    for gid in mine:
        await _join(admin, gid, user)
    await _group(admin, "Not mine")
    first = (await user.get("/api/groups/mine", params={"limit": 2})).json()
    params = {"limit": 2, "cursor": first["next_cursor"]}
    last = (await user.get("/api/groups/mine", params=params)).json()
    listed = [g["id"] for g in first["items"] + last["items"]]
    assert listed == sorted(mine, reverse=True)
    assert (first["next_cursor"], last["next_cursor"]) == (listed[1], None)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": 0}, 422),
        ({"limit": 201}, 422),
        ({"limit": "abc"}, 422),
        ({"cursor": "x" * 65}, 422),
        ({"cursor": "not-an-id"}, 400),
    ],
)
async def test_bad_my_groups_query(
    user: httpx.AsyncClient, params: dict[str, object], status: int
) -> None:
    response = await user.get("/api/groups/mine", params=params)
    assert response.status_code == status, response.text


async def test_my_groups_refuse_the_unapproved(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """Anonymous and disabled: 401; pending (new, or demoted): 403. The key outlives sessions."""
    await _join(admin, await _group(admin), user)
    key = (await user.post("/api/api-keys", json={"name": "script"})).json()["key"]
    uid = user.user["id"]  # type: ignore[attr-defined]
    assert (await client.get("/api/groups/mine")).status_code == 401
    async with new_client(app) as pending:
        await signup(pending, "pending@example.com")
        assert (await pending.get("/api/groups/mine")).status_code == 403
    async with new_client(app, headers={"authorization": f"Bearer {key}"}) as api:
        assert await _names(api) == ["Research"]
        await admin.patch(f"/api/users/{uid}", json={"role": "pending"})
        assert (await api.get("/api/groups/mine")).status_code == 403
        await admin.patch(f"/api/users/{uid}", json={"role": "user", "disabled": True})
        assert (await api.get("/api/groups/mine")).status_code == 401
        assert (await user.get("/api/groups/mine")).status_code == 401


@pytest.mark.parametrize("path", ["/api/groups", "/api/groups/mine"])
async def test_a_cursor_that_is_not_an_id_is_refused(admin: httpx.AsyncClient, path: str) -> None:
    response = await admin.get(path, params={"cursor": "not-an-id"})
    assert response.status_code == 400
    assert response.json()["detail"] == "The cursor is not one this API gave out."
