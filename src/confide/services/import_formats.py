"""Reading chat export files: Confide's own JSON, ChatGPT's `conversations.json`, and Open
WebUI's chat export (one chat, or the "export all" list). Pure: no database, no I/O.

`read(body)` parses and recognises the file and turns each chat in it into an `ImportedChat`
(a message tree with parents before children) or a per-chat error. A file that is not JSON,
nests too deeply, is none of the three formats or holds too many chats is refused whole
(`FormatError`); one bad chat only fails that chat (`ChatError`, kept in its `Parsed`).
This module reads the file and Confide's own format; import_readers.py reads ChatGPT's and
Open WebUI's; import_fields.py holds what they share (limits, shapes, field checks, the tree).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confide.services.import_fields import (
    DEFAULT_TITLE,
    MAX_ID_CHARS,
    MAX_MESSAGES,
    MAX_MODEL_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    STATUSES,
    ChatError,
    ImportedChat,
    ImportedMessage,
    as_object,
    clean_title,
    content_of,
    flag,
    folder_path,
    list_field,
    optional_text,
    role_of,
    tag_names,
    text_field,
    timestamp,
    tree,
)
from confide.services.import_readers import chatgpt_chat, openwebui_chat

__all__ = [  # what the importer and the tests use, wherever it is defined
    "CHATGPT",
    "CONFIDE",
    "DEFAULT_TITLE",
    "MAX_CHATS",
    "MAX_MESSAGES",
    "MAX_TEXT_CHARS",
    "OPENWEBUI",
    "ChatError",
    "FormatError",
    "ImportFile",
    "ImportedChat",
    "ImportedMessage",
    "Parsed",
    "chatgpt_chat",
    "confide_chat",
    "openwebui_chat",
    "read",
    "timestamp",
    "tree",
]

CONFIDE, CHATGPT, OPENWEBUI = "confide", "chatgpt", "openwebui"
CONFIDE_FORMAT = "confide.chats"
CONFIDE_VERSION = 1
MAX_CHATS = 20_000  # per file
KNOWN = (
    'Confide\'s own export (JSON with "format": "confide.chats"), ChatGPT\'s '
    "conversations.json, or Open WebUI's chat export (one chat or all chats)"
)


class FormatError(ValueError):
    """The whole file is refused; the message says why, for a person."""


@dataclass(frozen=True)
class Parsed:
    """One chat of the file: read (`chat`) or refused (`error`)."""

    index: int
    title: str
    chat: ImportedChat | None = None
    error: str | None = None


@dataclass(frozen=True)
class ImportFile:
    format: str
    items: list[Parsed]


# --- the file --------------------------------------------------------------------------------


def read(body: bytes) -> ImportFile:
    """Parse, recognise and read a file; FormatError when it cannot be read at all."""
    data = load(body)
    kind, chats = detect(data)
    if len(chats) > MAX_CHATS:
        raise FormatError(
            f"The file holds {len(chats)} chats; import at most {MAX_CHATS} at a time."
        )
    reader = {CONFIDE: confide_chat, CHATGPT: chatgpt_chat, OPENWEBUI: openwebui_chat}[kind]
    return ImportFile(kind, [_parse_one(i, raw, reader) for i, raw in enumerate(chats)])


def _refuse_constant(name: str) -> Any:
    raise FormatError(f"The file is not valid JSON: {name} is not a JSON number.")


def load(body: bytes) -> Any:
    """The JSON value of `body`. Too deep a nesting is refused, not a crash: the parser
    stops at the interpreter's recursion limit (about 1,000 levels) with RecursionError."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("The file is not text in UTF-8, so not a JSON export.") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise FormatError("The file nests too deeply to be a chat export.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"The file is not valid JSON ({exc.msg}, line {exc.lineno}).") from None


