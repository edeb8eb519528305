"""The blind index's postings, stored compactly: recent ones raw, the rest in blocks.

A posting says "the chat with doc id D holds the term hash T". New postings go to
`search_fresh` as one row each (cheap to write, cheap to look up by term). A merge folds them
into `search_blocks`: per user and term, the sorted doc ids in blocks of at most `BLOCK_IDS`,
each stored as uint32 deltas with their bytes shuffled into planes (so the zero high bytes of
small deltas sit together) and raw-deflated; a block is keyed by its first doc id, so the
block an id belongs to is the one with the largest key not above it. A term in every chat
costs about a third of a byte per chat.

Readers take blocks and fresh together, so a posting is findable from the moment it is
written. A deleted chat's doc row goes with it (foreign key), so its ids in blocks can no
longer match anything; `compact` rewrites a user's blocks without them, and `purge` removes a
user's postings outright.
"""

from __future__ import annotations

import array
import bisect
import itertools
import operator
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from confide.db.tables import Base, SearchBlock, SearchDoc, SearchFresh

BLOCK_IDS = 4096  # doc ids per block, at most
MERGE_BATCH = 50_000  # fresh postings merged per transaction
TERMS_PER_QUERY = 400
PG_MERGE_LOCK = 0x5EA2C4  # one merge (or compaction, or purge) at a time on PostgreSQL
_PLAIN, _DEFLATED = 0, 1

FRESH = Base.metadata.tables[SearchFresh.__tablename__]  # Core: lists of rows are executemany
BLOCKS = Base.metadata.tables[SearchBlock.__tablename__]


# --- the block format ------------------------------------------------------------------------


def encode(ids: list[int]) -> bytes:
    """Sorted, distinct doc ids (each below 2**32) as a block."""
    deltas = array.array("I", [ids[0]] if ids else [])
    deltas.extend(map(operator.sub, itertools.islice(ids, 1, None), ids))
    raw = deltas.tobytes()
    planes = raw[0::4] + raw[1::4] + raw[2::4] + raw[3::4]
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = packer.compress(planes) + packer.flush()
    if len(packed) < len(planes):
        return bytes([_DEFLATED]) + packed
    return bytes([_PLAIN]) + planes


def decode(blob: bytes) -> list[int]:
    """The sorted doc ids of a block."""
    planes = zlib.decompress(blob[1:], -15) if blob[0] == _DEFLATED else blob[1:]
    n = len(planes) // 4
    raw = bytearray(len(planes))
    for plane in range(4):
        raw[plane::4] = planes[plane * n : (plane + 1) * n]
    deltas = array.array("I")
    deltas.frombytes(raw)
    return list(itertools.accumulate(deltas))


def split(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BLOCK_IDS):
        yield ids[start : start + BLOCK_IDS]


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Postings:
    """Where one term hash occurs among one user's chats: its blocks (decoded only when
    asked) and its fresh postings."""

    keys: list[int]  # first doc id of each block, ascending
    blobs: list[bytes]
    counts: list[int]
    fresh: set[int]
    _decoded: dict[int, set[int]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """How many docs hold it (an upper bound: fresh may repeat a block's id)."""
        return sum(self.counts) + len(self.fresh)

    def all(self) -> set[int]:
        docs = set(self.fresh)
        for blob in self.blobs:
            docs.update(decode(blob))
        return docs

    def __contains__(self, doc: int) -> bool:
        if doc in self.fresh:
            return True
        at = bisect.bisect_right(self.keys, doc) - 1
        if at < 0:
            return False
        if at not in self._decoded:
            self._decoded[at] = set(decode(self.blobs[at]))
        return doc in self._decoded[at]


async def postings(session: AsyncSession, user_id: str, term: int) -> Postings:
    """The postings of `term` among `user_id`'s chats (fresh ones may include other users'
    docs under a colliding hash: the caller scopes docs to the user's chats)."""
    query = (
        select(BLOCKS.c.block, BLOCKS.c.docs, BLOCKS.c.n)
        .where(BLOCKS.c.user_id == user_id, BLOCKS.c.term == term)
        .order_by(BLOCKS.c.block)
    )
    rows = (await session.execute(query)).all()
    fresh = await session.scalars(select(FRESH.c.doc).where(FRESH.c.term == term))
    return Postings(
        [r.block for r in rows], [r.docs for r in rows], [r.n for r in rows], set(fresh)
    )


# --- writing ---------------------------------------------------------------------------------


async def add_fresh(session: AsyncSession, doc: int, terms: Iterable[int]) -> None:
    await executemany(
        session,
        "INSERT INTO search_fresh (term, doc) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(t, doc) for t in terms],
    )


async def executemany(session: AsyncSession, sql: str, rows: list[tuple[object, ...]]) -> None:
    """Run `sql` (with `?` placeholders) once per row, straight through the driver: for the
    thousand postings of a chat, SQLAlchemy's per-row parameter handling cost more than the
    database's work."""
    if not rows:
        return
    connection = await session.connection()
    await connection.exec_driver_sql(_native(connection, sql), rows)


def _native(connection: AsyncConnection, sql: str) -> str:
    """`sql` with the driver's placeholders (`?` for SQLite, `$1, $2…` for asyncpg)."""
    if connection.dialect.paramstyle != "numeric_dollar":
        return sql
    numbers = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(numbers)}", sql)


