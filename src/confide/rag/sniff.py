"""What an uploaded file really is, decided from its bytes.

The upload's name and the browser's Content-Type are the user's claims; the parser that will
touch the bytes, and the media type the file is served back with, come from the bytes alone.
Only once the bytes are known to be text may the name's extension choose between text flavours
(Markdown, CSV, source code, plain text): all of those are read as text anyway, so a lying
extension can never steer binary bytes into the wrong parser.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

OCTET_STREAM = "application/octet-stream"
SNIFF_JSON_MAX_BYTES = 20 * 1024 * 1024  # larger JSON is sniffed by its first character only


class Kind(StrEnum):
    """The parser a file goes to."""

    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"
    XLSX = "xlsx"
    CSV = "csv"
    HTML = "html"
    MARKDOWN = "markdown"
    TEXT = "text"
    CODE = "code"
    JSON = "json"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True, slots=True)
class Sniffed:
    """The verdict: which parser, which media type to serve, and why not, when unsupported."""

    kind: Kind
    media_type: str
    reason: str | None = None


OOXML = {
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The main part each OOXML flavour must have; [Content_Types].xml names it too.
OOXML_MAIN_PART = {Kind.DOCX: "word/", Kind.PPTX: "ppt/", Kind.XLSX: "xl/"}
OOXML_CONTENT_TYPE = {
    Kind.DOCX: b"wordprocessingml.document.main+xml",
    Kind.PPTX: b"presentationml.presentation.main+xml",
    Kind.XLSX: b"spreadsheetml.sheet.main+xml",
}

# Binary formats recognised only to say clearly what they are; raster images are safe to serve
# with their own type, everything else is served as an opaque download.
BINARY_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "a PNG image"),
    (b"\xff\xd8\xff", "image/jpeg", "a JPEG image"),
    (b"GIF87a", "image/gif", "a GIF image"),
    (b"GIF89a", "image/gif", "a GIF image"),
    (b"\x7fELF", OCTET_STREAM, "a program (ELF executable)"),
    (b"MZ", OCTET_STREAM, "a Windows program"),
    (b"\x1f\x8b", OCTET_STREAM, "a gzip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OCTET_STREAM, "an old Microsoft Office file"),
)

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkd"})
CSV_EXTENSIONS = frozenset({".csv", ".tsv"})
CODE_EXTENSIONS = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".svelte", ".vue",
        ".java", ".kt", ".kts", ".scala", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".cxx",
        ".hpp", ".cs", ".swift", ".m", ".rb", ".php", ".pl", ".pm", ".lua", ".r", ".jl",
        ".sh", ".bash", ".zsh", ".fish", ".ps1", ".sql", ".css", ".scss", ".less",
        ".toml", ".yaml", ".yml", ".ini", ".cfg", ".proto", ".graphql", ".tf", ".ex",
        ".exs", ".erl", ".hs", ".ml", ".clj", ".dart", ".zig", ".nim",
    }
)  # fmt: skip

# After optional whitespace, comments and a doctype, an HTML document opens with one of these.
HTML_PROLOGUE = re.compile(rb"\A(?:\s+|<!--.*?-->|<!doctype\s+html[^>]*>)*", re.IGNORECASE | re.S)
HTML_FIRST_TAG = re.compile(
    rb"<(?:html|head|body|title|meta|link|div|p|h[1-6]|table|ul|ol|section|article|header|"
    rb"main|nav|span|a|br|hr|pre|form|script|style)[\s/>]",
    re.IGNORECASE,
)

TEXT_MEDIA = {
    Kind.CSV: "text/csv",
    Kind.HTML: "text/html",
    Kind.MARKDOWN: "text/markdown",
    Kind.TEXT: "text/plain",
    Kind.CODE: "text/plain",
}


def sniff(data: bytes, name: str | None = None) -> Sniffed:
    """Classify an upload by its content; `name` only picks a text flavour."""
    if data.startswith(b"%PDF-"):
        return Sniffed(Kind.PDF, "application/pdf")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    charset = text_charset(data)
    if charset is None:
        return _sniff_binary(data)
    return _sniff_text(data, charset, name)


def text_charset(data: bytes) -> str | None:
    """The codec that decodes `data` as text, or None when it is not text.

    Text means UTF-8 (an optional BOM allowed) without NUL bytes, or UTF-16 announced by a
    BOM. Guessing legacy 8-bit encodings would turn binary files into garbage "text".
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            decoded = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return None if "\x00" in decoded else "utf-16"
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def decode_text(data: bytes) -> str | None:
    """The text in `data` (without a BOM), or None when it is not text (see `text_charset`)."""
    charset = text_charset(data)
    return None if charset is None else data.decode(charset)


