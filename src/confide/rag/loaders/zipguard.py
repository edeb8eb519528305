"""Checks a ZIP-based Office file before any library unpacks it.

python-docx, python-pptx and openpyxl trust the archive they open. A few hundred bytes of ZIP
can declare gigabytes of XML (a zip bomb), and an XML part can declare entities that expand
exponentially (billion laughs). Both are refused here, from the central directory and a
streaming scan, before the real parser sees the file.

Declared sizes can be trusted as an upper bound: Python's zipfile never yields more bytes for
an entry than its directory declares (it stops and the CRC check fails), and the three
libraries read members through zipfile.
"""

from __future__ import annotations

import io
import re
import zipfile

from confide.rag.loaders.model import ParseError

MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024  # total declared size of all parts
MAX_ZIP_RATIO = 100  # expansion allowed for one part...
ZIP_RATIO_MIN_SIZE = 1024 * 1024  # ...once it expands to more than this
SCAN_CHUNK = 1024 * 1024
SCAN_OVERLAP = 64  # bytes kept between chunks so a marker split across them is still seen

# Entity declarations (and any DOCTYPE that could hold them) never occur in Office XML. The bare
# HTML5 doctype is allowed: Word keeps imported HTML fragments as parts of their own.
_MARKERS = [rb"<!ENTITY", rb"<!DOCTYPE(?!\s+html\s*>)"]
_MARKERS += [
    re.escape(word.encode(codec))
    for word in ("<!ENTITY", "<!DOCTYPE")
    for codec in ("utf-16-le", "utf-16-be")
]
DTD_MARKER = re.compile(b"|".join(_MARKERS), re.IGNORECASE)
_XML_SUFFIXES = (".xml", ".rels")
_TYPE_ELEMENT = re.compile(rb"<(Default|Override)\b[^>]*>")
_ATTRIBUTE = re.compile(rb'(\w+)\s*=\s*"([^"]*)"')


def check_archive(data: bytes, label: str) -> None:
    """Refuse `data` unless it is a readable, bounded ZIP without XML entity declarations.

    `label` names the format in messages ("DOCX document"). Raises ParseError.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_directory(infos, label)
            xml_parts = _xml_parts(archive)
            for info in infos:
                if _is_xml(info.filename, xml_parts):
                    _scan_for_dtd(archive, info, label)
    except zipfile.BadZipFile as exc:
        raise damaged(label, "its ZIP structure cannot be read") from exc
    except (EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        # Truncated streams, bad CRCs, unknown compression, encrypted members.
        raise damaged(label, f"a part of it cannot be unpacked ({exc})") from exc


def _xml_parts(archive: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    """Part names and extensions that [Content_Types].xml declares as XML (read by pattern,
    not by an XML parser, so this read is safe before the scan).

    Only those are parsed as XML by the libraries. Binary parts are not scanned: a Mac's
    printer settings part, for one, embeds a plist with a harmless DOCTYPE.
    """
    try:
        declarations = archive.read("[Content_Types].xml")
    except KeyError:
        return set(), set()
    names: set[str] = set()
    extensions: set[str] = set()
    for element in _TYPE_ELEMENT.finditer(declarations):
        attributes = dict(_ATTRIBUTE.findall(element.group(0)))
        if not attributes.get(b"ContentType", b"").lower().endswith(b"xml"):
            continue
        if element.group(1) == b"Default":
            extensions.add(attributes.get(b"Extension", b"").decode("utf-8", "replace").lower())
        else:
            names.add(attributes.get(b"PartName", b"").decode("utf-8", "replace").lstrip("/"))
    return names, extensions


def _is_xml(name: str, declared: tuple[set[str], set[str]]) -> bool:
    names, extensions = declared
    suffix = name.rpartition(".")[2].lower()
    return name.lower().endswith(_XML_SUFFIXES) or name in names or suffix in extensions


def damaged(label: str, detail: str) -> ParseError:
    return ParseError(f"This file looks like a {label} but it is damaged: {detail}.")


def _check_directory(infos: list[zipfile.ZipInfo], label: str) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ParseError(
            f"This {label} has more than {MAX_ZIP_ENTRIES:,} internal parts; it was not opened."
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise ParseError(
            f"This ZIP-based file would expand to more than {MAX_ZIP_UNCOMPRESSED // 2**20} MB; "
            "it was not opened."
        )
    for info in infos:
        compressed = max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > MAX_ZIP_RATIO * compressed:
            raise ParseError(
                f"This {label} contains a part that expands more than {MAX_ZIP_RATIO}-fold, "
                "the signature of a zip bomb; it was not opened."
            )


def _scan_for_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
    """Stream one part looking for a DOCTYPE or ENTITY declaration, in bounded memory."""
    if info.is_dir():
        return
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            window = tail + chunk
            if DTD_MARKER.search(window):
                raise ParseError(
                    f"This {label} contains an XML document type declaration, which Office "
                    "files never need and which can be used to attack the server; it was "
                    "not opened."
                )
            tail = window[-SCAN_OVERLAP:]
