"""Search over a user's chats while their text stays sealed.

Writing: every title and message is cut into normalized terms whose keyed hashes (and those of
their 3- and 5-character prefixes) are added to the chat's postings (store/search.py). They
land as fresh rows, which services/postings.py merges into compressed blocks.
Searching: the query's terms are hashed the same way; the index yields candidate chats, newest
first; each candidate is opened for its owner and checked against the real text, which also
gives the snippet. So a stale posting (a renamed title, a deleted message) never shows.

Query syntax: words (all must occur; the last one also matches as a prefix while typing, from
3 characters), and filters `tag:name`, `folder:name` (with its sub-folders), `model:id`,
`after:YYYY-MM-DD`, `before:YYYY-MM-DD`, `is:archived`; quote a value with spaces
(`tag:"two words"`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat
from confide.errors import BadRequest, NotFound
from confide.security.blind import normalize
from confide.services.chats import ChatSummary, summaries
from confide.services.context import Context
from confide.services.folders import subtree
from confide.store import chats, folders, keys, search, tags
from confide.store.access import Principal
from confide.store.chats import ChatCursor
from confide.store.keys import UserCipher
from confide.store.search import PREFIX_LENGTHS, Filters

MAX_QUERY_TERMS = 12
MAX_EXAMINED = 200  # candidates opened per request, at most
SNIPPET_CHARS = 160
_WORD = re.compile(r"\w+")
_FILTERS = {"tag", "folder", "model", "after", "before", "is"}


@dataclass(frozen=True)
class Query:
    words: list[str]  # normalized
    prefix: bool  # the last word also matches as a prefix
    tag: str | None = None
    folder: str | None = None
    model: str | None = None
    after: datetime | None = None
    before: datetime | None = None
    archived: bool | None = None


@dataclass(frozen=True)
class Found:
    """Where a chat matched: a message (None: its title), and a snippet of that text."""

    message_id: str | None
    snippet: str
    highlights: list[tuple[int, int]]  # [start, end) offsets of matching words in the snippet


@dataclass(frozen=True)
class Hit:
    chat: ChatSummary
    found: Found


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    next_cursor: ChatCursor | None


# --- writing ---------------------------------------------------------------------------------


async def index(session: AsyncSession, cipher: UserCipher, chat_id: str, *texts: str) -> None:
    """Add the terms of `texts` to a chat's postings (the caller holds the chat)."""
    await search.add_text(session, cipher, chat_id, "\n".join(texts))


async def backfill(ctx: Context, batch: int = 200) -> int:
    """Index chats written before the index existed (run in the background at start)."""
    done = 0
    while True:
        async with ctx.db.write() as session:
            rows = await search.unindexed_chats(session, batch)
            ciphers: dict[str, UserCipher] = {}
            for chat in rows:
                if chat.user_id not in ciphers:
                    ciphers[chat.user_id] = await keys.cipher_for(session, ctx.sealer, chat.user_id)
                await _index_whole(session, ciphers[chat.user_id], chat)
        done += len(rows)
        if len(rows) < batch:
            return done


async def _index_whole(session: AsyncSession, cipher: UserCipher, chat: Chat) -> None:
    texts = [chats.chat_title(chat, cipher)]
    texts += [chats.open_content(cipher, m) for m in await chats.messages_of(session, chat)]
    await search.doc_of(session, chat.id)
    await index(session, cipher, chat.id, *texts)


# --- reading the query -----------------------------------------------------------------------


def parse(text: str) -> Query:
    """The query's words and filters; a malformed filter value is a BadRequest."""
    try:
        parts = shlex.split(text)
    except ValueError:
        raise BadRequest("The search has an unclosed quote.") from None
    words: list[str] = []
    found: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if sep and key.lower() in _FILTERS and value:
            found[key.lower()] = value
        else:
            words.extend(_WORD.findall(normalize(part)))
    if len(words) > MAX_QUERY_TERMS:
        raise BadRequest(f"Search for at most {MAX_QUERY_TERMS} words at a time.")
    prefix = bool(words) and bool(text) and not text[-1].isspace() and not text.endswith('"')
    return Query(
        words=words,
        prefix=prefix,
        tag=found.get("tag"),
        folder=found.get("folder"),
        model=found.get("model"),
        after=_date(found, "after"),
        before=_date(found, "before"),
        archived=_is(found),
    )


