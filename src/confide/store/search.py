"""The blind index over a user's chats: postings of keyed term hashes, never terms.

Each chat gets a small integer doc id (`search_docs`); each distinct term of its title and
messages, and the 3- and 5-character prefixes of its terms (for as-you-type search), become one
posting `(hash, doc)`, kept as store/postings.py describes (fresh rows, merged into compressed
blocks). Postings are only added: a renamed title or a deleted message leaves stale ones
behind, so the index gives candidates and the service checks each against the opened text
before it is shown. Hashes are 32 bits: a collision only adds a candidate that check drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat, ChatTag, Message, SearchDoc
from confide.security.blind import terms
from confide.store import chats, postings
from confide.store.access import Principal, owned_by
from confide.store.chats import ChatCursor
from confide.store.keys import UserCipher
from confide.store.postings import Postings

PREFIX_LENGTHS = (3, 5)
SMALL = 2000  # a term in fewer docs than this is "rare": start from its postings
WALK = 500  # chats probed per query when walking newest first
_DOCS = "confide_search_docs"  # session.info: chat id -> doc id, for this unit of work


def term_hash(cipher: UserCipher, term: str) -> int:
    return cipher.blind(term, kind="t") >> 32


def prefix_hash(cipher: UserCipher, prefix: str) -> int:
    return cipher.blind(prefix, kind="p") >> 32


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
    known: dict[str, int] = session.info.setdefault(_DOCS, {})
    if chat_id in known:
        return known[chat_id]
    new = chats.created_here(session, chat_id)
    doc = None
    if new is None:
        doc = await session.scalar(select(SearchDoc.id).where(SearchDoc.chat_id == chat_id))
    if doc is None:
        chat = new or await session.get(Chat, chat_id)
        if chat is None:
            return None
        row = SearchDoc(chat_id=chat_id, user_id=chat.user_id)
        session.add(row)
        await session.flush()
        doc = row.id
    known[chat_id] = int(doc)
    return int(doc)


async def add_text(session: AsyncSession, cipher: UserCipher, chat_id: str, text: str) -> None:
    """Index `text` as part of a chat the caller holds."""
    values = hashes_of(cipher, text)
    if not values:
        return
    doc = await doc_of(session, chat_id)
    if doc is None:
        return
    await postings.add_fresh(session, doc, values)


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
    pass the filters (at most `limit`). When a value is rare, its docs (checked against the
    others') narrow the query; otherwise the user's chats are walked newest first and each
    doc is looked up in the values' postings, which decodes only the blocks it lands in."""
    found = [await postings.postings(session, principal.uid, v) for v in required]
    query = _filtered(principal, where, before).join(SearchDoc, SearchDoc.chat_id == Chat.id)
    rare = sorted((p for p in found if p.size < SMALL), key=lambda p: p.size)
    if rare:
        docs = [d for d in rare[0].all() if all(d in p for p in found if p is not rare[0])]
        if not docs:
            return []
        return list((await session.scalars(query.where(SearchDoc.id.in_(docs)).limit(limit))).all())
    if not found:
        return list((await session.scalars(query.limit(limit))).all())
    return await _walk(session, query, found, limit)


async def _walk(
    session: AsyncSession, query: Select[Chat], found: list[Postings], limit: int
) -> list[Chat]:
    """Probe the query's chats newest first, WALK at a time, until `limit` hold every value."""
    keys = query.with_only_columns(Chat.id, Chat.updated_at, SearchDoc.id)
    chosen: list[str] = []
    after: tuple[object, str] | None = None
    while len(chosen) < limit:
        page = keys if after is None else keys.where(tuple_(Chat.updated_at, Chat.id) < after)
        rows = (await session.execute(page.limit(WALK))).all()
        for chat_id, updated_at, doc in rows:
            if all(doc in p for p in found):
                chosen.append(chat_id)
                if len(chosen) == limit:
                    break
            after = (updated_at, chat_id)
        if len(rows) < WALK:
            break
    if not chosen:
        return []
    picked = {c.id: c for c in await session.scalars(select(Chat).where(Chat.id.in_(chosen)))}
    return [picked[c] for c in chosen]


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
