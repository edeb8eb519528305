"""What an uploaded picture really is: its type from its magic bytes (never from the declared
Content-Type or a file name) and its width and height from its header.

Only PNG, JPEG and WebP are recognised. SVG (which can hold script), HTML, GIF and anything
else are refused, and so is a file whose header cannot be read: nothing is decoded beyond
the few header bytes that give the size.

`strip_metadata` removes what a camera or an editor writes beside the pixels (EXIF with the
place a photo was taken, XMP, IPTC, comments, text chunks, times) by walking the file's
container structure, never decoding or re-encoding the picture.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): not C4, C8, CC.
JPEG_SOF = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), 0xCD, 0xCE, 0xCF})
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # RSTn, TEM: no length follows
JPEG_STOP = frozenset({0xD9, 0xDA})  # EOI, SOS: no frame header came first
ACCEPTED = "Upload a PNG, JPEG or WebP picture"


class ImageRejected(ValueError):
    """Not an image we accept. `unsupported`: another format (answer 415), else a broken one."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def inspect_image(data: bytes, *, max_side: int) -> ImageInfo:
    """The picture's sniffed type and size; ImageRejected unless it is a PNG, JPEG or WebP
    whose header gives a width and height between 1 and `max_side`."""
    if not data:
        raise ImageRejected(f"The file is empty. {ACCEPTED}.")
    if data.startswith(PNG_SIGNATURE):
        info = ImageInfo("image/png", *_png_size(data))
    elif data.startswith(b"\xff\xd8\xff"):
        info = ImageInfo("image/jpeg", *_jpeg_size(data))
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        info = ImageInfo("image/webp", *_webp_size(data))
    else:
        raise ImageRejected(f"{ACCEPTED}; {_looks_like(data)}.", unsupported=True)
    if not (0 < info.width <= max_side and 0 < info.height <= max_side):
        raise ImageRejected(
            f"The picture is {info.width}×{info.height} pixels; each side must be between "
            f"1 and {max_side}."
        )
    return info


def _looks_like(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"gif87a", b"gif89a")):
        return "GIF pictures are not accepted"
    if b"<svg" in head:
        return "SVG pictures are not accepted"
    if head.startswith((b"<!doctype html", b"<html", b"<")):
        return "this file is HTML or XML, not a picture"
    return "this file is not one"


def _broken(kind: str) -> ImageRejected:
    return ImageRejected(f"This {kind} file is damaged or truncated: its size cannot be read.")


def _png_size(data: bytes) -> tuple[int, int]:
    """The IHDR chunk, which must come first: length 13, type, width, height, ..., CRC."""
    if len(data) < 33:
        raise _broken("PNG")
    length, kind = struct.unpack(">I4s", data[8:16])
    (crc,) = struct.unpack(">I", data[29:33])
    if length != 13 or kind != b"IHDR" or zlib.crc32(data[12:29]) != crc:
        raise _broken("PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the marker segments up to the first start-of-frame (SOFn), which holds the size."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise _broken("JPEG")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in JPEG_STOP or length < 2:
            break
        if marker in JPEG_SOF:
            if pos + 9 > len(data) or length < 7:
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    raise _broken("JPEG")


def _webp_size(data: bytes) -> tuple[int, int]:
    """The first chunk: `VP8 ` (lossy), `VP8L` (lossless) or `VP8X` (extended canvas)."""
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8 " and len(body) == 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack("<I", body[1:5])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(body) == 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return width, height
    raise _broken("WebP")


# --- metadata --------------------------------------------------------------------------------

PNG_METADATA = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
# JPEG APPn segments kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour
# transform: needed to decode some files). APP1 (EXIF, XMP), APP13 (IPTC) and the rest go,
# and so do comments (COM).
JPEG_KEPT_APP = frozenset({0xE0, 0xE2, 0xEE})
JPEG_COMMENT = 0xFE
WEBP_METADATA = frozenset({b"EXIF", b"XMP "})
WEBP_VP8X_METADATA_FLAGS = 0x08 | 0x04  # the VP8X flags that announce EXIF and XMP chunks


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The picture without its metadata (see the module's docstring); ImageRejected when its
    structure is broken."""
    strip = {"image/png": _strip_png, "image/jpeg": _strip_jpeg, "image/webp": _strip_webp}
    return strip[content_type](data)


def _strip_png(data: bytes) -> bytes:
    out, pos = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise _broken("PNG")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise _broken("PNG")
        if kind not in PNG_METADATA:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def _strip_jpeg(data: bytes) -> bytes:
    """Segments up to the start of scan are filtered; the scan and what follows are kept."""
    out, pos = [data[:2]], 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise _broken("JPEG")
        marker = data[pos + 1]
        if marker == 0xFF or marker in JPEG_STANDALONE:
            step = 1 if marker == 0xFF else 2
            out.append(data[pos : pos + step])
            pos += step
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan (or an end with no scan)
            out.append(data[pos:])
            return b"".join(out)
        if pos + 4 > len(data):
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise _broken("JPEG")
        metadata = marker == JPEG_COMMENT or (
            0xE0 <= marker <= 0xEF and marker not in JPEG_KEPT_APP
        )
        if not metadata:
            out.append(data[pos:end])
        pos = end
    raise _broken("JPEG")


def _strip_webp(data: bytes) -> bytes:
    chunks, pos = [], 12
    while pos < len(data):
        if pos + 8 > len(data):
            raise _broken("WebP")
        kind, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        end = pos + 8 + size + (size & 1)  # chunks are padded to an even length
        if pos + 8 + size > len(data):
            raise _broken("WebP")
        chunk = data[pos : min(end, len(data))]
        if kind == b"VP8X" and size >= 1:
            flags = chunk[8] & ~WEBP_VP8X_METADATA_FLAGS
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind not in WEBP_METADATA:
            chunks.append(chunk)
        pos = end
    payload = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload
