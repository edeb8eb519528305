"""A fake Ollama server (native API): `/api/tags`, `/api/chat` (NDJSON), `/api/embed`.
Replies are scripted per test (see `Reply`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.openai_server import vector
from tests.fakes.server import FakeServer, Reply

NDJSON = "application/x-ndjson"
CREATED = "2024-01-01T00:00:00Z"


def line(payload: Any) -> bytes:
    return json.dumps(payload).encode() + b"\n"


class FakeOllama(FakeServer):
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/tags", self.tags)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_post("/api/embed", self.embed)

    async def tags(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        models = [{"name": name, "model": name, "size": 1234} for name in self.models]
        return web.json_response({"models": models})

    async def embed(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        texts = self.requests[-1].json["input"]
        return web.json_response({"model": "fake", "embeddings": [vector(t) for t in texts]})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        model = self.requests[-1].json["model"]
        chunks = [line(message(model, text)) for text in self.reply.chunks]
        return await self.stream(request, NDJSON, chunks, tail(self.reply, model))


def message(model: str, text: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": CREATED,
        "message": {"role": "assistant", "content": text},
        "done": False,
    }


def tail(reply: Reply, model: str) -> list[bytes]:
    lines: list[bytes] = []
    if reply.malformed is not None:
        lines.append(reply.malformed)
    if reply.error is not None:
        lines.append(line({"error": reply.error}))
    if reply.done:
        final: dict[str, Any] = {**message(model, ""), "done": True}
        if reply.finish_reason is not None:
            final["done_reason"] = reply.finish_reason
        if reply.usage:
            final["prompt_eval_count"] = reply.prompt_tokens
            final["eval_count"] = len(reply.chunks)
        lines.append(line(final))
    return lines
