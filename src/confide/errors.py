"""Errors the lower layers raise for the API layer to turn into HTTP answers.

Each carries a message written for a person. Another user's resource raises NotFound, exactly
like a missing one, so ids reveal nothing.
"""

from __future__ import annotations


class ConfideError(Exception):
    status = 400
    reason: str | None = None  # machine-readable, where a client acts on it (API `reason`)
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ConfideError):
    status = 400


class Unauthorized(ConfideError):
    status = 401


class Forbidden(ConfideError):
    status = 403


class NotFound(ConfideError):
    status = 404


class Conflict(ConfideError):
    status = 409


class TooLarge(ConfideError):
    status = 413


class UnsupportedType(ConfideError):
    status = 415


class Damaged(ConfideError):
    """Stored data failed its integrity check (altered, swapped or cut short): never served."""

    status = 500


class RateLimited(ConfideError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StartError(ConfideError):
    """The instance cannot start as configured (a service it needs is unreachable); the
    message is one line naming the setting."""


class Unavailable(ConfideError):
    """Not now, on this server: try again after `retry_after` seconds (e.g. it is draining
    for a restart; behind a load balancer the retry reaches another replica)."""

    status = 503

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
