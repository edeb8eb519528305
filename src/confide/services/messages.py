"""Sending a message and following, stopping and saving the replies.

Sending writes the user message and one `streaming` assistant message per model in one
transaction, then starts a generation job per reply; the HTTP request returns at once.
Regenerate = a new reply under an existing user message; edit = a new sibling user message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat, Message
from confide.errors import BadRequest, Conflict, NotFound
from confide.providers.base import ChatMessage, ChatRequest, GenerationParams
from confide.runtime.broker import BrokerEvent
from confide.runtime.generation import Outcome
from confide.services import attachments, models, streams, titles, usage
from confide.services.chats import branch
from confide.services.context import Context
from confide.services.models import ResolvedModel
from confide.services.prompting import build_messages, fitting, merge_params, with_sources
from confide.store import chats, keys, search, title_jobs
from confide.store.access import Principal
from confide.store.keys import UserCipher

MAX_MODELS = 4
# A follower waits up to 2 s for a streaming reply to reach the broker (see `_appears`).
APPEAR_POLLS, APPEAR_POLL_SECONDS = 40, 0.05


@dataclass(frozen=True)
class SendResult:
    user_message_id: str | None
    assistant_message_ids: list[str]


@dataclass(frozen=True)
class _Reply:
    message_id: str
    resolved: ResolvedModel
    request: ChatRequest


async def send(
    principal: Principal,
    ctx: Context,
    chat_id: str,
    *,
    content: str | None,
    model_ids: list[str],
    parent_id: str | None = None,
    at_root: bool = False,
    params: GenerationParams | None = None,
    file_ids: Sequence[str] = (),
    knowledge_ids: Sequence[str] = (),
    urls: Sequence[str] = (),
) -> SendResult:
    """Add a user message (or regenerate under `parent_id`) and start one reply per model.

    The new message goes under `parent_id`, else under the current leaf; with `at_root` it
    has no parent (the first message edited: a new branch from the very start). Files and
    knowledge bases attached to it, or earlier on its branch, are searched for the question
    first, and the replies are given the passages found to cite."""
    if not model_ids or len(model_ids) > MAX_MODELS or len(set(model_ids)) != len(model_ids):
        raise BadRequest(f"Choose between 1 and {MAX_MODELS} different models.")
    if content is None and (file_ids or knowledge_ids or urls):
        raise BadRequest("Attach files to a new message, not to a regeneration.")
    resolved = [await models.resolve(principal, ctx, model_id) for model_id in model_ids]
    async with ctx.db.read() as session:
        attached = await attachments.check(session, principal, ctx, file_ids, knowledge_ids, urls)
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        question, scope = _question(
            cipher,
            chat,
            await chats.messages_of(session, chat),
            content,
            parent_id,
            at_root,
            attached,
        )
    given = await _sources(principal, ctx, question, scope, resolved, strict=content is not None)
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        rows = await chats.messages_of(session, chat)
        anchor = await _anchor(
            session,
            cipher,
            chat,
            rows,
            content=content,
            parent_id=parent_id,
            at_root=at_root,
            attached=attachments.as_stored(attached),
        )
        history = _history(cipher, [*rows, anchor] if content is not None else rows, anchor.id)
        first_exchange = sum(1 for m in rows if m.role == "user") == 0
        replies = [
            await _add_reply(session, cipher, chat, anchor, r, history, params, ctx, sources)
            for r, sources in zip(resolved, given, strict=True)
        ]
    for reply in replies:
        sink = ReplySaver(ctx, principal, cipher, chat.id, reply, first_exchange, history)
        ctx.runner.start(reply.message_id, reply.resolved.backend.stream_chat(reply.request), sink)
    user_id = anchor.id if content is not None else None
    return SendResult(user_id, [r.message_id for r in replies])


async def _sources(
    principal: Principal,
    ctx: Context,
    question: str | None,
    scope: attachments.Scope,
    resolved: list[ResolvedModel],
    *,
    strict: bool,
) -> list[list[attachments.Source]]:
    """The passages each reply is given: from what is attached on the branch, plus the
    knowledge bases of its preset (one search per different set)."""
    found: dict[tuple[str, ...], list[attachments.Source]] = {}
    given = []
    for model in resolved:
        where = scope.with_knowledge(model.knowledge_ids)
        bases = tuple(where.knowledge_ids)
        if bases not in found:
            passages = []
            if question is not None:
                passages = await attachments.sources_for(
                    principal, ctx, question, where, strict=strict
                )
            found[bases] = fitting(passages, ctx.settings.context_budget_tokens)
        given.append(found[bases])
    return given


def _question(
    cipher: UserCipher,
    chat: Chat,
    rows: list[Message],
    content: str | None,
    parent_id: str | None,
    at_root: bool,
    attached: Sequence[attachments.Attachment],
) -> tuple[str | None, attachments.Scope]:
    """What to search for (the new message, or the one regenerated) and where: what is
    attached on the branch it ends. None when regenerating under an unknown message (the
    write that follows says so)."""
    if content is not None:
        parent = _parent(chat, parent_id, at_root)
        path = branch(rows, parent) if parent else []
        return content, attachments.in_scope(cipher, path, attachments.as_stored(attached))
    anchor = next((m for m in rows if m.id == parent_id and m.role == "user"), None)
    if anchor is None:
        return None, attachments.Scope()
    path = branch(rows, anchor.parent_id) if anchor.parent_id else []
    asked = chats.open_attachments(cipher, anchor)
    return chats.open_content(cipher, anchor), attachments.in_scope(cipher, path, asked)


def _parent(chat: Chat, parent_id: str | None, at_root: bool) -> str | None:
    """Where a new user message goes: under `parent_id`, else the current leaf; at the root
    for `at_root`."""
    return None if at_root else parent_id or chat.current_leaf_id


async def _anchor(
    session: AsyncSession,
    cipher: UserCipher,
    chat: Chat,
    rows: list[Message],
    *,
    content: str | None,
    parent_id: str | None,
    at_root: bool,
    attached: list[dict[str, Any]],
) -> Message:
    """The user message the replies hang under: a new one, or (regenerate) an existing one."""
    if content is not None:
        message = await chats.add_message(
            session,
            cipher,
            chat,
            parent_id=_parent(chat, parent_id, at_root),
            role="user",
            content=content,
            attachments=attached,
        )
        await search.add_text(session, cipher, chat.id, content)
        return message
    existing = next((m for m in rows if m.id == parent_id), None)
    if existing is None:
        raise NotFound("Parent message not found.")
    if existing.role != "user":
        raise BadRequest("To regenerate, give the id of the user message to answer again.")
    return existing


def _history(cipher: UserCipher, rows: list[Message], leaf_id: str) -> list[ChatMessage]:
    usable = {"complete", "stopped", "interrupted"}
    return [
        ChatMessage(m.role, chats.open_content(cipher, m))
        for m in branch(rows, leaf_id)
        if m.role == "user" or (m.status in usable and m.content)
    ]


async def _add_reply(
    session: AsyncSession,
    cipher: UserCipher,
    chat: Chat,
    anchor: Message,
    resolved: ResolvedModel,
    history: list[ChatMessage],
    params: GenerationParams | None,
    ctx: Context,
    sources: Sequence[attachments.Source],
) -> _Reply:
    message = await chats.add_message(
        session,
        cipher,
        chat,
        parent_id=anchor.id,
        role="assistant",
        content="",
        model=resolved.public_id,
        status=chats.STREAMING,
        sources=[asdict(source) for source in sources],
        replica=ctx.replica,
    )
    budget = ctx.settings.context_budget_tokens
    system_prompt = with_sources(resolved.system_prompt, sources)
    request = ChatRequest(
        model=resolved.upstream_id,
        messages=build_messages(system_prompt, history, budget),
        params=merge_params(resolved.params, params),
    )
    return _Reply(message.id, resolved, request)


class ReplySaver:
    """Persists one reply as it streams, and its final state; then maybe titles the chat."""

    def __init__(
        self,
        ctx: Context,
        principal: Principal,
        cipher: UserCipher,
        chat_id: str,
        reply: _Reply,
        first_exchange: bool,
        history: list[ChatMessage],
    ) -> None:
        self.ctx, self.principal, self.cipher = ctx, principal, cipher
        self.chat_id, self.reply = chat_id, reply
        self.first_exchange, self.history = first_exchange, history

    async def save_progress(self, text: str) -> None:
        self.ctx.progress.put(self.reply.message_id, (self.cipher, text))

    async def finish(self, outcome: Outcome) -> None:
        stats: dict[str, Any] = dict(outcome.timings)
        if outcome.usage is not None:
            stats |= {
                "prompt_tokens": outcome.usage.prompt_tokens,
                "completion_tokens": outcome.usage.completion_tokens,
            }
        self.ctx.progress.discard(self.reply.message_id)
        wants_title = self.first_exchange and outcome.status == "complete"
        async with self.ctx.db.write() as session:
            await chats.save_reply(
                session,
                self.cipher,
                self.reply.message_id,
                outcome.text,
                status=outcome.status,
                finish_reason=outcome.finish_reason,
                error=outcome.error,
                usage=stats,
            )
            await search.add_text(session, self.cipher, self.chat_id, outcome.text)
            model = self.reply.resolved.public_id
            claim = await title_jobs.add(session, self.chat_id, model) if wants_title else None
        usage.record(self.principal, self.ctx, self.reply.resolved.public_id, outcome.usage)
        if claim is not None:
            first = next((m.content for m in self.history if m.role == "user"), "")
            job = titles.title_chat(self.principal, self.ctx, claim, self.reply.resolved, first)
            self.ctx.runner.spawn(job, name=f"title-{self.chat_id}")


@dataclass(frozen=True)
class FollowEvent:
    seq: int | None  # None for a snapshot read from the database
    kind: str  # "delta" | "snapshot" | "done" | "error"
    data: dict[str, Any]


async def follow(
    principal: Principal, ctx: Context, chat_id: str, message_id: str, after: int
) -> AsyncIterator[list[FollowEvent]]:
    """Check access now (404 before any byte is sent), then return the reply's event stream."""
    async with ctx.db.read() as session:
        message = await chats.get_message(session, principal, chat_id, message_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        snapshot = _snapshot(cipher, message)
    if await ctx.broker.knows(message_id):
        return _live(ctx, message_id, after)
    if message.status == chats.STREAMING and await _appears(ctx, message_id):
        return _live(ctx, message_id, after)
    return _once(snapshot)


async def _appears(ctx: Context, message_id: str) -> bool:
    """A reply the database says is streaming, but the broker does not know yet: its replica
    may not have told Redis yet (a follower on another replica, right after the send). Wait
    for it briefly rather than answer with an empty snapshot."""
    for _ in range(APPEAR_POLLS):
        await asyncio.sleep(APPEAR_POLL_SECONDS)
        if await ctx.broker.knows(message_id):
            return True
    return False


def _snapshot(cipher: UserCipher, message: Message) -> list[FollowEvent]:
    text = chats.open_content(cipher, message)
    final = {
        "status": message.status,
        "finish_reason": message.finish_reason,
        "error": message.error,
        "usage": message.usage,
    }
    return [FollowEvent(None, "snapshot", {"text": text}), FollowEvent(None, "done", final)]


async def _live(ctx: Context, message_id: str, after: int) -> AsyncIterator[list[FollowEvent]]:
    async for batch in ctx.broker.follow(message_id, after):
        yield [_event(e) for e in batch]


async def _once(events: list[FollowEvent]) -> AsyncIterator[list[FollowEvent]]:
    yield events


def _event(event: BrokerEvent) -> FollowEvent:
    return FollowEvent(event.seq, event.kind, event.data)


async def stop(principal: Principal, ctx: Context, chat_id: str, message_id: str) -> None:
    """Stop a reply being generated (owner only); the text so far is kept."""
    async with ctx.db.read() as session:
        message = await chats.get_message(session, principal, chat_id, message_id)
    if not await streams.stop(ctx, message.id):
        raise Conflict("This reply is not being generated.")
    await asyncio.sleep(0)  # let the job record its final state
