"""`/api/knowledge`: knowledge bases of my files, shared with users and groups to read or to
write; sealed names; 404 for anyone without access, 403 for a reader who tries to change one;
bounded input refused whole; grants end at once, and with the accounts they name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from confide.db.tables import KnowledgeFile, KnowledgeGrant
from confide.services import ingest
from confide.services import knowledge as knowledge_service
from confide.services.context import Context
from tests.api.test_presets import approved, group_with

MISSING = "0" * 32
NAME = "Quokka research"
DESCRIPTION = "Everything about the Quokka merger.\nSecond line."


async def make(c: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await c.post("/api/knowledge", json={"name": NAME, **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def upload(c: httpx.AsyncClient, name: str = "notes.md") -> str:
    sent = {"file": (name, b"# Notes\n\nThe merger closes on Tuesday.\n", "text/markdown")}
    response = await c.post("/api/files", files=sent)
    assert response.status_code == 201, response.text
    file_id: str = response.json()["id"]
    return file_id


async def add(c: httpx.AsyncClient, kid: str, file_id: str) -> httpx.Response:
    return await c.post(f"/api/knowledge/{kid}/files", json={"file_id": file_id})


async def share(c: httpx.AsyncClient, kid: str, *grants: dict[str, str]) -> httpx.Response:
    return await c.put(f"/api/knowledge/{kid}/grants", json={"grants": list(grants)})


def uid(c: httpx.AsyncClient) -> str:
    user_id: str = c.user["id"]  # type: ignore[attr-defined]
    return user_id


@pytest.fixture
async def other(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with approved(app, admin, "other@example.com") as c:
        yield c


# --- the basics ------------------------------------------------------------------------------


async def test_knowledge_base_lifecycle(user: httpx.AsyncClient) -> None:
    made = await make(user, description=DESCRIPTION)
    kid = made["id"]
    assert (made["name"], made["description"], made["permission"]) == (NAME, DESCRIPTION, "owner")
    assert (made["files"], made["grants"], made["file_count"]) == ([], [], 0)
    file_id = await upload(user, "escrow.md")
    added = await add(user, kid, file_id)
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "escrow.md" and added.json()["mine"] is True
    got = (await user.get(f"/api/knowledge/{kid}")).json()
    assert [(f["id"], f["name"], f["status"], f["chunk_count"]) for f in got["files"]] == [
        (file_id, "escrow.md", "pending", 0)
    ]
    patched = await user.patch(f"/api/knowledge/{kid}", json={"name": "  Renamed  "})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["description"]) == ("Renamed", DESCRIPTION)
    listed = (await user.get("/api/knowledge")).json()
    assert [(k["id"], k["name"], k["file_count"]) for k in listed["items"]] == [(kid, "Renamed", 1)]
    assert (await user.delete(f"/api/knowledge/{kid}")).status_code == 204
    assert (await user.get(f"/api/knowledge/{kid}")).status_code == 404
    assert (await user.get(f"/api/files/{file_id}")).status_code == 200  # the file stays


async def test_name_and_description_are_sealed(ctx: Context, user: httpx.AsyncClient) -> None:
    await make(user, description=DESCRIPTION)
    async with ctx.db.read() as session:
        name, description = (
            await session.execute(text("SELECT name, description FROM knowledge_bases"))
        ).one()
    assert b"Quokka" not in bytes(name) and b"Quokka" not in bytes(description)


async def test_knowledge_bases_are_paged_newest_first(user: httpx.AsyncClient) -> None:
    ids = [(await make(user, name=f"K{n}"))["id"] for n in range(3)]
    first = (await user.get("/api/knowledge", params={"limit": 2})).json()
    assert [k["id"] for k in first["items"]] == ids[::-1][:2]
    rest = (
        await user.get("/api/knowledge", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert ([k["id"] for k in rest["items"]], rest["next_cursor"]) == (ids[:1], None)
    assert (await user.get("/api/knowledge", params={"cursor": "x"})).status_code == 400
    assert (await user.get("/api/knowledge", params={"limit": 201})).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "bad\x07name"},
        {"name": "gpj.\u202eexe"},
        {"name": "ok", "description": "x" * 2001},
        {"name": "ok", "description": "bell\x07"},
        {"name": "ok", "user_id": "someone"},
        {"name": None},
    ],
    ids=[
        "no name",
        "empty",
        "blank",
        "too long",
        "control character",
        "text-direction character",
        "long description",
        "control in description",
        "unknown field",
        "null",
    ],
)
async def test_bad_knowledge_input(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await user.post("/api/knowledge", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    assert (await user.get("/api/knowledge")).json()["items"] == []


async def test_limits_are_inclusive(user: httpx.AsyncClient) -> None:
    made = await make(user, name="n" * 200, description="d" * 2000)
    assert (len(made["name"]), len(made["description"])) == (200, 2000)


async def test_a_description_keeps_its_lines(user: httpx.AsyncClient) -> None:
    made = await make(user, description="one\r\ntwo\rthree\n\tfour ")
    assert made["description"] == "one\ntwo\nthree\n\tfour"


@pytest.mark.parametrize(
    "body",
    [{"name": None}, {"name": ""}, {"description": "x" * 2001}, {"owner": "me"}],
    ids=["null name", "empty name", "long description", "unknown field"],
)
async def test_bad_knowledge_patch(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    kid = (await make(user))["id"]
    response = await user.patch(f"/api/knowledge/{kid}", json=body)
    assert response.status_code == 422, response.text
    assert (await user.get(f"/api/knowledge/{kid}")).json()["name"] == NAME


# --- files -----------------------------------------------------------------------------------


async def test_only_my_own_files_can_be_added(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    theirs = await upload(other, "theirs.md")
    refused = await add(user, kid, theirs)
    missing = await add(user, kid, MISSING)
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json() == {"detail": "File not found."}
    assert (await user.get(f"/api/knowledge/{kid}")).json()["files"] == []


async def test_adding_twice_changes_nothing_and_removing_keeps_the_file(
    user: httpx.AsyncClient,
) -> None:
    kid = (await make(user))["id"]
    file_id = await upload(user)
    first, again = await add(user, kid, file_id), await add(user, kid, file_id)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert (await user.get(f"/api/knowledge/{kid}")).json()["file_count"] == 1
    assert (await user.delete(f"/api/knowledge/{kid}/files/{file_id}")).status_code == 204
    gone = await user.delete(f"/api/knowledge/{kid}/files/{file_id}")
    assert (gone.status_code, gone.json()) == (404, {"detail": "File not found."})
    assert (await user.get(f"/api/files/{file_id}")).status_code == 200


async def test_deleting_a_file_takes_it_out_of_its_bases(user: httpx.AsyncClient) -> None:
    kid = (await make(user))["id"]
    file_id = await upload(user)
    await add(user, kid, file_id)
    assert (await user.delete(f"/api/files/{file_id}")).status_code == 204
    assert (await user.get(f"/api/knowledge/{kid}")).json()["files"] == []


async def test_a_base_holds_at_most_max_files(
    user: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knowledge_service, "MAX_FILES", 2)
    kid = (await make(user))["id"]
    files = [await upload(user, f"f{n}.md") for n in range(3)]
    assert [(await add(user, kid, f)).status_code for f in files] == [201, 201, 400]
    assert "at most" in (await add(user, kid, files[2])).json()["detail"]
    assert (await add(user, kid, files[0])).status_code == 201  # already in: still fine
    assert (await user.get(f"/api/knowledge/{kid}")).json()["file_count"] == 2


# --- who may see and change it ---------------------------------------------------------------


async def test_a_stranger_gets_404_exactly_like_a_missing_id(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    file_id = await upload(user)
    await add(user, kid, file_id)
    theirs = await upload(other)
    requests: list[tuple[str, str, Any]] = [
        ("GET", "/api/knowledge/{}", None),
        ("PATCH", "/api/knowledge/{}", {"name": "Pwned"}),
        ("DELETE", "/api/knowledge/{}", None),
        ("POST", "/api/knowledge/{}/files", {"file_id": theirs}),
        ("DELETE", "/api/knowledge/{}/files/" + file_id, None),
        ("PUT", "/api/knowledge/{}/grants", {"grants": []}),
    ]
    for method, path, body in requests:
        hidden = await other.request(method, path.format(kid), json=body)
        missing = await other.request(method, path.format(MISSING), json=body)
        assert hidden.status_code == missing.status_code == 404, (method, path)
        assert hidden.json() == missing.json() == {"detail": "Knowledge base not found."}
    assert (await other.get("/api/knowledge")).json()["items"] == []
    assert (await admin.get(f"/api/knowledge/{kid}")).status_code == 404  # no more for admins
    got = (await user.get(f"/api/knowledge/{kid}")).json()
    assert (got["name"], got["file_count"]) == (NAME, 1)


async def test_a_reader_sees_it_but_cannot_change_it(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user, description=DESCRIPTION))["id"]
    file_id = await upload(user, "owner-notes.md")
    await add(user, kid, file_id)
    shared = await share(user, kid, {"user_id": uid(other), "permission": "read"})
    assert shared.status_code == 200, shared.text
    assert shared.json() == {
        "grants": [
            {
                "user_id": uid(other),
                "group_id": None,
                "email": "other@example.com",
                "permission": "read",
            }
        ]
    }
    got = (await other.get(f"/api/knowledge/{kid}")).json()
    assert (got["name"], got["description"], got["permission"]) == (NAME, DESCRIPTION, "read")
    assert [(f["name"], f["mine"]) for f in got["files"]] == [("owner-notes.md", False)]
    assert got["grants"] is None  # the owner's eyes only
    listed = (await other.get("/api/knowledge")).json()["items"]
    assert [(k["id"], k["permission"], k["name"]) for k in listed] == [(kid, "read", NAME)]
    mine = await upload(other)
    refusals = {
        "PATCH": await other.patch(f"/api/knowledge/{kid}", json={"name": "Pwned"}),
        "add": await add(other, kid, mine),
        "remove": await other.delete(f"/api/knowledge/{kid}/files/{file_id}"),
        "DELETE": await other.delete(f"/api/knowledge/{kid}"),
        "grants": await share(other, kid),
    }
    assert {k: r.status_code for k, r in refusals.items()} == dict.fromkeys(refusals, 403)
    assert refusals["PATCH"].json()["detail"] == "You can only read this knowledge base."
    assert refusals["add"].json()["detail"] == "You can only read this knowledge base."
    assert refusals["DELETE"].json()["detail"] == "Only the owner can delete this knowledge base."
    got = (await user.get(f"/api/knowledge/{kid}")).json()
    assert (got["name"], got["file_count"], len(got["grants"])) == (NAME, 1, 1)


async def test_a_writer_renames_and_adds_and_removes_only_their_own_files(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    owners = await upload(user, "owner.md")
    await add(user, kid, owners)
    await share(user, kid, {"user_id": uid(other), "permission": "write"})
    renamed = await other.patch(f"/api/knowledge/{kid}", json={"description": "By the writer"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["permission"] == "write"
    writers = await upload(other, "writer.md")
    assert (await add(other, kid, writers)).status_code == 201
    # Each file's name is opened with its uploader's key, whoever looks.
    for c in (user, other):
        got = (await c.get(f"/api/knowledge/{kid}")).json()
        assert {f["name"] for f in got["files"]} == {"owner.md", "writer.md"}
        assert got["description"] == "By the writer"
    refused = await other.delete(f"/api/knowledge/{kid}/files/{owners}")
    assert refused.status_code == 403, refused.text
    assert (await other.delete(f"/api/knowledge/{kid}")).status_code == 403
    assert (
        await share(other, kid, {"user_id": uid(other), "permission": "write"})
    ).status_code == 403
    assert (await other.delete(f"/api/knowledge/{kid}/files/{writers}")).status_code == 204
    assert (await add(other, kid, writers)).status_code == 201
    assert (await user.delete(f"/api/knowledge/{kid}/files/{writers}")).status_code == 204
    assert [f["name"] for f in (await user.get(f"/api/knowledge/{kid}")).json()["files"]] == [
        "owner.md"
    ]


async def test_sharing_with_a_group_follows_its_membership(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    async with approved(app, admin, "member@example.com") as member:
        gid = await group_with(admin, "Team", user, member)
        kid = (await make(user))["id"]
        shared = await share(user, kid, {"group_id": gid, "permission": "read"})
        assert shared.json()["grants"] == [
            {"user_id": None, "group_id": gid, "email": None, "permission": "read"}
        ]
        assert (await member.get(f"/api/knowledge/{kid}")).json()["permission"] == "read"
        assert (await other.get(f"/api/knowledge/{kid}")).status_code == 404
        left = await admin.delete(f"/api/groups/{gid}/members/{uid(member)}")
        assert left.status_code == 200, left.text
        assert (await member.get(f"/api/knowledge/{kid}")).status_code == 404
        assert (await member.get("/api/knowledge")).json()["items"] == []


async def test_the_strongest_grant_wins(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    gid = await group_with(admin, "Team", user, other)
    kid = (await make(user))["id"]
    await share(
        user,
        kid,
        {"group_id": gid, "permission": "write"},
        {"user_id": uid(other), "permission": "read"},
    )
    assert (await other.get(f"/api/knowledge/{kid}")).json()["permission"] == "write"
    listed = (await other.get("/api/knowledge")).json()["items"]
    assert [k["permission"] for k in listed] == ["write"]


async def test_revoking_a_grant_ends_access_at_once(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    await share(user, kid, {"user_id": uid(other), "permission": "write"})
    assert (await other.get(f"/api/knowledge/{kid}")).status_code == 200
    revoked = await share(user, kid)
    assert revoked.json() == {"grants": []}
    assert (await other.get(f"/api/knowledge/{kid}")).status_code == 404
    assert (await other.patch(f"/api/knowledge/{kid}", json={"name": "x"})).status_code == 404


async def test_who_may_be_granted(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    mine = await group_with(admin, "Mine", user)
    theirs = await group_with(admin, "Theirs", other)
    kid = (await make(user))["id"]
    async with approved(app, admin, "pending@example.com") as soon_pending:
        demoted = await admin.patch(f"/api/users/{uid(soon_pending)}", json={"role": "pending"})
        assert demoted.status_code == 200, demoted.text
        refused = {
            "a group I am not in": {"group_id": theirs, "permission": "read"},
            "a missing group": {"group_id": MISSING, "permission": "read"},
            "a missing user": {"user_id": MISSING, "permission": "read"},
            "a pending user": {"user_id": uid(soon_pending), "permission": "read"},
            "myself": {"user_id": uid(user), "permission": "write"},
        }
        for why, grant in refused.items():
            good = {"group_id": mine, "permission": "read"}
            response = await share(user, kid, good, grant)
            assert response.status_code == 400, why
            assert len(response.json()["detail"]) > 20, why
    twice = await share(
        user,
        kid,
        {"user_id": uid(other), "permission": "read"},
        {"user_id": uid(other), "permission": "write"},
    )
    assert (twice.status_code, "twice" in twice.json()["detail"]) == (400, True)
    assert (await user.get(f"/api/knowledge/{kid}")).json()["grants"] == []  # nothing partial
    by_admin = (await make(admin))["id"]
    assert (
        await share(admin, by_admin, {"group_id": theirs, "permission": "read"})
    ).status_code == 200


@pytest.mark.parametrize(
    "grant",
    [
        {"permission": "read"},
        {"user_id": "u", "group_id": "g", "permission": "read"},
        {"user_id": "u", "email": "a@example.com", "permission": "read"},
        {"email": "a@example.com" + "x" * 320, "permission": "read"},
        {"user_id": "u", "permission": "admin"},
        {"user_id": "u"},
        {"user_id": "u", "permission": "read", "extra": 1},
        {"user_id": "x" * 65, "permission": "read"},
    ],
    ids=[
        "no grantee",
        "both",
        "id and address",
        "long address",
        "bad permission",
        "no permission",
        "unknown field",
        "long id",
    ],
)
async def test_bad_grants(user: httpx.AsyncClient, grant: dict[str, Any]) -> None:
    kid = (await make(user))["id"]
    response = await share(user, kid, grant)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_at_most_100_grants(user: httpx.AsyncClient) -> None:
    kid = (await make(user))["id"]
    grants = [{"user_id": f"{n:032x}", "permission": "read"} for n in range(101)]
    response = await user.put(f"/api/knowledge/{kid}/grants", json={"grants": grants})
    assert response.status_code == 422, response.text


async def test_grants_keep_when_a_granted_account_changes(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    """Re-saving the same list is fine even after a grantee was disabled (only new ids are
    checked); disabled, they cannot sign in anyway."""
    kid = (await make(user))["id"]
    grant = {"user_id": uid(other), "permission": "read"}
    await share(user, kid, grant)
    assert (
        await admin.patch(f"/api/users/{uid(other)}", json={"disabled": True})
    ).status_code == 200
    again = await share(user, kid, {**grant, "permission": "write"})
    assert again.status_code == 200, again.text


# --- accounts and audit ----------------------------------------------------------------------


async def _rows(ctx: Context, table: Any) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_deleting_a_grantee_removes_their_grants_and_files(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    await share(user, kid, {"user_id": uid(other), "permission": "write"})
    await add(other, kid, await upload(other, "writer.md"))
    assert (await admin.delete(f"/api/users/{uid(other)}")).status_code == 204
    got = (await user.get(f"/api/knowledge/{kid}")).json()
    assert (got["grants"], got["files"]) == ([], [])
    assert await _rows(ctx, KnowledgeGrant) == 0


async def test_deleting_an_owner_removes_their_bases(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    await add(user, kid, await upload(user))
    await share(user, kid, {"user_id": uid(other), "permission": "read"})
    assert (await admin.delete(f"/api/users/{uid(user)}")).status_code == 204
    assert (await other.get(f"/api/knowledge/{kid}")).status_code == 404
    assert (await other.get("/api/knowledge")).json()["items"] == []
    assert await _rows(ctx, KnowledgeGrant) == await _rows(ctx, KnowledgeFile) == 0


async def test_knowledge_changes_are_audited(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    file_id = await upload(user)
    await add(user, kid, file_id)
    await share(user, kid, {"user_id": uid(other), "permission": "read"})
    await user.patch(f"/api/knowledge/{kid}", json={"name": "Renamed secretly"})
    await user.delete(f"/api/knowledge/{kid}/files/{file_id}")
    await user.delete(f"/api/knowledge/{kid}")
    events = (await admin.get("/api/audit", params={"target_id": kid})).json()["items"]
    assert [e["action"] for e in events] == [
        "knowledge.deleted",
        "knowledge.file_removed",
        "knowledge.updated",
        "knowledge.shared",
        "knowledge.file_added",
        "knowledge.created",
    ]
    assert events[3]["detail"] == {"grants": [{"user_id": uid(other), "permission": "read"}]}
    assert "Quokka" not in str(events) and "secretly" not in str(events)


async def test_pending_and_anonymous(app: Any, user: httpx.AsyncClient) -> None:
    kid = (await make(user))["id"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080"
    ) as anonymous:
        assert (await anonymous.get(f"/api/knowledge/{kid}")).status_code == 401


async def test_ingested_files_show_their_status(ctx: Context, user: httpx.AsyncClient) -> None:
    kid = (await make(user))["id"]
    await add(user, kid, await upload(user))
    await ingest.run_pending(ctx)
    [entry] = (await user.get(f"/api/knowledge/{kid}")).json()["files"]
    assert entry["status"] == "ready" and entry["chunk_count"] >= 1
