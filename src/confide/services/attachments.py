"""Files, knowledge bases and web pages attached to chat messages, and the passages replies
cite.

A user message may carry attachments: my ready files, knowledge bases I may read, and public
web pages. Files and knowledge bases stay in scope for the rest of their branch, so a
follow-up question searches them too; a web page serves the message it is attached to (and
its regenerations, which fetch it again: services/web_pages.py). Before
the replies are started, the question is answered by retrieval (services/retrieval.py, which
checks again, at that moment, what the asker may read) and the best passages are numbered and
given to the model as untrusted data to cite (services/prompting.py); each reply keeps them,
sealed, so the web app can show its sources.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Message
from confide.errors import BadRequest, Conflict, NotFound
from confide.security.safe_http import UnsafeURL, check_url
from confide.services import retrieval, web_pages
from confide.services.context import Context
from confide.services.retrieval import Passage
from confide.services.web_pages import WebPassage
from confide.store import chats, files, keys, knowledge
from confide.store.access import Principal
from confide.store.keys import UserCipher

MAX_FILES = 20
MAX_KNOWLEDGE = 10
PASSAGES = 6  # passages a reply is given, at most
FILE, KNOWLEDGE, WEB = "file", "knowledge", "web"


@dataclass(frozen=True)
class Attachment:
    kind: str  # FILE, KNOWLEDGE or WEB
    id: str  # a web page's is its URL
    name: str  # as it was when attached (the file may be renamed or deleted later)


@dataclass(frozen=True)
class Scope:
    """What a question is searched in."""

    file_ids: list[str] = field(default_factory=list)
    knowledge_ids: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def with_knowledge(self, more: Sequence[str]) -> Scope:
        return replace(self, knowledge_ids=_once([*self.knowledge_ids, *more]))


@dataclass(frozen=True)
class Source:
    n: int  # the number the reply was told to cite it by, from 1
    file_id: str | None  # None for a web page
    file_name: str  # a web page's title, or its host
    ordinal: int
    location: str
    end_location: str
    headings: list[str]
    text: str
    url: str | None = None  # a web page's


async def check(
    session: AsyncSession,
    principal: Principal,
    ctx: Context,
    file_ids: Sequence[str],
    knowledge_ids: Sequence[str],
    urls: Sequence[str] = (),
) -> list[Attachment]:
    """What is being attached, checked: my own files, read and indexed (404 for anyone
    else's, exactly like a missing one; 409 for one still being read or unreadable),
    knowledge bases I may read (404 otherwise), and web page addresses that may be fetched
    (400 otherwise; the pages themselves are fetched when the question is searched)."""
    found = [await _file(session, principal, ctx, file_id) for file_id in _once(file_ids)]
    for knowledge_id in _once(knowledge_ids):
        found.append(await _knowledge(session, principal, ctx, knowledge_id))
    return found + [_web_page(ctx, url) for url in _once(urls)]


async def _file(
    session: AsyncSession, principal: Principal, ctx: Context, file_id: str
) -> Attachment:
    row = await files.get(session, principal, file_id)
    cipher = await keys.cipher_for(session, ctx.sealer, row.user_id)
    name = cipher.open("files", "name", row.id, row.name)
    if row.status == files.FAILED:
        raise Conflict(f"{name} could not be read, so it cannot be asked about.")
    if row.status != files.READY:
        raise Conflict(f"{name} is still being read; send your message when it is ready.")
    return Attachment(FILE, row.id, name)


async def _knowledge(
    session: AsyncSession, principal: Principal, ctx: Context, knowledge_id: str
) -> Attachment:
    row = await knowledge.get_readable(session, principal, knowledge_id)
    if row is None:
        raise NotFound("Knowledge base not found.")
    owner = await keys.cipher_for(session, ctx.sealer, row.user_id)
    return Attachment(KNOWLEDGE, row.id, knowledge.open_text(owner, row, "name"))


def _web_page(ctx: Context, url: str) -> Attachment:
    if not ctx.settings.web_pages:
        raise BadRequest("Web pages are turned off on this server.")
    try:
        check_url(url)
    except UnsafeURL as exc:
        raise BadRequest(f"This address cannot be read: {exc}") from None
    return Attachment(WEB, url, url)


def _once(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def as_stored(attached: Sequence[Attachment]) -> list[dict[str, Any]]:
    return [asdict(a) for a in attached]


def in_scope(
    cipher: UserCipher, branch: Sequence[Message], asked: Sequence[dict[str, Any]]
) -> Scope:
    """What a question on this branch searches: the files and knowledge bases attached to its
    earlier user messages and to the message asked (`asked`: its attachments, as stored), and
    the web pages of the message asked."""
    earlier = [a for m in branch if m.role == "user" for a in chats.open_attachments(cipher, m)]
    every = [*earlier, *asked]
    return Scope(
        file_ids=_once(a["id"] for a in every if a["kind"] == FILE),
        knowledge_ids=_once(a["id"] for a in every if a["kind"] == KNOWLEDGE),
        urls=_once(a["id"] for a in asked if a["kind"] == WEB),
    )


async def sources_for(
    principal: Principal, ctx: Context, question: str, scope: Scope, *, strict: bool = True
) -> list[Source]:
    """The passages in scope that best answer `question`, numbered from 1 (none when nothing
    is attached on the branch): a web page's and the files' best in turn, the page's first
    (it was given for this very question)."""
    question = question[: retrieval.MAX_QUERY]
    found: list[Passage] = []
    if scope.file_ids or scope.knowledge_ids:
        found = await retrieval.search(
            principal,
            ctx,
            question,
            file_ids=scope.file_ids,
            knowledge_ids=scope.knowledge_ids,
            limit=PASSAGES,
        )
    pages: list[WebPassage] = []
    if scope.urls:
        pages = await web_pages.passages(ctx, question, scope.urls, PASSAGES, strict=strict)
    turns = itertools.zip_longest(map(_from_web, pages), map(_from_file, found))
    merged = [source for turn in turns for source in turn if source is not None]
    return [replace(source, n=n) for n, source in enumerate(merged[:PASSAGES], start=1)]


def _from_file(p: Passage) -> Source:
    return Source(
        0, p.file_id, p.file_name, p.ordinal, p.location, p.end_location, p.headings, p.text
    )


def _from_web(p: WebPassage) -> Source:
    return Source(0, None, p.title, p.ordinal, "", "", p.headings, p.text, url=p.url)
