"""Exporting my chats: one chat or all of them (JSON, Markdown or text), and the full personal
archive (chats, presets, account settings) as one zip.

Exports are plaintext files the user downloads: the text is opened for its owner and leaves
the server sealed by nothing but the connection. Only the caller's own chats are read. All
chats are read a page at a time and written out as they are read, so memory stays bounded at
any number of chats. Each export is audited (`chats.export`, `account.export`), never with
content.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat, Folder, Message, ModelPreset
from confide.db.types import utcnow
from confide.errors import RateLimited
from confide.services import audit
from confide.services.context import Context
from confide.services.export_formats import (
    EXTENSIONS,
    MEDIA_TYPES,
    ExportedChat,
    ExportedMessage,
    Format,
    UniqueNames,
    ZipEntry,
    ascii_name,
    file_name,
    iso,
    json_document,
    once,
    one_chat_json,
    render,
    zipped,
)
from confide.store import chats, folders, keys, presets, tags, transfer, users
from confide.store.access import Principal
from confide.store.keys import UserCipher

PAGE = 25  # chats read per round trip
EXPORTS_PER_WINDOW = 20  # of all chats or the archive, per user
EXPORT_WINDOW_SECONDS = 600
README = """\
Confide: your personal export
=============================

Exported {when} for {email}.

chats.json    Every chat with every branch, in Confide's own format ("confide.chats",
              version 1): import it into any Confide under Settings -> Data -> Import.
presets.json  Your model presets, with their system prompts.
settings.json Your account (name, email, role) and your folders and tags.

These files are NOT encrypted. In Confide your chats are sealed with your own key; here they
are plain text. Keep them somewhere only you can read, and delete them when you are done.
"""


@dataclass(frozen=True)
class Download:
    """A file to send: its name, media type, and its bytes as they are produced."""

    filename: str
    media_type: str
    body: AsyncIterator[bytes]


async def _limit(principal: Principal, ctx: Context) -> None:
    decision = await ctx.limiter.hit(
        f"export:{principal.uid}", EXPORTS_PER_WINDOW, EXPORT_WINDOW_SECONDS
    )
    if not decision.allowed:
        raise RateLimited("Too many exports at once. Try again later.", decision.retry_after)


async def export_chat(principal: Principal, ctx: Context, chat_id: str, fmt: Format) -> Download:
    """One of my chats: JSON (every branch) or Markdown/text (the current branch)."""
    now = utcnow()
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        paths = await _folder_paths(session, principal, cipher)
        (exported,) = await _exported(session, cipher, paths, [chat])
        await audit.record(
            session, principal, "chats.export", target_type="chat", target_id=chat.id, format=fmt
        )
    stem = ascii_name(exported.title)
    data = one_chat_json(exported, now) if fmt == "json" else render(exported, fmt).encode()
    return Download(f"{stem}.{EXTENSIONS[fmt]}", MEDIA_TYPES[fmt], once(data))


async def export_chats(principal: Principal, ctx: Context, fmt: Format) -> Download:
    """All my chats: one JSON file, or a zip of one Markdown/text file per chat."""
    await _limit(principal, ctx)
    now = utcnow()
    async with ctx.db.write() as session:
        await audit.record(session, principal, "chats.export", format=fmt, scope="all")
    day = now.strftime("%Y-%m-%d")
    if fmt == "json":
        body = json_document(all_chats(principal, ctx), now)
        return Download(f"confide-chats-{day}.json", MEDIA_TYPES["json"], body)
    return Download(
        f"confide-chats-{day}-{fmt}.zip",
        MEDIA_TYPES["zip"],
        zipped(_chat_files(principal, ctx, fmt)),
    )


async def export_account(principal: Principal, ctx: Context) -> Download:
    """Everything of mine as one zip: chats.json, presets.json, settings.json, README.txt."""
    await _limit(principal, ctx)
    now = utcnow()
    async with ctx.db.write() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        account = await _settings(session, principal, cipher)
        preset_list = await _presets(session, principal, cipher)
        await audit.record(session, principal, "account.export")
    readme = README.format(
        when=now.strftime("%Y-%m-%d %H:%M UTC"), email=account["account"]["email"]
    )
    entries = [
        ZipEntry("README.txt", now, once(readme.encode())),
        ZipEntry("settings.json", now, once(_pretty(account))),
        ZipEntry("presets.json", now, once(_pretty({"presets": preset_list}))),
    ]

    async def files() -> AsyncIterator[ZipEntry]:
        for entry in entries:
            yield entry
        yield ZipEntry("chats.json", now, json_document(all_chats(principal, ctx), now), True)

    day = now.strftime("%Y-%m-%d")
    return Download(f"confide-export-{day}.zip", MEDIA_TYPES["zip"], zipped(files()))


# --- reading chats ---------------------------------------------------------------------------


async def all_chats(principal: Principal, ctx: Context) -> AsyncIterator[ExportedChat]:
    """Every chat of mine (archived ones too), oldest first, PAGE chats per read."""
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        paths = await _folder_paths(session, principal, cipher)
    after: str | None = None
    while True:
        async with ctx.db.read() as session:
            rows = await transfer.chat_page(session, principal, after=after, limit=PAGE)
            page = await _exported(session, cipher, paths, rows)
        for chat in page:
            yield chat
        if len(rows) < PAGE:
            return
        after = rows[-1].id


async def _chat_files(principal: Principal, ctx: Context, fmt: Format) -> AsyncIterator[ZipEntry]:
    names = UniqueNames()
    async for chat in all_chats(principal, ctx):
        stem = f"{chat.created_at:%Y-%m-%d} {file_name(chat.title)}"
        name = names.take(stem, EXTENSIONS[fmt])
        yield ZipEntry(name, chat.updated_at, once(render(chat, fmt).encode()))


async def _exported(
    session: AsyncSession, cipher: UserCipher, paths: dict[str, list[str]], rows: list[Chat]
) -> list[ExportedChat]:
    """Chats the caller holds, opened, with their messages, tags and folder paths."""
    messages = await transfer.messages_of_chats(session, rows)
    chat_tags = await tags.tags_of(session, (chat.id for chat in rows))
    return [
        ExportedChat(
            id=chat.id,
            title=chats.chat_title(chat, cipher),
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            pinned=chat.pinned,
            archived=chat.archived,
            folder=paths.get(chat.folder_id) if chat.folder_id else None,
            tags=[tags.tag_name(t, cipher) for t in chat_tags.get(chat.id, [])],
            current_leaf_id=chat.current_leaf_id,
            messages=[_message(cipher, m) for m in messages[chat.id]],
        )
        for chat in rows
    ]


def _message(cipher: UserCipher, message: Message) -> ExportedMessage:
    return ExportedMessage(
        id=message.id,
        parent_id=message.parent_id,
        role=message.role,
        content=chats.open_content(cipher, message),
        model=message.model,
        status=message.status,
        finish_reason=message.finish_reason,
        created_at=message.created_at,
    )


async def _folder_paths(
    session: AsyncSession, principal: Principal, cipher: UserCipher
) -> dict[str, list[str]]:
    """Each of my folders' path of names from the top, by folder id."""
    rows = await folders.all_folders(session, principal)
    return _paths(rows, {f.id: folders.folder_name(f, cipher) for f in rows})


