"""Writing chats out: Confide's lossless JSON (every branch), and Markdown or plain text (the
current branch, for reading); safe file names; and zip archives written as a stream. Pure: no
database. The JSON shape is what services/import_formats.py reads back.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from confide.services.import_formats import CONFIDE_FORMAT, CONFIDE_VERSION

Format = Literal["json", "markdown", "text"]
EXTENSIONS: dict[str, str] = {"json": "json", "markdown": "md", "text": "txt"}
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
    "zip": "application/zip",
}
ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}
MAX_NAME_CHARS = 80
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#|!])")
FLUSH_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExportedMessage:
    id: str
    parent_id: str | None
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class ExportedChat:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    pinned: bool
    archived: bool
    folder: list[str] | None
    tags: list[str]
    current_leaf_id: str | None
    messages: list[ExportedMessage]  # every branch, oldest first


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


# --- JSON ------------------------------------------------------------------------------------


def chat_dict(chat: ExportedChat) -> dict[str, Any]:
    return {
        "id": chat.id,
        "title": chat.title,
        "created_at": iso(chat.created_at),
        "updated_at": iso(chat.updated_at),
        "pinned": chat.pinned,
        "archived": chat.archived,
        "folder": chat.folder,
        "tags": chat.tags,
        "current_leaf_id": chat.current_leaf_id,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                "role": m.role,
                "content": m.content,
                "model": m.model,
                "status": m.status,
                "finish_reason": m.finish_reason,
                "created_at": iso(m.created_at),
            }
            for m in chat.messages
        ],
    }


async def json_document(
    chats: AsyncIterable[ExportedChat], exported_at: datetime
) -> AsyncIterator[bytes]:
    """`{"format": "confide.chats", "version": 1, "exported_at": …, "chats": […]}`, one chat
    per line, as it is read."""
    head = {"format": CONFIDE_FORMAT, "version": CONFIDE_VERSION, "exported_at": iso(exported_at)}
    yield (json.dumps(head, ensure_ascii=False)[:-1] + ', "chats": [').encode()
    separator = "\n"
    async for chat in chats:
        yield (separator + json.dumps(chat_dict(chat), ensure_ascii=False)).encode()
        separator = ",\n"
    yield b"\n]}\n"


def one_chat_json(chat: ExportedChat, exported_at: datetime) -> bytes:
    document = {
        "format": CONFIDE_FORMAT,
        "version": CONFIDE_VERSION,
        "exported_at": iso(exported_at),
        "chats": [chat_dict(chat)],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


# --- Markdown and text -----------------------------------------------------------------------


def current_branch(chat: ExportedChat) -> list[ExportedMessage]:
    """The messages from the first to the current leaf."""
    by_id = {m.id: m for m in chat.messages}
    path: list[ExportedMessage] = []
    current = by_id.get(chat.current_leaf_id) if chat.current_leaf_id else None
    while current is not None and len(path) < len(by_id):
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return path[::-1]


def _when(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _speaker(message: ExportedMessage) -> str:
    name = ROLE_NAMES.get(message.role, message.role.title())
    return f"{name} ({message.model})" if message.model else name


def _facts(chat: ExportedChat) -> list[tuple[str, str]]:
    facts = [("Created", _when(chat.created_at)), ("Updated", _when(chat.updated_at))]
    if chat.folder:
        facts.append(("Folder", " / ".join(chat.folder)))
    if chat.tags:
        facts.append(("Tags", ", ".join(chat.tags)))
    if chat.archived:
        facts.append(("Archived", "yes"))
    return facts


def escape_markdown(text: str) -> str:
    """Plain text (a title, a tag) shown as itself in Markdown: markup and HTML escaped."""
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


def markdown(chat: ExportedChat) -> str:
    lines = [f"# {escape_markdown(chat.title)}", ""]
    lines += [f"- {name}: {escape_markdown(value)}" for name, value in _facts(chat)]
    for message in current_branch(chat):
        head = f"{escape_markdown(_speaker(message))} · {_when(message.created_at)}"
        lines += ["", "---", "", f"### {head}", "", message.content.rstrip()]
    return "\n".join(lines) + "\n"


def text(chat: ExportedChat) -> str:
    title = " ".join(chat.title.split())
    lines = [title, "=" * min(len(title), 80), ""]
    lines += [f"{name}: {value}" for name, value in _facts(chat)]
    for message in current_branch(chat):
        lines += ["", f"[{_speaker(message)} · {_when(message.created_at)}]", message.content]
    return "\n".join(lines).rstrip() + "\n"


def render(chat: ExportedChat, fmt: str) -> str:
    return markdown(chat) if fmt == "markdown" else text(chat)


# --- file names ------------------------------------------------------------------------------


def ascii_name(title: str, fallback: str = "chat") -> str:
    """A title as an ASCII file name stem for a download header: letters, digits, - and _."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", folded).strip("-_")[:60].strip("-_")
    return stem or fallback


def file_name(title: str) -> str:
    """A title as a file name stem safe on every system: no separators, control or reserved
    characters, no leading dots, not a reserved device name, not too long."""
    name = _UNSAFE.sub(" ", unicodedata.normalize("NFC", title))
    name = " ".join(name.split()).strip(" .")[:MAX_NAME_CHARS].strip(" .")
    if not name:
        return "chat"
    return f"_{name}" if _RESERVED.match(name) else name


class UniqueNames:
    """Hands out file names, each once (case-insensitively): "a.md", "a (2).md", ..."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, stem: str, extension: str) -> str:
        candidate, n = f"{stem}.{extension}", 1
        while candidate.casefold() in self._taken:
            n += 1
            candidate = f"{stem} ({n}).{extension}"
        self._taken.add(candidate.casefold())
        return candidate


# --- zip archives ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipEntry:
    name: str
    modified: datetime
    chunks: AsyncIterable[bytes]
    large: bool = False  # may pass 4 GiB: written with ZIP64 sizes


class _Sink(io.RawIOBase):
    """A write-only, unseekable file: zipfile writes into it; the stream takes it out."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self.size += len(chunk)
        return len(chunk)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return out


async def zipped(entries: AsyncIterable[ZipEntry]) -> AsyncIterator[bytes]:
    """A zip archive of `entries`, written as it is read: never more than about one chunk of
    any file in memory."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        async for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=_zip_time(entry.modified))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            with archive.open(info, "w", force_zip64=entry.large) as member:
                async for chunk in entry.chunks:
                    member.write(chunk)
                    if sink.size >= FLUSH_BYTES:
                        yield sink.take()
            yield sink.take()
    yield sink.take()


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    when = max(when, datetime(1980, 1, 1, tzinfo=when.tzinfo))  # zip's earliest
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def each(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
