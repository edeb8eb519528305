"""What replicas leave in Redis, sealed: reply text in stream events, and account addresses
in rate-limit key names, are not readable by whoever can read Redis (or its dump files)
without the master key.

The key is derived from the current master key (HKDF-SHA256, its own label), so every replica
with the same key file derives the same one, and a sealed event names the master key it came
from: after `confide keys rotate`, events sealed just before still open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from confide.security.sealing import KeyRing, SealError, open_with, seal_with

STREAM_LABEL = b"confide transit: redis streams v1"
NAME_LABEL = b"confide transit: redis key names v1"


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class Transit:
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._aeads: dict[str, AESGCM] = {}
        self._name_key = _derive(ring.key(ring.current_id), NAME_LABEL)

    def seal(self, stream_id: str, plaintext: bytes) -> str:
        """`plaintext` sealed to this stream (it opens under no other stream's id)."""
        kek_id = self._ring.current_id
        blob = seal_with(self._aead(kek_id), stream_id.encode(), plaintext, compress=True)
        return f"{kek_id}.{base64.b64encode(blob).decode()}"

    def open(self, stream_id: str, sealed: str) -> bytes:
        kek_id, _, body = sealed.partition(".")
        try:
            blob = base64.b64decode(body, validate=True)
        except ValueError:
            raise SealError("not a sealed value") from None
        return open_with(self._aead(kek_id), stream_id.encode(), blob)

    def name(self, value: str) -> str:
        """A stable, unguessable stand-in for `value` in a key name (an HMAC, hex)."""
        return hmac.new(self._name_key, value.encode(), hashlib.sha256).hexdigest()[:40]

    def _aead(self, kek_id: str) -> AESGCM:
        aead = self._aeads.get(kek_id)
        if aead is None:
            aead = self._aeads[kek_id] = AESGCM(_derive(self._ring.key(kek_id), STREAM_LABEL))
        return aead
