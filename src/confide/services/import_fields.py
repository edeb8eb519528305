"""What every import reader shares: the limits, the shapes a chat is read into, the checks
on each field of a file (each failure a `ChatError` naming the field, for a person), and the
message tree's order and checks. Pure: no database, no I/O.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confide.security.blind import normalize

MAX_MESSAGES = 10_000  # per chat
MAX_NODES = 2 * MAX_MESSAGES  # per ChatGPT conversation, hidden and tool nodes included
MAX_TEXT_CHARS = 100_000  # a message written by a person: the app's own limit
MAX_REPLY_CHARS = 1_000_000  # a model's reply (the app does not cut replies at 100k)
MAX_TITLE_CHARS = 200
MAX_TAG_CHARS = 50
MAX_TAGS = 20  # per chat, as services/tags.py
MAX_FOLDER_CHARS = 100
MAX_FOLDER_DEPTH = 10  # as services/folders.py
MAX_ID_CHARS = 200
MAX_MODEL_CHARS = 200
ROLES = ("user", "assistant", "system")
STATUSES = ("complete", "error", "stopped", "interrupted")
DEFAULT_TITLE = "Imported chat"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class ChatError(ValueError):
    """One chat of the file is refused; the message names what is wrong in it."""


@dataclass(frozen=True)
class ImportedMessage:
    key: str  # its id in the file: parents refer to it
    parent: str | None
    role: str
    content: str
    model: str | None = None
    status: str = "complete"
    finish_reason: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class ImportedChat:
    source_id: str  # where it came from, for idempotency (with the format)
    title: str
    messages: list[ImportedMessage]  # parents before children
    current: str | None  # key of the current leaf
    created_at: datetime | None = None
    updated_at: datetime | None = None
    pinned: bool = False
    archived: bool = False
    folder: list[str] | None = None  # folder names from the top
    tags: list[str] = field(default_factory=list)


# --- the message tree ------------------------------------------------------------------------


def tree(messages: list[ImportedMessage]) -> list[ImportedMessage]:
    """The messages parents first (siblings by time), checked: unique ids, every parent in
    the chat, no cycles, not too many."""
    if len(messages) > MAX_MESSAGES:
        raise ChatError(f"The chat has {len(messages)} messages; at most {MAX_MESSAGES}.")
    by_key: dict[str, ImportedMessage] = {}
    for m in messages:
        if m.key in by_key:
            raise ChatError(f'Two messages have the id "{m.key}".')
        by_key[m.key] = m
    order = walk({m.key: m.parent for m in sorted(messages, key=time_of)})
    return [by_key[key] for key in order]


def time_of(message: ImportedMessage | None) -> datetime:
    return (message.created_at if message else None) or EARLIEST


def walk(parents: dict[str, str | None]) -> list[str]:
    """Keys parents first; of those whose parent is placed, the earliest in the given order
    next (given by time: the order they were written in). A key that cannot be reached from
    a root is in a cycle (or under one): ChatError naming it."""
    rank = {key: n for n, key in enumerate(parents)}
    children: dict[str | None, list[str]] = {}
    for key, parent in parents.items():
        if parent is not None and parent not in parents:
            raise ChatError(f'Message "{key}" answers "{parent}", which is not in the chat.')
        children.setdefault(parent, []).append(key)
    order: list[str] = []
    ready = [(rank[key], key) for key in children.get(None, [])]
    heapq.heapify(ready)
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for child in children.get(key, []):
            heapq.heappush(ready, (rank[child], child))
    if len(order) < len(parents):
        reached = set(order)
        stuck = next(key for key in parents if key not in reached)
        raise ChatError(f'Message "{stuck}" is in a cycle of messages answering each other.')
    return order


# --- fields ----------------------------------------------------------------------------------


def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChatError(f"{where} must be a JSON object, not {kind_of(value)}.")
    return value


def as_mapping(value: Any) -> dict[str, Any]:
    """Optional metadata: an object, or nothing."""
    return value if isinstance(value, dict) else {}


def list_field(obj: dict[str, Any], key: str, where: str, limit: int) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise ChatError(f'{where}: "{key}" must be a list, not {kind_of(value)}.')
    if len(value) > limit:
        raise ChatError(f'{where} has {len(value)} "{key}"; at most {limit}.')
    return value


def text_field(obj: dict[str, Any], key: str, where: str, *, limit: int | None) -> str:
    value = optional_text(obj, key, where, limit=limit)
    if value is None or not value:
        raise ChatError(f'{where} has no "{key}".')
    return value


def optional_text(obj: dict[str, Any], key: str, where: str, *, limit: int | None) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key.lower().endswith("id"):
        value = str(value)  # numeric ids are fine
    if not isinstance(value, str):
        raise ChatError(f'{where}: "{key}" must be text, not {kind_of(value)}.')
    if limit is not None and len(value) > limit:
        raise ChatError(f'{where}: "{key}" is longer than {limit} characters.')
    return no_nul(value, f'{where}: "{key}"')


def no_nul(value: str, where: str) -> str:
    if "\x00" in value:
        raise ChatError(f"{where} contains a NUL character.")
    return value


def flag(obj: dict[str, Any], key: str, where: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise ChatError(f'{where}: "{key}" must be true or false.')
    return value


def role_of(role: str, where: str) -> str:
    if role not in ROLES:
        raise ChatError(
            f'{where} has the role "{role}", which Confide does not know '
            f"(it takes {', '.join(ROLES)})."
        )
    return role


def content_of(text: str, role: str, where: str) -> str:
    limit = MAX_REPLY_CHARS if role == "assistant" else MAX_TEXT_CHARS
    if len(text) > limit:
        raise ChatError(f"{where} is longer than {limit:,} characters.")
    return no_nul(text, where)


def kind_of(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def source_id_of(ident: Any, created: datetime | None, title: str | None) -> str:
    """The chat's id in the file; without one, its time and title stand in."""
    if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident):
        return str(ident)[:MAX_ID_CHARS]
    return f"{created.isoformat() if created else ''}|{title or ''}"


