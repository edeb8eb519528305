"""Writing chats out, without a database: JSON that reads back, Markdown and text of the
current branch, safe file names, and zip archives written as a stream."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from confide.services.export_formats import (
    ExportedChat,
    ExportedMessage,
    UniqueNames,
    ZipEntry,
    ascii_name,
    current_branch,
    escape_markdown,
    file_name,
    json_document,
    markdown,
    once,
    text,
    zipped,
)
from confide.services.import_formats import read

WHEN = datetime(2026, 1, 31, 12, 30, tzinfo=UTC)


def _chat(title: str = "Hello <b>world</b>", leaf: str = "m3") -> ExportedChat:
    def message(key: str, parent: str | None, role: str, content: str) -> ExportedMessage:
        model = "fake-small" if role == "assistant" else None
        return ExportedMessage(key, parent, role, content, model, "complete", None, WHEN)

    return ExportedChat(
        id="c" * 32,
        title=title,
        created_at=WHEN,
        updated_at=WHEN,
        pinned=True,
        archived=False,
        folder=["Work", "Q1"],
        tags=["a", "b"],
        current_leaf_id=leaf,
        messages=[
            message("m1", None, "user", "Question?"),
            message("m2", "m1", "assistant", "First answer."),
            message("m3", "m1", "assistant", "Second answer."),
        ],
    )


async def _collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def _chats(*chats: ExportedChat) -> AsyncIterator[ExportedChat]:
    for chat in chats:
        yield chat


async def test_the_json_document_reads_back() -> None:
    body = await _collect(json_document(_chats(_chat(), _chat("Two")), WHEN))
    document = json.loads(body)
    assert document["exported_at"] == "2026-01-31T12:30:00Z"
    parsed = read(body)
    assert [item.chat.title for item in parsed.items if item.chat] == ["Hello <b>world</b>", "Two"]
    first = parsed.items[0].chat
    assert first is not None and first.folder == ["Work", "Q1"] and first.pinned
    assert [m.key for m in first.messages] == ["m1", "m2", "m3"] and first.current == "m3"
    empty = await _collect(json_document(_chats(), WHEN))
    assert json.loads(empty)["chats"] == []


def test_markdown_is_the_current_branch_with_the_title_as_text() -> None:
    out = markdown(_chat(leaf="m2"))
    assert out.startswith("# Hello \\<b\\>world\\</b\\>\n")
    assert "- Folder: Work / Q1" in out and "- Tags: a, b" in out
    assert "### You · 2026-01-31 12:30 UTC\n\nQuestion?" in out
    assert "### Assistant (fake-small) · 2026-01-31 12:30 UTC\n\nFirst answer." in out
    assert "Second answer." not in out
    assert [m.id for m in current_branch(_chat())] == ["m1", "m3"]


def test_text() -> None:
    out = text(_chat())
    assert out.splitlines()[:2] == ["Hello <b>world</b>", "=" * 18]
    assert "[You · 2026-01-31 12:30 UTC]\nQuestion?" in out
    assert "[Assistant (fake-small) · 2026-01-31 12:30 UTC]\nSecond answer." in out
    assert "First answer." not in out


def test_a_branch_that_loops_ends() -> None:
    chat = _chat()
    looped = ExportedMessage("m1", "m3", "user", "x", None, "complete", None, WHEN)
    broken = ExportedChat(**{**chat.__dict__, "messages": [looped, *chat.messages[1:]]})
    assert len(current_branch(broken)) <= 3


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Trip plans", "Trip plans"),
        ("../../etc/passwd", "etc passwd"),
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j"),
        ("  ...hidden  ", "hidden"),
        ("line\nbreak\ttab\x00nul", "line break tab nul"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("", "chat"),
        ("////", "chat"),
        ("x" * 300, "x" * 80),
        ("Café 日本", "Café 日本"),
    ],
)
def test_file_names_are_safe(title: str, expected: str) -> None:
    assert file_name(title) == expected


def test_download_names_are_ascii() -> None:
    assert ascii_name('Café "quoted"; x=1\r\nSet-Cookie: a') == "Cafe-quoted-x-1-Set-Cookie-a"
    assert ascii_name("日本") == "chat"


def test_unique_names() -> None:
    names = UniqueNames()
    taken = [names.take(stem, "md") for stem in ("a", "A", "a", "a (2)", "b")]
    assert taken == ["a.md", "A (2).md", "a (3).md", "a (2) (2).md", "b.md"]


def test_markdown_escapes_markup() -> None:
    assert escape_markdown("<img src=x> *bold* [link](u) `c`") == (
        "\\<img src=x\\> \\*bold\\* \\[link\\](u) \\`c\\`"
    )


async def test_a_zip_written_as_a_stream() -> None:
    async def big() -> AsyncIterator[bytes]:
        for n in range(50):
            yield f"line {n} {secrets.token_hex(20_000)}".encode()

    entries = [
        ZipEntry("README.txt", WHEN, once(b"hello")),
        ZipEntry("big.txt", datetime(1970, 1, 1, tzinfo=UTC), big(), large=True),
    ]

    async def files() -> AsyncIterator[ZipEntry]:
        for entry in entries:
            yield entry

    chunks = [chunk async for chunk in zipped(files())]
    assert len(chunks) > 3  # written as it went, not at the end
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.read("README.txt") == b"hello"
    assert archive.read("big.txt").startswith(b"line 0 ")
    assert len(archive.read("big.txt")) > 50 * 40_000
    assert archive.getinfo("big.txt").date_time[0] == 1980  # zip's earliest
