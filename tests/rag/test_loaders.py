"""Each loader on a real file, each bad file to a readable ParseError, and the isolation."""

from __future__ import annotations

import json
import random
import time

import pytest

from confide.rag.loaders import Block, BlockKind, Document, ParseError, parse, parse_isolated
from confide.rag.sniff import Kind
from tests.rag import samples

H, P, CODE, ROW, LI = (
    BlockKind.HEADING,
    BlockKind.PARAGRAPH,
    BlockKind.CODE,
    BlockKind.TABLE_ROW,
    BlockKind.LIST_ITEM,
)


def summary(document: Document) -> list[tuple[str, str, str]]:
    return [(block.kind.value, block.text, block.location) for block in document.blocks]


def test_pdf_text_layer_per_page() -> None:
    document = parse(samples.sample_pdf(), Kind.PDF)
    assert summary(document) == [
        ("paragraph", "Quarterly report\nRevenue grew by twelve percent.", "page 1"),
        ("paragraph", "Outlook for next year is steady.", "page 2"),
    ]
    assert document.notes == []


def test_pdf_with_empty_user_password_is_opened_and_says_so() -> None:
    document = parse(samples.encrypted_pdf(""), Kind.PDF)
    assert document.blocks[1].text == "Outlook for next year is steady."
    assert document.notes == [
        "This PDF is protected with an empty password; it was opened without one."
    ]


def test_pdf_with_a_password_is_refused() -> None:
    with pytest.raises(ParseError, match=r"^This PDF is encrypted; upload an unprotected copy\.$"):
        parse(samples.encrypted_pdf("hunter2"), Kind.PDF)


def test_pdf_without_text_layer_says_it_may_be_scanned() -> None:
    with pytest.raises(ParseError, match="may be scanned images without a text layer"):
        parse(samples.pdf_with_text([[], []]), Kind.PDF)


def test_docx_headings_paragraphs_lists_and_table_rows() -> None:
    document = parse(samples.sample_docx(), Kind.DOCX)
    assert summary(document) == [
        ("heading", "Guide", "paragraph 1"),
        ("paragraph", "Confide keeps your data yours.", "paragraph 2"),
        ("heading", "Install", "paragraph 3"),
        ("paragraph", "Run make run on a fresh machine.", "paragraph 4"),
        ("list_item", "Download the code", "paragraph 5"),
        ("table_row", "Name: web; Port: 8080", "table 1 row 2"),
        ("table_row", "Name: db; Port: 5432", "table 1 row 3"),
    ]
    assert [block.level for block in document.blocks if block.kind is H] == [1, 2]


def test_pptx_titles_text_tables_notes_and_untitled_slides() -> None:
    document = parse(samples.sample_pptx(), Kind.PPTX)
    assert summary(document) == [
        ("heading", "Roadmap", "slide 1"),
        ("paragraph", "Ship the loaders\nThen the chunker", "slide 1"),
        ("table_row", "Quarter: Q3; Goal: Search", "slide 1 table row 2"),
        ("paragraph", "Speaker notes: Mention the deadline.", "slide 1 notes"),
        ("heading", "Slide 2", "slide 2"),
        ("paragraph", "Questions welcome", "slide 2"),
    ]


def test_xlsx_rows_named_by_header_with_sheet_and_row_numbers() -> None:
    document = parse(samples.sample_xlsx(), Kind.XLSX)
    assert summary(document) == [
        ("heading", "Budget", "Budget"),
        ("table_row", "Item: Servers; Cost: 1200", "Budget row 2"),
        ("table_row", "Item: Backups; Cost: 300", "Budget row 4"),
        ("heading", "Notes", "Notes"),
        ("table_row", "Approved by finance", "Notes row 1"),
    ]


def test_csv_with_header_and_sniffed_delimiter() -> None:
    data = b"name;city\nAda;London\n;Paris\n"
    assert summary(parse(data, Kind.CSV)) == [
        ("table_row", "name: Ada; city: London", "row 2"),
        ("table_row", "city: Paris", "row 3"),
    ]


