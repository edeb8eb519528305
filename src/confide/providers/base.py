"""The one protocol every model backend speaks, and the values that cross it.

A backend streams `Delta`s (text, possibly several tokens coalesced from one network read) and
ends with exactly one `Finish` (reason, usage). Failures raise `ProviderError` with a `kind` a
person can be told about; nothing else escapes an adapter.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class GenerationParams:
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str  # the backend's own model id (any Confide prefix already removed)
    messages: tuple[ChatMessage, ...]
    params: GenerationParams = field(default_factory=GenerationParams)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class Delta:
    text: str


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str  # "stop" | "length" | "error" | backend-specific
    usage: Usage | None = None


StreamEvent = Delta | Finish


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str  # the backend's own id
    name: str
    context_length: int | None = None


class ErrorKind(StrEnum):
    unreachable = "unreachable"  # connection refused, DNS, TLS
    auth = "auth"  # 401/403 from the backend
    not_found = "not_found"  # unknown model
    bad_request = "bad_request"  # the backend refused the request
    context_length = "context_length"  # prompt too long for the model
    timeout = "timeout"  # no answer in time
    rate_limited = "rate_limited"  # 429 from the backend
    upstream = "upstream"  # 5xx or a broken stream
    protocol = "protocol"  # an answer we cannot parse
    unsupported = "unsupported"  # the backend cannot do this (e.g. embeddings)


MESSAGES = {
    ErrorKind.unreachable: "The model server could not be reached.",
    ErrorKind.auth: "The model server refused the credentials.",
    ErrorKind.not_found: "The model server does not know this model.",
    ErrorKind.bad_request: "The model server refused the request.",
    ErrorKind.context_length: "The conversation is too long for this model.",
    ErrorKind.timeout: "The model server did not answer in time.",
    ErrorKind.rate_limited: "The model server is rate-limiting requests; try again shortly.",
    ErrorKind.upstream: "The model server failed while answering.",
    ErrorKind.protocol: "The model server sent an answer Confide could not read.",
    ErrorKind.unsupported: "This model server cannot do that.",
}


class ProviderError(Exception):
    """A backend failed; `message` is safe to show the user (no keys, no internals)."""

    def __init__(self, kind: ErrorKind, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail[:300]
        super().__init__(self.message)

    @property
    def message(self) -> str:
        base = MESSAGES[self.kind]
        return f"{base} ({self.detail})" if self.detail else base


@runtime_checkable
class ChatModel(Protocol):
    """A model backend: one connection (OpenAI-compatible, Ollama) or the local runtime."""

    def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        """Stream the reply: Deltas, then exactly one Finish; or raise ProviderError.

        A caller that stops early should `aclose()` the generator: that ends the upstream
        request (or the local worker thread) at once instead of when it is garbage-collected.
        """
        ...

    async def list_models(self) -> list[ModelInfo]: ...

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """Embeddings, or ProviderError(ErrorKind.unsupported)."""
        ...

    async def rerank(self, model: str, query: str, documents: list[str]) -> list[float]:
        """How relevant each document is to `query` (higher is more), in the documents' order;
        or ProviderError(ErrorKind.unsupported)."""
        ...
