"""Information disclosure: a visitor crawling every GET route sees only the public pages,
health and the app shell; no error anywhere shows a stack trace, SQL, a server path or a
secret (the master key, an API key, a connection's upstream key)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from confide.services import chats
from tests.security.checks import (
    assert_clear_error,
    assert_no_internals,
    assert_nothing_private,
    message_of,
    send,
)
from tests.security.routes import TABLE, UNSAFE, Ids, Level, app_routes
from tests.security.world import UPSTREAM_KEY, World

# Real ids for each path parameter name: a crawler that knew every id still sees nothing.
PLACEHOLDERS = {
    "chat_id": "{a_chat}",
    "message_id": "{a_live}",
    "preset_id": "{a_preset}",
    "key_id": "{a_key}",
    "session_id": "{a_session}",
    "user_id": "{a_user}",
    "group_id": "{group}",
    "connection_id": "{conn}",
    "folder_id": "{a_folder}",
    "tag_id": "{a_tag}",
    "file_id": "{a_file}",
    "knowledge_id": "{a_knowledge}",
    "share_id": "{a_share}",
    "token": "{a_share_token}",
    "rest": "users/{a_user}",
    "path": "index.js",
    "name": "swagger-ui.css",
}
PUBLIC_GETS = {"/api/auth/setup", "/healthz", "/readyz", "/favicon.svg", "/assets/{path:path}"}
# Not signed in, but not open either: a token or a network (404 until one is configured).
PUBLIC_GETS |= {"/metrics"}
SHARED_VIEW = "/api/shared/{token}"  # public, but A's link is for members: sign in to see it
# Traversal in every spelling, absolute paths, NUL, overlong, injection and odd characters.
JUNK_IDS = [
    "x" * 65,
    "..%2f..%2fetc%2fpasswd",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "..%5c..%5cwindows%5cwin.ini",
    "%2fetc%2fpasswd",
    "C:%5cWindows",
    "' OR '1'='1",
    "%00",
    "a%00.png",
    "%F0%9F%92%A9",
    "NaN",
]


def _crawl_path(path: str) -> str:
    for name, value in PLACEHOLDERS.items():
        path = path.replace(f"{{{name}:path}}", value).replace(f"{{{name}}}", value)
    assert "{" not in path.replace("{a_", "").replace("{group}", "").replace("{conn}", ""), path
    return path


GETS = sorted(p for (m, p) in TABLE if m == "GET")


@pytest.mark.parametrize("path", GETS)
async def test_a_visitor_sees_nothing_but_public_pages(world: World, path: str) -> None:
    entry = TABLE[("GET", path)]
    response = await send(world, world.client("anon"), "GET", _crawl_path(path))
    if entry.ids is Ids.SHELL or path in PUBLIC_GETS:
        assert entry.level is Level.public
        assert response.status_code in (200, 404)
    elif path == SHARED_VIEW:
        assert response.status_code == 401, response.text[:300]
        assert_clear_error(response)
        assert message_of(response).startswith("Sign in")
    else:
        assert response.status_code == 401, response.text[:300]
        assert_clear_error(response)
        assert message_of(response) == "Sign in first."
    assert_nothing_private(world, response)


async def test_only_sign_in_and_health_are_public(world: World) -> None:
    public = sorted(
        f"{r.method} {r.path}"
        for r in app_routes(world.app)
        if TABLE[r.key].level is Level.public and TABLE[r.key].ids is not Ids.SHELL
    )
    assert public == [
        "GET /api/auth/setup",
        "GET /api/shared/{token}",
        "GET /assets/{path:path}",
        "GET /favicon.svg",
        "GET /healthz",
        "GET /metrics",
        "GET /readyz",
        "POST /api/auth/login",
        "POST /api/auth/logout",
        "POST /api/auth/signup",
    ]


async def test_the_app_shell_holds_no_user_data(world: World) -> None:
    for actor in ("anon", "a", "admin"):
        response = await world.client(actor).get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert_nothing_private(world, response)


def _junk_requests() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for (method, path), entry in TABLE.items():
        if "{" not in path or entry.ids is Ids.SHELL or path.startswith("/assets"):
            continue
        for junk in JUNK_IDS:
            filled = path
            for name in PLACEHOLDERS:
                filled = filled.replace(f"{{{name}}}", junk)
            cases.append((method, filled, {} if method in UNSAFE - {"DELETE"} else None))
    return cases


@pytest.mark.parametrize("actor", ["b", "admin"])
async def test_errors_for_junk_ids_reveal_nothing(world: World, actor: str) -> None:
    for method, path, body in _junk_requests():
        response = await send(world, world.client(actor), method, path, body)
        assert 400 <= response.status_code < 500, f"{method} {path}: {response.text[:300]}"
        assert_clear_error(response)
        assert_nothing_private(world, response)


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"\xff\xfe",
        b'{"title": 5}',
        b"[]",
        b'"just a string"',
        b"null",
        b'{"title": "\\ud800"}',
    ],
    ids=["truncated", "not UTF-8", "wrong type", "a list", "a string", "null", "lone surrogate"],
)
async def test_bad_bodies_reveal_nothing(world: World, content: bytes) -> None:
    b = world.client("b")
    for path in ("/api/chats", "/api/auth/signup", "/api/models/presets"):
        response = await b.post(path, content=content, headers={"content-type": "application/json"})
        assert response.status_code in (201, 400, 422), f"{path}: {response.text[:300]}"
        if response.status_code != 201:
            assert_clear_error(response)
        assert_nothing_private(world, response)


async def test_an_unexpected_error_reveals_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = world.secrets["a_key"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        statement = "SELECT * FROM users WHERE key = :key"  # as a failed query would show
        raise OperationalError(statement, {"key": secret}, Exception(secret))

    monkeypatch.setattr(chats, "list_chats", broken)
    response = await world.client("b").get("/api/chats")
    assert response.status_code == 500
    assert response.json()["detail"] == "Something went wrong on the server."
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert_nothing_private(world, response)


async def test_an_upstream_echoing_its_key_does_not_pass_it_on(world: World) -> None:
    """A model server whose error repeats the key it was sent: nobody sees the key."""
    message = f"Incorrect API key provided: {UPSTREAM_KEY}. You can find your key at /keys."
    world.fake.script(status=401, body={"error": {"message": message}})
    try:
        probed = await send(world, world.client("admin"), "POST", "/api/connections/{conn}/test")
        world.ctx.listings.forget(world.ids["conn"])
        listed = await world.client("b").get("/api/models")
        completion = await world.client("b_key").post(
            "/v1/chat/completions",
            json={"model": "fake-small", "messages": [{"role": "user", "content": "hi"}]},
        )
    finally:
        world.fake.script()
    assert probed.json()["ok"] is False
    for response in (probed, listed, completion):
        assert UPSTREAM_KEY not in response.text, response.text
        assert_no_internals(world, response)


NUL_REQUESTS = [
    ("anon", "POST", "/api/auth/login", {"email": "a\x00@example.com", "password": "x"}),
    ("anon", "POST", "/api/auth/signup", {"email": "a@example.com", "password": "x\x00" * 6}),
    ("admin", "POST", "/api/groups", {"name": "G", "description": "\x00"}),
    ("admin", "GET", "/api/groups?cursor=%00", None),
    ("admin", "GET", "/api/users?q=%00", None),
    ("admin", "GET", "/api/audit?action=a%00b", None),
    ("b", "POST", "/api/models/presets", {"name": "P", "base_model": "x\x00"}),
    ("b", "POST", "/api/chats/{b_chat}/messages", {"content": "hi", "model": "fake-small\x00"}),
    ("b_key", "POST", "/v1/chat/completions", {"model": "a\x00", "messages": [{"role": "user"}]}),
    ("b", "DELETE", "/api/api-keys/%00", None),
    ("b", "GET", "/api/chats/a%00b", None),
]


@pytest.mark.parametrize(
    ("actor", "method", "path", "body"),
    NUL_REQUESTS,
    ids=[f"{m} {p}" for _, m, p, _ in NUL_REQUESTS],
)
async def test_nul_characters_are_refused_not_a_server_error(
    world: World, actor: str, method: str, path: str, body: Any
) -> None:
    """PostgreSQL cannot hold or compare text with a NUL: such input is refused up front."""
    response = await send(world, world.client(actor), method, path, body)
    expected = (404,) if "%00" in path.split("?")[0] else (400, 422)
    assert response.status_code in expected, response.text[:300]
    assert_clear_error(response)
    assert "NUL" in message_of(response)
