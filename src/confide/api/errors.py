"""One place that turns every failure into a JSON answer a person can read.

Expected errors keep their message; anything unexpected is logged with the request id and
answered with a generic 500 that reveals nothing about the server.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confide.errors import ConfideError, RateLimited
from confide.providers.base import ProviderError

log = logging.getLogger("confide.api")


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def answer(
    request: Request,
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """`{"detail": …}` everywhere; OpenAI's `{"error": {…}}` under /v1 so SDKs show it."""
    if request.url.path.startswith("/v1/"):
        kind = "invalid_request_error" if status < 500 else "server_error"
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "code": status}}
    else:
        body = {"detail": message, **extra}
    return JSONResponse(body, status_code=status, headers=headers)


async def on_confide_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ConfideError):  # pragma: no cover - registered for ConfideError only
        return await on_unexpected(request, exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return answer(request, exc.status, exc.message, headers=headers)


async def on_provider_error(request: Request, exc: Exception) -> JSONResponse:
    """A model backend failed outside a stream: its safe message, as a gateway error."""
    if not isinstance(exc, ProviderError):  # pragma: no cover - registered for it only
        return await on_unexpected(request, exc)
    status = {"not_found": 404, "rate_limited": 429, "timeout": 504}.get(exc.kind.value, 502)
    return answer(request, status, exc.message)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        return await on_unexpected(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return answer(request, exc.status_code, detail, headers=exc.headers)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if any(e.get("type") == "json_invalid" for e in errors):
        return answer(request, 400, "The request body is not valid JSON.")
    public = [_public_error(e) for e in errors[:20]]
    summary = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in public[:3])
    return answer(request, 422, f"Invalid request. {summary}", errors=public)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    rid = request_id(request)
    log.error(
        "unhandled error in %s %s [request %s]", request.method, request.url.path, rid, exc_info=exc
    )
    return answer(request, 500, "Something went wrong on the server.", request_id=rid)


def _public_error(error: dict[str, Any]) -> dict[str, Any]:
    """Only where and what: never echo the input back (it may be a password)."""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return {"loc": [str(part) for part in error.get("loc", ())], "msg": message}


def _where(loc: list[str]) -> str:
    parts = [p for p in loc if p not in {"body", "query", "path"}]
    return ".".join(parts) or "body"


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into the generic 500 inside our other middleware, so the
    answer still carries the request id and the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the one catch-all: log, answer a generic 500
            response = await on_unexpected(Request(scope), exc)
            if started:
                return  # the answer is under way (a stream); it is logged and ends here
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ConfideError, on_confide_error)
    app.add_exception_handler(ProviderError, on_provider_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
