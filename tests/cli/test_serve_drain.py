"""`confide serve` on SIGTERM, as a real process: it drains (unready, new replies refused with
503, running ones finish), then exits; replies still running after the grace period end as
`interrupted` with their text kept, and their followers are told so."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.test_cli import _free_port
from tests.conftest import PASSWORD
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.slow
MODEL = "fake-small"


@asynccontextmanager
async def serving(tmp_path: Path, grace: int) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")}
    environment |= {
        "CONFIDE_DATA_DIR": str(tmp_path / "data"),
        "CONFIDE_PORT": str(port),
        "CONFIDE_PUBLIC_URL": base,
        "CONFIDE_PASSWORD_HASH_MEMORY_KIB": "19456",
        "CONFIDE_SHUTDOWN_GRACE_SECONDS": str(grace),
    }
    with (tmp_path / "server.log").open("wb") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "confide", "serve", env=environment, stderr=log
        )
        try:
            async with httpx.AsyncClient(base_url=base, headers={"x-confide-csrf": "1"}) as c:
                await _until_ready(c)
                yield server, c
        finally:
            if server.returncode is None:
                server.kill()
                await server.wait()


async def _until_ready(c: httpx.AsyncClient) -> None:
    give_up = time.monotonic() + 20
    while time.monotonic() < give_up:
        try:
            if (await c.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the server did not become ready")


async def _start_reply(c: httpx.AsyncClient, fake: FakeOpenAI) -> tuple[str, str]:
    signed = await c.post(
        "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD, "name": "A"}
    )
    assert signed.status_code == 201, signed.text
    connection = {"kind": "openai", "name": "Fake", "base_url": fake.base_url}
    assert (await c.post("/api/connections", json=connection)).status_code == 201
    chat_id = (await c.post("/api/chats", json={})).json()["id"]
    sent = await c.post(f"/api/chats/{chat_id}/messages", json={"content": "go", "model": MODEL})
    assert sent.status_code == 201, sent.text
    return chat_id, sent.json()["assistant_message_ids"][0]


async def _final_event(c: httpx.AsyncClient, chat_id: str, reply_id: str) -> dict[str, Any]:
    """Follow the reply's stream to its end; its `done` event's data."""
    url = f"/api/chats/{chat_id}/messages/{reply_id}/stream"
    event = None
    async with c.stream("GET", url, timeout=60) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event in {"done", "error"}:
                final: dict[str, Any] = json.loads(line.removeprefix("data: "))
                return final
    raise AssertionError("the stream ended without a final event")


@pytest.mark.parametrize(
    ("grace", "pieces", "status"),
    [(30, 30, "complete"), (1, 400, "interrupted")],
    ids=["finishes within the grace period", "interrupted after it"],
)
async def test_sigterm_drains_then_stops(
    tmp_path: Path, fake_openai: FakeOpenAI, grace: int, pieces: int, status: str
) -> None:
    fake_openai.script(chunks=["word "] * pieces, delay=0.05)
    async with serving(tmp_path, grace) as (server, c):
        chat_id, reply_id = await _start_reply(c, fake_openai)
        follower = asyncio.create_task(_final_event(c, chat_id, reply_id))
        await asyncio.sleep(0.3)  # the reply is under way
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        await _until_unready(c)
        assert (await c.get("/healthz")).status_code == 200
        refused = await c.post(
            f"/api/chats/{chat_id}/messages", json={"content": "more", "model": MODEL}
        )
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        final = await asyncio.wait_for(follower, 30)
        assert final["status"] == status
        assert await asyncio.wait_for(server.wait(), 15) == 0
        took = time.monotonic() - signalled
    assert took < grace + 5
    log = (tmp_path / "server.log").read_text(errors="replace")
    if status == "interrupted":
        assert "1 replies still running are ended as interrupted" in log
    else:
        assert took < pieces * 0.05 + 5  # it left once the reply was done


async def _until_unready(c: httpx.AsyncClient) -> None:
    give_up = time.monotonic() + 3
    while time.monotonic() < give_up:
        ready = await c.get("/readyz")
        if ready.status_code == 503:
            assert ready.json()["status"] == "draining"
            return
        await asyncio.sleep(0.05)
    raise AssertionError("/readyz never turned unready")
