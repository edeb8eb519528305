"""Chat titles written after the first exchange, in the background, never blocking a reply.

The title comes from the configured task model (CONFIDE_TASK_MODEL) or the model that
answered; if that fails or says nothing useful, the first words of the message serve.
A title the user set in the meantime is never overwritten.

Each title is a leased job (store/title_jobs.py): recorded with the reply, run at once by the
replica that wrote the reply, and taken over by another replica if that one dies first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

from confide.errors import ConfideError
from confide.providers.base import ChatMessage, ChatRequest, Delta, GenerationParams, ProviderError
from confide.services import models, sessions
from confide.services.chats import DEFAULT_TITLE
from confide.services.context import Context
from confide.services.models import ResolvedModel
from confide.store import chats, keys, search, title_jobs, users
from confide.store.access import Principal
from confide.store.title_jobs import Claim

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
    claim: Claim,
    answered_by: ResolvedModel | None,
    first: str,
) -> None:
    """Write the chat's title (unless someone named it meanwhile) and finish the job."""
    generated = await _generated_title(principal, ctx, answered_by, first) if answered_by else ""
    title = generated or fallback_title(first)
    async with ctx.db.write() as session:
        await title_jobs.finish(session, claim)
        try:
            chat = await chats.get_chat(session, principal, claim.chat_id)
        except ConfideError:
            return  # deleted meanwhile
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        if chats.chat_title(chat, cipher) == DEFAULT_TITLE:
            chats.set_title(chat, cipher, title)
            await search.add_text(session, cipher, chat.id, title)


async def take_over(ctx: Context) -> int:
    """Run the title jobs of replicas that died before finishing them; answers how many."""
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)
    async with ctx.db.write() as session:
        claims = await title_jobs.take_over(session, lease)
    for claim in claims:
        ctx.runner.spawn(_resume(ctx, claim), name=f"title-{claim.chat_id}")
    return len(claims)


async def _resume(ctx: Context, claim: Claim) -> None:
    """A job taken over: who owns the chat, what they first wrote, which model answered."""
    async with ctx.db.read() as session:
        found = await chats.owner_and_first_message(session, claim.chat_id)
        if found is None:  # the chat (and so the job) is gone
            return
        owner = await users.get(session, found[0])
        if owner is None:
            return
        cipher = await keys.cipher_for(session, ctx.sealer, owner.id)
        first = chats.open_content(cipher, found[1]) if found[1] is not None else ""
    principal = sessions.principal_of(owner)
    try:
        answered_by: ResolvedModel | None = await models.resolve(principal, ctx, claim.model)
    except ConfideError:
        answered_by = None  # the model is gone: the first words serve
    await title_chat(principal, ctx, claim, answered_by, first)


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
