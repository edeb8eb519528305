"""Ollama's native API (base URL like http://127.0.0.1:11434): `/api/tags`, `/api/chat`
streaming newline-delimited JSON, `/api/embed`.

(Ollama's OpenAI-compatible `/v1` is served by `OpenAICompatModel`; this adapter exists for
servers where only the native API is enabled, and for its exact token counts.)
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from confide.providers import wire
from confide.providers.base import ChatRequest, ErrorKind, ModelInfo, ProviderError, StreamEvent
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool


class OllamaModel:
    def __init__(self, http: HttpPool, endpoint: Endpoint) -> None:
        self._http = http
        self._endpoint = endpoint
        self._base = endpoint.base_url.rstrip("/")

    def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        return wire.stream_events(
            self._http,
            self._endpoint,
            f"{self._base}/api/chat",
            chat_body(request),
            NdjsonParser(self._endpoint.api_key),
        )

    async def list_models(self) -> list[ModelInfo]:
        answer = await wire.request_json(
            self._http, self._endpoint, "GET", f"{self._base}/api/tags"
        )
        entries = answer.get("models") if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            raise wire.malformed()
        return [model_info(entry) for entry in entries]

    async def rerank(self, model: str, query: str, documents: list[str]) -> list[float]:
        raise ProviderError(ErrorKind.unsupported, "Ollama has no reranking endpoint")

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        answer = await wire.request_json(
            self._http,
            self._endpoint,
            "POST",
            f"{self._base}/api/embed",
            {"model": model, "input": texts},
        )
        vectors = answer.get("embeddings") if isinstance(answer, dict) else None
        if not isinstance(vectors, list) or len(vectors) != len(texts):
            raise wire.malformed()
        try:
            return [[float(x) for x in vector] for vector in vectors]
        except (TypeError, ValueError):
            raise wire.malformed() from None


def chat_body(request: ChatRequest) -> dict[str, Any]:
    params = request.params
    named = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "num_predict": params.max_tokens,
        "seed": params.seed,
    }
    options: dict[str, Any] = {name: value for name, value in named.items() if value is not None}
    if params.stop:
        options["stop"] = list(params.stop)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "stream": True,
    }
    if options:
        body["options"] = options
    return body


def model_info(entry: object) -> ModelInfo:
    if not isinstance(entry, dict):
        raise wire.malformed()
    name = entry.get("name") or entry.get("model")
    if not isinstance(name, str):
        raise wire.malformed()
    return ModelInfo(id=name, name=name)


class NdjsonParser(wire.LineParser):
    """One JSON object per line; the last one has `done: true`, the reason and the counts."""

    def line(self, line: bytes) -> str | None:
        if not line or line.isspace():
            return None
        chunk = wire.parse_json(line)
        if not isinstance(chunk, dict):
            raise wire.malformed()
        if "error" in chunk:
            raise wire.stream_error(chunk["error"], self.secret)
        if chunk.get("done"):
            self._final(chunk)
        message = chunk.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else None

    def _final(self, chunk: dict[str, Any]) -> None:
        self.done = True
        self.reason = str(chunk.get("done_reason") or "stop")
        self.usage = wire.usage(chunk.get("prompt_eval_count"), chunk.get("eval_count"))