def clean_title(title: str | None) -> str:
    """A title as plain text on one line (HTML in it stays text: it is rendered as text)."""
    tidy = " ".join((title or "").split())
    if len(tidy) > MAX_TITLE_CHARS:
        raise ChatError(f"The title is longer than {MAX_TITLE_CHARS} characters.")
    return tidy or DEFAULT_TITLE


def tag_names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ChatError('The chat\'s "tags" must be a list of names.')
    unique: dict[str, str] = {}
    for raw in value:
        name = no_nul(" ".join(raw.split()), "A tag")
        if not name or len(name) > MAX_TAG_CHARS:
            raise ChatError(f"A tag name must have 1 to {MAX_TAG_CHARS} characters.")
        unique.setdefault(normalize(name), name)
    if len(unique) > MAX_TAGS:
        raise ChatError(f"The chat has {len(unique)} tags; at most {MAX_TAGS}.")
    return list(unique.values())


def folder_path(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise ChatError('The chat\'s "folder" must be a list of folder names, or null.')
    names = [no_nul(" ".join(n.split()), "A folder name") for n in value]
    if any(not n or len(n) > MAX_FOLDER_CHARS for n in names):
        raise ChatError(f"A folder name must have 1 to {MAX_FOLDER_CHARS} characters.")
    if len(names) > MAX_FOLDER_DEPTH:
        raise ChatError(f"Folders can be nested at most {MAX_FOLDER_DEPTH} levels deep.")
    return names or None


def timestamp(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time or a Unix time (seconds, or milli-/micro-/nanoseconds), in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ChatError(f"{where} is not a date and time.") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ChatError(f"{where} is not a date and time.")
    seconds = float(value)
    for _ in range(3):  # ms, µs, ns
        if abs(seconds) < 1e11:
            break
        seconds /= 1000
    if not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
        raise ChatError(f"{where} is out of range.")
    return datetime.fromtimestamp(seconds, UTC)
