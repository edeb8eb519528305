"""Privilege: admin routes refuse everyone else (users, pending and disabled accounts, their
API keys, visitors); members' routes refuse pending, disabled and anonymous callers; no body
accepts `role`, `user_id`, `owner_id`, `is_admin`, `id`, `created_at` or unknown fields; the
last admin stays an admin."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import new_client, signup
from tests.security.checks import assert_clear_error, assert_no_internals, send
from tests.security.routes import TABLE, Level, Route, app_routes, body_model
from tests.security.world import World, assert_unchanged

# Who is refused, and how: a live session or key of an account without the right gets 403;
# an ended session (the account was disabled or un-approved) or a refused key gets 401.
REFUSED_BY_ADMIN_ROUTES = {
    "b": 403,
    "b_key": 403,
    "pending": 403,
    "demoted_key": 403,
    "demoted": 401,
    "disabled": 401,
    "disabled_key": 401,
    "anon": 401,
}
REFUSED_BY_MEMBER_ROUTES = {k: v for k, v in REFUSED_BY_ADMIN_ROUTES.items() if k[0] != "b"}
MASS_FIELDS: dict[str, Any] = {
    "role": "admin",
    "user_id": "{b_user}",
    "owner_id": "{b_user}",
    "is_admin": True,
    "id": "{b_chat}",
    "created_at": "2000-01-01T00:00:00Z",
    "confide_unknown_field": 1,
}


def _routes(level: Level) -> list[tuple[str, Route]]:
    return [(f"{m} {p}", e) for (m, p), e in TABLE.items() if e.level is level]


def _request_of(entry: Route) -> tuple[str, Any]:
    if entry.own is not None:
        return entry.own.path, entry.own.body
    return entry.attacks[0].path, entry.attacks[0].body


async def _refused(world: World, route: str, entry: Route, expected: dict[str, int]) -> None:
    method = route.split(" ", 1)[0]
    path, body = _request_of(entry)
    got = {}
    for actor in expected:
        response = await send(world, world.client(actor), method, path, body)
        got[actor] = response.status_code
        if response.status_code in (401, 403):
            assert_clear_error(response)
            assert_no_internals(world, response)
    assert got == expected
    await assert_unchanged(world)


@pytest.mark.parametrize(("route", "entry"), _routes(Level.admin), ids=lambda v: v)
async def test_admin_routes_refuse_everyone_else(world: World, route: str, entry: Route) -> None:
    await _refused(world, route, entry, REFUSED_BY_ADMIN_ROUTES)


@pytest.mark.parametrize(("route", "entry"), _routes(Level.member), ids=lambda v: v)
async def test_member_routes_refuse_pending_disabled_and_visitors(
    world: World, route: str, entry: Route
) -> None:
    await _refused(world, route, entry, REFUSED_BY_MEMBER_ROUTES)


def _id(value: object) -> str:
    return value if isinstance(value, str) else ""


async def test_every_body_route_has_an_owner_request(world: World) -> None:
    missing = [
        f"{r.method} {r.path}"
        for r in app_routes(world.app)
        if body_model(r.route) is not None and (r.key not in TABLE or TABLE[r.key].own is None)
    ]
    assert not missing, "routes with a body but no `own` request in the matrix: " + str(missing)


def _body_routes() -> list[tuple[str, Route]]:
    return [(f"{m} {p}", e) for (m, p), e in TABLE.items() if e.own and e.own.body is not None]


@pytest.mark.parametrize(("route", "entry"), _body_routes(), ids=_id)
async def test_mass_assignment_is_refused(world: World, route: str, entry: Route) -> None:
    """The owner's own request plus one field they may not set: 422 naming the field, or (the
    OpenAI-compatible API, which follows OpenAI in ignoring unknown fields) no effect."""
    assert entry.own is not None
    method, path = route.split(" ", 1)
    model = body_model(next(r.route for r in app_routes(world.app) if r.key == (method, path)))
    if model is None:
        pytest.skip("the body is a file, not fields (an import: its chats are always mine)")
    lenient = model.model_config.get("extra") != "forbid"
    for name, value in MASS_FIELDS.items():
        if name in model.model_fields:
            continue  # a field this route really has (e.g. an admin setting a user's role)
        body = {**entry.own.body, name: value}
        response = await send(world, world.client(entry.own.actor), method, entry.own.path, body)
        if lenient:
            assert response.status_code == 200, response.text
            await _assert_ignored(world, entry, method, name, response)
            continue
        assert response.status_code == 422, f"{name}: {response.status_code} {response.text}"
        assert_clear_error(response)
        assert name in response.json()["detail"], response.text
    await assert_unchanged(world)


async def _assert_ignored(
    world: World, entry: Route, method: str, name: str, response: httpx.Response
) -> None:
    """A lenient (OpenAI-compatible) route ignored the field: a chat completion did not pass
    it upstream; an embedding came out exactly as without it."""
    assert entry.own is not None
    if entry.own.path.startswith("/v1/chat/"):
        upstream = world.fake.requests[-1]
        assert upstream.path.endswith("/chat/completions") and name not in upstream.json, name
        return
    plain = await send(world, world.client(entry.own.actor), method, entry.own.path, entry.own.body)
    assert response.json() == plain.json(), f"{name} changed the answer"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/models/presets", {"name": "x", "base_model": "fake-small", "params": {"role": 1}}),
        ("/api/chats/{b_chat}/messages", {"content": "x", "model": "m", "params": {"role": 1}}),
    ],
    ids=["preset params", "message params"],
)
async def test_mass_assignment_in_nested_objects_is_refused(
    world: World, path: str, body: dict[str, Any]
) -> None:
    response = await send(world, world.client("b"), "POST", path, body)
    assert response.status_code == 422, response.text
    assert "params.role" in response.json()["detail"]


async def test_nobody_makes_themselves_admin(world: World) -> None:
    b = world.client("b")
    attempts = [
        await send(world, b, "PATCH", "/api/auth/me", {"name": "Bob", "role": "admin"}),
        await send(world, b, "PATCH", "/api/users/{b_user}", {"role": "admin"}),
        await send(world, b, "PATCH", "/api/users/{b_user}", {"disabled": False}),
    ]
    assert [r.status_code for r in attempts] == [422, 403, 403]
    assert (await b.get("/api/auth/me")).json()["role"] == "user"


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PATCH", {"role": "user"}),
        ("PATCH", {"role": "pending"}),
        ("PATCH", {"disabled": True}),
        ("DELETE", None),
    ],
    ids=["demote", "un-approve", "disable", "delete"],
)
async def test_the_last_admin_stays(world: World, method: str, body: Any) -> None:
    admin = world.client("admin")
    response = await send(world, admin, method, "/api/users/{admin_user}", body)
    assert response.status_code == 409, response.text
    assert "last admin" in response.json()["detail"]
    assert (await admin.get("/api/auth/me")).json()["role"] == "admin"
    await assert_unchanged(world)


async def test_two_admins_demoting_each_other_at_once_leave_one(
    app: Any, admin: httpx.AsyncClient
) -> None:
    async with new_client(app) as other:
        other.user = await signup(other, "second@example.com")  # type: ignore[attr-defined]
        second = other.user["id"]  # type: ignore[attr-defined]
        assert (await admin.post(f"/api/users/{second}/approve")).status_code == 200
        promoted = await admin.patch(f"/api/users/{second}", json={"role": "admin"})
        assert promoted.status_code == 200
        first = admin.user["id"]  # type: ignore[attr-defined]
        results = await asyncio.gather(
            admin.patch(f"/api/users/{second}", json={"role": "user"}),
            other.patch(f"/api/users/{first}", json={"role": "user"}),
        )
        statuses = sorted(r.status_code for r in results)
        assert statuses in ([200, 401], [200, 403], [200, 409]), statuses
        listed = [await c.get("/api/users") for c in (admin, other)]
    roles = next(r.json()["items"] for r in listed if r.status_code == 200)
    assert [u["role"] for u in roles].count("admin") == 1
