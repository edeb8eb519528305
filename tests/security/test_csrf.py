"""CSRF: every unsafe route, sent with the owner's own cookie and a request that would really
change their data, is refused without the X-Confide-CSRF header, from a foreign Origin, from
`Origin: null`, and from a foreign Referer without Origin; the data stays as it was."""

from __future__ import annotations

import pytest

from tests.security.checks import assert_clear_error, send
from tests.security.routes import TABLE, UNSAFE, Route
from tests.security.world import World, assert_unchanged

FORGERIES = {
    "no CSRF header": {"x-confide-csrf": ""},
    "foreign Origin": {"origin": "https://evil.example"},
    "Origin null": {"origin": "null"},
    "foreign Referer": {"referer": "https://evil.example/page"},
    "look-alike Origin": {"origin": "http://127.0.0.1:8080.evil.example"},
}
UNSAFE_ROUTES = [(f"{m} {p}", e) for (m, p), e in TABLE.items() if m in UNSAFE]


async def test_every_unsafe_route_has_an_owner_request() -> None:
    missing = [route for route, entry in UNSAFE_ROUTES if entry.own is None]
    assert not missing, f"unsafe routes with no `own` request in the matrix: {missing}"


@pytest.mark.parametrize(("route", "entry"), UNSAFE_ROUTES, ids=[r for r, _ in UNSAFE_ROUTES])
async def test_forged_requests_are_refused(world: World, route: str, entry: Route) -> None:
    assert entry.own is not None
    method = route.split(" ", 1)[0]
    c = world.client(entry.own.actor)
    for name, headers in FORGERIES.items():
        if not headers.get("x-confide-csrf", "1"):
            c.headers.pop("x-confide-csrf")
        try:
            sent = {k: v for k, v in headers.items() if v}  # no header at all, not an empty one
            response = await send(world, c, method, entry.own.path, entry.own.body, headers=sent)
        finally:
            c.headers["x-confide-csrf"] = "1"
        assert response.status_code == 403, f"{name}: {response.status_code} {response.text}"
        assert_clear_error(response)
        assert "X-Confide-CSRF" in response.text or "another site" in response.text
    await assert_unchanged(world)


async def test_our_own_origin_passes(world: World) -> None:
    """The control: the same guard lets our own pages through (here: a rename B may make)."""
    b = world.client("b")
    for headers in ({"origin": "http://127.0.0.1:8080"}, {"referer": "http://127.0.0.1:8080/c/x"}):
        response = await send(world, b, "PATCH", "/api/auth/me", {"name": "Bob"}, headers=headers)
        assert response.status_code == 200, response.text


async def test_api_keys_need_no_csrf_header(world: World) -> None:
    c = world.client("b_key")
    c.headers.pop("x-confide-csrf")
    try:
        response = await send(world, c, "POST", "/api/chats", {"title": "by script"})
    finally:
        c.headers["x-confide-csrf"] = "1"
    assert response.status_code == 201, response.text
