"""Text-based formats that need no markup parser: plain text, source code, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from confide.rag.loaders.model import Collector, ParseError, table_row_text

MAX_JSON_DEPTH = 100
JSON_TOO_DEEP = f"This JSON file is nested more than {MAX_JSON_DEPTH} levels deep; it was not read."
CSV_DELIMITERS = ",;\t|"
SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def load_text(text: str, out: Collector) -> None:
    """Paragraphs are separated by blank lines; each is located by its first line."""
    for start, lines in _runs(text.splitlines()):
        out.paragraph("\n".join(lines), f"line {start}")


def _runs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines, each with its 1-based first line number."""
    runs: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                runs.append((number, current))
            current.append(line)
        else:
            current = []
    return runs


def load_code(text: str, out: Collector) -> None:
    """Source split where a blank line is followed by a top-level line (a new definition).

    Indented blocks and closing brackets stay with the definition they belong to, so a
    function or class is one block unless it is longer than a chunk.
    """
    lines = text.splitlines()
    start = 1
    current: list[str] = []
    for number, line in enumerate(lines, start=1):
        if current and _starts_definition(lines, number - 1):
            out.code("\n".join(current), f"line {start}")
            start, current = number, []
        if current or line.strip():
            if not current:
                start = number
            current.append(line)
    out.code("\n".join(current), f"line {start}")


def _starts_definition(lines: list[str], index: int) -> bool:
    line = lines[index]
    top_level = bool(line.strip()) and not line[0].isspace() and line[0] not in ")]}"
    return top_level and index > 0 and not lines[index - 1].strip()


def load_csv(text: str, out: Collector) -> None:
    """Rows named by the header row; the delimiter is sniffed (comma, semicolon, tab, pipe)."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:65536], delimiters=CSV_DELIMITERS
        )
    except csv.Error:
        dialect = csv.excel
    header: list[str] | None = None
    first: list[str] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            if header is None:
                header = [" ".join(cell.split()) for cell in row]
                first = row
                continue
            out.row(table_row_text(header, row), f"row {number}")
    except csv.Error as exc:
        raise ParseError(f"This CSV file is malformed: {exc}.") from exc
    if header is not None and not out.blocks:
        out.row(" | ".join(cell for cell in first if cell.strip()), "row 1")


def load_json(text: str, out: Collector) -> None:
    """Leaves flattened to 'path: value' lines, in document order, depth bounded."""
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise ParseError(JSON_TOO_DEEP) from exc
    except ValueError as exc:
        raise ParseError(f"This JSON file is malformed: {exc}.") from exc
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise ParseError(JSON_TOO_DEEP)
            children = item.items() if isinstance(item, dict) else enumerate(item)
            entries = [(_json_path(path, key), child, depth + 1) for key, child in children]
            stack.extend(reversed(entries))
            continue
        shown = item if isinstance(item, str) else json.dumps(item)
        label = path or "value"
        out.row(f"{label}: {shown}", label if len(label) <= 80 else label[:77] + "...")


def _json_path(parent: str, key: object) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    name = str(key)
    if SIMPLE_KEY.match(name):
        return f"{parent}.{name}" if parent else name
    return f"{parent}[{json.dumps(name, ensure_ascii=False)}]"