def _date(found: dict[str, str], key: str) -> datetime | None:
    if key not in found:
        return None
    try:
        day = datetime.strptime(found[key], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise BadRequest(f"`{key}:` takes a date like 2026-01-31.") from None
    return day if key == "after" else day.replace(hour=23, minute=59, second=59)


def _is(found: dict[str, str]) -> bool | None:
    value = found.get("is")
    if value is None:
        return None
    if value.lower() not in ("archived", "active"):
        raise BadRequest("`is:` takes `archived` or `active`.")
    return value.lower() == "archived"


# --- searching -------------------------------------------------------------------------------


async def search_chats(
    principal: Principal, ctx: Context, text: str, *, before: ChatCursor | None, limit: int
) -> Results:
    """My chats that match `text`, newest first, with a snippet of where. At most
    MAX_EXAMINED candidates are opened per request; `next_cursor` continues from there."""
    query = parse(text)
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        where = await _filters(session, principal, cipher, query)
        if where is None:
            return Results([], None)
        required = _required(cipher, query)
        found: list[tuple[Chat, Found]] = []
        cursor, examined, more = before, 0, True
        while more and len(found) < limit and examined < MAX_EXAMINED:
            batch = min(MAX_EXAMINED - examined, max(limit * 2, 20))
            rows = await search.candidates(
                session, principal, required, where, before=cursor, limit=batch
            )
            more = len(rows) == batch
            for chat in rows:
                examined += 1
                cursor = ChatCursor(chat.updated_at, chat.id)
                where_found = await _check(session, cipher, chat, query)
                if where_found is not None:
                    found.append((chat, where_found))
                if len(found) == limit:
                    more = more or chat is not rows[-1]
                    break
        heads = await summaries(session, cipher, [chat for chat, _ in found])
    hits = [Hit(head, f) for head, (_, f) in zip(heads, found, strict=True)]
    return Results(hits, cursor if more else None)


async def _filters(
    session: AsyncSession, principal: Principal, cipher: UserCipher, query: Query
) -> Filters | None:
    """The query's filters as the store takes them; None when one names nothing of mine."""
    tag_id = folder_ids = None
    try:
        if query.tag is not None:
            tag_id = (await tags.find(session, principal, cipher, query.tag)).id
    except NotFound:
        return None
    if query.folder is not None:
        folder_ids = await _folders_named(session, principal, cipher, query.folder)
        if not folder_ids:
            return None
    return Filters(
        archived=query.archived,
        folder_ids=folder_ids,
        tag_id=tag_id,
        model=query.model,
        after=query.after,
        before=query.before,
    )


async def _folders_named(
    session: AsyncSession, principal: Principal, cipher: UserCipher, name: str
) -> frozenset[str]:
    """Folders whose name is `name` (without regard to case or accents), with those inside."""
    rows = await folders.all_folders(session, principal)
    wanted = normalize(" ".join(name.split()))
    named = {f.id for f in rows if normalize(folders.folder_name(f, cipher)) == wanted}
    return frozenset(subtree(rows, named))


def _required(cipher: UserCipher, query: Query) -> list[int]:
    """Posting values a candidate must hold: every word's, the last one as a prefix."""
    words = list(dict.fromkeys(query.words))
    if not query.prefix or not words:
        return [search.term_hash(cipher, w) for w in words]
    *whole, last = words
    values = [search.term_hash(cipher, w) for w in whole]
    if len(last) < PREFIX_LENGTHS[0]:
        return [*values, search.term_hash(cipher, last)]
    length = max(n for n in PREFIX_LENGTHS if n <= len(last))
    return [*values, search.prefix_hash(cipher, last[:length])]


# --- checking a candidate against its text ---------------------------------------------------


async def _check(
    session: AsyncSession, cipher: UserCipher, chat: Chat, query: Query
) -> Found | None:
    """Where the chat's current text matches the query (None: it does not, the posting was
    stale or only a prefix of another word), with the best snippet."""
    title = chats.chat_title(chat, cipher)
    if not query.words:
        return Found(None, title[:SNIPPET_CHARS], [])
    texts: list[tuple[str | None, str]] = [(None, title)]
    texts += [(m.id, chats.open_content(cipher, m)) for m in await chats.messages_of(session, chat)]
    seen = {w for _, text in texts for w in _WORD.findall(normalize(text))}
    if not _matches(seen, query):
        return None
    message_id, text = max(texts, key=lambda t: _coverage(t[1], query))
    snippet, highlights = _snippet(text, query)
    return Found(message_id, snippet, highlights)


def _last_matches(word: str, query: Query) -> bool:
    last = query.words[-1]
    return word == last or (query.prefix and word.startswith(last))


def _is_match(word: str, query: Query) -> bool:
    return word in query.words[:-1] or _last_matches(word, query)


def _matches(seen: set[str], query: Query) -> bool:
    whole = all(w in seen for w in query.words[:-1])
    return whole and any(_last_matches(w, query) for w in seen)


def _coverage(text: str, query: Query) -> int:
    """How many of the query's words this text holds (ties: the first text wins)."""
    words = set(_WORD.findall(normalize(text)))
    whole = sum(1 for w in query.words[:-1] if w in words)
    return whole + int(any(_last_matches(w, query) for w in words))


def _snippet(text: str, query: Query) -> tuple[str, list[tuple[int, int]]]:
    """About SNIPPET_CHARS of `text` around its first match, and where the matches are in it."""
    spans = [
        (m.start(), m.end()) for m in _WORD.finditer(text) if _is_match(normalize(m.group()), query)
    ]
    if not spans:
        return text[:SNIPPET_CHARS], []
    start = max(0, spans[0][0] - SNIPPET_CHARS // 4)
    end = min(len(text), start + SNIPPET_CHARS)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(lead) - start
    inside = [(s + shift, e + shift) for s, e in spans if s >= start and e <= end]
    return lead + text[start:end] + tail, inside
