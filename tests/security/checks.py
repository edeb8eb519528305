"""Checks every attack's answer goes through: a clear message, nothing private, no internals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

import confide
from tests.security.world import A_EMAIL, Upload, World, fresh_login

SOURCE_TREE = str(Path(confide.__file__).resolve().parent)
INTERNALS = ("Traceback", 'File "', "SELECT ", "INSERT ", "UPDATE ", "sqlalchemy", "asyncpg")
REQUEST_TIMEOUT = 20.0  # a stream that should have been refused would hang: fail instead


def message_of(response: httpx.Response) -> str:
    """The human message of an error answer (`detail`, or OpenAI's `error.message`)."""
    body = response.json()
    if isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))
    return str(body.get("detail", ""))


def assert_clear_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"server error: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.text
    text = message_of(response)
    assert text and len(text) > 5 and " " in text, f"no message a person can read: {response.text}"


def assert_no_internals(world: World, response: httpx.Response) -> None:
    text = response.text
    for marker in (*INTERNALS, SOURCE_TREE, str(world.settings.data_dir.resolve())):
        assert marker not in text, f"the answer shows {marker!r}: {text[:500]}"
    key_ring = world.settings.key_file.read_text().split()
    for word in key_ring:
        if len(word) > 20:
            assert word not in text, "the answer contains the master key"


def assert_nothing_private(world: World, response: httpx.Response, sent: str = "") -> None:
    """Nothing of A's (their text, their email, their ids B did not send) is in the answer."""
    text = response.text
    for secret in world.private_texts():
        if secret not in sent:
            assert secret not in text, f"the answer leaks {secret!r}"
    for name, value in {**world.a_ids(), "group": world.ids["group"]}.items():
        if value not in sent:
            assert value not in text, f"the answer leaks {name}"
    assert_no_internals(world, response)


@asynccontextmanager
async def acting(world: World, actor: str) -> AsyncIterator[httpx.AsyncClient]:
    """The client of `actor`; `b_fresh` is a new session of B's, ended afterwards."""
    if actor != "b_fresh":
        yield world.client(actor)
        return
    c = await fresh_login(world, "bob@example.com")
    try:
        yield c
    finally:
        await c.aclose()


async def send(
    world: World,
    c: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any = None,
    **kwargs: Any,
) -> httpx.Response:
    with anyio.fail_after(REQUEST_TIMEOUT):
        if body is None:
            return await c.request(method, world.fill(path), **kwargs)
        if isinstance(body, Upload):
            sent = {"file": (body.name, body.data, "application/octet-stream")}
            return await c.request(method, world.fill(path), files=sent, **kwargs)
        if isinstance(body, bytes):  # a raw upload (a profile picture)
            headers = {"content-type": "image/png", **kwargs.pop("headers", {})}
            return await c.request(
                method, world.fill(path), content=body, headers=headers, **kwargs
            )
        return await c.request(method, world.fill(path), json=world.fill(body), **kwargs)


__all__ = ["A_EMAIL"]
