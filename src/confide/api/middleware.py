"""Pure ASGI middleware for the HTTP baseline: request ids, security headers, body limits,
content types and CSRF. Each one is small and cheap enough to sit on the streaming hot path.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confide.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-confide-csrf"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


async def send_json(
    send: Send, status: int, detail: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Gives every request an id (a sane incoming X-Request-ID, or a new one) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if REQUEST_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("x-request-id", rid)
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; API answers are not cached unless the
    route says otherwise (static docs assets do)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hsts = settings.secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith(("/api/", "/v1/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:  # a route's own is stricter
                    headers["content-security-policy"] = CSP
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "no-referrer"
                headers["x-frame-options"] = "DENY"
                headers["permissions-policy"] = PERMISSIONS
                headers["cross-origin-opener-policy"] = "same-origin"
                headers["cross-origin-resource-policy"] = "same-origin"
                if self.hsts:
                    headers["strict-transport-security"] = "max-age=31536000"
                if is_api and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        size = f"{limit / 1024**2:g} MiB" if limit >= 1024**2 else f"{limit} bytes"
        super().__init__(413, f"The request body is larger than the limit of {size}.")


class BodyLimitMiddleware:
    """Refuses bodies over the limit: at once by Content-Length, else while they stream in.
    `larger` gives some paths (file imports) a limit of their own."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit():
                await send_json(send, 400, "The Content-Length header is not a number.")
                return
            if int(length) > limit:
                await send_json(send, 413, BodyTooLarge(limit).detail)
                return
        await self.app(scope, self._counting(receive, limit), send)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        return counted


class RequestGuardMiddleware:
    """No NUL characters in addresses; for unsafe methods: JSON (or multipart) bodies only
    (except on the `raw_bodies` paths, whose routes check the bytes themselves, like a
    profile picture upload), and CSRF checks for browsers.

    A request that does not carry an `Authorization` header may be riding on the session
    cookie, so it must send the `X-Confide-CSRF` header (which a cross-site form or a simple
    cross-origin request cannot add) and, when the browser names an Origin, come from ours.
    """

    def __init__(
        self, app: ASGIApp, settings: Settings, raw_bodies: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.raw_bodies = raw_bodies  # paths whose route reads and checks any body itself
        self.trusted = {
            settings.public_origin,
            *(o.lower().rstrip("/") for o in settings.cors_origins),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "\x00" in scope["path"]:
            await send_json(send, 404, "Not found: the address contains a NUL character.")
            return
        if scope["type"] == "http" and _has_nul(scope.get("query_string", b"").lower()):
            await send_json(send, 400, "The query contains a NUL character; it is never valid.")
            return
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        problem = None if scope["path"] in self.raw_bodies else _content_type_problem(headers)
        problem = problem or self._csrf_problem(scope, headers)
        if problem:
            await send_json(send, *problem)
            return
        await self.app(scope, receive, send)

    def _csrf_problem(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        if "authorization" in headers:
            return None
        if headers.get(CSRF_HEADER) != "1":
            return 403, "Missing the X-Confide-CSRF: 1 header required for this request."
        origin = headers.get("origin") or _origin_of(headers.get("referer", ""))
        if origin and origin.lower() not in self.trusted | {_own_origin(scope, headers)}:
            return 403, "This request came from another site and was refused."
        return None


def _has_nul(query: bytes) -> bool:
    """A NUL in the query string (PostgreSQL cannot even compare text holding one)."""
    return b"%00" in query or b"\x00" in query


def _content_type_problem(headers: Headers) -> tuple[int, str] | None:
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if not has_body:
        return None
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json") or media == "multipart/form-data":
        return None
    return 415, "Send the body as JSON with Content-Type: application/json."


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
