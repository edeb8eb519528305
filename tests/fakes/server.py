"""What the fake upstreams share: a real aiohttp server on 127.0.0.1 (a free port), the
scripted `Reply`, the record of every request, and the chunk writer (delays, one-write
bursts, a dropped connection, a hang).

A test scripts the reply (`fake.script(chunks=[...], delay=0.01)`, or `fake.script(Reply(...))`);
it stays in force for every following request until the next `script` call.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

HANG_RELEASE_STATUS = 503  # what a hung handler answers when the fake shuts down


@dataclass
class Reply:
    """One scripted answer. Streaming fields apply to chat; the others to every route."""

    chunks: Sequence[str] = ("Hello", ", ", "world", "!")
    delay: float = 0.0  # seconds before each chunk after the first
    together: bool = False  # every chunk in one write (so they arrive in one network read)
    status: int = 200  # >= 300: answer this status with `body` instead of streaming
    body: str | dict[str, Any] = ""
    redirect: str | None = None  # answer 307 to this URL
    hang: bool = False  # accept the request, never answer
    abort_after: int | None = None  # drop the connection after this many chunks
    malformed: bytes | None = None  # a raw line written after the chunks
    error: Any = None  # an {"error": ...} chunk written after the chunks
    usage: bool = True  # report token counts
    finish_reason: str | None = "stop"  # None: no finish reason at all
    done: bool = True  # end the stream properly ([DONE] / done:true)
    prompt_tokens: int = 11


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    json: Any


@dataclass
class FakeServer:
    """Base of the fakes; subclasses add their routes and wire format."""

    models: list[str] = field(default_factory=lambda: ["fake-small", "fake-large"])
    requests: list[Recorded] = field(default_factory=list)
    reply: Reply = field(default_factory=Reply)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    @asynccontextmanager
    async def running(cls) -> AsyncIterator[Self]:
        fake = cls()
        await fake.start()
        try:
            yield fake
        finally:
            await fake.stop()

    def script(self, reply: Reply | None = None, **fields: Any) -> None:
        self.reply = reply if reply is not None else Reply(**fields)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = self.url_for(f"http://{host}:{port}")

    def url_for(self, root: str) -> str:
        return root

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- handler helpers ---------------------------------------------------------------------

    async def record(self, request: web.Request) -> Any:
        body = await request.read()
        payload = json.loads(body) if body else None
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.requests.append(Recorded(request.method, request.path, headers, payload))
        return payload

    async def preamble(self, request: web.Request) -> web.StreamResponse | None:
        """Record the request; answer it here if the script says hang, redirect or fail."""
        await self.record(request)
        reply = self.reply
        if reply.hang:
            await self._release.wait()
            return web.Response(status=HANG_RELEASE_STATUS)
        if reply.redirect is not None:
            return web.Response(status=307, headers={"Location": reply.redirect})
        if reply.status >= 300:
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            return web.Response(status=reply.status, text=body, content_type="application/json")
        return None

    async def stream(
        self,
        request: web.Request,
        content_type: str,
        chunks: list[bytes],
        tail: list[bytes],
    ) -> web.StreamResponse:
        """Write the chunks as scripted, then the tail (the wire format's ending)."""
        reply = self.reply
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        if reply.together:
            await response.write(b"".join(chunks))
        else:
            for index, chunk in enumerate(chunks):
                if reply.abort_after is not None and index == reply.abort_after:
                    return self._abort(request, response)
                if index and reply.delay:
                    await asyncio.sleep(reply.delay)
                await response.write(chunk)
        if reply.abort_after is not None and reply.abort_after >= len(chunks):
            return self._abort(request, response)
        for line in tail:
            await response.write(line)
        await response.write_eof()
        return response

    @staticmethod
    def _abort(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Drop the connection mid-body: the client sees an incomplete chunked body."""
        if request.transport is not None:
            request.transport.abort()
        return response
