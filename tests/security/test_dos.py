"""Bounds: huge bodies refused before they are read, deeply nested JSON, 10,000-element arrays,
overlong strings, and every list paginated with a maximum page size. Always a clear 4xx."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Message

from tests.security.checks import assert_clear_error, send
from tests.security.routes import TABLE, Route
from tests.security.world import Upload, World, assert_unchanged

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = b"[" * (1024 * 1024)
# JSON bodies (a raw picture upload is sniffed, not parsed: tests/api/test_avatars.py; a
# file upload is streamed and bounded: tests/api/test_files.py).
BODY_ROUTES = [
    (f"{m} {p}", e)
    for (m, p), e in TABLE.items()
    if e.own and e.own.body and not isinstance(e.own.body, bytes | Upload)
]
# Lists that are not paginated, and what bounds them instead.
BOUNDED_LISTS = {
    "/api/auth/sessions": "the newest 500 sessions",
    "/api/api-keys": "at most 100 keys per user",
    "/api/usage": "one row per day, model and key, over at most 366 days",
    "/api/usage/totals": "one row per day and model, over at most 366 days",
    "/api/models": "the models offered: one per connection model and preset",
    "/v1/models": "the models offered: one per connection model and preset",
    "/api/folders": "at most 1,000 folders per user",
    "/api/tags": "at most 1,000 tags per user",
    "/api/shares": "at most 1,000 share links per user",
    "/api/chats/{chat_id}/shares": "at most 1,000 share links per user",
}


async def _raw_post(
    world: World, path: str, headers: dict[str, str], chunks: Iterator[bytes]
) -> tuple[int, int, float]:
    """Drive the ASGI app directly: (status, body bytes it read, seconds taken)."""
    read = 0
    status = 0
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8080),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> Message:
        nonlocal read
        chunk = next(chunks)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def sending(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    started = time.perf_counter()
    await world.app(scope, receive, sending)
    return status, read, time.perf_counter() - started


def _endless() -> Iterator[bytes]:
    while True:
        yield CHUNK


BIG_BODY_PATHS = ["/api/auth/signup", "/api/auth/login", "/api/chats", "/v1/chat/completions"]
JSON = {"host": "127.0.0.1:8080", "content-type": "application/json", "x-confide-csrf": "1"}


@pytest.mark.parametrize("path", BIG_BODY_PATHS)
async def test_a_declared_100_mb_body_is_refused_unread(world: World, path: str) -> None:
    headers = {**JSON, "content-length": str(HUNDRED_MB)}
    status, read, seconds = await _raw_post(world, path, headers, _endless())
    assert (status, read) == (413, 0)
    assert seconds < 1.0


@pytest.mark.parametrize("path", BIG_BODY_PATHS)
async def test_a_streamed_100_mb_body_is_cut_off_at_the_limit(world: World, path: str) -> None:
    headers = {**JSON, "transfer-encoding": "chunked"}
    status, read, seconds = await _raw_post(world, path, headers, _endless())
    assert status == 413
    assert read <= world.settings.max_body_bytes + len(CHUNK)
    assert seconds < 5.0


def _owner(world: World, entry: Route) -> Any:
    assert entry.own is not None
    return world.client(entry.own.actor)


@pytest.mark.parametrize(("route", "entry"), BODY_ROUTES, ids=[r for r, _ in BODY_ROUTES])
async def test_deeply_nested_json_is_refused(world: World, route: str, entry: Route) -> None:
    assert entry.own is not None
    method = route.split(" ", 1)[0]
    c = _owner(world, entry)
    deep = 100_000
    for content in (b"[" * deep, b"[" * deep + b"]" * deep, b'{"a":' * deep + b"1" + b"}" * deep):
        response = await c.request(
            method,
            world.fill(entry.own.path),
            content=content,
            headers={"content-type": "application/json"},
        )
        assert response.status_code in (400, 422), response.text[:300]
        assert_clear_error(response)
    await assert_unchanged(world)


# --- what the schema promises ------------------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _unbounded(schema: dict[str, Any], spec: dict[str, Any], where: str) -> Iterator[str]:
    """Strings without maxLength (or enum, const, format) and arrays without maxItems."""
    schema = _resolve(schema, spec)
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from _unbounded(option, spec, where)
    kind = schema.get("type")
    bounded = {"maxLength", "enum", "const", "format"} & schema.keys()
    if kind == "string" and not bounded and not str(schema.get("pattern", "")).endswith("}$"):
        yield where
    if kind == "array":
        if "maxItems" not in schema:
            yield where + "[]"
        yield from _unbounded(schema.get("items", {}), spec, where + "[]")
    for name, sub in schema.get("properties", {}).items():
        yield from _unbounded(sub, spec, f"{where}.{name}")


def _inputs(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                yield f"{method.upper()} {path} {param['in']} {param['name']}", param["schema"]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield f"{method.upper()} {path} body", body["schema"]


async def test_every_string_and_list_input_is_bounded(world: World) -> None:
    spec = world.app.openapi()
    loose = [where for name, schema in _inputs(spec) for where in _unbounded(schema, spec, name)]
    assert not loose, "inputs without a length limit:\n" + "\n".join(loose)


def _fields(schema: dict[str, Any], spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    schema = _resolve(schema, spec)
    yield from schema.get("properties", {}).items()


def _too_big(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value just over the field's limit: 10,000 items for lists, maxLength+1 for strings."""
    schema = _resolve(schema, spec)
    for option in schema.get("anyOf", []):
        option = _resolve(option, spec)
        if option.get("type") in ("array", "string"):
            schema = option
            break
    if schema.get("type") == "array":
        return ["x"] * 10_000
    if schema.get("type") == "string" and "maxLength" in schema:
        return "x" * (schema["maxLength"] + 1)
    return None


