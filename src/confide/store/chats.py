"""Chats and their messages, sealed with the owner's data key.

The chat engine issue builds the API on top; this is the storage it stands on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Chat, Message
from confide.errors import NotFound
from confide.store.access import Principal, owned_by
from confide.store.keys import UserCipher


@dataclass(frozen=True)
class MessageView:
    id: str
    parent_id: str | None
    role: str
    content: str
    created_at: datetime


async def create_chat(
    session: AsyncSession, principal: Principal, cipher: UserCipher, title: str
) -> Chat:
    chat_id = new_id()
    chat = Chat(
        id=chat_id, user_id=principal.uid, title=cipher.seal("chats", "title", chat_id, title)
    )
    session.add(chat)
    await session.flush()
    return chat


async def get_chat(session: AsyncSession, principal: Principal, chat_id: str) -> Chat:
    chat = await session.scalar(
        select(Chat).where(owned_by(principal, Chat.user_id), Chat.id == chat_id)
    )
    if chat is None:
        raise NotFound("Chat not found.")
    return chat


async def add_message(
    session: AsyncSession,
    principal: Principal,
    cipher: UserCipher,
    *,
    chat_id: str,
    parent_id: str | None,
    role: str,
    content: str,
) -> Message:
    chat = await get_chat(session, principal, chat_id)
    if parent_id is not None:
        parent = await session.get(Message, parent_id)
        if parent is None or parent.chat_id != chat.id:
            raise NotFound("Parent message not found.")
    message_id = new_id()
    message = Message(
        id=message_id,
        chat_id=chat.id,
        parent_id=parent_id,
        role=role,
        content=cipher.seal("messages", "content", message_id, content),
    )
    session.add(message)
    chat.current_leaf_id = message_id
    await session.flush()
    return message


async def read_messages(
    session: AsyncSession, principal: Principal, cipher: UserCipher, chat_id: str
) -> list[MessageView]:
    chat = await get_chat(session, principal, chat_id)
    rows = await session.scalars(
        select(Message).where(Message.chat_id == chat.id).order_by(Message.id)
    )
    return [_view(cipher, m) for m in rows]


def _view(cipher: UserCipher, message: Message) -> MessageView:
    content = cipher.open("messages", "content", message.id, message.content)
    return MessageView(message.id, message.parent_id, message.role, content, message.created_at)


def chat_title(chat: Chat, cipher: UserCipher) -> str:
    return cipher.open("chats", "title", chat.id, chat.title)
