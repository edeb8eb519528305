"""Reading a user's chats in pages (exports) and writing whole chats at once (imports).

Every query is scoped to the acting principal. Content is sealed with the owner's data key
exactly as store/chats.py seals it, under rows ids made here.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Chat, Message, ModelPreset
from confide.store.access import Principal, owned_by
from confide.store.keys import UserCipher


async def chat_page(
    session: AsyncSession, principal: Principal, *, after: str | None, limit: int
) -> list[Chat]:
    """The user's chats by id (oldest first), `limit` at a time, after the id `after`."""
    query = select(Chat).where(owned_by(principal, Chat.user_id)).order_by(Chat.id).limit(limit)
    if after is not None:
        query = query.where(Chat.id > after)
    return list((await session.scalars(query)).all())


async def messages_of_chats(session: AsyncSession, chats: list[Chat]) -> dict[str, list[Message]]:
    """The messages of chats the caller holds (so: already scoped), oldest first, by chat."""
    found: dict[str, list[Message]] = {chat.id: [] for chat in chats}
    if not found:
        return found
    query = select(Message).where(Message.chat_id.in_(list(found))).order_by(Message.id)
    for message in (await session.scalars(query)).all():
        found[message.chat_id].append(message)
    return found


async def imported_chat(session: AsyncSession, principal: Principal, import_key: int) -> str | None:
    """The id of the user's chat imported from the source `import_key` names, if any."""
    query = select(Chat.id).where(owned_by(principal, Chat.user_id), Chat.import_key == import_key)
    return await session.scalar(query)


async def has_chat(session: AsyncSession, principal: Principal, chat_id: str) -> bool:
    query = select(Chat.id).where(owned_by(principal, Chat.user_id), Chat.id == chat_id)
    return await session.scalar(query) is not None


async def owned_presets(session: AsyncSession, principal: Principal) -> list[ModelPreset]:
    """The presets the user made (not those shared with them), oldest first."""
    query = select(ModelPreset).where(owned_by(principal, ModelPreset.owner_id))
    return list((await session.scalars(query.order_by(ModelPreset.id))).all())


@dataclass(frozen=True)
class NewChat:
    title: str
    import_key: int
    created_at: datetime
    updated_at: datetime
    pinned: bool
    archived: bool
    folder_id: str | None


@dataclass(frozen=True)
class NewMessage:
    parent: int | None  # index of its parent in the list (parents come first)
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    created_at: datetime


def ordered_ids(count: int) -> list[str]:
    """`count` new row ids that sort in the order given (ids sort by time, and many are made
    within one millisecond): the time, a sequence number, then 64 random bits."""
    millis = time.time_ns() // 1_000_000
    return [f"{millis:012x}{n:04x}{secrets.token_hex(8)}" for n in range(count)]


async def add_chat(
    session: AsyncSession,
    principal: Principal,
    cipher: UserCipher,
    chat: NewChat,
    messages: list[NewMessage],
    current: int | None,
) -> tuple[Chat, list[str]]:
    """Write a chat with all its messages (sealed); answers it and the messages' ids."""
    chat_id = new_id()
    ids = ordered_ids(len(messages))
    row = Chat(
        id=chat_id,
        user_id=principal.uid,
        title=cipher.seal("chats", "title", chat_id, chat.title),
        folder_id=chat.folder_id,
        pinned=chat.pinned,
        archived=chat.archived,
        import_key=chat.import_key,
        current_leaf_id=ids[current] if current is not None else None,
        created_at=chat.created_at,
        updated_at=chat.updated_at,
    )
    session.add(row)
    await session.flush()
    rows = [
        {
            "id": ids[i],
            "chat_id": chat_id,
            "parent_id": ids[m.parent] if m.parent is not None else None,
            "role": m.role,
            "content": cipher.seal("messages", "content", ids[i], m.content),
            "model": m.model,
            "status": m.status,
            "finish_reason": m.finish_reason,
            "created_at": m.created_at,
            "updated_at": m.created_at,
        }
        for i, m in enumerate(messages)
    ]
    for start in range(0, len(rows), 500):  # parents come first, so each batch holds
        await session.execute(insert(Message), rows[start : start + 500])
    return row, ids