@pytest.mark.parametrize(("route", "entry"), BODY_ROUTES, ids=[r for r, _ in BODY_ROUTES])
async def test_oversized_lists_and_strings_are_refused(
    world: World, route: str, entry: Route
) -> None:
    assert entry.own is not None
    method, path = route.split(" ", 1)
    spec = world.app.openapi()
    body_schema = spec["paths"][path][method.lower()]["requestBody"]["content"]
    schema = body_schema["application/json"]["schema"]
    oversized = {n: v for n, f in _fields(schema, spec) if (v := _too_big(f, spec)) is not None}
    if not oversized:
        pytest.skip("only booleans, numbers and choices: nothing can be too long")
    for name, value in oversized.items():
        body = {**entry.own.body, name: value}
        response = await send(world, _owner(world, entry), method, entry.own.path, body)
        assert response.status_code == 422, f"{name}: {response.status_code} {response.text[:300]}"
        assert_clear_error(response)
    await assert_unchanged(world)


# --- lists are pages ---------------------------------------------------------------------------


def _list_routes(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        op = operations.get("get")
        if op is None:
            continue
        content = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        schema = _resolve(content.get("schema", {}), spec)
        if schema.get("type") == "array" or "items" in schema.get("properties", {}):
            yield path, op


async def test_every_list_is_paginated_or_bounded(world: World) -> None:
    spec = world.app.openapi()
    loose = []
    for path, op in _list_routes(spec):
        limit = next((p for p in op.get("parameters", []) if p["name"] == "limit"), None)
        if limit is None and path not in BOUNDED_LISTS:
            loose.append(path)
        if limit is not None:
            assert limit["schema"]["maximum"] <= 200, path
            assert limit["schema"]["default"] <= 200, path
    assert not loose, f"lists without a page size or a stated bound: {loose}"


PAGED = [
    "/api/chats",
    "/api/chats/search",
    "/api/models/presets",
    "/api/users",
    "/api/groups",
    "/api/groups/mine",
    "/api/connections",
    "/api/files",
    "/api/files/search",
    "/api/knowledge",
]


@pytest.mark.parametrize("path", [*PAGED, "/api/audit"])
@pytest.mark.parametrize("limit", ["10000", "0", "-1", "abc"])
async def test_page_sizes_out_of_range_are_refused(world: World, path: str, limit: str) -> None:
    c = world.client("admin")
    response = await c.get(path, params={"limit": limit, "q": "x"})  # search needs a `q`
    assert response.status_code == 422, response.text
    assert_clear_error(response)
    assert "limit" in response.json()["detail"]


async def test_paged_routes_are_all_listed(world: World) -> None:
    spec = world.app.openapi()
    paged = {
        p
        for p, op in _list_routes(spec)
        if any(x["name"] == "limit" for x in op.get("parameters", []))
    }
    assert paged == {*PAGED, "/api/audit"}


@pytest.mark.parametrize(
    "change",
    [
        {"stop": "x" * 101},
        {"stop": ["x"] * 5},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}] * 101}]},
        {"messages": [{"role": "user", "content": "x" * 1_000_001}]},
    ],
    ids=["long stop word", "five stop words", "101 content parts", "overlong content"],
)
async def test_openai_inputs_are_bounded(world: World, change: dict[str, Any]) -> None:
    body = {"model": "fake-small", "messages": [{"role": "user", "content": "hi"}], **change}
    response = await world.client("b_key").post("/v1/chat/completions", json=body)
    assert response.status_code == 422, response.text[:300]
    assert_clear_error(response)