async def fresh_over(session: AsyncSession, threshold: int) -> bool:
    """Whether there are more than `threshold` fresh postings (counts at most that many)."""
    head = select(FRESH.c.term).limit(threshold + 1).subquery()
    return int(await session.scalar(select(func.count()).select_from(head)) or 0) > threshold


async def lock_merging(session: AsyncSession) -> None:
    """Merges, compactions and purges rewrite blocks: one at a time (SQLite's write
    transaction already is one at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MERGE_LOCK})


# --- merging fresh postings into blocks ------------------------------------------------------

_TAKE = (
    "SELECT f.term, f.doc, d.user_id FROM search_fresh f"
    " LEFT OUTER JOIN search_docs d ON d.id = f.doc ORDER BY f.term, f.doc LIMIT ?"
)


async def merge_batch(session: AsyncSession, limit: int = MERGE_BATCH) -> int:
    """Fold up to `limit` fresh postings (lowest term hashes first) into blocks; answers how
    many it took. Postings of a doc that no longer exists are dropped. Only the pairs read are
    deleted from fresh, so a posting written meanwhile waits for the next merge."""
    await lock_merging(session)
    connection = await session.connection()  # plain rows: this reads many thousands
    result = await connection.exec_driver_sql(_native(connection, _TAKE), (limit,))
    rows = cast(list[tuple[int, int, str | None]], result.all())
    by_user: defaultdict[str, defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for term, doc, user_id in rows:
        if user_id is not None:
            by_user[user_id][term].append(doc)
    for user_id, terms in by_user.items():
        items = list(terms.items())
        for start in range(0, len(items), TERMS_PER_QUERY):
            await _merge_terms(session, user_id, dict(items[start : start + TERMS_PER_QUERY]))
    taken = "DELETE FROM search_fresh WHERE term = ? AND doc = ?"
    await executemany(session, taken, [(term, doc) for term, doc, _ in rows])
    return len(rows)


async def _merge_terms(session: AsyncSession, user_id: str, terms: dict[int, list[int]]) -> None:
    """Add sorted new doc ids to the blocks of these terms of one user."""
    mine = BLOCKS.c.user_id == user_id
    keys: defaultdict[int, list[int]] = defaultdict(list)
    query = select(BLOCKS.c.term, BLOCKS.c.block).where(mine, BLOCKS.c.term.in_(list(terms)))
    for term, block in await session.execute(query.order_by(BLOCKS.c.term, BLOCKS.c.block)):
        keys[term].append(block)
    into: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    rows: list[tuple[object, ...]] = []
    for term, ids in terms.items():
        if term not in keys:
            rows += _rows(user_id, term, ids)
            continue
        for doc in ids:
            at = max(bisect.bisect_right(keys[term], doc) - 1, 0)
            into[(term, keys[term][at])].append(doc)
    if into:
        wanted = tuple_(BLOCKS.c.term, BLOCKS.c.block).in_(list(into))
        query = select(BLOCKS.c.term, BLOCKS.c.block, BLOCKS.c.docs).where(mine, wanted)
        for row in (await session.execute(query)).all():
            rows += _rows(user_id, row.term, _union(decode(row.docs), into[(row.term, row.block)]))
        await _drop_blocks(session, user_id, list(into))
    await _add_blocks(session, rows)


def _union(old: list[int], new: list[int]) -> list[int]:
    if not old or new[0] > old[-1]:
        return old + new
    return sorted(set(old).union(new))


def _rows(user_id: str, term: int, ids: list[int]) -> list[tuple[object, ...]]:
    return [(user_id, term, part[0], len(part), encode(part)) for part in split(ids)]


async def _add_blocks(session: AsyncSession, rows: list[tuple[object, ...]]) -> None:
    add = "INSERT INTO search_blocks (user_id, term, block, n, docs) VALUES (?, ?, ?, ?, ?)"
    await executemany(session, add, rows)


async def _drop_blocks(session: AsyncSession, user_id: str, keys: list[tuple[int, int]]) -> None:
    drop = "DELETE FROM search_blocks WHERE user_id = ? AND term = ? AND block = ?"
    await executemany(session, drop, [(user_id, t, b) for t, b in keys])


# --- removing dead ids -----------------------------------------------------------------------


async def live_docs(session: AsyncSession, user_id: str) -> set[int]:
    return set(await session.scalars(select(SearchDoc.id).where(SearchDoc.user_id == user_id)))


async def compact_batch(
    session: AsyncSession, user_id: str, after: int | None, live: set[int]
) -> int | None:
    """Rewrite the blocks of the user's next TERMS_PER_QUERY terms (after the term hash
    `after`) without the ids of docs that no longer exist (`live`: the user's docs when the
    compaction began; an id not in it is checked again here, as it may be a doc made since).
    Answers the last term rewritten, None when there was none left."""
    await lock_merging(session)
    mine = BLOCKS.c.user_id == user_id
    next_terms = select(BLOCKS.c.term).where(mine).distinct().order_by(BLOCKS.c.term)
    if after is not None:
        next_terms = next_terms.where(BLOCKS.c.term > after)
    terms = list(await session.scalars(next_terms.limit(TERMS_PER_QUERY)))
    if not terms:
        return None
    query = select(BLOCKS.c.term, BLOCKS.c.block, BLOCKS.c.docs).where(
        mine, BLOCKS.c.term.in_(terms)
    )
    ids: defaultdict[int, list[int]] = defaultdict(list)
    keys: list[tuple[int, int]] = []
    for term, block, blob in await session.execute(query.order_by(BLOCKS.c.term, BLOCKS.c.block)):
        keys.append((term, block))
        ids[term] += decode(blob)
    unknown = {d for found in ids.values() for d in found if d not in live}
    made = await _existing(session, unknown)
    await _drop_blocks(session, user_id, keys)
    rows = [
        row
        for term, found in ids.items()
        for row in _rows(user_id, term, [d for d in found if d in live or d in made])
    ]
    await _add_blocks(session, rows)
    return int(terms[-1])


async def _existing(session: AsyncSession, docs: set[int]) -> set[int]:
    found: set[int] = set()
    listed = sorted(docs)
    for start in range(0, len(listed), 1000):
        part = listed[start : start + 1000]
        found.update(await session.scalars(select(SearchDoc.id).where(SearchDoc.id.in_(part))))
    return found


async def purge(session: AsyncSession, user_id: str) -> None:
    """Remove every posting of the user's chats, fresh and merged (their docs still exist)."""
    await lock_merging(session)
    theirs = select(SearchDoc.id).where(SearchDoc.user_id == user_id)
    await session.execute(delete(FRESH).where(FRESH.c.doc.in_(theirs)))
    await session.execute(delete(BLOCKS).where(BLOCKS.c.user_id == user_id))
