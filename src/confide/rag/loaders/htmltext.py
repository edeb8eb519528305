"""HTML reduced to the text a reader sees, with its structure, using the stdlib parser.

Scripts, styles, navigation and the document head are dropped: they are not content, and a
page's boilerplate would otherwise crowd every chunk. Character references are decoded by the
parser (convert_charrefs). html.parser never raises on malformed markup, which suits uploads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from confide.rag.loaders.model import BlockKind, Collector, table_row_text

SKIPPED = frozenset({"script", "style", "nav", "noscript", "template", "head", "svg", "math"})
# Tags that may appear in <head>; any other tag means the body began without a </head>.
HEAD_TAGS = frozenset({"title", "meta", "link", "style", "script", "base", "noscript"})
BREAK = "\x00"  # marks a <br>; decoded text never holds NUL (sniffing refuses it)
HEADINGS = {f"h{level}": level for level in range(1, 7)}
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
        "figure", "figcaption", "form", "fieldset", "address", "dl", "dt", "dd", "ul", "ol",
        "details", "summary", "body", "html", "hr", "table", "caption", "li", "pre",
        *HEADINGS,
    }
)  # fmt: skip


def load_html(text: str, out: Collector) -> None:
    reader = _HtmlReader(out)
    reader.feed(text)
    reader.close()
    reader.flush()


@dataclass
class _Table:
    line: int
    header: list[str] | None = None
    row: list[str] | None = None
    cell: list[str] | None = None
    rows: int = 0
    row_line: int = 0
    header_line: int = 0


@dataclass
class _Block:
    kind: BlockKind = BlockKind.PARAGRAPH
    level: int = 0
    line: int = 0
    parts: list[str] = field(default_factory=list)


class _HtmlReader(HTMLParser):
    def __init__(self, out: Collector) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out
        self.skipping: str | None = None
        self.skip_depth = 0
        self.block = _Block()
        self.tables: list[_Table] = []

    # --- parser callbacks ----------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping == "head" and tag not in HEAD_TAGS:
            self.skipping, self.skip_depth = None, 0  # an implied </head>
        if self.skipping:
            self.skip_depth += tag == self.skipping
            return
        if tag in SKIPPED:
            self.flush()
            self.skipping, self.skip_depth = tag, 1
        elif tag == "br":
            self._line_break()
        elif tag in ("tr", "td", "th"):
            self._table_tag(tag)
        elif tag in BLOCK_TAGS:
            self.flush()
            self._start_block(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            self.skip_depth -= tag == self.skipping
            if self.skip_depth <= 0:
                self.skipping = None
            return
        if tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._end_table()
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append(data)
            return
        if not self.block.parts and data.strip():
            self.block.line = self.getpos()[0]
        self.block.parts.append(data)

    # --- blocks ----------------------------------------------------------------------------

    def _start_block(self, tag: str) -> None:
        if tag in HEADINGS:
            self.block = _Block(BlockKind.HEADING, HEADINGS[tag])
        elif tag == "pre":
            self.block = _Block(BlockKind.CODE)
        elif tag == "li":
            self.block = _Block(BlockKind.LIST_ITEM)
        elif tag == "table":
            self.tables.append(_Table(self.getpos()[0]))

    def flush(self) -> None:
        block, self.block = self.block, _Block()
        raw = "".join(block.parts)
        if block.kind is BlockKind.CODE:
            raw = raw.replace(BREAK, "\n")
        else:  # source line breaks are only whitespace; <br> breaks are kept
            raw = "\n".join(" ".join(line.split()) for line in raw.split(BREAK))
        location = f"line {block.line}"
        if block.kind is BlockKind.HEADING:
            self.out.heading(raw, location, block.level)
        else:
            self.out.add(block.kind, raw, location)

    # --- tables ----------------------------------------------------------------------------

    def _line_break(self) -> None:
        cell = self.tables[-1].cell if self.tables else None
        (cell if cell is not None else self.block.parts).append(BREAK)

    def _table_tag(self, tag: str) -> None:
        if not self.tables:  # a stray row or cell outside any table
            self.tables.append(_Table(self.getpos()[0]))
        table = self.tables[-1]
        if tag == "tr":
            self._end_row()
            self.flush()
            table.row, table.row_line = [], self.getpos()[0]
        else:
            self._end_cell()
            table.row = [] if table.row is None else table.row
            table.cell = []

    def _end_cell(self) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None or table.cell is None:
            return
        text = " ".join("".join(table.cell).replace(BREAK, " ").split())
        (table.row if table.row is not None else []).append(text)
        table.cell = None

    def _end_row(self) -> None:
        self._end_cell()
        table = self.tables[-1] if self.tables else None
        if table is None or table.row is None:
            return
        row, table.row = table.row, None
        if table.header is None:
            table.header, table.header_line = row, table.row_line
            return
        table.rows += 1
        self.out.row(table_row_text(table.header, row), f"line {table.row_line}")

    def _end_table(self) -> None:
        self._end_row()
        if not self.tables:
            return
        table = self.tables.pop()
        if table.rows == 0 and table.header:  # a one-row table: the row is the content
            text = " | ".join(cell for cell in table.header if cell)
            self.out.row(text, f"line {table.header_line}")
