"""Model presets: CRUD, input checks, the visibility matrix, the sealed system prompt, and
descriptions returned verbatim as JSON text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from confide.errors import NotFound
from confide.providers.base import GenerationParams
from confide.providers.local import DEFAULT_ID
from confide.services import models
from confide.services.context import Context
from confide.store.access import Principal, Role
from tests.api.test_connections import create as create_connection
from tests.conftest import new_client, signup
from tests.fakes.openai_server import FakeOpenAI

PROMPT = "You are Captain Zanzibar-7731; never reveal the launch codes."


async def make(c: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await c.post(
        "/api/models/presets", json={"name": "Helper", "base_model": DEFAULT_ID, **body}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def principal(c: httpx.AsyncClient) -> Principal:
    return Principal(user_id=c.user["id"], role=Role(c.user["role"]))  # type: ignore[attr-defined]


@asynccontextmanager
async def approved(
    app: Any, admin: httpx.AsyncClient, email: str
) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        c.user = await signup(c, email)  # type: ignore[attr-defined]
        response = await admin.post(f"/api/users/{c.user['id']}/approve")  # type: ignore[attr-defined]
        c.user = response.json()  # type: ignore[attr-defined]
        yield c


async def group_with(admin: httpx.AsyncClient, name: str, *members: httpx.AsyncClient) -> str:
    gid: str = (await admin.post("/api/groups", json={"name": name})).json()["id"]
    for m in members:
        added = await admin.put(f"/api/groups/{gid}/members/{m.user['id']}")  # type: ignore[attr-defined]
        assert added.status_code == 200
    return gid


@pytest.fixture
async def other(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with approved(app, admin, "other@example.com") as c:
        yield c


async def test_preset_lifecycle(ctx: Context, user: httpx.AsyncClient) -> None:
    created = await make(
        user,
        system_prompt=PROMPT,
        params={"temperature": 0.2, "stop": ["END"], "seed": 7},
        description="Answers briefly.",
    )
    pid = created["id"]
    assert created["model_id"] == f"preset:{pid}"
    assert created["system_prompt"] == PROMPT
    assert created["params"] == {
        "temperature": 0.2,
        "top_p": None,
        "max_tokens": None,
        "stop": ["END"],
        "seed": 7,
    }
    assert (created["visibility"], created["mine"], created["group_ids"]) == ("private", True, [])
    got = (await user.get(f"/api/models/presets/{pid}")).json()
    assert got["system_prompt"] == PROMPT
    patched = await user.patch(
        f"/api/models/presets/{pid}", json={"name": "Renamed", "params": {"max_tokens": 64}}
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["name"], body["params"]["max_tokens"], body["params"]["stop"]) == (
        "Renamed",
        64,
        [],
    )
    assert body["system_prompt"] == PROMPT  # omitted: kept
    cleared = (await user.patch(f"/api/models/presets/{pid}", json={"system_prompt": None})).json()
    assert (cleared["system_prompt"], cleared["has_system_prompt"]) == (None, False)
    listed = (await user.get("/api/models/presets")).json()["items"]
    assert [p["id"] for p in listed] == [pid]
    assert "system_prompt" not in listed[0]
    assert (await user.delete(f"/api/models/presets/{pid}")).status_code == 204
    assert (await user.get(f"/api/models/presets/{pid}")).status_code == 404
    with pytest.raises(NotFound):
        await models.resolve(principal(user), ctx, f"preset:{pid}")


async def test_resolving_a_preset(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    other: httpx.AsyncClient,
    fake_openai: FakeOpenAI,
) -> None:
    await create_connection(admin, base_url=fake_openai.base_url, model_prefix="oa")
    preset = await make(
        user,
        base_model="oa/fake-large",
        system_prompt=PROMPT,
        params={"temperature": 1.5, "top_p": 0.9, "stop": ["a", "b"]},
        visibility="everyone",
    )
    resolved = await models.resolve(principal(other), ctx, preset["model_id"])
    assert resolved.public_id == preset["model_id"]
    assert (resolved.upstream_id, resolved.source) == ("fake-large", "preset")
    assert resolved.system_prompt == PROMPT  # opened with the owner's key, for another user
    assert resolved.params == GenerationParams(temperature=1.5, top_p=0.9, stop=("a", "b"))
    models_list = (await other.get("/api/models")).json()["items"]
    entry = next(m for m in models_list if m["id"] == preset["model_id"])
    assert entry["base_model"] == "oa/fake-large"
    assert entry["source"]["type"] == "preset"
    assert entry["source"]["preset_id"] == preset["id"]


async def test_a_preset_whose_base_is_gone(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    conn = await create_connection(admin, base_url=fake_openai.base_url, model_prefix="oa")
    preset = await make(user, base_model="oa/fake-small")
    await admin.patch(f"/api/connections/{conn['id']}", json={"enabled": False})
    with pytest.raises(NotFound, match="based on is not available"):
        await models.resolve(principal(user), ctx, preset["model_id"])
    moved = await user.patch(
        f"/api/models/presets/{preset['id']}", json={"base_model": "oa/fake-large"}
    )
    assert moved.status_code == 404
    assert moved.json()["detail"] == "Unknown model: oa/fake-large"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"base_model": "no-such-model"}, 404),
        ({"base_model": "preset:" + "0" * 32}, 400),
        ({"base_model": ""}, 422),
        ({"name": ""}, 422),
        ({"name": "n" * 101}, 422),
        ({"system_prompt": "p" * 20_001}, 422),
        ({"description": "d" * 1001}, 422),
        ({"params": {"temperature": 2.5}}, 422),
        ({"params": {"temperature": -0.1}}, 422),
        ({"params": {"top_p": 1.5}}, 422),
        ({"params": {"max_tokens": 0}}, 422),
        ({"params": {"max_tokens": 32769}}, 422),
        ({"params": {"stop": ["1", "2", "3", "4", "5"]}}, 422),
        ({"params": {"stop": ["s" * 101]}}, 422),
        ({"params": {"stop": [""]}}, 422),
        ({"params": {"seed": "x"}}, 422),
        ({"params": {"seed": 2**64}}, 422),
        ({"params": {"frequency_penalty": 1}}, 422),
        ({"params": {"temperature": "NaN"}}, 422),
        ({"visibility": "public"}, 422),
        ({"visibility": "groups"}, 400),
        ({"visibility": "private", "group_ids": ["0" * 32]}, 400),
        ({"visibility": "groups", "group_ids": ["0" * 32]}, 404),
        ({"owner_id": "someone"}, 422),
        ({"id": "chosen"}, 422),
    ],
)
async def test_bad_preset_input(user: httpx.AsyncClient, body: dict[str, Any], status: int) -> None:
    payload = {"name": "P", "base_model": DEFAULT_ID, **body}
    response = await user.post("/api/models/presets", json=payload)
    assert response.status_code == status, response.text
    assert (await user.get("/api/models/presets")).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": None},
        {"base_model": None},
        {"params": None},
        {"visibility": None},
        {"params": {"top_k": 3}},
        {"mine": False},
    ],
)
async def test_bad_preset_patch(user: httpx.AsyncClient, body: dict[str, Any]) -> None:
    pid = (await make(user))["id"]
    assert (await user.patch(f"/api/models/presets/{pid}", json=body)).status_code == 422


async def test_sharing_with_groups(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    mine = await group_with(admin, "Mine", user)
    theirs = await group_with(admin, "Theirs", other)
    refused = await user.post(
        "/api/models/presets",
        json={"name": "P", "base_model": DEFAULT_ID, "visibility": "groups", "group_ids": [theirs]},
    )
    assert refused.status_code == 404  # a group I am not in is not mine to share with
    shared = await make(user, visibility="groups", group_ids=[mine, mine])
    assert shared["group_ids"] == [mine]
    by_admin = await make(admin, visibility="groups", group_ids=[theirs])
    assert by_admin["group_ids"] == [theirs]
    pid = shared["id"]
    private = (
        await user.patch(f"/api/models/presets/{pid}", json={"visibility": "private"})
    ).json()
    assert (private["visibility"], private["group_ids"]) == ("private", [])
    stray = await user.patch(f"/api/models/presets/{pid}", json={"group_ids": [mine]})
    assert stray.status_code == 400
    back = await user.patch(
        f"/api/models/presets/{pid}", json={"visibility": "groups", "group_ids": [mine]}
    )
    assert back.json()["group_ids"] == [mine]


async def test_only_my_groups_can_be_shared_with(
    admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    """What `/api/groups/mine` offers can be chosen; any other group is refused, even mixed in."""
    mine = await group_with(admin, "Mine", user)
    theirs = await group_with(admin, "Theirs", other)
    offered = [g["id"] for g in (await user.get("/api/groups/mine")).json()["items"]]
    assert offered == [mine]
    shared = await make(user, visibility="groups", group_ids=offered)
    assert shared["group_ids"] == [mine]
    mixed = await user.post(
        "/api/models/presets",
        json={
            "name": "P",
            "base_model": DEFAULT_ID,
            "visibility": "groups",
            "group_ids": [mine, theirs],
        },
    )
    assert (mixed.status_code, mixed.json()["detail"]) == (404, "Group not found.")
    widened = await user.patch(
        f"/api/models/presets/{shared['id']}", json={"group_ids": [mine, theirs]}
    )
    assert (widened.status_code, widened.json()["detail"]) == (404, "Group not found.")
    detail = (await user.get(f"/api/models/presets/{shared['id']}")).json()
    assert detail["group_ids"] == [mine]


async def test_visibility_matrix(
    app: Any,
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    other: httpx.AsyncClient,
) -> None:
    async with approved(app, admin, "member@example.com") as member:
        gid = await group_with(admin, "Team", user, member)
        private = (await make(user, name="Private", system_prompt=PROMPT))["id"]
        everyone = (await make(user, name="Everyone", visibility="everyone"))["id"]
        grouped = (await make(user, name="Grouped", visibility="groups", group_ids=[gid]))["id"]
        expected = {
            "owner": (user, {private, everyone, grouped}),
            "other user": (other, {everyone}),
            "group member": (member, {everyone, grouped}),
            "admin (not in the group)": (admin, {everyone}),
        }
        for who, (c, visible) in expected.items():
            await _check_sees(ctx, c, visible, {private, everyone, grouped}, who)


async def _check_sees(
    ctx: Context, c: httpx.AsyncClient, visible: set[str], every: set[str], who: str
) -> None:
    listed = {p["id"] for p in (await c.get("/api/models/presets")).json()["items"]}
    assert listed == visible, who
    in_models = {m["source"]["preset_id"] for m in (await c.get("/api/models")).json()["items"]}
    assert in_models - {None} == visible, who
    for pid in every:
        got = await c.get(f"/api/models/presets/{pid}")
        assert got.status_code == (200 if pid in visible else 404), who
        if pid not in visible:
            with pytest.raises(NotFound):
                await models.resolve(principal(c), ctx, f"preset:{pid}")
            continue
        await models.resolve(principal(c), ctx, f"preset:{pid}")
        body = got.json()
        owner = c.user["email"] == "user@example.com"  # type: ignore[attr-defined]
        assert body["mine"] is owner, who
        if not owner:
            assert (body["system_prompt"], body["group_ids"]) == (None, []), who


async def test_only_the_owner_changes_a_preset(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    private = (await make(user, name="Private"))["id"]
    shared = (await make(user, name="Shared", visibility="everyone"))["id"]
    for method in ("PATCH", "DELETE"):
        body = {"name": "Hijacked"} if method == "PATCH" else None
        hidden = await other.request(method, f"/api/models/presets/{private}", json=body)
        assert hidden.status_code == 404  # exactly like a missing one
        assert hidden.json() == {"detail": "Preset not found."}
        seen = await other.request(method, f"/api/models/presets/{shared}", json=body)
        assert seen.status_code == 403
        assert seen.json() == {"detail": "Only the owner can change this preset."}
    missing = await other.get(f"/api/models/presets/{'0' * 32}")
    assert missing.json() == (await other.get(f"/api/models/presets/{private}")).json()
    names = {p["name"] for p in (await user.get("/api/models/presets")).json()["items"]}
    assert names == {"Private", "Shared"}


async def test_system_prompt_is_sealed(ctx: Context, user: httpx.AsyncClient) -> None:
    await make(user, system_prompt=PROMPT)
    async with ctx.db.read() as session:
        raw = (await session.execute(text("SELECT system_prompt FROM model_presets"))).scalar_one()
    assert PROMPT.encode() not in bytes(raw)
    assert b"Zanzibar" not in bytes(raw)


async def test_html_description_is_returned_verbatim_as_json_text(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    """The server stores and returns the description as plain text inside JSON; it never
    renders it. Rendering is the client's job, with text nodes (never innerHTML)."""
    html = '<img src=x onerror="alert(1)"><script>alert(document.cookie)</script> &amp; ok'
    pid = (await make(user, description=html, visibility="everyone"))["id"]
    response = await other.get(f"/api/models/presets/{pid}")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["description"] == html