HTML_PAGE = """<!DOCTYPE html><html><head><title>Skip me</title><style>p{}</style></head>
<body><nav><a href="/">Home</a></nav>
<h1>Fish &amp; Chips</h1>
<p>Serve   hot.<br>With salt.</p>
<script>alert("no")</script>
<ul><li>Cod</li><li>Haddock</li></ul>
<pre>def fry():
    return "crisp"</pre>
<table><tr><th>Fish</th><th>Price</th></tr><tr><td>Cod</td><td>&euro;9</td></tr></table>
</body></html>"""


def test_html_readable_text_with_structure() -> None:
    assert summary(parse(HTML_PAGE.encode(), Kind.HTML)) == [
        ("heading", "Fish & Chips", "line 3"),
        ("paragraph", "Serve hot.\nWith salt.", "line 4"),
        ("list_item", "Cod", "line 6"),
        ("list_item", "Haddock", "line 6"),
        ("code", 'def fry():\n    return "crisp"', "line 7"),
        ("table_row", "Fish: Cod; Price: €9", "line 9"),
    ]


MARKDOWN = """Guide
=====

Intro text
continues here.

## Install

- first step
- second step

```python
def main():

    return 1
```

| Tool | Version |
| ---- | ------- |
| ruff | 0.6     |

Subsection
----------
Last words.
"""


def test_markdown_headings_lists_fences_and_tables() -> None:
    document = parse(MARKDOWN.encode(), Kind.MARKDOWN)
    assert summary(document) == [
        ("heading", "Guide", "line 1"),
        ("paragraph", "Intro text\ncontinues here.", "line 4"),
        ("heading", "Install", "line 7"),
        ("list_item", "first step", "line 9"),
        ("list_item", "second step", "line 10"),
        ("code", "```python\ndef main():\n\n    return 1\n```", "line 12"),
        ("table_row", "Tool: ruff; Version: 0.6", "line 20"),
        ("heading", "Subsection", "line 22"),
        ("paragraph", "Last words.", "line 24"),
    ]
    assert [block.level for block in document.blocks if block.kind is H] == [1, 2, 2]


def test_plain_text_paragraphs_by_blank_lines() -> None:
    data = b"First paragraph\nstill first.\n\n\nSecond one.\n"
    assert summary(parse(data, Kind.TEXT)) == [
        ("paragraph", "First paragraph\nstill first.", "line 1"),
        ("paragraph", "Second one.", "line 5"),
    ]


def test_source_code_split_between_top_level_definitions() -> None:
    source = b"import os\n\n\ndef a():\n    x = 1\n\n    return x\n\n\nclass B:\n    pass\n"
    assert summary(parse(source, Kind.CODE)) == [
        ("code", "import os", "line 1"),
        ("code", "def a():\n    x = 1\n\n    return x", "line 4"),
        ("code", "class B:\n    pass", "line 10"),
    ]


def test_json_flattened_to_paths() -> None:
    data = json.dumps({"name": "Ada", "tags": ["math", None], "odd key": {"n": 1.5}}).encode()
    assert [block.text for block in parse(data, Kind.JSON).blocks] == [
        "name: Ada",
        "tags[0]: math",
        "tags[1]: null",
        '["odd key"].n: 1.5',
    ]


