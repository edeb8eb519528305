"""Any OpenAI-compatible `/v1` server: OpenAI, vLLM, llama.cpp server, LiteLLM, LM Studio,
Ollama's `/v1`. The endpoint's base URL includes the `/v1` part.

Chat replies stream as server-sent events: `data: {chunk}` lines, then `data: [DONE]`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from confide.providers import wire
from confide.providers.base import ChatRequest, ModelInfo, StreamEvent
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool

CONTEXT_FIELDS = ("context_length", "max_model_len", "context_window")  # as servers name it


class OpenAICompatModel:
    def __init__(self, http: HttpPool, endpoint: Endpoint) -> None:
        self._http = http
        self._endpoint = endpoint
        self._base = endpoint.base_url.rstrip("/")

    def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        return wire.stream_events(
            self._http,
            self._endpoint,
            f"{self._base}/chat/completions",
            chat_body(request),
            SseParser(self._endpoint.api_key),
        )

    async def list_models(self) -> list[ModelInfo]:
        answer = await wire.request_json(self._http, self._endpoint, "GET", f"{self._base}/models")
        entries = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            raise wire.malformed()
        return [model_info(entry) for entry in entries]

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        answer = await wire.request_json(
            self._http,
            self._endpoint,
            "POST",
            f"{self._base}/embeddings",
            {"model": model, "input": texts},
        )
        entries = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(entries, list) or len(entries) != len(texts):
            raise wire.malformed()
        try:
            ordered = sorted(entries, key=lambda entry: int(entry.get("index", 0)))
            return [[float(x) for x in entry["embedding"]] for entry in ordered]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise wire.malformed() from None

    async def rerank(self, model: str, query: str, documents: list[str]) -> list[float]:
        """`POST /rerank` as vLLM, llama.cpp's server, Infinity, TEI and Jina's API take it
        (Cohere's shape): `results` of `{index, relevance_score}`."""
        answer = await wire.request_json(
            self._http,
            self._endpoint,
            "POST",
            f"{self._base}/rerank",
            {"model": model, "query": query, "documents": documents},
        )
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise wire.malformed()
        scores = [float("-inf")] * len(documents)  # a document left out ranks last
        try:
            for result in results:
                index, score = int(result["index"]), float(result["relevance_score"])
                if not 0 <= index < len(documents):
                    raise wire.malformed()
                scores[index] = score
        except (KeyError, TypeError, ValueError):
            raise wire.malformed() from None
        return scores


def chat_body(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    params = request.params
    optional = {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
        "seed": params.seed,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    if params.stop:
        body["stop"] = list(params.stop)
    return body


def model_info(entry: object) -> ModelInfo:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise wire.malformed()
    context = next(
        (entry[name] for name in CONTEXT_FIELDS if isinstance(entry.get(name), int)), None
    )
    return ModelInfo(id=entry["id"], name=entry["id"], context_length=context)


class SseParser(wire.LineParser):
    """Server-sent events: `data:` lines carry chunks; comments and other fields are skipped."""

    def line(self, line: bytes) -> str | None:
        if line.startswith(b"data:"):
            payload = line[5:].strip()
            if payload == b"[DONE]":
                self.done = True
                return None
            return self._chunk(wire.parse_json(payload))
        if line.startswith(b"{"):  # a bare JSON error instead of an event stream
            self._chunk(wire.parse_json(line))
        return None

    def _chunk(self, chunk: Any) -> str | None:
        if not isinstance(chunk, dict):
            raise wire.malformed()
        if "error" in chunk:
            raise wire.stream_error(chunk["error"], self.secret)
        usage = chunk.get("usage")
        if usage:
            self._usage(usage)
        choices = chunk.get("choices")
        if not choices:
            return None
        try:
            choice = choices[0]
            reason = choice.get("finish_reason")
            content = (choice.get("delta") or {}).get("content")
        except (AttributeError, IndexError, KeyError, TypeError):
            raise wire.malformed() from None
        if reason:
            self.reason = str(reason)
        return content if isinstance(content, str) else None

    def _usage(self, usage: Any) -> None:
        if not isinstance(usage, dict):
            raise wire.malformed()
        self.usage = wire.usage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