async def test_preset_changes_are_audited(
    admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    pid = (await make(user, system_prompt=PROMPT))["id"]
    await user.patch(f"/api/models/presets/{pid}", json={"system_prompt": PROMPT + "!"})
    await user.delete(f"/api/models/presets/{pid}")
    events = (await admin.get("/api/audit", params={"target_id": pid})).json()["items"]
    assert [e["action"] for e in events] == ["preset.deleted", "preset.updated", "preset.created"]
    assert events[1]["detail"] == {"changed": ["system_prompt"]}
    assert "Zanzibar" not in str(events)


async def test_preset_pagination(user: httpx.AsyncClient) -> None:
    ids = [(await make(user, name=f"P{n}"))["id"] for n in range(3)]
    first = (await user.get("/api/models/presets", params={"limit": 2})).json()
    assert [p["id"] for p in first["items"]] == ids[::-1][:2]
    rest = (
        await user.get("/api/models/presets", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [p["id"] for p in rest["items"]] == ids[:1]
    assert rest["next_cursor"] is None
    assert (await user.get("/api/models/presets", params={"cursor": "x"})).status_code == 400


async def test_pending_and_anonymous(app: Any, user: httpx.AsyncClient) -> None:
    pid = (await make(user, visibility="everyone"))["id"]
    async with new_client(app) as pending:
        await signup(pending, "pending@example.com")
        assert (await pending.get("/api/models/presets")).status_code == 403
        assert (await pending.get(f"/api/models/presets/{pid}")).status_code == 403
    async with new_client(app) as anonymous:
        assert (await anonymous.get("/api/models/presets")).status_code == 401
        assert (await anonymous.post("/api/models/presets", json={})).status_code == 401
