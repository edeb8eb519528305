"""Row identifiers: 32 hex characters, time-ordered (48-bit milliseconds, then 80 random bits).

Time order keeps "newest first" lists a primary-key range scan; the random part makes ids
unguessable, so an id never tells another user anything. Ids made by one process within one
millisecond still sort in the order they were made (the random part of the next one is the
previous one's plus a random step of up to 64 bits), so rows written together without a round
trip between them (the messages of a chat) keep their order.
"""

from __future__ import annotations

import secrets
import time

RANDOM_BITS = 80
_newest = [0, 0]  # the time and random part of the newest id this process made


def new_id() -> str:
    millis, rest = time.time_ns() // 1_000_000, secrets.randbits(RANDOM_BITS)
    if millis <= _newest[0]:  # the same millisecond (or the clock went back): count on
        millis, rest = _newest[0], _newest[1] + 1 + secrets.randbits(64)
        if rest >> RANDOM_BITS:
            millis, rest = millis + 1, secrets.randbits(RANDOM_BITS)
    _newest[:] = [millis, rest]
    return f"{millis:012x}{rest:020x}"


def is_id(value: str) -> bool:
    """True when `value` has the shape of an id (used to reject junk before a query)."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
