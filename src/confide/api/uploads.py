"""Reading one file out of a `multipart/form-data` body as it arrives.

Starlette's `request.form()` spools an upload to a temporary file: plaintext on disk, however
briefly. This reader instead hands the `file` part's bytes on as they come off the socket, so
the service seals them on the way to storage and the plaintext never touches the disk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from confide.errors import BadRequest, UnsupportedType

if TYPE_CHECKING:  # a TypedDict the package declares for type checkers only
    from python_multipart.multipart import MultipartCallbacks

FIELD = "file"
NOT_MULTIPART = "Send the file as multipart/form-data, in a field named `file`."


@dataclass
class _Events:
    """What the parser reported for the bytes fed so far, in order."""

    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    name: bytes = b""
    value: bytes = b""
    items: list[tuple[str, object]] = field(default_factory=list)

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def header_end(self) -> None:
        self.headers.append((self.name.lower(), self.value))
        self.name = self.value = b""

    def headers_finished(self) -> None:
        self.items.append(("part", dict(self.headers)))
        self.headers = []

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self.items.append(("data", data[start:end]))

    def part_end(self) -> None:
        self.items.append(("end", None))


class FileUpload:
    """The single `file` part of a multipart request: `await open()` answers its file name,
    then `chunks()` yields its bytes. Other fields are refused (nothing else is expected)."""

    def __init__(self, request: Request) -> None:
        self._body = request.stream()
        self._events = _Events()
        self._parser = MultipartParser(_boundary(request), self._callbacks(), max_header_count=4)
        self._filename: str | None = None

    def _callbacks(self) -> MultipartCallbacks:
        events = self._events
        return {
            "on_header_field": events.header_field,
            "on_header_value": events.header_value,
            "on_header_end": events.header_end,
            "on_headers_finished": events.headers_finished,
            "on_part_data": events.part_data,
            "on_part_end": events.part_end,
        }

    async def open(self) -> str:
        """Read up to the file part's headers; answers the file name it gives (maybe "")."""
        async for kind, value in self._items():
            if kind == "part":
                self._filename = _file_name(value)  # type: ignore[arg-type]
                return self._filename
            raise BadRequest(NOT_MULTIPART)
        raise BadRequest(f"The body has no `{FIELD}` part. {NOT_MULTIPART}")

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file part's bytes as they arrive; raises BadRequest when the body ends early
        or carries more than the one file."""
        async for kind, value in self._items():
            if kind == "data":
                yield value  # type: ignore[misc]
            elif kind == "end":
                break
            else:
                raise BadRequest(f"Send one file per request, in the `{FIELD}` field.")
        else:
            raise BadRequest("The upload ended before the file did; nothing was kept.")
        async for kind, _ in self._items():
            if kind == "part":
                raise BadRequest(f"Send one file per request, in the `{FIELD}` field.")

    async def _items(self) -> AsyncIterator[tuple[str, object]]:
        events = self._events.items
        while True:
            while events:
                yield events.pop(0)
            try:
                piece = await anext(self._body)
            except (StopAsyncIteration, ClientDisconnect):
                return
            if not piece:
                continue
            try:
                self._parser.write(piece)
            except MultipartParseError as exc:  # its message says what was malformed
                raise BadRequest(f"The multipart body is malformed: {exc}") from None


def _boundary(request: Request) -> bytes:
    media, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if media != b"multipart/form-data" or not boundary:
        raise UnsupportedType(NOT_MULTIPART)
    if len(boundary) > 200:
        raise BadRequest("The multipart boundary is longer than 200 characters.")
    return boundary


def _file_name(headers: dict[bytes, bytes]) -> str:
    disposition, options = parse_options_header(headers.get(b"content-disposition", b""))
    if disposition != b"form-data" or options.get(b"name") != FIELD.encode():
        raise BadRequest(f"Expected the file in a field named `{FIELD}`.")
    if b"filename" not in options:
        raise BadRequest(f"The `{FIELD}` field must be a file (with a filename).")
    return options[b"filename"].decode("utf-8", "replace")
