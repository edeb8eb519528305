"""Row identifiers: 32 hex characters, time-ordered (48-bit milliseconds, then 80 random bits).

Time order keeps "newest first" lists a primary-key range scan; the random part makes ids
unguessable, so an id never tells another user anything.
"""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}{secrets.token_hex(10)}"


def is_id(value: str) -> bool:
    """True when `value` has the shape of an id (used to reject junk before a query)."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
