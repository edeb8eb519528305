"""Document loaders: uploaded bytes, of a sniffed Kind, to a Document of structured Blocks.

`parse` runs in the calling process (tests, trusted input); the server uses `parse_isolated`,
which runs the same code in a child process bounded in time and memory, because a hostile file
can make any third-party parser spin or allocate without end.

Bounds, all module constants: text kept per file (model.MAX_TEXT_CHARS, model.MAX_BLOCKS),
ZIP-based files (zipguard: entries, total size, expansion ratio, no XML DTDs), PDF pages
(pdf.MAX_PDF_PAGES), JSON depth (plain.MAX_JSON_DEPTH); time and memory (isolated.DEFAULT_*).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable

from confide.rag.loaders.htmltext import load_html
from confide.rag.loaders.isolated import DEFAULT_MEMORY, DEFAULT_TIMEOUT, parse_isolated
from confide.rag.loaders.markdown import load_markdown
from confide.rag.loaders.model import (
    MAX_BLOCKS,
    MAX_TEXT_CHARS,
    Block,
    BlockKind,
    Collector,
    Document,
    ParseError,
    TextCapReached,
)
from confide.rag.loaders.plain import load_code, load_csv, load_json, load_text
from confide.rag.sniff import Kind, decode_text

__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_TIMEOUT",
    "MAX_BLOCKS",
    "MAX_TEXT_CHARS",
    "Block",
    "BlockKind",
    "Document",
    "ParseError",
    "parse",
    "parse_isolated",
]

Loader = Callable[[bytes, Collector], None]
TextLoader = Callable[[str, Collector], None]


def _from_text(loader: TextLoader, label: str) -> Loader:
    """Adapt a text loader: decode UTF-8 (or BOM-marked UTF-16) first, or refuse clearly."""

    def load(data: bytes, out: Collector) -> None:
        text = decode_text(data)
        if text is None:
            raise ParseError(f"This {label} is not valid UTF-8 text; save it as UTF-8 and retry.")
        loader(text, out)

    return load


def _on_first_use(module: str, name: str) -> Loader:
    """A loader of office.py or pdf.py, imported when it is first called. python-docx,
    openpyxl (which imports numpy), python-pptx (Pillow) and pypdf cost about 45 MiB and 0.4 s
    to import, and the server process never parses: it hands files to the parse worker, and
    imports this package only for its model (chunking) and `parse_isolated`."""

    def load(data: bytes, out: Collector) -> None:
        loader: Loader = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        loader(data, out)

    return load


# Kind -> (how a person calls the format, loader)
LOADERS: dict[Kind, tuple[str, Loader]] = {
    Kind.PDF: ("PDF", _on_first_use("pdf", "load_pdf")),
    Kind.DOCX: ("DOCX document", _on_first_use("office", "load_docx")),
    Kind.PPTX: ("PowerPoint presentation", _on_first_use("office", "load_pptx")),
    Kind.XLSX: ("Excel workbook", _on_first_use("office", "load_xlsx")),
    Kind.CSV: ("CSV file", _from_text(load_csv, "CSV file")),
    Kind.HTML: ("web page", _from_text(load_html, "web page")),
    Kind.MARKDOWN: ("Markdown file", _from_text(load_markdown, "Markdown file")),
    Kind.TEXT: ("text file", _from_text(load_text, "text file")),
    Kind.CODE: ("source file", _from_text(load_code, "source file")),
    Kind.JSON: ("JSON file", _from_text(load_json, "JSON file")),
}


def parse(data: bytes, kind: Kind | str) -> Document:
    """Read `data` as `kind` (from sniff); raise ParseError with a reason a person can read.

    Any exception a third-party parser raises on hostile or damaged input becomes a
    ParseError; only MemoryError passes through, for the isolation layer to report.
    """
    label, loader = _loader_for(kind)
    out = Collector()
    try:
        with warnings.catch_warnings():
            # Libraries warn about odd-but-readable files; that is not the user's problem.
            # (catch_warnings is process-global: fine in the parse worker and in tests.)
            warnings.simplefilter("ignore")
            loader(data, out)
    except TextCapReached:
        pass  # the Collector added a note saying how much was kept
    except (ParseError, MemoryError):
        raise
    except RecursionError as exc:
        raise ParseError(f"This {label} is nested too deeply to read.") from exc
    except Exception as exc:  # hostile input makes third-party parsers raise anything
        detail = _brief(exc)
        raise ParseError(f"This file looks like a {label} but it is damaged: {detail}.") from exc
    if not out.blocks:
        raise ParseError(f"No text found in this {label}.")
    return out.document


def _loader_for(kind: Kind | str) -> tuple[str, Loader]:
    try:
        return LOADERS[Kind(kind)]
    except (KeyError, ValueError):
        raise ParseError("This file type is not supported.") from None


def _brief(exc: Exception) -> str:
    """The first line of the library's message, short, without a trailing period."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    text = text.rstrip(".") or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
