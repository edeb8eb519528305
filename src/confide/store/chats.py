"""Chats and their message trees, sealed with the owner's data key.

Every query is scoped to the acting principal: another user's chat or message is simply not
found. Content (titles, message text) is sealed per cell; metadata (roles, status, times,
model names, usage) stays in the clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from confide.db.ids import new_id
from confide.db.tables import Base, Chat, ChatTag, Message
from confide.db.types import utcnow
from confide.errors import NotFound
from confide.store.access import Principal, get_owned, owned_by
from confide.store.keys import UserCipher

STREAMING = "streaming"
# A constant SQL literal, as ix_messages_streaming's WHERE clause has it: SQLite uses a partial
# index only for a query whose condition it can match at prepare time.
STREAMING_LITERAL: ColumnElement[str] = literal_column("'streaming'")
_ADDED = "confide_added_messages"  # session.info: messages added in this unit of work, by id
_ADDED_CHATS = "confide_added_chats"  # session.info: chats created in this unit of work, by id


@dataclass(frozen=True)
class MessageView:
    id: str
    parent_id: str | None
    role: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class ChatCursor:
    updated_at: datetime
    id: str


@dataclass(frozen=True)
class ChatFilter:
    """Which of a user's chats a listing shows. `folder_id` "" means: in no folder."""

    archived: bool = False
    folder_id: str | None = None
    tag_id: str | None = None


async def create_chat(
    session: AsyncSession,
    principal: Principal,
    cipher: UserCipher,
    title: str,
    *,
    folder_id: str | None = None,
) -> Chat:
    """A new chat, added to the session (written at its next flush, with its messages)."""
    chat_id, now = new_id(), utcnow()
    chat = Chat(
        id=chat_id,
        user_id=principal.uid,
        title=cipher.seal("chats", "title", chat_id, title),
        folder_id=folder_id,
        pinned=False,
        archived=False,
        created_at=now,
        updated_at=now,
    )
    session.add(chat)
    session.info.setdefault(_ADDED_CHATS, {})[chat_id] = chat
    return chat


def created_here(session: AsyncSession, chat_id: str) -> Chat | None:
    """The chat, if this unit of work created it (so nothing else refers to it yet)."""
    found: Chat | None = session.info.get(_ADDED_CHATS, {}).get(chat_id)
    return found


async def get_chat(session: AsyncSession, principal: Principal, chat_id: str) -> Chat:
    return await get_owned(session, principal, Chat, chat_id, "Chat")


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    where: ChatFilter,
    before: ChatCursor | None,
    limit: int,
) -> list[Chat]:
    """Chats newest first (by last activity), `limit` at a time, after the cursor."""
    query = (
        select(Chat)
        .where(owned_by(principal, Chat.user_id), Chat.archived.is_(where.archived))
        .order_by(Chat.updated_at.desc(), Chat.id.desc())
        .limit(limit)
    )
    if where.folder_id is not None:
        in_folder = Chat.folder_id == where.folder_id
        query = query.where(Chat.folder_id.is_(None) if where.folder_id == "" else in_folder)
    if where.tag_id is not None:
        tagged = select(ChatTag.chat_id).where(ChatTag.tag_id == where.tag_id)
        query = query.where(Chat.id.in_(tagged))
    if before is not None:
        query = query.where(tuple_(Chat.updated_at, Chat.id) < (before.updated_at, before.id))
    return list((await session.scalars(query)).all())


def set_title(chat: Chat, cipher: UserCipher, title: str) -> None:
    chat.title = cipher.seal("chats", "title", chat.id, title)


def chat_title(chat: Chat, cipher: UserCipher) -> str:
    return cipher.open("chats", "title", chat.id, chat.title)


async def get_chats(session: AsyncSession, principal: Principal, chat_ids: list[str]) -> list[Chat]:
    """The user's chats with these ids; any id that is not one of theirs: NotFound."""
    wanted = set(chat_ids)
    query = select(Chat).where(owned_by(principal, Chat.user_id), Chat.id.in_(wanted))
    found = list((await session.scalars(query)).all())
    if len(found) != len(wanted):
        raise NotFound("Chat not found.")
    return found


async def delete_chats(session: AsyncSession, principal: Principal, chat_ids: list[str]) -> None:
    """Delete chats of the user (ids already checked) with every message in them."""
    for start in range(0, len(chat_ids), 500):
        ids = chat_ids[start : start + 500]
        await session.execute(delete(Message).where(Message.chat_id.in_(ids)))
        await session.execute(
            delete(Chat).where(owned_by(principal, Chat.user_id), Chat.id.in_(ids))
        )


async def all_chat_ids(session: AsyncSession, principal: Principal) -> list[str]:
    query = select(Chat.id).where(owned_by(principal, Chat.user_id))
    return list((await session.scalars(query)).all())


async def running_replies(session: AsyncSession, chat_ids: list[str]) -> list[str]:
    """Replies still being generated in chats the caller holds."""
    found: list[str] = []
    for start in range(0, len(chat_ids), 500):
        query = select(Message.id).where(
            Message.chat_id.in_(chat_ids[start : start + 500]), Message.status == STREAMING
        )
        found.extend((await session.scalars(query)).all())
    return found


async def messages_of(session: AsyncSession, chat: Chat) -> list[Message]:
    """All messages of a chat the caller already holds (so: already scoped), oldest first."""
    query = select(Message).where(Message.chat_id == chat.id).order_by(Message.id)
    return list((await session.scalars(query)).all())


async def get_message(
    session: AsyncSession, principal: Principal, chat_id: str, message_id: str
) -> Message:
    query = (
        select(Message)
        .join(Chat, Chat.id == Message.chat_id)
        .where(owned_by(principal, Chat.user_id), Chat.id == chat_id, Message.id == message_id)
    )
    message = await session.scalar(query)
    if message is None:
        raise NotFound("Message not found.")
    return message


async def add_message(
    session: AsyncSession,
    cipher: UserCipher,
    chat: Chat,
    *,
    parent_id: str | None,
    role: str,
    content: str,
    model: str | None = None,
    status: str = "complete",
    attachments: list[dict[str, Any]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    replica: str | None = None,
) -> Message:
    """Append a message to a chat the caller holds; the parent must be in the same chat.

    The row is written at the session's next flush (a query, or the commit), so many
    messages go in one statement."""
    added: dict[str, Message] = session.info.setdefault(_ADDED, {})
    if parent_id is not None:
        parent = added.get(parent_id) or await session.get(Message, parent_id)
        if parent is None or parent.chat_id != chat.id:
            raise NotFound("Parent message not found.")
    message_id, now = new_id(), utcnow()
    message = Message(
        id=message_id,
        chat_id=chat.id,
        parent_id=parent_id,
        role=role,
        content=cipher.seal("messages", "content", message_id, content),
        model=model,
        status=status,
        attachments=_seal_list(cipher, message_id, "attachments", attachments),
        sources=_seal_list(cipher, message_id, "sources", sources),
        replica=replica,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    added[message_id] = message
    chat.current_leaf_id = message_id
    chat.updated_at = now
    return message


def open_content(cipher: UserCipher, message: Message) -> str:
    return cipher.open("messages", "content", message.id, message.content)


def _seal_list(
    cipher: UserCipher, message_id: str, column: str, items: list[dict[str, Any]] | None
) -> bytes | None:
    if not items:
        return None
    return cipher.seal("messages", column, message_id, json.dumps(items, ensure_ascii=False))


def open_attachments(cipher: UserCipher, message: Message) -> list[dict[str, Any]]:
    """The files and knowledge bases attached to a user message (their names as they were)."""
    return _open_list(cipher, message, "attachments", message.attachments)


def open_sources(cipher: UserCipher, message: Message) -> list[dict[str, Any]]:
    """The passages a reply was given to cite, numbered as it was told."""
    return _open_list(cipher, message, "sources", message.sources)


def _open_list(
    cipher: UserCipher, message: Message, column: str, sealed: bytes | None
) -> list[dict[str, Any]]:
    if sealed is None:
        return []
    items: list[dict[str, Any]] = json.loads(cipher.open("messages", column, message.id, sealed))
    return items


async def read_messages(
    session: AsyncSession, principal: Principal, cipher: UserCipher, chat_id: str
) -> list[MessageView]:
    chat = await get_chat(session, principal, chat_id)
    return [
        MessageView(m.id, m.parent_id, m.role, open_content(cipher, m), m.created_at)
        for m in await messages_of(session, chat)
    ]


async def save_reply(
    session: AsyncSession,
    cipher: UserCipher,
    message_id: str,
    text: str,
    **fields: Any,
) -> None:
    """Store a reply's text (sealed) and any of status/finish_reason/error/usage."""
    values = {"content": cipher.seal("messages", "content", message_id, text), **fields}
    values["updated_at"] = utcnow()
    await session.execute(update(Message).where(Message.id == message_id).values(**values))


async def save_progress_many(
    session: AsyncSession, items: list[tuple[UserCipher, str, str]]
) -> None:
    """Store the text so far of many streaming replies in one statement (executemany).

    Only rows still `streaming` are touched, so a late batch never overwrites a final reply.
    """
    table = Base.metadata.tables["messages"]  # Core, so a list of rows is an executemany
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == STREAMING)
        .values(content=bindparam("b_content"), updated_at=bindparam("b_now"))
    )
    now = utcnow()
    rows = [
        {"b_id": mid, "b_content": cipher.seal("messages", "content", mid, text), "b_now": now}
        for cipher, mid, text in items
    ]
    await session.execute(statement, rows)


async def owner_and_first_message(
    session: AsyncSession, chat_id: str
) -> tuple[str, Message | None] | None:
    """For background work on a chat (a title): its owner's id and its first user message;
    None when the chat is gone. Not scoped to a principal: the caller acts for the owner."""
    owner = await session.scalar(select(Chat.user_id).where(Chat.id == chat_id))
    if owner is None:
        return None
    query = (
        select(Message)
        .where(Message.chat_id == chat_id, Message.role == "user")
        .order_by(Message.id)
        .limit(1)
    )
    return owner, await session.scalar(query)


async def delete_subtree(session: AsyncSession, message: Message) -> None:
    """Delete a message and its descendants (the foreign key cascades to the children)."""
    await session.execute(delete(Message).where(Message.id == message.id))