def _sniff_zip(data: bytes) -> Sniffed:
    unsupported = Sniffed(
        Kind.UNSUPPORTED,
        OCTET_STREAM,
        "ZIP archives are not supported; upload the documents inside it one by one.",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            content_types = _read_small(archive, "[Content_Types].xml", names)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # Looks like a ZIP but its directory is unreadable: let the DOCX/PPTX/XLSX guess stand
        # only if the first entry says so, so the loader can report the damage in context.
        return _guess_damaged_zip(data) or unsupported
    for kind, main_part in OOXML_MAIN_PART.items():
        declared = content_types is not None and OOXML_CONTENT_TYPE[kind] in content_types
        if declared or any(name.startswith(main_part) for name in names):
            return Sniffed(kind, OOXML[kind])
    return unsupported


def _read_small(archive: zipfile.ZipFile, member: str, names: list[str]) -> bytes | None:
    """A small member's bytes; a content-types file is a few KB, more is not trusted."""
    if member not in names:
        return None
    info = archive.getinfo(member)
    if info.file_size > 1024 * 1024:
        return None
    with archive.open(info) as stream:
        return stream.read(1024 * 1024)


def _guess_damaged_zip(data: bytes) -> Sniffed | None:
    """A truncated DOCX still names its parts in its local headers near the start."""
    head = data[:65536]
    for kind, main_part in OOXML_MAIN_PART.items():
        if main_part.encode() in head or OOXML_CONTENT_TYPE[kind] in head:
            return Sniffed(kind, OOXML[kind])
    return None


def _sniff_binary(data: bytes) -> Sniffed:
    for signature, media_type, what in BINARY_SIGNATURES:
        if data.startswith(signature):
            return Sniffed(Kind.UNSUPPORTED, media_type, f"This file is {what}; it has no text.")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return Sniffed(Kind.UNSUPPORTED, "image/webp", "This file is a WebP image; it has no text.")
    if b"\x00" not in data[:65536] and _mostly_printable(data[:65536]):
        return Sniffed(
            Kind.UNSUPPORTED,
            OCTET_STREAM,
            "This looks like text in an encoding other than UTF-8; save it as UTF-8 and "
            "upload it again.",
        )
    return Sniffed(Kind.UNSUPPORTED, OCTET_STREAM, "This file type is not supported.")


def _mostly_printable(sample: bytes) -> bool:
    printable = sum(1 for byte in sample if byte >= 0x20 or byte in b"\t\r\n")
    return bool(sample) and printable / len(sample) > 0.95


def _sniff_text(data: bytes, charset: str, name: str | None) -> Sniffed:
    text = data.decode(charset)
    media_charset = "utf-16" if charset == "utf-16" else "utf-8"
    if _looks_like_json(text, len(data)):
        return Sniffed(Kind.JSON, "application/json")
    kind = Kind.HTML if _looks_like_html(data if charset != "utf-16" else text.encode()) else None
    kind = kind or _text_flavour(name)
    return Sniffed(kind, f"{TEXT_MEDIA[kind]}; charset={media_charset}")


def _looks_like_json(text: str, size: int) -> bool:
    """An object or array that parses; scalars like `42` are left to be plain text."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return False
    if size > SNIFF_JSON_MAX_BYTES:
        return stripped.rstrip().endswith(("}", "]"))
    try:
        json.loads(stripped)
    except RecursionError:
        return True  # valid-looking but absurdly nested: the JSON loader explains the refusal
    except ValueError:
        return False
    return True


def _looks_like_html(data: bytes) -> bool:
    prologue = HTML_PROLOGUE.match(data[:65536])
    start = prologue.end() if prologue else 0
    return HTML_FIRST_TAG.match(data, start, start + 64) is not None


def _text_flavour(name: str | None) -> Kind:
    suffix = PurePosixPath(name or "").suffix.lower()
    if suffix in MARKDOWN_EXTENSIONS:
        return Kind.MARKDOWN
    if suffix in CSV_EXTENSIONS:
        return Kind.CSV
    if suffix in CODE_EXTENSIONS:
        return Kind.CODE
    return Kind.TEXT
