"""PDF: the text layer, page by page, with pypdf.

Scanned PDFs have no text layer; OCR is out of scope, so they are reported as such rather than
indexed as empty. A PDF protected only by an empty user password (common: it restricts
printing or copying, not reading) is decrypted, and the Document says so in a note.
"""

from __future__ import annotations

import io
import re

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PdfReadError

from confide.rag.loaders.model import Collector, ParseError

MAX_PDF_PAGES = 2_000
ENCRYPTED = "This PDF is encrypted; upload an unprotected copy."
NO_TEXT = "No text found: this PDF may be scanned images without a text layer."
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def load_pdf(data: bytes, out: Collector) -> None:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        _decrypt(reader, out)
    pages = len(reader.pages)
    if pages > MAX_PDF_PAGES:
        out.document.notes.append(
            f"Only the first {MAX_PDF_PAGES:,} of this PDF's {pages:,} pages were read."
        )
    for number in range(1, min(pages, MAX_PDF_PAGES) + 1):
        text = reader.pages[number - 1].extract_text() or ""
        for paragraph in PARAGRAPH_BREAK.split(text):
            out.paragraph(paragraph, f"page {number}")
    if not out.blocks:
        raise ParseError(NO_TEXT)


def _decrypt(reader: PdfReader, out: Collector) -> None:
    try:
        result = reader.decrypt("")
    except (DependencyError, NotImplementedError, PdfReadError) as exc:
        raise ParseError(ENCRYPTED) from exc  # an encryption scheme pypdf cannot open
    if result == PasswordType.NOT_DECRYPTED:
        raise ParseError(ENCRYPTED)
    out.document.notes.append(
        "This PDF is protected with an empty password; it was opened without one."
    )
