"""Thin streaming responses: headers once, then one ASGI `send` per chunk.

Starlette's StreamingResponse costs more per chunk than the relay can afford. `StreamBody`
writes each chunk with a single `send` and stops when the client goes away; `event_stream`
turns a reply's event batches into Server-Sent Events, coalescing runs of deltas into one
event, with a comment after 15 s of silence so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from confide.services.messages import FollowEvent

KEEPALIVE = b": keepalive\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


def encode(batch: list[FollowEvent]) -> bytes:
    """SSE bytes for a batch; runs of deltas become one event carrying the last id."""
    out: list[str] = []
    pending: list[str] = []
    last_seq: int | None = None
    for event in batch:
        if event.kind == "delta":
            pending.append(str(event.data.get("text", "")))
            last_seq = event.seq
            continue
        if pending:
            out.append(_event("delta", {"text": "".join(pending)}, last_seq))
            pending = []
        out.append(_event(event.kind, event.data, event.seq))
    if pending:
        out.append(_event("delta", {"text": "".join(pending)}, last_seq))
    return "".join(out).encode("utf-8")


def _event(kind: str, data: dict[str, Any], seq: int | None) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n"


class StreamBody(Response):
    """Streams bytes with one ASGI `send` per item, and stops when the client goes away.

    The hot path is a plain `async for` over the chunks: no task, timer or future per chunk.
    One watcher task per response notices the client leaving.
    """

    def __init__(self, chunks: AsyncIterator[bytes], media_type: str) -> None:
        # Deliberately not Response.__init__: there is no body to render up front.
        self.chunks = chunks
        self.status_code = 200
        self.background = None
        self.raw_headers = [(b"content-type", media_type.encode()), *HEADERS[1:]]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        pump = asyncio.create_task(self._pump(send))
        watcher = asyncio.create_task(_wait_for_disconnect(receive))
        await asyncio.wait({pump, watcher}, return_when=asyncio.FIRST_COMPLETED)
        for task in (pump, watcher):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await pump
        await _close(self.chunks)
        with contextlib.suppress(OSError, RuntimeError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, send: Send) -> None:
        async for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


def event_stream(batches: AsyncIterator[list[FollowEvent]]) -> StreamBody:
    """A reply's events as Server-Sent Events."""
    return StreamBody(_encoded(batches), "text/event-stream; charset=utf-8")


async def _encoded(batches: AsyncIterator[list[FollowEvent]]) -> AsyncIterator[bytes]:
    """An empty batch (the broker's sign of 15 s of silence) becomes a keep-alive comment."""
    try:
        async for batch in batches:
            yield encode(batch) if batch else KEEPALIVE
    finally:
        await _close(batches)


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        continue


async def _close(iterator: AsyncIterator[object]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(RuntimeError):
            await aclose()
