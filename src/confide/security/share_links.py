"""Share links: the secret in a link, and the keys derived from it.

A link carries a 32-byte random secret (the token), written as base64url without padding. The
server never stores it in the clear: it finds the share by the token's SHA-256 (`lookup`), and
seals the snapshot with a key derived from the token by HKDF-SHA256. Whoever holds a database
dump (or is an admin) but not the link can neither find which share a link names nor open any
snapshot; whoever holds the link can do both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from confide.security.sealing import KEY_BYTES, open_sealed, seal

TOKEN_BYTES = 32
TOKEN_CHARS = 43  # base64url of 32 bytes, without padding
SNAPSHOT_INFO = b"confide share snapshot v1"
_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> bytes:
    return secrets.token_bytes(TOKEN_BYTES)


def encode_token(token: bytes) -> str:
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")


def decode_token(text: str) -> bytes | None:
    """The secret a link's text names, or None when it is not one this server could give out
    (wrong length or alphabet, or not the one canonical spelling of 32 bytes)."""
    if not _TOKEN_FORM.fullmatch(text):
        return None
    try:
        token = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        return None
    if len(token) != TOKEN_BYTES or encode_token(token) != text:
        return None
    return token


def lookup_of(token: bytes) -> bytes:
    """What the database keeps to find a share by its link: SHA-256 of the secret."""
    return hashlib.sha256(token).digest()


def snapshot_key(token: bytes) -> bytes:
    """The AES-256 key a share's snapshot is sealed with, derived from the link's secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=SNAPSHOT_INFO)
    return hkdf.derive(token)


def _snapshot_aad(share_id: str) -> bytes:
    return f"confide/share/v1|snapshot|{share_id}".encode()


def seal_snapshot(token: bytes, share_id: str, plaintext: bytes) -> bytes:
    """Seal a snapshot for the share `share_id`; only the link's secret opens it, and only
    in that share's row."""
    return seal(snapshot_key(token), _snapshot_aad(share_id), plaintext)


def open_snapshot(token: bytes, share_id: str, blob: bytes) -> bytes:
    """Open a snapshot sealed by `seal_snapshot` (SealError when the token or row is wrong)."""
    return open_sealed(snapshot_key(token), _snapshot_aad(share_id), blob)