def _paths(rows: list[Folder], names: dict[str, str]) -> dict[str, list[str]]:
    parents = {f.id: f.parent_id for f in rows}
    found: dict[str, list[str]] = {}
    for folder in rows:
        path: list[str] = []
        current: str | None = folder.id
        while current is not None and current in parents and len(path) <= len(rows):
            path.append(names[current])
            current = parents[current]
        found[folder.id] = path[::-1]
    return found


# --- presets and settings --------------------------------------------------------------------


async def _presets(
    session: AsyncSession, principal: Principal, cipher: UserCipher
) -> list[dict[str, Any]]:
    rows = await transfer.owned_presets(session, principal)
    return [_preset(row, cipher, await presets.group_ids(session, row.id)) for row in rows]


def _preset(row: ModelPreset, cipher: UserCipher, group_ids: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "base_model": row.base_model,
        "system_prompt": presets.open_prompt(cipher, row),
        "params": row.params,
        "description": row.description,
        "visibility": row.visibility,
        "group_ids": group_ids,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def _settings(
    session: AsyncSession, principal: Principal, cipher: UserCipher
) -> dict[str, Any]:
    user = await users.get(session, principal.uid)
    paths = await _folder_paths(session, principal, cipher)
    tag_rows = await tags.all_tags(session, principal)
    return {
        "account": {
            "id": principal.uid,
            "name": user.name if user else "",
            "email": user.email if user else "",
            "role": user.role if user else "",
            "created_at": iso(user.created_at) if user else None,
        },
        "folders": sorted(paths.values()),
        "tags": sorted((tags.tag_name(t, cipher) for t, _ in tag_rows), key=str.casefold),
    }


def _pretty(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()
