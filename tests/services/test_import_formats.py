"""Reading export files, without a database: recognising the format, the message tree
(order, hidden nodes, cycles), fields and their limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from confide.services.import_formats import (
    CHATGPT,
    CONFIDE,
    DEFAULT_TITLE,
    OPENWEBUI,
    ChatError,
    FormatError,
    ImportedMessage,
    chatgpt_chat,
    confide_chat,
    openwebui_chat,
    read,
    timestamp,
    tree,
)
from tests.api import samples


def _file(value: Any) -> bytes:
    return json.dumps(value).encode()


def _message(key: str, parent: str | None, at: int) -> ImportedMessage:
    return ImportedMessage(key, parent, "user", key, created_at=datetime.fromtimestamp(at, UTC))


def test_formats_are_recognised() -> None:
    assert read(_file(samples.chatgpt_export())).format == CHATGPT
    assert read(_file(samples.chatgpt_conversation())).format == CHATGPT  # one conversation
    assert read(_file(samples.openwebui_chat())).format == OPENWEBUI
    assert read(_file(samples.openwebui_export_all())).format == OPENWEBUI
    assert read(_file(samples.openwebui_chat()["chat"])).format == OPENWEBUI  # the bare chat
    confide = {"format": "confide.chats", "version": 1, "chats": []}
    assert read(_file(confide)).format == CONFIDE
    assert read(b"\xef\xbb\xbf[]").items == []  # a byte order mark is fine


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"[Infinity]", "not a JSON number"),
        (b"\x80abc", "UTF-8"),
        (b"42", "not a chat export"),
        (b'{"format": "other"}', "not a chat export"),
        (b'{"format": "confide.chats"}', "version null"),
        (b"[" * 3000 + b"]" * 3000, "nests too deeply"),
    ],
)
def test_files_refused_whole(body: bytes, words: str) -> None:
    with pytest.raises(FormatError, match=words):
        read(body)


def test_messages_come_parents_first_in_the_order_they_were_written() -> None:
    messages = [
        _message("reply-2", "question", 30),
        _message("question", None, 10),
        _message("reply-1", "question", 20),
        _message("follow-up", "reply-1", 40),
        _message("edit", None, 15),
    ]
    assert [m.key for m in tree(messages)] == [
        "question",
        "edit",
        "reply-1",
        "reply-2",
        "follow-up",
    ]


def test_a_parent_written_after_its_child_still_comes_first() -> None:
    messages = [_message("child", "parent", 10), _message("parent", None, 20)]
    assert [m.key for m in tree(messages)] == ["parent", "child"]


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([_message("a", "a", 1)], 'Message "a" is in a cycle'),
        ([_message("a", "b", 1), _message("b", "a", 2), _message("c", None, 3)], "in a cycle"),
        ([_message("a", None, 1), _message("a", None, 2)], 'Two messages have the id "a"'),
        ([_message("a", "ghost", 1)], 'Message "a" answers "ghost", which is not in the chat'),
    ],
)
def test_broken_trees(messages: list[ImportedMessage], error: str) -> None:
    with pytest.raises(ChatError, match=error):
        tree(messages)


def test_chatgpt_hidden_and_tool_nodes_drop_out_and_their_children_move_up() -> None:
    chat = chatgpt_chat(samples.chatgpt_conversation())
    keys = {m.key: m.parent for m in chat.messages}
    assert keys == {"u1": None, "a1": "u1", "a1b": "a1", "a2": "u1", "u2": "a2", "a3": "u2"}
    assert chat.current == "a3"  # the current node was a code run: its nearest shown ancestor
    assert chat.source_id == "c0ffee00-0000-4000-8000-000000000001"
    assert chat.title == "Capital <i>of</i> France"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda c: c.update(mapping=[]), 'no "mapping"'),
        (
            lambda c: c["mapping"]["u1"]["message"]["author"].update(role="critic"),
            '"u1" has the role "critic"',
        ),
        (
            lambda c: c["mapping"]["u1"]["message"]["content"].update(parts="x"),
            '"parts" must be a list',
        ),
        (lambda c: c["mapping"]["u1"].update(parent="nope"), 'answers "nope"'),
        (lambda c: c["mapping"]["root"].update(parent="a3"), "in a cycle"),
        (lambda c: c["mapping"]["u1"].update(message="hi"), "must be a JSON object"),
        (lambda c: c.update(create_time="soon"), "create_time is not a date and time"),
    ],
)
def test_chatgpt_errors_name_what_is_wrong(change: Any, error: str) -> None:
    conversation = samples.chatgpt_conversation()
    change(conversation)
    with pytest.raises(ChatError, match=error):
        chatgpt_chat(conversation)


def test_openwebui_flat_messages_without_parents_are_one_branch() -> None:
    item = samples.openwebui_chat()
    del item["chat"]["history"]
    item["chat"]["messages"] = [
        {"role": "user", "content": "one", "timestamp": 1},
        {"role": "assistant", "content": [{"type": "text", "text": "two"}], "timestamp": 2},
    ]
    chat = openwebui_chat(item)
    assert [(m.key, m.parent, m.content) for m in chat.messages] == [
        ("#1", None, "one"),
        ("#2", "#1", "two"),
    ]


def test_openwebui_unknown_role_names_the_message() -> None:
    item = samples.openwebui_chat()
    item["chat"]["history"]["messages"]["m2"]["role"] = "function"
    with pytest.raises(ChatError, match='Message "m2" has the role "function"'):
        openwebui_chat(item)


def test_confide_statuses_and_defaults() -> None:
    raw = {
        "id": 12345,  # a number is a fine id
        "title": "   ",
        "messages": [
            {"id": "a", "role": "user", "content": "hi"},
            {"id": "b", "parent_id": "a", "role": "assistant", "status": "streaming"},
        ],
    }
    chat = confide_chat(raw)
    assert chat.source_id == "12345" and chat.title == DEFAULT_TITLE
    assert [m.status for m in chat.messages] == ["complete", "interrupted"]
    assert chat.messages[1].content == ""
    raw["messages"][1]["status"] = "exploded"
    with pytest.raises(ChatError, match='"b" has the status "exploded"'):
        confide_chat(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, "2023-11-14T22:13:20+00:00"),
        (1_700_000_000_000, "2023-11-14T22:13:20+00:00"),  # milliseconds
        (1_700_000_000_000_000_000, "2023-11-14T22:13:20+00:00"),  # nanoseconds
        ("2023-11-14T23:13:20+01:00", "2023-11-14T22:13:20+00:00"),
        ("2023-11-14T22:13:20", "2023-11-14T22:13:20+00:00"),  # naive: UTC
        (None, None),
    ],
)
def test_timestamps(value: Any, expected: str | None) -> None:
    parsed = timestamp(value, "it")
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize("value", [True, -1e20, float("nan"), "tomorrow", [1], {"t": 1}])
def test_bad_timestamps(value: Any) -> None:
    with pytest.raises(ChatError, match="it is"):
        timestamp(value, "it")
