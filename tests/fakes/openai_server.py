"""A fake OpenAI-compatible server: `/v1/models`, `/v1/chat/completions` (SSE),
`/v1/embeddings`. Replies are scripted per test (see `Reply`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer, Reply

SSE = "text/event-stream"


def event(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


class FakeOpenAI(FakeServer):
    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/models", self.list_models)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_post("/v1/rerank", self.rerank)

    def url_for(self, root: str) -> str:
        return f"{root}/v1"

    async def list_models(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        data = [{"id": name, "object": "model", "owned_by": "fake"} for name in self.models]
        return web.json_response({"object": "list", "data": data})

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        texts = self.requests[-1].json["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": vector(text)}
            for i, text in reversed(list(enumerate(texts)))  # out of order on purpose
        ]
        return web.json_response({"object": "list", "data": data})

    async def rerank(self, request: web.Request) -> web.StreamResponse:
        """Relevance = how many of the query's words a document has (ties: shorter first)."""
        early = await self.preamble(request)
        if early is not None:
            return early
        asked = self.requests[-1].json
        words = set(asked["query"].lower().split())
        results = [
            {"index": i, "relevance_score": relevance(words, document)}
            for i, document in enumerate(asked["documents"])
        ]
        results.sort(key=lambda r: -r["relevance_score"])  # as servers answer: best first
        return web.json_response({"results": results})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        early = await self.preamble(request)
        if early is not None:
            return early
        reply = self.reply
        texts = [event(chunk({"content": text})) for text in reply.chunks]
        if texts:  # the role comes first, in the same write as the first text
            texts[0] = event(chunk({"role": "assistant", "content": ""})) + texts[0]
        asked = (self.requests[-1].json.get("stream_options") or {}).get("include_usage")
        return await self.stream(request, SSE, texts, tail(reply, bool(asked)))


def tail(reply: Reply, include_usage: bool) -> list[bytes]:
    lines: list[bytes] = []
    if reply.malformed is not None:
        lines.append(reply.malformed)
    if reply.error is not None:
        lines.append(event({"error": reply.error}))
    if reply.finish_reason is not None:
        lines.append(event(chunk({}, reply.finish_reason)))
    if reply.usage and include_usage:
        completion = len(reply.chunks)
        usage = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": reply.prompt_tokens + completion,
        }
        lines.append(event({**chunk({}), "choices": [], "usage": usage}))
    if reply.done:
        lines.append(b"data: [DONE]\n\n")
    return lines


def relevance(words: set[str], document: str) -> float:
    found = sum(1 for word in document.lower().split() if word.strip(".,?!") in words)
    return found - len(document) / 100_000


def vector(text: str) -> list[float]:
    """A deterministic embedding, so tests can check which text got which vector."""
    return [float(len(text)), 1.0, 0.5]
