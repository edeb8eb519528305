"""DOCX, PPTX and XLSX: every archive passes the zip guard before its library opens it."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

import docx
import openpyxl  # type: ignore[import-untyped]
import pptx
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide
from pptx.table import Table as PptxTable

from confide.rag.loaders.model import Collector, table_row_text
from confide.rag.loaders.zipguard import check_archive

DOCX_LABEL = "DOCX document"
PPTX_LABEL = "PowerPoint presentation"
XLSX_LABEL = "Excel workbook"


# --- DOCX --------------------------------------------------------------------------------------


def load_docx(data: bytes, out: Collector) -> None:
    """Paragraphs and tables in reading order; heading styles become headings."""
    check_archive(data, DOCX_LABEL)
    document = docx.Document(io.BytesIO(data))
    paragraphs = tables = 0
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            paragraphs += 1
            _docx_paragraph(item, f"paragraph {paragraphs}", out)
        else:
            tables += 1
            _docx_table(item, f"table {tables}", out)


def _docx_paragraph(paragraph: Paragraph, location: str, out: Collector) -> None:
    style = paragraph.style.name if paragraph.style is not None else ""
    style = style or ""
    level = _heading_level(style)
    if level:
        out.heading(paragraph.text, location, level)
    elif style.startswith("List") or _is_numbered(paragraph):
        out.list_item(paragraph.text, location)
    else:
        out.paragraph(paragraph.text, location)


def _heading_level(style: str) -> int:
    """'Title' is 1, 'Heading 2' is 2; any other style is not a heading (0)."""
    if style == "Title":
        return 1
    prefix, _, number = style.partition(" ")
    return int(number) if prefix == "Heading" and number.isdigit() else 0


def _is_numbered(paragraph: Paragraph) -> bool:
    """Bullets applied directly (not through a List style) show up as numbering properties."""
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _docx_table(table: DocxTable, location: str, out: Collector) -> None:
    rows = [_docx_cells(row.cells) for row in table.rows]
    _emit_table(rows, location, out)


def _docx_cells(cells: Sequence[object]) -> list[str]:
    """Cell texts, a merged cell once (python-docx repeats it for every grid column it spans)."""
    texts: list[str] = []
    previous: object = None
    for cell in cells:
        element = getattr(cell, "_tc", None)
        if element is not None and element is previous:
            continue
        previous = element
        texts.append(str(getattr(cell, "text", "")))
    return texts


def _emit_table(rows: list[list[str]], prefix: str, out: Collector) -> None:
    """First row is the header; each later row is emitted as 'Header: value; …'."""
    if len(rows) == 1:
        out.row(" | ".join(cell.strip() for cell in rows[0] if cell.strip()), f"{prefix} row 1")
        return
    header = [" ".join(cell.split()) for cell in rows[0]] if rows else []
    for number, cells in enumerate(rows[1:], start=2):
        out.row(table_row_text(header, cells), f"{prefix} row {number}")


# --- PPTX --------------------------------------------------------------------------------------


def load_pptx(data: bytes, out: Collector) -> None:
    """Per slide: the title as a heading, then text frames, tables and speaker notes."""
    check_archive(data, PPTX_LABEL)
    presentation = pptx.Presentation(io.BytesIO(data))
    for number, slide in enumerate(presentation.slides, start=1):
        _pptx_slide(slide, number, out)


def _pptx_slide(slide: Slide, number: int, out: Collector) -> None:
    location = f"slide {number}"
    title = slide.shapes.title
    title_text = title.text_frame.text if title is not None and title.has_text_frame else ""
    # An untitled slide still gets a heading, so its text is not filed under the previous title.
    out.heading(title_text if title_text.strip() else f"Slide {number}", location, 1)
    skip = title.shape_id if title is not None else None
    _pptx_shapes(slide.shapes, skip, location, out)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            out.paragraph(f"Speaker notes: {notes.text}", f"{location} notes")


def _pptx_shapes(
    shapes: Iterable[BaseShape], skip: int | None, location: str, out: Collector
) -> None:
    for shape in shapes:
        if shape.shape_id == skip:
            continue
        if isinstance(shape, GroupShape):
            _pptx_shapes(shape.shapes, skip, location, out)
        elif isinstance(shape, GraphicFrame) and shape.has_table:
            _pptx_table(shape.table, location, out)
        elif isinstance(shape, Shape) and shape.has_text_frame:
            lines = [p.text for p in shape.text_frame.paragraphs]
            out.paragraph("\n".join(line for line in lines if line.strip()), location)


def _pptx_table(table: PptxTable, location: str, out: Collector) -> None:
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    _emit_table(rows, f"{location} table", out)


# --- XLSX --------------------------------------------------------------------------------------


def load_xlsx(data: bytes, out: Collector) -> None:
    """Each sheet is a heading; each row a table row named by the sheet's first non-empty row.

    read_only streams rows instead of building the whole grid; data_only reads the values
    Excel cached for formulas instead of the formulas themselves.
    """
    check_archive(data, XLSX_LABEL)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            _xlsx_sheet(sheet, out)
    finally:
        workbook.close()


def _xlsx_sheet(sheet: object, out: Collector) -> None:
    title = str(getattr(sheet, "title", "Sheet"))
    out.heading(title, title, 1)
    # A sheet's declared dimensions can claim 16,384 columns; ignore them and read what is there.
    getattr(sheet, "reset_dimensions", lambda: None)()
    header: list[str] | None = None
    pending_header: tuple[int, list[str]] | None = None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        cells = [cell_text(value) for value in values]
        if not any(cells):
            continue
        if header is None:
            header = [" ".join(cell.split()) for cell in cells]
            pending_header = (number, cells)
            continue
        pending_header = None
        out.row(table_row_text(header, cells), f"{title} row {number}")
    if pending_header is not None:  # a sheet of one row: that row is the content
        out.row(" | ".join(c for c in pending_header[1] if c), f"{title} row {pending_header[0]}")


def cell_text(value: object) -> str:
    """A spreadsheet value as a person would read it (3.0 as '3', dates without 00:00:00)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
