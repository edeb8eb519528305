"""Secrets handed to clients: session tokens and API keys. Only their SHA-256 is stored.

Both carry 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import string

API_KEY_PREFIX = "cf-"
API_KEY_SHOWN_PREFIX = 8  # characters after "cf-" kept in the clear so a user can tell keys apart
URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def api_key_display_prefix(key: str) -> str:
    return key[: len(API_KEY_PREFIX) + API_KEY_SHOWN_PREFIX]


def looks_like_api_key(value: str) -> bool:
    body = value[len(API_KEY_PREFIX) :]
    return value.startswith(API_KEY_PREFIX) and 40 <= len(value) <= 60 and set(body) <= URL_SAFE


def looks_like_session_token(value: str) -> bool:
    return 40 <= len(value) <= 64 and set(value) <= URL_SAFE
