"""The OpenAI-compatible API's use-cases: stateless completions for API-key clients.

Nothing is stored but usage: the conversation lives in the client. A preset's system prompt
leads whatever the client sends; its parameters are defaults the request can override.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from confide.providers.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    Finish,
    GenerationParams,
    StreamEvent,
    Usage,
)
from confide.services import models, usage
from confide.services.context import Context
from confide.services.models import ResolvedModel
from confide.services.prompting import merge_params
from confide.store.access import Principal


@dataclass(frozen=True)
class Prepared:
    resolved: ResolvedModel
    request: ChatRequest


@dataclass(frozen=True)
class Completed:
    text: str
    finish_reason: str
    usage: Usage | None


async def prepare(
    principal: Principal,
    ctx: Context,
    model_id: str,
    messages: list[ChatMessage],
    params: GenerationParams,
) -> Prepared:
    resolved = await models.resolve(principal, ctx, model_id)
    lead = (ChatMessage("system", resolved.system_prompt),) if resolved.system_prompt else ()
    request = ChatRequest(
        model=resolved.upstream_id,
        messages=lead + tuple(messages),
        params=merge_params(resolved.params, params),
    )
    return Prepared(resolved, request)


async def stream(principal: Principal, ctx: Context, job: Prepared) -> AsyncGenerator[StreamEvent]:
    """The backend's events, passed through; usage is recorded however the stream ends."""
    used: Usage | None = None
    try:
        async for event in job.resolved.backend.stream_chat(job.request):
            if isinstance(event, Finish):
                used = event.usage
            yield event
    finally:
        usage.record(principal, ctx, job.resolved.public_id, used)


async def complete(principal: Principal, ctx: Context, job: Prepared) -> Completed:
    parts: list[str] = []
    finish = Finish("stop")
    async for event in stream(principal, ctx, job):
        if isinstance(event, Delta):
            parts.append(event.text)
        else:
            finish = event
    return Completed("".join(parts), finish.reason, finish.usage)
