"""Chats: list, create, read (current branch or whole tree), rename, pin, archive, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confide.db.tables import Chat, Message
from confide.services.context import Context
from confide.store import chats, keys
from confide.store.access import Principal
from confide.store.chats import ChatCursor
from confide.store.keys import UserCipher

DEFAULT_TITLE = "New chat"


@dataclass(frozen=True)
class ChatSummary:
    id: str
    title: str
    pinned: bool
    archived: bool
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


@dataclass(frozen=True)
class ChatDetail:
    chat: ChatSummary
    current_leaf_id: str | None
    messages: list[MessageDetail]


def summary(chat: Chat, cipher: UserCipher) -> ChatSummary:
    return ChatSummary(
        chat.id,
        chats.chat_title(chat, cipher),
        chat.pinned,
        chat.archived,
        chat.created_at,
        chat.updated_at,
    )


async def list_chats(
    principal: Principal, ctx: Context, *, archived: bool, before: ChatCursor | None, limit: int
) -> list[ChatSummary]:
    async with ctx.db.read() as session:
        rows = await chats.page(session, principal, archived=archived, before=before, limit=limit)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid) if rows else None
    return [summary(chat, cipher) for chat in rows] if cipher else []


async def create_chat(principal: Principal, ctx: Context, title: str | None) -> ChatSummary:
    async with ctx.db.write() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        chat = await chats.create_chat(session, principal, cipher, title or DEFAULT_TITLE)
        return summary(chat, cipher)


async def get_chat(principal: Principal, ctx: Context, chat_id: str, *, tree: bool) -> ChatDetail:
    """The chat with its current branch (root to leaf), or every message when `tree`."""
    async with ctx.db.read() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        rows = await chats.messages_of(session, chat)
    chosen = rows if tree else branch(rows, chat.current_leaf_id)
    siblings = _siblings(rows)
    details = [_detail(cipher, m, siblings) for m in chosen]
    return ChatDetail(summary(chat, cipher), chat.current_leaf_id, details)


async def update_chat(
    principal: Principal,
    ctx: Context,
    chat_id: str,
    *,
    title: str | None = None,
    pinned: bool | None = None,
    archived: bool | None = None,
    current_leaf_id: str | None = None,
) -> ChatSummary:
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        if title is not None:
            chats.set_title(chat, cipher, title)
        chat.pinned = chat.pinned if pinned is None else pinned
        chat.archived = chat.archived if archived is None else archived
        if current_leaf_id is not None:
            leaf = await chats.get_message(session, principal, chat.id, current_leaf_id)
            chat.current_leaf_id = leaf.id
        await session.flush()
        return summary(chat, cipher)


async def delete_chat(principal: Principal, ctx: Context, chat_id: str) -> None:
    """Delete a chat and every message in it (their sealed content goes with them)."""
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        running = [m.id for m in await chats.messages_of(session, chat) if m.status == "streaming"]
        await chats.delete_chat(session, principal, chat_id)
    for message_id in running:
        ctx.runner.stop(message_id)


async def delete_message(principal: Principal, ctx: Context, chat_id: str, message_id: str) -> None:
    """Delete a message and every reply below it; the branch moves up to its parent."""
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        message = await chats.get_message(session, principal, chat.id, message_id)
        subtree = _descendants(await chats.messages_of(session, chat), message.id)
        if chat.current_leaf_id in subtree:
            chat.current_leaf_id = message.parent_id
        await chats.delete_subtree(session, message)
    for stream_id in subtree:
        ctx.runner.stop(stream_id)


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


def _descendants(rows: list[Message], root_id: str) -> set[str]:
    children = _siblings(rows)
    found, frontier = {root_id}, [root_id]
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
    )
