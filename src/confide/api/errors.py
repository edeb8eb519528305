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
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confide.errors import ConfideError
from confide.providers.base import ProviderError

log = logging.getLogger("confide.api")


class Problem(BaseModel):
    """One invalid part of a request: where (`loc`) and what (`msg`), never the input."""

    loc: list[str]
    msg: str


class ErrorBody(BaseModel):
    """Every error answer outside /v1: `detail` is a message written for a person."""

    detail: str
    errors: list[Problem] | None = None  # 422 only: each invalid part
    reason: str | None = None  # where a client acts on the cause ("two_factor_required")
    request_id: str | None = None  # 500 only: to find the details in the server log


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    code: int | str


class OpenAIErrorBody(BaseModel):
    """An error under /v1, in OpenAI's shape so SDKs show the message."""

    error: OpenAIErrorDetail


ERROR_STATUSES = {
    400: "Bad request: the message says what is wrong.",
    401: "Not signed in, or the session or API key is no longer valid.",
    403: "Not allowed (a role the route requires, or a failed CSRF check).",
    404: "No such resource, or it belongs to someone else (the same answer).",
    409: "Conflicts with the current state (an email in use, the last admin, ...).",
    413: "The request body is too large.",
    422: "Invalid request: `errors` lists each invalid part.",
    429: "Too many attempts; Retry-After says when to try again.",
}
# Documented on every operation (the app's `responses`), so clients and the schema fuzzing in
# tests/security/ know every answer an operation can give. /v1 answers in OpenAI's shape, except
# for what the middleware refuses before routing (a too-large body, a NUL character).
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in ERROR_STATUSES.items()
}
OPENAI_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIErrorBody | ErrorBody, "description": text}
    for status, text in ERROR_STATUSES.items()
}
DRAINING = "This server is restarting: no new replies here; retry after Retry-After seconds."
# Only the routes that start a generation answer 503 (a replica draining for shutdown).
UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"model": ErrorBody, "description": DRAINING}}
OPENAI_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": OpenAIErrorBody, "description": DRAINING}
}


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
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    extra = {"reason": exc.reason} if exc.reason else {}
    return answer(request, exc.status, exc.message, headers=headers, **extra)


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
