"""Real sample files built in memory: Office files by their own libraries, PDFs by hand.

Nothing here is a mock: every builder returns the bytes a user could upload.
"""

from __future__ import annotations

import io
import struct
import zipfile

import docx
import openpyxl  # type: ignore[import-untyped]
import pptx
from pptx.util import Inches
from pypdf import PdfReader, PdfWriter


def pdf_with_text(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, an empty string a blank line."""
    count = len(pages)
    page_ids = [4 + 2 * index for index in range(count)]
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for page_id, lines in zip(page_ids, pages, strict=True):
        shown = " ".join(f"({_pdf_escape(line)}) '" for line in lines)
        content = f"BT /F1 12 Tf 14 TL 72 740 Td {shown} ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    return _pdf_file(objects)


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf_file(objects: list[str]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    out.write(trailer.encode())
    return out.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    """The two-page sample PDF, encrypted by pypdf (an empty user password opens it)."""
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(sample_pdf())).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_pdf() -> bytes:
    return pdf_with_text(
        [
            ["Quarterly report", "", "Revenue grew by twelve percent."],
            ["Outlook for next year is steady."],
        ]
    )


def sample_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Guide", level=1)
    document.add_paragraph("Confide keeps your data yours.")
    document.add_heading("Install", level=2)
    document.add_paragraph("Run make run on a fresh machine.")
    document.add_paragraph("Download the code", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(
        table.rows, [("Name", "Port"), ("web", "8080"), ("db", "5432")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    return _save(document)


def sample_pptx() -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])  # title and content
    slide.shapes.title.text = "Roadmap"
    slide.placeholders[1].text = "Ship the loaders\nThen the chunker"
    rows = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    for (row, column), value in zip(
        [(0, 0), (0, 1), (1, 0), (1, 1)], ["Quarter", "Goal", "Q3", "Search"], strict=True
    ):
        rows.cell(row, column).text = value
    slide.notes_slide.notes_text_frame.text = "Mention the deadline."
    blank = presentation.slides.add_slide(presentation.slide_layouts[6])
    box = blank.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "Questions welcome"
    return _save(presentation)


def sample_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Item", "Cost"])
    sheet.append(["Servers", 1200.0])
    sheet.append([None, None])
    sheet.append(["Backups", 300])
    other = workbook.create_sheet("Notes")
    other.append(["Approved by finance"])
    return _save(workbook)


def _save(document: object) -> bytes:
    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def replace_member(archive: bytes, name: str, content: bytes) -> bytes:
    """A copy of a ZIP-based file with one member's bytes replaced (or added)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = content if info.filename == name else source.read(info)
            target.writestr(info.filename, data)
        if name not in source.namelist():
            target.writestr(name, content)
    return out.getvalue()


def docx_with_entities() -> bytes:
    """A DOCX whose main part declares entities (the start of a billion laughs)."""
    original = sample_docx()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        xml = archive.read("word/document.xml")
    header, _, body = xml.partition(b"?>")
    dtd = b'<!DOCTYPE w [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    return replace_member(original, "word/document.xml", header + b"?>" + dtd + body)


def docx_bomb_by_ratio() -> bytes:
    """A DOCX with a 4 MB part of repeated XML that deflates ~1000:1."""
    padding = b"<!-- " + b"0" * (4 * 1024 * 1024) + b" -->"
    return replace_member(sample_docx(), "word/padding.xml", padding)


def docx_declaring_huge_size(size: int) -> bytes:
    """A DOCX whose central directory claims one part unpacks to `size` bytes."""
    data = bytearray(sample_docx())
    entry = data.find(b"PK\x01\x02")  # the first central directory entry
    struct.pack_into("<I", data, entry + 24, size)  # its uncompressed size field
    return bytes(data)


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", "just a text file in an archive")
    return out.getvalue()
