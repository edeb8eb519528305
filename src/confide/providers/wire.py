"""What the HTTP adapters share: requests, error mapping, and line-by-line stream parsing.

Both the OpenAI-compatible and the Ollama adapter POST JSON, read a streamed body of lines
(SSE `data:` lines or NDJSON), and turn HTTP statuses and transport failures into
`ProviderError`s. The wire format of one line is the adapter's business (`LineParser.line`);
everything around it lives here, once.

The streaming loop is the relay's hot path: each network read is split into lines once, each
line is parsed once, and all the text one read carried becomes one `Delta`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from confide.providers.base import Delta, ErrorKind, Finish, ProviderError, StreamEvent, Usage
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool

ERROR_BODY_LIMIT = 64 * 1024  # bytes of an error answer read to find its message
JSON_BODY_LIMIT = 64 * 1024 * 1024  # a models list or a batch of embeddings
LINE_LIMIT = 4 * 1024 * 1024  # one stream line (a chunk); longer is a broken upstream
DETAIL_LIMIT = 200  # characters of an upstream message kept for the user

CONTEXT_HINTS = re.compile(
    r"context[ _-]?(?:length|window|size)|maximum context|too many tokens", re.IGNORECASE
)
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{32,}")  # long opaque words: keys, tokens, hashes
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
CONTEXT_STATUSES = frozenset({400, 413, 422})


# --- requests --------------------------------------------------------------------------------


def headers(endpoint: Endpoint) -> dict[str, str]:
    """The key goes only to the endpoint's own host: callers never follow redirects."""
    if endpoint.api_key:
        return {"Authorization": f"Bearer {endpoint.api_key}"}
    return {}


def client_timeout(endpoint: Endpoint) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(
        total=None, sock_connect=endpoint.connect_timeout, sock_read=endpoint.read_timeout
    )


@asynccontextmanager
async def open_stream(
    http: HttpPool, endpoint: Endpoint, url: str, payload: Mapping[str, Any]
) -> AsyncIterator[aiohttp.ClientResponse]:
    """POST `payload` and yield the successful response; any failure is a ProviderError."""
    try:
        async with http.session().post(
            url,
            json=payload,
            headers=headers(endpoint),
            timeout=client_timeout(endpoint),
            allow_redirects=False,
        ) as resp:
            await check_status(resp, endpoint)
            yield resp
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise transport_error(exc) from exc


async def request_json(
    http: HttpPool,
    endpoint: Endpoint,
    method: str,
    url: str,
    payload: Mapping[str, Any] | None = None,
) -> Any:
    """One JSON request and its decoded JSON answer (models lists, embeddings)."""
    try:
        async with http.session().request(
            method,
            url,
            json=payload,
            headers=headers(endpoint),
            timeout=client_timeout(endpoint),
            allow_redirects=False,
        ) as resp:
            await check_status(resp, endpoint)
            body = await read_capped(resp, JSON_BODY_LIMIT)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise transport_error(exc) from exc
    if len(body) >= JSON_BODY_LIMIT:
        raise ProviderError(ErrorKind.protocol, "the answer is too large")
    return parse_json(body)


async def read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """At most `limit` bytes of the body (an error page or a JSON answer)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        part = await resp.content.read(limit - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


# --- errors ----------------------------------------------------------------------------------


async def check_status(resp: aiohttp.ClientResponse, endpoint: Endpoint) -> None:
    if 200 <= resp.status < 300:
        return
    if 300 <= resp.status < 400:
        raise ProviderError(ErrorKind.bad_request, "redirects are not followed")
    body = await read_capped(resp, ERROR_BODY_LIMIT)
    raise status_error(resp.status, body, endpoint.api_key)


def status_error(status: int, body: bytes, secret: str | None = None) -> ProviderError:
    """The ProviderError for an HTTP error status, with the upstream's message if it sent one."""
    text = body.decode("utf-8", "replace")
    detail = safe_detail(error_message(text), secret)
    if status in (401, 403):
        kind = ErrorKind.auth
    elif status == 404:
        kind = ErrorKind.not_found
    elif status == 429:
        kind = ErrorKind.rate_limited
    elif status in CONTEXT_STATUSES and CONTEXT_HINTS.search(text):
        kind = ErrorKind.context_length
    elif 400 <= status < 500:
        kind = ErrorKind.bad_request
    else:
        kind = ErrorKind.upstream
    return ProviderError(kind, detail or f"HTTP {status}")


