"""Chat titles written after the first exchange, in the background, never blocking a reply.

The title comes from the configured task model (CONFIDE_TASK_MODEL) or the model that
answered; if that fails or says nothing useful, the first words of the message serve.
A title the user set in the meantime is never overwritten.
"""

from __future__ import annotations

import asyncio
import logging
import re

from confide.errors import ConfideError
from confide.providers.base import ChatMessage, ChatRequest, Delta, GenerationParams, ProviderError
from confide.services import models
from confide.services.chats import DEFAULT_TITLE
from confide.services.context import Context
from confide.services.models import ResolvedModel
from confide.store import chats, keys, search
from confide.store.access import Principal

log = logging.getLogger("confide.titles")
TITLE_TIMEOUT = 30.0
MAX_TITLE = 80
PROMPT = (
    "Write a short title (at most six words) for a conversation that starts with the message "
    "below. Answer with the title only, no quotes.\n\nMessage:\n{text}"
)


async def title_chat(
    principal: Principal,
    ctx: Context,
    chat_id: str,
    answered_by: ResolvedModel,
    history: list[ChatMessage],
) -> None:
    first = next((m.content for m in history if m.role == "user"), "")
    title = await _generated_title(principal, ctx, answered_by, first) or fallback_title(first)
    async with ctx.db.write() as session:
        try:
            chat = await chats.get_chat(session, principal, chat_id)
        except ConfideError:
            return  # deleted meanwhile
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        if chats.chat_title(chat, cipher) == DEFAULT_TITLE:
            chats.set_title(chat, cipher, title)
            await search.add_text(session, cipher, chat.id, title)


async def _generated_title(
    principal: Principal, ctx: Context, answered_by: ResolvedModel, text: str
) -> str:
    try:
        resolved = answered_by
        if ctx.settings.task_model:
            resolved = await models.resolve(principal, ctx, ctx.settings.task_model)
        request = ChatRequest(
            model=resolved.upstream_id,
            messages=(ChatMessage("user", PROMPT.format(text=text[:1000])),),
            params=GenerationParams(temperature=0.2, max_tokens=24),
        )
        return clean_title(await _complete(resolved, request))
    except (ProviderError, ConfideError, TimeoutError) as exc:
        log.info("title generation for a chat fell back to the first words: %s", exc)
        return ""


async def _complete(resolved: ResolvedModel, request: ChatRequest) -> str:
    parts: list[str] = []
    async with asyncio.timeout(TITLE_TIMEOUT):
        async for event in resolved.backend.stream_chat(request):
            if isinstance(event, Delta):
                parts.append(event.text)
    return "".join(parts)


def clean_title(raw: str) -> str:
    """First non-empty line, without quotes, markup or a trailing full stop, at most 80 chars."""
    line = next((ln.strip() for ln in raw.splitlines() if ln.strip()), "")
    line = re.sub(r"^(title\s*:\s*)", "", line, flags=re.IGNORECASE)
    line = line.strip("\"'`*#_ ").rstrip(".")
    return line[:MAX_TITLE].strip()


def fallback_title(text: str) -> str:
    words = text.split()
    title = " ".join(words[:6])
    if len(words) > 6:
        title += "…"
    return title[:MAX_TITLE] or DEFAULT_TITLE
