"""The blind index over a user's chats: postings of keyed term hashes, never terms.

Each chat gets a small integer doc id (`search_docs`); each distinct term of its title and
messages, and the 3- and 5-character prefixes of its terms (for as-you-type search), become one
posting `(hash, doc)`. Postings are only added: a renamed title or a deleted message leaves
stale ones behind, so the index gives candidates and the service checks each against the
opened text before it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import upsert
from confide.db.tables import Chat, ChatTag, Message, SearchDoc, SearchTerm
from confide.security.blind import terms
from confide.store.access import Principal, owned_by
from confide.store.chats import ChatCursor
from confide.store.keys import UserCipher

PREFIX_LENGTHS = (3, 5)
SMALL = 2000  # a term in fewer docs than this is "rare": start from its postings


def term_hash(cipher: UserCipher, term: str) -> int:
    return cipher.blind(term, kind="t")


def prefix_hash(cipher: UserCipher, prefix: str) -> int:
    return cipher.blind(prefix, kind="p")


def hashes_of(cipher: UserCipher, text: str) -> set[int]:
    """Every posting value for `text`: its terms, and their 3- and 5-character prefixes."""
    found: set[int] = set()
    for term in set(terms(text)):
        found.add(term_hash(cipher, term))
        found.update(prefix_hash(cipher, term[:n]) for n in PREFIX_LENGTHS if len(term) >= n)
    return found


async def doc_of(session: AsyncSession, chat_id: str) -> int | None:
    """The chat's doc id, created on first use (the caller holds the chat); None when the
    chat is gone (deleted while its reply was still being written)."""
    doc = await session.scalar(select(SearchDoc.id).where(SearchDoc.chat_id == chat_id))
    if doc is not None:
        return int(doc)
    if await session.get(Chat, chat_id) is None:
        return None
    row = SearchDoc(chat_id=chat_id)
    session.add(row)
    await session.flush()
    return int(row.id)


async def add_text(session: AsyncSession, cipher: UserCipher, chat_id: str, text: str) -> None:
    """Index `text` as part of a chat the caller holds."""
    values = hashes_of(cipher, text)
    if not values:
        return
    doc = await doc_of(session, chat_id)
    if doc is None:
        return
    statement = upsert(session, SearchTerm).on_conflict_do_nothing()
    await session.execute(statement, [{"term": v, "doc": doc} for v in values])


async def unindexed_chats(session: AsyncSession, limit: int) -> list[Chat]:
    """Chats of every user that have no doc yet (written before the index existed), for the
    background backfill: deliberately not scoped to one principal."""
    query = (
        select(Chat)
        .where(~exists().where(SearchDoc.chat_id == Chat.id))
        .order_by(Chat.user_id, Chat.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class Filters:
    archived: bool | None = None
    folder_ids: frozenset[str] | None = None
    tag_id: str | None = None
    model: str | None = None
    after: datetime | None = None
    before: datetime | None = None


async def docs_with(session: AsyncSession, value: int) -> list[int]:
    """Up to SMALL docs that hold `value` (any user's: the caller scopes them)."""
    query = select(SearchTerm.doc).where(SearchTerm.term == value).limit(SMALL)
    return list((await session.scalars(query)).all())


async def candidates(
    session: AsyncSession,
    principal: Principal,
    required: list[int],
    where: Filters,
    *,
    before: ChatCursor | None,
    limit: int,
) -> list[Chat]:
    """The user's chats, newest first, whose postings hold every value of `required` and that
    pass the filters. A rare value narrows by its postings first; otherwise the user's chats
    are walked newest first and each is probed (both stop after `limit`)."""
    query = (
        _filtered(principal, where, before)
        .join(SearchDoc, SearchDoc.chat_id == Chat.id)
        .limit(limit)
    )
    small: set[int] | None = None
    for value in required:
        docs = await docs_with(session, value)
        if len(docs) < SMALL:
            small = set(docs) if small is None else small & set(docs)
    if small is not None:
        if not small:
            return []
        query = query.where(SearchDoc.id.in_(small))
    for value in required:
        query = query.where(
            exists().where(SearchTerm.term == value, SearchTerm.doc == SearchDoc.id)
        )
    return list((await session.scalars(query)).all())


def _filtered(principal: Principal, where: Filters, before: ChatCursor | None) -> Select[Chat]:
    query = (
        select(Chat)
        .where(owned_by(principal, Chat.user_id))
        .order_by(Chat.updated_at.desc(), Chat.id.desc())
    )
    if before is not None:
        query = query.where(tuple_(Chat.updated_at, Chat.id) < (before.updated_at, before.id))
    if where.archived is not None:
        query = query.where(Chat.archived.is_(where.archived))
    if where.folder_ids is not None:
        query = query.where(Chat.folder_id.in_(where.folder_ids))
    if where.tag_id is not None:
        query = query.where(
            Chat.id.in_(select(ChatTag.chat_id).where(ChatTag.tag_id == where.tag_id))
        )
    if where.model is not None:
        query = query.where(
            exists().where(Message.chat_id == Chat.id, Message.model == where.model)
        )
    if where.after is not None:
        query = query.where(Chat.updated_at >= where.after)
    if where.before is not None:
        query = query.where(Chat.updated_at < where.before)
    return query