# --- files that must fail cleanly --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind", "reason"),
    [
        (
            samples.sample_pdf()[:300],
            Kind.PDF,
            r"^This file looks like a PDF but it is damaged: .+\.$",
        ),
        (
            samples.sample_docx()[:4000],
            Kind.DOCX,
            r"^This file looks like a DOCX document but it is damaged: its ZIP structure",
        ),
        (
            samples.docx_bomb_by_ratio(),
            Kind.DOCX,
            r"expands more than 100-fold, the signature of a zip bomb; it was not opened\.$",
        ),
        (
            samples.docx_declaring_huge_size(300 * 1024 * 1024),
            Kind.DOCX,
            r"^This ZIP-based file would expand to more than 200 MB; it was not opened\.$",
        ),
        (
            samples.docx_with_entities(),
            Kind.DOCX,
            r"^This DOCX document contains an XML document type declaration",
        ),
        (
            b"[" * 5000 + b"]" * 5000,
            Kind.JSON,
            r"^This JSON file is nested more than 100 levels deep; it was not read\.$",
        ),
        (
            b"[" * 150 + b"1" + b"]" * 150,
            Kind.JSON,
            r"^This JSON file is nested more than 100 levels deep; it was not read\.$",
        ),
        (b'{"a": ', Kind.JSON, r"^This JSON file is malformed: "),
        (b"\x00\xff" * 50, Kind.TEXT, r"^This text file is not valid UTF-8 text"),
        (b"   \n\n  ", Kind.TEXT, r"^No text found in this text file\.$"),
        (b"anything", "unsupported", r"^This file type is not supported\.$"),
        (b"anything", "no-such-kind", r"^This file type is not supported\.$"),
    ],
    ids=[
        "truncated-pdf",
        "truncated-docx",
        "zip-bomb-ratio",
        "zip-bomb-declared",
        "xml-entities",
        "json-very-deep",
        "json-deep",
        "json-broken",
        "not-utf8",
        "empty",
        "unsupported",
        "unknown-kind",
    ],
)
def test_bad_files_fail_with_a_readable_reason(data: bytes, kind: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(data, kind)


@pytest.mark.parametrize("kind", [Kind.PDF, Kind.DOCX, Kind.PPTX, Kind.XLSX])
def test_random_bytes_never_escape_as_raw_exceptions(kind: Kind) -> None:
    noise = random.Random(7).randbytes(4096)
    with pytest.raises(ParseError, match=r"^This file looks like an? .+ but it is damaged: "):
        parse(b"%PDF-1.4\n" + noise if kind is Kind.PDF else b"PK\x03\x04" + noise, kind)


def test_text_beyond_the_cap_is_dropped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("confide.rag.loaders.model.MAX_BLOCKS", 2)
    document = parse(b"one\n\ntwo\n\nthree\n", Kind.TEXT)
    assert [block.text for block in document.blocks] == ["one", "two"]
    assert document.notes and "only the text before line 5 was read" in document.notes[0]


# --- isolation ------------------------------------------------------------------------------


async def test_parse_isolated_returns_the_same_document() -> None:
    data = samples.sample_docx()
    isolated = await parse_isolated(data, Kind.DOCX)
    assert isolated == parse(data, Kind.DOCX)


async def test_parse_isolated_passes_parse_errors_through() -> None:
    with pytest.raises(ParseError, match="This PDF is encrypted"):
        await parse_isolated(samples.encrypted_pdf("hunter2"), Kind.PDF)


async def test_parse_isolated_stops_at_the_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match=r"^Reading this file took longer than 0.001 s; it was"):
        await parse_isolated(samples.sample_docx(), Kind.DOCX, timeout=0.001)
    assert time.monotonic() - started < 5


async def test_parse_isolated_stops_at_the_memory_limit() -> None:
    # The worker's interpreter and libraries take ~200 MB of address space; 120 MB of text
    # cannot fit in what is left of 300 MB.
    big = b"lorem ipsum dolor sit amet\n" * (120 * 1024 * 1024 // 27)
    with pytest.raises(ParseError, match=r"needed more memory than the 300 MB allowed"):
        await parse_isolated(big, Kind.TEXT, memory=300 * 1024 * 1024)


def test_document_survives_the_json_round_trip() -> None:
    document = Document([Block(BlockKind.HEADING, "T", "page 1", 2)], ["a note"])
    assert Document.from_json(json.loads(json.dumps(document.to_json()))) == document
