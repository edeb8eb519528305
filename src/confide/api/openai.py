"""`/v1`: the OpenAI-compatible API (models, chat completions, embeddings) for API keys and
scripts.

Stateless: nothing but usage is stored. Streaming answers use OpenAI's chunk format, end with
`data: [DONE]`, and carry usage in a final chunk when `stream_options.include_usage` is set.
Errors use OpenAI's `{"error": {...}}` shape so SDKs show the message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from confide.api.deps import Ctx, Member, TakingGenerations
from confide.api.errors import OPENAI_RESPONSES, OPENAI_UNAVAILABLE
from confide.api.schemas import refuse_nul
from confide.api.sse import StreamBody
from confide.providers.base import ChatMessage, Delta, Finish, GenerationParams, ProviderError
from confide.services import completions, embeddings, models
from confide.services.completions import Prepared
from confide.services.embeddings import MAX_INPUT_TOKENS, MAX_INPUTS, MAX_TOTAL_CHARS
from confide.store.access import Principal

if TYPE_CHECKING:
    from confide.rag.embedder import Vectors

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


@router.post(
    "/chat/completions",
    response_model=None,
    dependencies=[TakingGenerations],
    responses=OPENAI_UNAVAILABLE,
)
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


# --- embeddings --------------------------------------------------------------------------------

EmbedText = Annotated[str, Field(max_length=MAX_TOTAL_CHARS)]
TokenIds = Annotated[list[int], Field(max_length=MAX_INPUT_TOKENS)]


class EmbeddingIn(Lenient):
    """OpenAI's embeddings request. `user` (and any other unknown field) is ignored."""

    input: (
        EmbedText
        | Annotated[list[EmbedText], Field(max_length=MAX_INPUTS)]
        | TokenIds
        | Annotated[list[TokenIds], Field(max_length=MAX_INPUTS)]
    ) = Field(
        description=f"A text or a list of 1 to {MAX_INPUTS} texts, none empty, at most "
        f"{MAX_INPUT_TOKENS} tokens each and {MAX_TOTAL_CHARS:,} characters in all. The model "
        "reads the first 256 tokens of each. Token ids are refused: send text."
    )
    model: str = Field(min_length=1, max_length=200, description="The embedder's name.")
    encoding_format: Literal["float", "base64"] | None = Field(
        default=None, description="`float` (the default) or `base64`: little-endian float32."
    )
    dimensions: int | None = Field(default=None, ge=1, description="Only the model's own.")

    def texts(self) -> list[str]:
        items = [self.input] if isinstance(self.input, str) else self.input
        texts = [item for item in items if isinstance(item, str)]
        if len(texts) != len(items):
            raise embeddings.token_ids_refused()
        return texts


class EmbeddingOut(BaseModel):
    object: Literal["embedding"]
    index: int
    embedding: list[float] | str = Field(description="Floats, or base64 of float32 bytes.")


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"]
    data: list[EmbeddingOut]
    model: str
    usage: EmbeddingUsage


@router.post("/embeddings", response_model=None, responses={200: {"model": EmbeddingList}})
async def create_embeddings(body: EmbeddingIn, principal: Member, ctx: Ctx) -> Response:
    """Unit-length vectors for texts, from the instance's embedder (all-MiniLM-L6-v2 unless
    configured otherwise), in the order given. Texts over the model's 256 tokens are
    truncated; usage counts every token sent."""
    try:
        done = await embeddings.embed(principal, ctx, body.model, body.texts(), body.dimensions)
    except embeddings.Refused as exc:
        error = {"message": exc.message, "type": "invalid_request_error"}
        return JSONResponse(
            {"error": {**error, "param": exc.param, "code": exc.code}}, status_code=exc.status
        )
    # Thousands of vectors take a while to write as JSON: not on the event loop.
    content = await asyncio.to_thread(_embedding_list, done, body.encoding_format or "float")
    return Response(content, media_type="application/json")


def _embedding_list(done: embeddings.Embedded, encoding: str) -> bytes:
    encode = _base64 if encoding == "base64" else _floats
    data = [
        {"object": "embedding", "index": i, "embedding": encode(row)}
        for i, row in enumerate(done.vectors)
    ]
    used = {"prompt_tokens": done.tokens, "total_tokens": done.tokens}
    answer = {"object": "list", "data": data, "model": done.model, "usage": used}
    return json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _floats(row: Vectors) -> list[float]:
    floats: list[float] = row.tolist()
    return floats


def _base64(row: Vectors) -> str:
    """The row as little-endian float32 bytes, which is what OpenAI's SDKs decode."""
    return base64.b64encode(row.astype("<f4", copy=False).tobytes()).decode("ascii")
