"""A user's tags and which chats carry them.

A tag's name is sealed; its `blind` column (the keyed HMAC of the normalized name) lets the
store find "the tag called X" for its owner without the database holding the name.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Chat, ChatTag, Tag
from confide.errors import NotFound
from confide.security.blind import normalize
from confide.store.access import Principal, get_owned, owned_by
from confide.store.keys import UserCipher


def blind_name(cipher: UserCipher, name: str) -> int:
    return cipher.blind(" ".join(normalize(name).split()), kind="tag")


async def find(session: AsyncSession, principal: Principal, cipher: UserCipher, name: str) -> Tag:
    query = select(Tag).where(
        owned_by(principal, Tag.user_id), Tag.blind == blind_name(cipher, name)
    )
    tag = await session.scalar(query)
    if tag is None:
        raise NotFound("Tag not found.")
    return tag


async def get_tag(session: AsyncSession, principal: Principal, tag_id: str) -> Tag:
    return await get_owned(session, principal, Tag, tag_id, "Tag")


async def get_or_add(
    session: AsyncSession, principal: Principal, cipher: UserCipher, name: str
) -> Tag:
    try:
        return await find(session, principal, cipher, name)
    except NotFound:
        tag_id = new_id()
        tag = Tag(
            id=tag_id,
            user_id=principal.uid,
            blind=blind_name(cipher, name),
            name=cipher.seal("tags", "name", tag_id, name),
        )
        session.add(tag)
        await session.flush()
        return tag


async def count(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).select_from(Tag).where(owned_by(principal, Tag.user_id))
    return int(await session.scalar(query) or 0)


def tag_name(tag: Tag, cipher: UserCipher) -> str:
    return cipher.open("tags", "name", tag.id, tag.name)


async def set_chat_tags(session: AsyncSession, chat: Chat, tag_ids: list[str]) -> None:
    """Replace the tags of a chat the caller holds (so: already scoped)."""
    await session.execute(delete(ChatTag).where(ChatTag.chat_id == chat.id))
    session.add_all(ChatTag(chat_id=chat.id, tag_id=tag_id) for tag_id in dict.fromkeys(tag_ids))


async def tags_of(session: AsyncSession, chat_ids: Iterable[str]) -> dict[str, list[Tag]]:
    """The tags of chats the caller holds, by chat id."""
    ids = list(chat_ids)
    if not ids:
        return {}
    query = (
        select(ChatTag.chat_id, Tag)
        .join(Tag, Tag.id == ChatTag.tag_id)
        .where(ChatTag.chat_id.in_(ids))
        .order_by(Tag.created_at, Tag.id)
    )
    found: dict[str, list[Tag]] = {}
    for chat_id, tag in (await session.execute(query)).all():
        found.setdefault(chat_id, []).append(tag)
    return found


async def all_tags(session: AsyncSession, principal: Principal) -> list[tuple[Tag, int]]:
    """The user's tags with how many chats carry each."""
    query = (
        select(Tag, func.count(ChatTag.chat_id))
        .outerjoin(ChatTag, ChatTag.tag_id == Tag.id)
        .where(owned_by(principal, Tag.user_id))
        .group_by(Tag.id)
        .order_by(Tag.created_at, Tag.id)
    )
    return [(tag, int(n)) for tag, n in (await session.execute(query)).all()]


async def drop_unused(session: AsyncSession, principal: Principal) -> None:
    """Tags no chat carries any more go away."""
    used = select(ChatTag.tag_id).distinct()
    await session.execute(delete(Tag).where(owned_by(principal, Tag.user_id), Tag.id.not_in(used)))


async def delete_tag(session: AsyncSession, tag: Tag) -> None:
    await session.execute(delete(Tag).where(Tag.id == tag.id))
