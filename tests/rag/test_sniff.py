"""Sniffing decides by content: names only choose between flavours of text."""

from __future__ import annotations

import pytest

from confide.rag.sniff import Kind, decode_text, sniff
from tests.rag import samples

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(64)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def test_pdf_renamed_txt_is_still_pdf() -> None:
    result = sniff(samples.sample_pdf(), "notes.txt")
    assert (result.kind, result.media_type) == (Kind.PDF, "application/pdf")


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (samples.sample_docx, Kind.DOCX),
        (samples.sample_pptx, Kind.PPTX),
        (samples.sample_xlsx, Kind.XLSX),
    ],
)
def test_office_files_are_recognised_by_their_parts(build: object, kind: Kind) -> None:
    result = sniff(build(), "upload.bin")  # type: ignore[operator]
    assert result.kind is kind
    assert result.media_type.startswith("application/vnd.openxmlformats-officedocument.")


def test_docx_that_is_really_text_is_text() -> None:
    result = sniff(b"just some words\n", "report.docx")
    assert (result.kind, result.media_type) == (Kind.TEXT, "text/plain; charset=utf-8")


@pytest.mark.parametrize(
    ("data", "media_type", "words"),
    [(ELF, "application/octet-stream", "program"), (PNG, "image/png", "PNG image")],
)
def test_binaries_are_unsupported_with_a_reason(data: bytes, media_type: str, words: str) -> None:
    result = sniff(data, "readme.md")
    assert result.kind is Kind.UNSUPPORTED
    assert result.media_type == media_type
    assert result.reason is not None and words in result.reason


def test_plain_zip_is_unsupported() -> None:
    result = sniff(samples.plain_zip(), "archive.docx")
    assert result.kind is Kind.UNSUPPORTED
    assert result.reason is not None and "ZIP" in result.reason


def test_legacy_encoded_text_is_refused_with_advice() -> None:
    result = sniff("Café crème, déjà vu".encode("latin-1"), "notes.txt")
    assert result.kind is Kind.UNSUPPORTED
    assert result.reason is not None and "UTF-8" in result.reason


@pytest.mark.parametrize(
    ("name", "kind", "media_type"),
    [
        ("README.md", Kind.MARKDOWN, "text/markdown; charset=utf-8"),
        ("table.CSV", Kind.CSV, "text/csv; charset=utf-8"),
        ("main.py", Kind.CODE, "text/plain; charset=utf-8"),
        ("notes", Kind.TEXT, "text/plain; charset=utf-8"),
        (None, Kind.TEXT, "text/plain; charset=utf-8"),
    ],
)
def test_extension_picks_only_the_text_flavour(
    name: str | None, kind: Kind, media_type: str
) -> None:
    result = sniff(b"a,b\n1,2\n", name)
    assert (result.kind, result.media_type) == (kind, media_type)


def test_json_is_recognised_from_content_even_with_another_name() -> None:
    assert sniff(b' {"a": [1, 2]}\n', "data.txt").kind is Kind.JSON
    assert sniff(b"[1, 2", "data.json").kind is Kind.TEXT  # not valid JSON: plain text
    assert sniff(b"42", "answer.json").kind is Kind.TEXT  # a bare scalar is just text


def test_html_is_recognised_after_doctype_and_comments() -> None:
    page = b"\n<!-- saved page -->\n<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>"
    result = sniff(page, "page.txt")
    assert (result.kind, result.media_type) == (Kind.HTML, "text/html; charset=utf-8")
    assert sniff(b"<notes>hello</notes>", "x.html").kind is Kind.TEXT  # XML is not HTML


def test_bom_marked_text_is_text_and_decodes_without_the_bom() -> None:
    utf16 = "\ufeff# Title\n\nBody".encode("utf-16-le")
    assert utf16.startswith(b"\xff\xfe")
    result = sniff(utf16, "doc.md")
    assert (result.kind, result.media_type) == (Kind.MARKDOWN, "text/markdown; charset=utf-16")
    assert decode_text(utf16) == "# Title\n\nBody"
    assert decode_text(b"\xef\xbb\xbfhello") == "hello"


def test_nul_bytes_make_utf8_binary() -> None:
    assert sniff(b"text\x00more", "a.txt").kind is Kind.UNSUPPORTED
