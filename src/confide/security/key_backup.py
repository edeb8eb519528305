"""The master key file, wrapped under a passphrase, for a backup made with `--with-key`.

scrypt turns the passphrase into a 256-bit key (2^15 rounds of memory-hard work, so each guess
at the passphrase is slow), which seals the key file's bytes with AES-GCM. Anyone with the
archive and the passphrase can read everything in it: the passphrase is worth as much as the
key itself.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SALT_BYTES, NONCE_BYTES = 16, 12
AAD = b"confide/backup-master-key/v1"
MIN_PASSPHRASE = 8


class KeyBackupError(Exception):
    """The wrapped key cannot be opened (wrong passphrase, damaged) or written."""


def wrap_key_file(key_file: Path, passphrase: str) -> dict[str, Any]:
    """The key file's bytes, sealed under the passphrase, as a JSON-ready record."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyBackupError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")
    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(key).encrypt(nonce, key_file.read_bytes(), AAD)
    return {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "sealed": _b64(sealed),
    }


def unwrap_key_file(record: dict[str, Any], passphrase: str) -> bytes:
    """The key file's bytes; KeyBackupError for a wrong passphrase or a damaged record."""
    try:
        if record["kdf"] != "scrypt":
            raise KeyBackupError(f"unknown key derivation {record['kdf']!r}")
        n, r, p = int(record["n"]), int(record["r"]), int(record["p"])
        if n > 2**20 or r > 32 or p > 16:  # refuse a record that would exhaust memory
            raise KeyBackupError("the wrapped master key asks for too costly a derivation")
        key = _derive(passphrase, _unb64(record["salt"]), n, r, p)
        return AESGCM(key).decrypt(_unb64(record["nonce"]), _unb64(record["sealed"]), AAD)
    except InvalidTag:
        raise KeyBackupError("wrong passphrase (or the wrapped master key is damaged)") from None
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise KeyBackupError("the wrapped master key in the backup is malformed") from None


def write_key_file(path: Path, content: bytes) -> None:
    """Create the key file (0600 from the start); never replaces an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
