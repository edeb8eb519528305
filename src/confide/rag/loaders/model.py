"""What every loader produces: a Document of Blocks, or a ParseError a person can read.

Blocks keep the structure the chunker needs (headings, code, table rows) and a short location
label ("page 3", "Sheet1 row 14") that a citation can show. A Collector gathers them and
enforces the text bounds, so no single loader can forget them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Bounds on what one file may yield. Past either, the rest of the file is dropped with a note:
# 20 MB of text is roughly 10,000 pages, far beyond what retrieval over one upload needs.
MAX_TEXT_CHARS = 20_000_000
MAX_BLOCKS = 200_000


class ParseError(Exception):
    """A file could not be read; `reason` is a sentence to show the person who uploaded it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CODE = "code"
    TABLE_ROW = "table_row"
    LIST_ITEM = "list_item"


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit of a document; `level` is 1–9 for headings, 0 otherwise."""

    kind: BlockKind
    text: str
    location: str
    level: int = 0


@dataclass(slots=True)
class Document:
    """The blocks of a file in reading order, and notes about anything left out."""

    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A plain structure for the parse worker to send over a pipe (never pickle)."""
        return {
            "blocks": [[b.kind.value, b.text, b.location, b.level] for b in self.blocks],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Document:
        blocks = [
            Block(BlockKind(kind), str(text), str(location), int(level))
            for kind, text, location, level in value["blocks"]
        ]
        return cls(blocks, [str(note) for note in value["notes"]])


class TextCapReached(Exception):
    """Raised by a Collector once the text bounds are reached; parse() keeps what it has."""


class Collector:
    """Accumulates blocks, skipping empty text and stopping at the module's bounds."""

    def __init__(self) -> None:
        self.document = Document()
        self.chars = 0

    @property
    def blocks(self) -> list[Block]:
        return self.document.blocks

    def add(self, kind: BlockKind, text: str, location: str, level: int = 0) -> None:
        text = text.strip("\n\r") if kind is BlockKind.CODE else text.strip()
        if not text.strip():
            return
        if len(self.blocks) >= MAX_BLOCKS or self.chars + len(text) > MAX_TEXT_CHARS:
            self.document.notes.append(
                f"This file has more text than is kept ({MAX_TEXT_CHARS // 1_000_000} million "
                f"characters or {MAX_BLOCKS:,} blocks); only the text before {location} was read."
            )
            raise TextCapReached
        self.chars += len(text)
        self.blocks.append(Block(kind, text, location, level))

    def heading(self, text: str, location: str, level: int) -> None:
        self.add(BlockKind.HEADING, " ".join(text.split()), location, max(1, min(level, 9)))

    def paragraph(self, text: str, location: str) -> None:
        self.add(BlockKind.PARAGRAPH, text, location)

    def code(self, text: str, location: str) -> None:
        self.add(BlockKind.CODE, text, location)

    def row(self, text: str, location: str) -> None:
        self.add(BlockKind.TABLE_ROW, text, location)

    def list_item(self, text: str, location: str) -> None:
        self.add(BlockKind.LIST_ITEM, text, location)


def table_row_text(header: list[str], cells: list[str]) -> str:
    """A row as 'Name: value; Other: value', so each row stands alone in a chunk.

    Without a usable header (or beyond it) cells are joined with ' | '. Empty cells are left
    out: they carry nothing and would only dilute the embedding.
    """
    named: list[str] = []
    loose: list[str] = []
    for index, cell in enumerate(cells):
        value = " ".join(cell.split())
        if not value:
            continue
        name = header[index] if index < len(header) else ""
        if name:
            named.append(f"{name}: {value}")
        else:
            loose.append(value)
    return "; ".join(named + ([" | ".join(loose)] if loose else []))