def detect(data: Any) -> tuple[str, list[Any]]:
    """Which format `data` is, and its list of chats."""
    if isinstance(data, dict) and "format" in data:
        return CONFIDE, _confide_chats(data)
    if data == []:
        return CONFIDE, []  # an empty list: nothing to import, whatever it was
    items = data if isinstance(data, list) else [data]
    first = next((item for item in items if isinstance(item, dict)), None)
    if first is not None and "mapping" in first:
        return CHATGPT, items
    if first is not None and isinstance(first.get("chat"), dict):
        return OPENWEBUI, items
    if first is not None and isinstance(first.get("history"), dict):  # a bare Open WebUI chat
        return OPENWEBUI, [{"chat": i} if isinstance(i, dict) else i for i in items]
    raise FormatError(f"This is not a chat export Confide can read. Import {KNOWN}.")


def _confide_chats(data: dict[str, Any]) -> list[Any]:
    if data.get("format") != CONFIDE_FORMAT:
        raise FormatError(f"This is not a chat export Confide can read. Import {KNOWN}.")
    version = data.get("version")
    if version != CONFIDE_VERSION:
        raise FormatError(
            f"This Confide export has version {json.dumps(version)[:20]}; this Confide reads "
            f"version {CONFIDE_VERSION}."
        )
    chats = data.get("chats")
    if not isinstance(chats, list):
        raise FormatError('The Confide export has no list of "chats".')
    return chats


def _parse_one(index: int, raw: Any, reader: Callable[[Any], ImportedChat]) -> Parsed:
    title = _guess_title(raw)
    try:
        chat = reader(raw)
    except ChatError as exc:
        return Parsed(index, title, error=str(exc))
    return Parsed(index, chat.title, chat=chat)


def _guess_title(raw: Any) -> str:
    """The chat's title for the report, even when the chat cannot be read."""
    if not isinstance(raw, dict):
        return ""
    title = raw.get("title")
    if not isinstance(title, str) and isinstance(raw.get("chat"), dict):
        title = raw["chat"].get("title")
    return " ".join(title.split())[:MAX_TITLE_CHARS] if isinstance(title, str) else ""


# --- Confide's own format --------------------------------------------------------------------


def confide_chat(raw: Any) -> ImportedChat:
    chat = as_object(raw, "The chat")
    messages = list_field(chat, "messages", "The chat", MAX_MESSAGES)
    parsed = [_confide_message(m, i) for i, m in enumerate(messages)]
    return ImportedChat(
        source_id=text_field(chat, "id", "The chat", limit=MAX_ID_CHARS),
        title=clean_title(optional_text(chat, "title", "The chat", limit=MAX_TITLE_CHARS * 2)),
        messages=tree(parsed),
        current=optional_text(chat, "current_leaf_id", "The chat", limit=MAX_ID_CHARS),
        created_at=timestamp(chat.get("created_at"), "The chat's created_at"),
        updated_at=timestamp(chat.get("updated_at"), "The chat's updated_at"),
        pinned=flag(chat, "pinned", "The chat"),
        archived=flag(chat, "archived", "The chat"),
        folder=folder_path(chat.get("folder")),
        tags=tag_names(chat.get("tags")),
    )


def _confide_message(raw: Any, index: int) -> ImportedMessage:
    where = f"Message {index + 1}"
    message = as_object(raw, where)
    key = text_field(message, "id", where, limit=MAX_ID_CHARS)
    where = f'Message "{key}"'
    role = role_of(text_field(message, "role", where, limit=32), where)
    status = optional_text(message, "status", where, limit=32) or "complete"
    if status == "streaming":
        status = "interrupted"  # nothing is writing it any more
    if status not in STATUSES:
        raise ChatError(f'{where} has the status "{status}", which Confide does not know.')
    return ImportedMessage(
        key=key,
        parent=optional_text(message, "parent_id", where, limit=MAX_ID_CHARS),
        role=role,
        content=content_of(optional_text(message, "content", where, limit=None) or "", role, where),
        model=optional_text(message, "model", where, limit=MAX_MODEL_CHARS),
        status=status,
        finish_reason=optional_text(message, "finish_reason", where, limit=32),
        created_at=timestamp(message.get("created_at"), f"{where}: created_at"),
    )
