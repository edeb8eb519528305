"""Readers for other products' chat exports: ChatGPT's `conversations.json` and Open WebUI's
chat export. Each turns one chat of the file into an `ImportedChat` or raises `ChatError`.
Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from confide.services.import_fields import (
    MAX_ID_CHARS,
    MAX_MESSAGES,
    MAX_MODEL_CHARS,
    MAX_NODES,
    MAX_TITLE_CHARS,
    ROLES,
    ChatError,
    ImportedChat,
    ImportedMessage,
    as_mapping,
    as_object,
    clean_title,
    content_of,
    list_field,
    no_nul,
    optional_text,
    role_of,
    source_id_of,
    tag_names,
    text_field,
    time_of,
    timestamp,
    tree,
    walk,
)

# --- ChatGPT's conversations.json ------------------------------------------------------------

CHATGPT_ROLES = (*ROLES, "tool")
CHATGPT_TEXT_TYPES = ("text", "multimodal_text")


def chatgpt_chat(raw: Any) -> ImportedChat:
    conversation = as_object(raw, "The conversation")
    mapping = conversation.get("mapping")
    if not isinstance(mapping, dict):
        raise ChatError('The conversation has no "mapping" of messages.')
    if len(mapping) > MAX_NODES:
        raise ChatError(f"The conversation has {len(mapping)} nodes; at most {MAX_NODES}.")
    nodes = [_chatgpt_node(key, node) for key, node in mapping.items()]
    kept = _reattach(nodes)
    current = optional_text(conversation, "current_node", "The conversation", limit=None)
    ident = conversation.get("id") or conversation.get("conversation_id")
    created = timestamp(conversation.get("create_time"), "The conversation's create_time")
    title = optional_text(conversation, "title", "The conversation", limit=MAX_TITLE_CHARS * 2)
    return ImportedChat(
        source_id=source_id_of(ident, created, title),
        title=clean_title(title),
        messages=tree(kept),
        current=_kept_ancestor(nodes, current),
        created_at=created,
        updated_at=timestamp(conversation.get("update_time"), "The conversation's update_time"),
        archived=conversation.get("is_archived") is True,
    )


@dataclass(frozen=True)
class _Node:
    key: str
    parent: str | None
    message: ImportedMessage | None  # None: a node that is not shown (hidden, tool, empty)


def _chatgpt_node(key: str, raw: Any) -> _Node:
    where = f'Message "{key[:MAX_ID_CHARS]}"'
    node = as_object(raw, where)
    parent = optional_text(node, "parent", where, limit=MAX_ID_CHARS)
    message = node.get("message")
    if message is None:
        return _Node(key, parent, None)
    message = as_object(message, where)
    author = as_object(message.get("author"), f"{where}: author")
    role = text_field(author, "role", where, limit=32)
    if role not in CHATGPT_ROLES:
        raise ChatError(
            f'{where} has the role "{role}", which Confide does not know '
            f"(it takes {', '.join(CHATGPT_ROLES)})."
        )
    text = _chatgpt_text(message, where)
    metadata = as_mapping(message.get("metadata"))
    hidden = metadata.get("is_visually_hidden_from_conversation") is True
    if role == "tool" or hidden or text is None or not text.strip():
        return _Node(key, parent, None)
    return _Node(
        key,
        parent,
        ImportedMessage(
            key=key,
            parent=parent,
            role=role,
            content=content_of(text, role, where),
            model=_chatgpt_model(metadata, where) if role == "assistant" else None,
            finish_reason=_chatgpt_finish(metadata),
            created_at=timestamp(message.get("create_time"), f"{where}: create_time"),
        ),
    )


def _chatgpt_text(message: dict[str, Any], where: str) -> str | None:
    """The text of a message's content; None for content that is not text (code runs,
    browsing, reasoning summaries, ...), which is not imported."""
    content = as_object(message.get("content"), f"{where}: content")
    kind = content.get("content_type")
    if kind not in CHATGPT_TEXT_TYPES:
        return None
    parts = content.get("parts")
    if not isinstance(parts, list):
        raise ChatError(f'{where}: "parts" must be a list.')
    texts: list[str] = []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and str(part.get("content_type", "")).startswith("image"):
            texts.append("[image]")
    return "\n\n".join(t for t in texts if t)


def _chatgpt_model(metadata: dict[str, Any], where: str) -> str | None:
    slug = metadata.get("model_slug")
    if slug is None:
        return None
    if not isinstance(slug, str) or len(slug) > MAX_MODEL_CHARS:
        raise ChatError(f"{where}: model_slug must be text of at most {MAX_MODEL_CHARS}.")
    return no_nul(slug, where) or None


def _chatgpt_finish(metadata: dict[str, Any]) -> str | None:
    details = metadata.get("finish_details")
    kind = details.get("type") if isinstance(details, dict) else None
    return kind if isinstance(kind, str) and 0 < len(kind) <= 32 and "\x00" not in kind else None


def _reattach(nodes: list[_Node]) -> list[ImportedMessage]:
    """The shown messages, each under its nearest shown ancestor (hidden nodes drop out)."""
    by_key = {n.key: n for n in nodes}
    order = walk({n.key: n.parent for n in sorted(nodes, key=lambda n: time_of(n.message))})
    nearest: dict[str, str | None] = {}
    kept: list[ImportedMessage] = []
    for key in order:
        node = by_key[key]
        above = nearest.get(node.parent) if node.parent is not None else None
        if node.message is None:
            nearest[key] = above
            continue
        nearest[key] = key
        kept.append(replace(node.message, parent=above))
    if len(kept) > MAX_MESSAGES:
        raise ChatError(f"The chat has {len(kept)} messages; at most {MAX_MESSAGES}.")
    return kept


def _kept_ancestor(nodes: list[_Node], key: str | None) -> str | None:
    by_key = {n.key: n for n in nodes}
    seen = 0
    while key is not None and key in by_key and seen <= len(nodes):
        if by_key[key].message is not None:
            return key
        key, seen = by_key[key].parent, seen + 1
    return None


# --- Open WebUI's chat export ----------------------------------------------------------------


def openwebui_chat(raw: Any) -> ImportedChat:
    item = as_object(raw, "The chat")
    chat = as_object(item.get("chat"), 'The chat\'s "chat"')
    history = chat.get("history")
    if history is not None:
        history = as_object(history, 'The chat\'s "history"')
        found = as_object(history.get("messages"), "The chat's history messages")
        raw_messages = [
            {"id": key, **value} if isinstance(value, dict) else value
            for key, value in found.items()
        ]
        current = optional_text(history, "currentId", "The chat's history", limit=None)
    else:
        raw_messages = list_field(chat, "messages", "The chat", MAX_MESSAGES)
        current = None
    if len(raw_messages) > MAX_MESSAGES:
        raise ChatError(f"The chat has {len(raw_messages)} messages; at most {MAX_MESSAGES}.")
    messages = _chained([_openwebui_message(m, i) for i, m in enumerate(raw_messages)])
    ident = item.get("id") or chat.get("id")
    created = timestamp(item.get("created_at", chat.get("timestamp")), "The chat's created_at")
    title = item.get("title") if isinstance(item.get("title"), str) else chat.get("title")
    title = optional_text({"title": title}, "title", "The chat", limit=MAX_TITLE_CHARS * 2)
    meta = as_mapping(item.get("meta"))
    return ImportedChat(
        source_id=source_id_of(ident, created, title),
        title=clean_title(title),
        messages=tree(messages),
        current=current,
        created_at=created,
        updated_at=timestamp(item.get("updated_at"), "The chat's updated_at"),
        pinned=item.get("pinned") is True,
        archived=item.get("archived") is True,
        tags=tag_names(meta.get("tags", chat.get("tags"))),
    )


def _openwebui_message(raw: Any, index: int) -> ImportedMessage:
    message = as_object(raw, f"Message {index + 1}")
    key = message.get("id", f"#{index + 1}")
    key = text_field({"id": key}, "id", f"Message {index + 1}", limit=MAX_ID_CHARS)
    where = f'Message "{key}"'
    role = role_of(text_field(message, "role", where, limit=32), where)
    content = message.get("content", "")
    if isinstance(content, list):  # the OpenAI shape: parts
        content = "\n\n".join(p["text"] for p in content if isinstance(p, dict) and _is_text(p))
    content = optional_text({"content": content}, "content", where, limit=None) or ""
    model = message.get("model") if role == "assistant" else None
    failed = bool(message.get("error"))
    return ImportedMessage(
        key=key,
        parent=optional_text(message, "parentId", where, limit=MAX_ID_CHARS),
        role=role,
        content=content_of(content, role, where),
        model=optional_text({"model": model}, "model", where, limit=MAX_MODEL_CHARS),
        status="error" if failed else "interrupted" if message.get("done") is False else "complete",
        created_at=timestamp(message.get("timestamp"), f"{where}: timestamp"),
    )


def _is_text(part: dict[str, Any]) -> bool:
    return part.get("type") == "text" and isinstance(part.get("text"), str)


def _chained(messages: list[ImportedMessage]) -> list[ImportedMessage]:
    """A flat list without parent ids (older exports) is one branch, in order."""
    if any(m.parent is not None for m in messages):
        return messages
    chained, previous = [], None
    for m in messages:
        chained.append(replace(m, parent=previous))
        previous = m.key
    return chained
