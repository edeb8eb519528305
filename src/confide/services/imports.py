"""Importing chats from a file: Confide's own export, ChatGPT's or Open WebUI's.

The file is read and checked first (services/import_formats.py, off the event loop). Then each
chat is written in its own transaction, all of it or nothing of it, so a bad chat never stops
the others. Chats always belong to the caller, whatever user ids the file names. Importing a
file twice does not duplicate: each imported chat keeps a keyed hash of where it came from
(`chats.import_key`) and is skipped the next time; a chat of Confide's own export whose id is
already one of the caller's chats (exported and imported into the same account) is skipped
too. Titles and messages are sealed and indexed for search like any chat's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat
from confide.db.types import utcnow
from confide.errors import BadRequest, ConfideError, Conflict, RateLimited
from confide.services import audit, folders, search, tags
from confide.services.context import Context
from confide.services.import_formats import (
    CONFIDE,
    FormatError,
    ImportedChat,
    ImportedMessage,
    Parsed,
    read,
)
from confide.store import folders as folder_store
from confide.store import keys, transfer
from confide.store import tags as tag_store
from confide.store.access import Principal
from confide.store.keys import UserCipher
from confide.store.transfer import NewChat, NewMessage

log = logging.getLogger("confide.imports")
IMPORTS_PER_WINDOW = 20
IMPORT_WINDOW_SECONDS = 600
Status = Literal["imported", "skipped", "failed"]
FolderPaths = dict[tuple[str, ...], str]


@dataclass(frozen=True)
class ChatResult:
    index: int
    title: str
    status: Status
    chat_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ImportReport:
    format: str
    results: list[ChatResult]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)


async def import_chats(principal: Principal, ctx: Context, body: bytes) -> ImportReport:
    """Import every chat of the file `body` for the caller; BadRequest when the file as a
    whole cannot be read (not JSON, too deep, not a format Confide knows, too many chats)."""
    decision = await ctx.limiter.hit(
        f"import:{principal.uid}", IMPORTS_PER_WINDOW, IMPORT_WINDOW_SECONDS
    )
    if not decision.allowed:
        raise RateLimited("Too many imports at once. Try again later.", decision.retry_after)
    try:
        parsed = await asyncio.to_thread(read, body)
    except FormatError as exc:
        raise BadRequest(str(exc)) from None
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        paths = await folder_paths(session, principal, cipher)
    writer = _Writer(principal, ctx, cipher, parsed.format, paths)
    results = [await writer.one(item) for item in parsed.items]
    report = ImportReport(parsed.format, results)
    async with ctx.db.write() as session:
        await audit.record(
            session,
            principal,
            "chats.import",
            format=parsed.format,
            imported=report.count("imported"),
            skipped=report.count("skipped"),
            failed=report.count("failed"),
        )
    return report


async def folder_paths(
    session: AsyncSession, principal: Principal, cipher: UserCipher
) -> FolderPaths:
    """Each of the user's folders by its path of names from the top (the first of equal
    paths wins)."""
    rows = await folder_store.all_folders(session, principal)
    by_id = {f.id: f for f in rows}
    names = {f.id: folder_store.folder_name(f, cipher) for f in rows}
    paths: FolderPaths = {}
    for folder in rows:
        path: list[str] = []
        current: str | None = folder.id
        while current is not None and current in by_id and len(path) <= len(rows):
            path.append(names[current])
            current = by_id[current].parent_id
        paths.setdefault(tuple(reversed(path)), folder.id)
    return paths


class _Writer:
    """Writes the chats of one file, one transaction each."""

    def __init__(
        self,
        principal: Principal,
        ctx: Context,
        cipher: UserCipher,
        kind: str,
        paths: FolderPaths,
    ) -> None:
        self.principal, self.ctx, self.cipher, self.kind = principal, ctx, cipher, kind
        self.paths = paths

    async def one(self, item: Parsed) -> ChatResult:
        if item.chat is None:
            return ChatResult(item.index, item.title, "failed", error=item.error)
        key = self.cipher.blind(f"{self.kind}:{item.chat.source_id}", kind="import")
        made: FolderPaths = {}
        try:
            async with self.ctx.db.write() as session:
                existing = await self._existing(session, item.chat, key)
                if existing is not None:
                    return ChatResult(item.index, item.title, "skipped", existing)
                chat_id = await self._write(session, item.chat, key, made)
        except ConfideError as exc:
            return ChatResult(item.index, item.title, "failed", error=exc.message)
        except IntegrityError:  # the same chat imported at the same moment by another request
            return await self._after_conflict(item, key)
        self.paths.update(made)  # committed: the folders exist now
        return ChatResult(item.index, item.title, "imported", chat_id)

    async def _existing(self, session: AsyncSession, chat: ImportedChat, key: int) -> str | None:
        found = await transfer.imported_chat(session, self.principal, key)
        if found is not None or self.kind != CONFIDE:
            return found
        mine = await transfer.has_chat(session, self.principal, chat.source_id)
        return chat.source_id if mine else None

    async def _after_conflict(self, item: Parsed, key: int) -> ChatResult:
        async with self.ctx.db.read() as session:
            found = await transfer.imported_chat(session, self.principal, key)
        if found is not None:
            return ChatResult(item.index, item.title, "skipped", found)
        log.warning("an imported chat could not be written (index %d)", item.index)
        return ChatResult(item.index, item.title, "failed", error="It could not be saved.")

    async def _write(
        self, session: AsyncSession, chat: ImportedChat, key: int, made: FolderPaths
    ) -> str:
        folder_id = await self._folder(session, chat.folder, made) if chat.folder else None
        messages, current = _new_messages(chat)
        newest = max((m.created_at for m in messages), default=None)
        created = _past(chat.created_at) or (messages[0].created_at if messages else utcnow())
        updated = _past(chat.updated_at) or newest or created
        head = NewChat(
            chat.title, key, created, max(updated, created), chat.pinned, chat.archived, folder_id
        )
        row, _ids = await transfer.add_chat(
            session, self.principal, self.cipher, head, messages, current
        )
        if chat.tags:
            await self._tag(session, row, chat.tags)
        await search.index(session, self.cipher, row.id, chat.title, *(m.content for m in messages))
        return row.id

    async def _tag(self, session: AsyncSession, chat: Chat, names: list[str]) -> None:
        rows = [await tag_store.get_or_add(session, self.principal, self.cipher, n) for n in names]
        await tag_store.set_chat_tags(session, chat, [t.id for t in rows])
        await session.flush()
        if await tag_store.count(session, self.principal) > tags.MAX_TAGS:
            raise Conflict(f"You have {tags.MAX_TAGS} tags, the most there can be.")

    async def _folder(self, session: AsyncSession, path: list[str], made: FolderPaths) -> str:
        """The folder at `path`, made (with those above it) where missing."""
        parent: str | None = None
        for depth in range(1, len(path) + 1):
            prefix = tuple(path[:depth])
            found = self.paths.get(prefix) or made.get(prefix)
            if found is None:
                if await folder_store.count(session, self.principal) >= folders.MAX_FOLDERS:
                    raise Conflict(
                        f"You have {folders.MAX_FOLDERS} folders, the most there can be."
                    )
                folder = folder_store.add_folder(
                    session, self.principal, self.cipher, prefix[-1], parent
                )
                await session.flush()
                found = made[prefix] = folder.id
            parent = found
        if parent is None:  # pragma: no cover - a path has at least one name
            raise BadRequest("A folder path is empty.")
        return parent


def _past(when: datetime | None) -> datetime | None:
    """A time from the file, never later than now (a future time would pin the chat first)."""
    return None if when is None else min(when, utcnow())


def _new_messages(chat: ImportedChat) -> tuple[list[NewMessage], int | None]:
    """The messages as rows (parents by index) and the index of the current leaf."""
    index = {m.key: i for i, m in enumerate(chat.messages)}
    now = utcnow()
    rows = [_row(m, index, now) for m in chat.messages]
    current = index.get(chat.current) if chat.current is not None else None
    return rows, _down_to_leaf(rows, current)


def _row(m: ImportedMessage, index: dict[str, int], now: datetime) -> NewMessage:
    return NewMessage(
        parent=index[m.parent] if m.parent is not None else None,
        role=m.role,
        content=m.content,
        model=m.model,
        status=m.status,
        finish_reason=m.finish_reason,
        created_at=min(m.created_at, now) if m.created_at else now,
    )


def _down_to_leaf(rows: list[NewMessage], start: int | None) -> int | None:
    """The current leaf: from `start` (None: the top) down the newest answers to a leaf."""
    children: dict[int | None, list[int]] = {}
    for i, row in enumerate(rows):
        children.setdefault(row.parent, []).append(i)
    current = start
    while children.get(current):
        current = max(children[current], key=lambda i: (rows[i].created_at, i))
    return current
