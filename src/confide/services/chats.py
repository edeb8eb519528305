"""Chats: list, create, read (current branch or whole tree), rename, pin, archive, move to a
folder, delete; the same for a selection at once, and "delete all my chats"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat, Message, Tag
from confide.errors import NotFound
from confide.services import audit, streams
from confide.services import postings as posting_service
from confide.services.context import Context
from confide.store import chats, folders, keys, search, tags
from confide.store.access import Principal
from confide.store.chats import ChatCursor, ChatFilter
from confide.store.keys import UserCipher

DEFAULT_TITLE = "New chat"
MAX_BULK = 500
BulkAction = Literal["archive", "unarchive", "pin", "unpin", "move", "delete"]


@dataclass(frozen=True)
class ChatSummary:
    id: str
    title: str
    pinned: bool
    archived: bool
    folder_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MessageDetail:
    id: str
    parent_id: str | None
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    error: str | None
    usage: dict[str, Any] | None
    created_at: datetime
    sibling_ids: list[str]
    attachments: list[dict[str, Any]]
    sources: list[dict[str, Any]]


@dataclass(frozen=True)
class ChatDetail:
    chat: ChatSummary
    current_leaf_id: str | None
    messages: list[MessageDetail]


def summary(chat: Chat, cipher: UserCipher, chat_tags: list[Tag] | None = None) -> ChatSummary:
    return ChatSummary(
        chat.id,
        chats.chat_title(chat, cipher),
        chat.pinned,
        chat.archived,
        chat.folder_id,
        [tags.tag_name(t, cipher) for t in chat_tags or []],
        chat.created_at,
        chat.updated_at,
    )


async def summaries(
    session: AsyncSession, cipher: UserCipher, rows: list[Chat]
) -> list[ChatSummary]:
    """Summaries of chats the caller holds, with their tags (one query for all of them)."""
    by_chat = await tags.tags_of(session, (chat.id for chat in rows))
    return [summary(chat, cipher, by_chat.get(chat.id)) for chat in rows]


async def list_chats(
    principal: Principal,
    ctx: Context,
    *,
    archived: bool,
    before: ChatCursor | None,
    limit: int,
    folder_id: str | None = None,
    tag: str | None = None,
) -> list[ChatSummary]:
    """A page of my chats; `folder_id` "" lists those in no folder, `tag` those tagged so."""
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        await _check_folder(session, principal, folder_id or None)  # "": in no folder
        try:
            tag_id = (await tags.find(session, principal, cipher, tag)).id if tag else None
        except NotFound:
            return []  # nothing is tagged with a tag that does not exist
        where = ChatFilter(archived=archived, folder_id=folder_id, tag_id=tag_id)
        rows = await chats.page(session, principal, where=where, before=before, limit=limit)
        return await summaries(session, cipher, rows)


async def create_chat(
    principal: Principal, ctx: Context, title: str | None, folder_id: str | None = None
) -> ChatSummary:
    async with ctx.db.write() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        await _check_folder(session, principal, folder_id)
        chat = await chats.create_chat(
            session, principal, cipher, title or DEFAULT_TITLE, folder_id=folder_id
        )
        await search.add_text(session, cipher, chat.id, title or DEFAULT_TITLE)
        return summary(chat, cipher)


async def get_chat(principal: Principal, ctx: Context, chat_id: str, *, tree: bool) -> ChatDetail:
    """The chat with its current branch (root to leaf), or every message when `tree`."""
    async with ctx.db.read() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        rows = await chats.messages_of(session, chat)
        (head,) = await summaries(session, cipher, [chat])
    chosen = rows if tree else branch(rows, chat.current_leaf_id)
    siblings = _siblings(rows)
    details = [_detail(cipher, m, siblings) for m in chosen]
    return ChatDetail(head, chat.current_leaf_id, details)


async def update_chat(
    principal: Principal,
    ctx: Context,
    chat_id: str,
    *,
    title: str | None = None,
    pinned: bool | None = None,
    archived: bool | None = None,
    current_leaf_id: str | None = None,
    folder_id: str | EllipsisType | None = ...,
) -> ChatSummary:
    """Change what is given; `folder_id` None takes the chat out of its folder."""
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        if title is not None:
            chats.set_title(chat, cipher, title)
            await search.add_text(session, cipher, chat.id, title)
        chat.pinned = chat.pinned if pinned is None else pinned
        chat.archived = chat.archived if archived is None else archived
        if current_leaf_id is not None:
            leaf = await chats.get_message(session, principal, chat.id, current_leaf_id)
            chat.current_leaf_id = leaf.id
        if not isinstance(folder_id, EllipsisType):
            await _check_folder(session, principal, folder_id)
            chat.folder_id = folder_id
        await session.flush()
        (result,) = await summaries(session, cipher, [chat])
        return result


async def _check_folder(session: AsyncSession, principal: Principal, folder_id: str | None) -> None:
    if folder_id is not None:
        await folders.get_folder(session, principal, folder_id)


async def delete_chat(principal: Principal, ctx: Context, chat_id: str) -> None:
    """Delete a chat and every message in it (their sealed content goes with them)."""
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        running = await delete_chats(session, principal, [chat.id])
    stop_replies(ctx, running)


async def delete_chats(session: AsyncSession, principal: Principal, ids: list[str]) -> list[str]:
    """Every way of deleting chats ends here: the chats (ids already checked to be the
    user's), their messages, and tags no chat carries any more. Answers the replies still
    being generated in them: stop those (`stop_replies`) once the transaction has committed."""
    running = await chats.running_replies(session, ids)
    await chats.delete_chats(session, principal, ids)
    await tags.drop_unused(session, principal)
    return running


def stop_replies(ctx: Context, message_ids: list[str]) -> None:
    for message_id in message_ids:
        streams.request_stop(ctx, message_id)


async def bulk(
    principal: Principal,
    ctx: Context,
    chat_ids: list[str],
    action: BulkAction,
    folder_id: str | None = None,
) -> int:
    """Apply one action to a selection of my chats, all or nothing: if any id is not one of
    my chats, nothing changes (NotFound). `move` puts them in `folder_id` (None: no folder)."""
    ids = list(dict.fromkeys(chat_ids))
    running: list[str] = []
    async with ctx.db.write() as session:
        rows = await chats.get_chats(session, principal, ids)
        if action == "delete":
            running = await delete_chats(session, principal, ids)
        elif action == "move":
            await _check_folder(session, principal, folder_id)
            for chat in rows:
                chat.folder_id = folder_id
        else:
            _flag(rows, action)
    stop_replies(ctx, running)
    if action == "delete":
        posting_service.compact_later(ctx, principal, len(ids))
    return len(ids)


def _flag(rows: list[Chat], action: BulkAction) -> None:
    for chat in rows:
        if action in ("archive", "unarchive"):
            chat.archived = action == "archive"
        else:
            chat.pinned = action == "pin"


async def delete_all(principal: Principal, ctx: Context) -> int:
    """Delete every chat of mine (with their messages, tags and replies still running)."""
    async with ctx.db.write() as session:
        ids = await chats.all_chat_ids(session, principal)
        await posting_service.purge(session, principal.uid)
        running = await delete_chats(session, principal, ids)
        await audit.record(session, principal, "chats.delete_all", chats=len(ids))
    stop_replies(ctx, running)
    return len(ids)


async def delete_message(principal: Principal, ctx: Context, chat_id: str, message_id: str) -> None:
    """Delete a message and every reply below it; the branch moves up to its parent."""
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        message = await chats.get_message(session, principal, chat.id, message_id)
        subtree = descendants(_siblings(await chats.messages_of(session, chat)), {message.id})
        if chat.current_leaf_id in subtree:
            chat.current_leaf_id = message.parent_id
        await chats.delete_subtree(session, message)
    for stream_id in subtree:
        streams.request_stop(ctx, stream_id)


def branch(rows: list[Message], leaf_id: str | None) -> list[Message]:
    """The path from the root to `leaf_id`, oldest first."""
    by_id = {m.id: m for m in rows}
    path: list[Message] = []
    current = by_id.get(leaf_id) if leaf_id else None
    while current is not None and len(path) <= len(rows):
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return path[::-1]


def _siblings(rows: list[Message]) -> dict[str | None, list[str]]:
    children: dict[str | None, list[str]] = {}
    for message in rows:
        children.setdefault(message.parent_id, []).append(message.id)
    return children


def descendants(children: dict[str | None, list[str]], roots: set[str]) -> set[str]:
    """`roots` and everything below them in a tree given as parent -> children ids."""
    found, frontier = set(roots), list(roots)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _detail(
    cipher: UserCipher, message: Message, siblings: dict[str | None, list[str]]
) -> MessageDetail:
    return MessageDetail(
        id=message.id,
        parent_id=message.parent_id,
        role=message.role,
        content=chats.open_content(cipher, message),
        model=message.model,
        status=message.status,
        finish_reason=message.finish_reason,
        error=message.error,
        usage=message.usage,
        created_at=message.created_at,
        sibling_ids=siblings.get(message.parent_id, [message.id]),
        attachments=chats.open_attachments(cipher, message),
        sources=chats.open_sources(cipher, message),
    )
