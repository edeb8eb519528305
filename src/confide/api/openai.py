"""`/v1`: the OpenAI-compatible API (models, chat completions) for API keys and scripts.

Stateless: nothing but usage is stored. Streaming answers use OpenAI's chunk format, end with
`data: [DONE]`, and carry usage in a final chunk when `stream_options.include_usage` is set.
Errors use OpenAI's `{"error": {...}}` shape so SDKs show the message.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from confide.api.deps import Ctx, Member
from confide.api.errors import OPENAI_RESPONSES
from confide.api.schemas import refuse_nul
from confide.api.sse import StreamBody
from confide.providers.base import ChatMessage, Delta, Finish, GenerationParams, ProviderError
from confide.services import completions, models
from confide.services.completions import Prepared
from confide.store.access import Principal

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=OPENAI_RESPONSES)
MAX_MESSAGES = 1000
MAX_TEXT = 1_000_000  # characters in one message (or one part of it)
MAX_PARTS = 100
PROVIDER_STATUS = {
    "not_found": 404,
    "context_length": 400,
    "bad_request": 400,
    "rate_limited": 429,
    "timeout": 504,
}


StopWord = Annotated[str, Field(max_length=100)]


class Lenient(BaseModel):
    """OpenAI clients send fields we do not use; they are ignored, never stored."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class TextPart(Lenient):
    type: Literal["text"]
    text: str = Field(max_length=MAX_TEXT)


class MessageIn(Lenient):
    role: Literal["system", "developer", "user", "assistant"]
    content: (
        Annotated[str, Field(max_length=MAX_TEXT)]
        | Annotated[list[TextPart], Field(max_length=MAX_PARTS)]
        | None
    ) = None

    def to_message(self) -> ChatMessage:
        role = "system" if self.role == "developer" else self.role
        if isinstance(self.content, list):
            return ChatMessage(role, "".join(part.text for part in self.content))
        return ChatMessage(role, self.content or "")


class StreamOptions(Lenient):
    include_usage: bool = False


class CompletionIn(Lenient):
    model: str = Field(min_length=1, max_length=200)
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=131072)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=131072)
    stop: StopWord | Annotated[list[StopWord], Field(max_length=4)] | None = None
    seed: int | None = None
    n: int = Field(default=1, ge=1, le=1, description="Only one choice is supported.")

    def params(self) -> GenerationParams:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return GenerationParams(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_completion_tokens or self.max_tokens,
            stop=stop,
            seed=self.seed,
        )


@router.get("/models")
async def list_models(principal: Member, ctx: Ctx) -> dict[str, Any]:
    """Every model this key's user may use, presets included."""
    listed = await models.list_models(principal, ctx)
    data = [
        {"id": m.id, "object": "model", "created": 0, "owned_by": m.source} for m in listed.items
    ]
    return {"object": "list", "data": data}


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: CompletionIn, principal: Member, ctx: Ctx
) -> JSONResponse | StreamBody:
    messages = [m.to_message() for m in body.messages]
    job = await completions.prepare(principal, ctx, body.model, messages, body.params())
    meta = _Meta(body.model)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        chunks = _chunks(principal, ctx, job, meta, include_usage)
        return StreamBody(chunks, "text/event-stream; charset=utf-8")
    try:
        done = await completions.complete(principal, ctx, job)
    except ProviderError as exc:
        return provider_error_response(exc)
    return JSONResponse(meta.completion(done))


class _Meta:
    """The id, time and model every chunk of one completion repeats, pre-encoded once."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{secrets.token_hex(12)}"
        self.created = int(time.time())
        self.model = model
        head = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": model,
        }
        compact = json.dumps(head, separators=(",", ":"))
        self.prefix = b"data: " + compact[:-1].encode() + b',"choices":[{"index":0,'

    def delta(self, text: str) -> bytes:
        content = json.dumps(text, ensure_ascii=False).encode()
        return self.prefix + b'"delta":{"content":' + content + b'},"finish_reason":null}]}\n\n'

    def role(self) -> bytes:
        return (
            self.prefix + b'"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n'
        )

    def finish(self, reason: str) -> bytes:
        return (
            self.prefix + b'"delta":{},"finish_reason":' + json.dumps(reason).encode() + b"}]}\n\n"
        )

    def usage(self, finish: Finish) -> bytes:
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": _usage(finish),
        }
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    def completion(self, done: completions.Completed) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": done.finish_reason,
                    "message": {"role": "assistant", "content": done.text},
                }
            ],
            "usage": _usage(Finish(done.finish_reason, done.usage)),
        }


async def _chunks(
    principal: Principal, ctx: Ctx, job: Prepared, meta: _Meta, include_usage: bool
) -> AsyncIterator[bytes]:
    yield meta.role()
    events = completions.stream(principal, ctx, job)
    try:
        async for event in events:
            if isinstance(event, Delta):
                yield meta.delta(event.text)
            else:
                yield meta.finish(event.reason)
                if include_usage:
                    yield meta.usage(event)
    except ProviderError as exc:
        yield b"data: " + json.dumps({"error": _error_body(exc)["error"]}).encode() + b"\n\n"
    finally:
        await events.aclose()
    yield b"data: [DONE]\n\n"


def _usage(finish: Finish) -> dict[str, int]:
    prompt = finish.usage.prompt_tokens if finish.usage else 0
    completion = finish.usage.completion_tokens if finish.usage else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _error_body(exc: ProviderError) -> dict[str, Any]:
    return {"error": {"message": exc.message, "type": "upstream_error", "code": exc.kind.value}}


def provider_error_response(exc: ProviderError) -> JSONResponse:
    status = PROVIDER_STATUS.get(exc.kind.value, 502)
    return JSONResponse(_error_body(exc), status_code=status)
