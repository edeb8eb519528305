"""Markdown read for its structure: headings, fenced code, lists, tables and paragraphs.

A small line-based reader rather than a full CommonMark parser: chunking needs block
boundaries, not rendered inline markup, so inline syntax (emphasis, links) is kept as typed.
"""

from __future__ import annotations

import re

from confide.rag.loaders.model import BlockKind, Collector, table_row_text

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+")
TABLE_SEPARATOR = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def load_markdown(text: str, out: Collector) -> None:
    _MarkdownReader(text.splitlines(), out).read()


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner.removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in CELL_SPLIT.split(inner)]


class _MarkdownReader:
    def __init__(self, lines: list[str], out: Collector) -> None:
        self.lines = lines
        self.out = out
        self.index = 0
        self.buffer: list[str] = []
        self.buffer_kind = BlockKind.PARAGRAPH
        self.buffer_line = 0

    def read(self) -> None:
        while self.index < len(self.lines):
            self._step(self.lines[self.index])
        self._flush()

    def _step(self, line: str) -> None:
        """Handle the line at self.index and advance past everything it consumed."""
        number = self.index + 1
        if not line.strip():
            self._flush()
        elif fence := FENCE.match(line):
            self._flush()
            self._fenced_code(fence.group(1))
            return
        elif heading := ATX.match(line):
            self._flush()
            self.out.heading(heading.group(2) or "", f"line {number}", len(heading.group(1)))
        elif self._is_setext_underline(line):
            level = 1 if line.strip().startswith("=") else 2
            self.out.heading(" ".join(self.buffer), f"line {self.buffer_line}", level)
            self.buffer = []
        elif THEMATIC_BREAK.match(line):
            self._flush()
        elif self._is_table_start():
            self._flush()
            self._table()
            return
        elif LIST_ITEM.match(line):
            self._flush()
            self._append(LIST_ITEM.sub("", line, count=1), BlockKind.LIST_ITEM, number)
        else:
            self._append(line.strip(), self.buffer_kind, number)
        self.index += 1

    def _append(self, text: str, kind: BlockKind, number: int) -> None:
        if not self.buffer:
            self.buffer_kind, self.buffer_line = kind, number
        self.buffer.append(text)

    def _flush(self) -> None:
        if self.buffer:
            text = "\n".join(self.buffer)
            self.out.add(self.buffer_kind, text, f"line {self.buffer_line}")
        self.buffer, self.buffer_kind = [], BlockKind.PARAGRAPH

    def _is_setext_underline(self, line: str) -> bool:
        return (
            bool(self.buffer)
            and self.buffer_kind is BlockKind.PARAGRAPH
            and SETEXT.match(line) is not None
        )

    def _is_table_start(self) -> bool:
        line = self.lines[self.index]
        following = self.lines[self.index + 1] if self.index + 1 < len(self.lines) else ""
        return "|" in line and "-" in following and TABLE_SEPARATOR.match(following) is not None

    def _fenced_code(self, fence: str) -> None:
        """A fenced block is kept whole, fences included, so its language stays visible."""
        start = self.index
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        self.index += 1
        while self.index < len(self.lines) and not closing.match(self.lines[self.index]):
            self.index += 1
        self.index = min(self.index + 1, len(self.lines))  # past the closing fence
        self.out.code("\n".join(self.lines[start : self.index]), f"line {start + 1}")

    def _table(self) -> None:
        header = _cells(self.lines[self.index])
        self.index += 2  # the header and the separator line
        rows = 0
        while self.index < len(self.lines) and "|" in self.lines[self.index]:
            line = self.lines[self.index]
            self.out.row(table_row_text(header, _cells(line)), f"line {self.index + 1}")
            self.index += 1
            rows += 1
        if not rows:
            self.out.row(" | ".join(cell for cell in header if cell), f"line {self.index - 1}")