def stream_error(error: object, secret: str | None = None) -> ProviderError:
    """An `{"error": ...}` object sent inside a stream."""
    if isinstance(error, dict):
        error = error.get("message") or error.get("type") or ""
    return ProviderError(ErrorKind.upstream, safe_detail(str(error), secret))


def transport_error(exc: aiohttp.ClientError | TimeoutError) -> ProviderError:
    """Connection-level failures, before or during an answer."""
    if isinstance(exc, TimeoutError):
        return ProviderError(ErrorKind.timeout)
    if isinstance(exc, aiohttp.ClientSSLError):
        return ProviderError(ErrorKind.unreachable, "TLS failed")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ProviderError(ErrorKind.unreachable, "the host name could not be resolved")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ProviderError(ErrorKind.unreachable, "could not connect")
    if isinstance(exc, aiohttp.InvalidURL):
        return ProviderError(ErrorKind.unreachable, "the URL is not valid")
    return ProviderError(ErrorKind.upstream, "the stream ended early")


def error_message(body: str) -> str:
    """The human part of an error body: OpenAI, Ollama, FastAPI shapes, or plain text."""
    text = body.strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, dict):
        found = data.get("error") or data.get("detail") or data.get("message")
        if isinstance(found, dict):
            found = found.get("message") or found.get("type")
        if found:
            return str(found)
    return text


def safe_detail(text: str, secret: str | None) -> str:
    """One short line, without the key or anything that looks like one."""
    if secret:
        text = text.replace(secret, "[redacted]")
    text = TOKEN_LIKE.sub("[redacted]", text)
    text = CONTROL.sub(" ", text).strip()
    if len(text) > DETAIL_LIMIT:
        text = text[: DETAIL_LIMIT - 1] + "…"
    return text


def parse_json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        raise ProviderError(ErrorKind.protocol, "a chunk is not valid JSON") from None


def malformed() -> ProviderError:
    return ProviderError(ErrorKind.protocol, "a chunk does not have the expected shape")


# --- streams ---------------------------------------------------------------------------------


class LineParser:
    """Turns a streamed body into text, one network read at a time; `line` reads one line.

    Subclasses set `done` when the stream says it is complete, and `reason` / `usage` when it
    tells them. The parser never yields per line: a read's text is joined into one string.
    """

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.done = False
        self.reason: str | None = None
        self.usage: Usage | None = None
        self._rest = b""

    def line(self, line: bytes) -> str | None:
        """The text one line carries, if any; raises ProviderError for a bad line."""
        raise NotImplementedError

    def feed(self, data: bytes) -> str:
        if self._rest:
            data = self._rest + data
        lines = data.split(b"\n")
        self._rest = lines.pop()
        if len(self._rest) > LINE_LIMIT:
            raise ProviderError(ErrorKind.protocol, "a chunk is too long")
        return self._texts(lines)

    def flush(self) -> str:
        """The text of a last line that had no newline, at the end of the body."""
        rest, self._rest = self._rest, b""
        return self._texts([rest]) if rest.strip() else ""

    def finish(self) -> Finish:
        if not self.done and self.reason is None:
            raise ProviderError(ErrorKind.upstream, "the stream ended early")
        return Finish(self.reason or "stop", self.usage)

    def _texts(self, lines: list[bytes]) -> str:
        parts: list[str] = []
        for line in lines:
            text = self.line(line)
            if text:
                parts.append(text)
            if self.done:
                break
        if len(parts) == 1:
            return parts[0]
        return "".join(parts)


async def stream_events(
    http: HttpPool, endpoint: Endpoint, url: str, payload: Mapping[str, Any], parser: LineParser
) -> AsyncGenerator[StreamEvent, None]:
    """POST, then relay: one Delta per network read that carried text, then one Finish."""
    async with open_stream(http, endpoint, url, payload) as resp:
        async for data in resp.content.iter_any():
            text = parser.feed(data)
            if text:
                yield Delta(text)
            if parser.done:
                break
        else:
            text = parser.flush()
            if text:
                yield Delta(text)
    yield parser.finish()


def usage(prompt: object, completion: object) -> Usage | None:
    """Usage from two token counts, or None when the upstream did not give both."""
    if isinstance(prompt, int) and isinstance(completion, int):
        return Usage(prompt_tokens=prompt, completion_tokens=completion)
    return None
