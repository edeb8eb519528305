"""Blind index: a keyed HMAC of normalized terms, so equal words can be found without the
database ever holding them.

Each user has their own index key, derived from their data key: the same word gives different
values for different users, and shredding the data key makes their index meaningless too.
Normalization: Unicode NFKD, combining marks dropped (accents folded), case folded.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

INDEX_KEY_INFO = b"confide blind index v1"
MAX_TERM_CHARS = 64
_WORD = re.compile(r"\w+")


def index_key(dek: bytes) -> bytes:
    """The user's blind-index key: a PRF of their (uniformly random) data key."""
    return hmac.new(dek, INDEX_KEY_INFO, hashlib.sha256).digest()


def normalize(text: str) -> str:
    if text.isascii():  # nothing to decompose or fold but case (the common case, and fast)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return unicodedata.normalize("NFC", folded)


def terms(text: str) -> list[str]:
    """The words of `text`, normalized, in order (a word longer than 64 characters is cut)."""
    return [word[:MAX_TERM_CHARS] for word in _WORD.findall(normalize(text))]


def digest(key: bytes, value: str, *, kind: str = "t") -> int:
    """64 bits of HMAC-SHA256 as a signed integer (it fits a BIGINT column). `kind` keeps
    different uses of one key apart (a term and a prefix never collide by construction)."""
    return digest_with(keyed(key), value, kind=kind)


def keyed(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 keyed once, to copy for each value (cheaper than keying each time)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def digest_with(mac: hmac.HMAC, value: str, *, kind: str = "t") -> int:
    """`digest` with a key prepared by `keyed`."""
    one = mac.copy()
    one.update(f"{kind}:{value}".encode())
    return int.from_bytes(one.digest()[:8], "big", signed=True)
