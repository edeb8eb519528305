"""Sealing: encryption at rest with AES-256-GCM.

Two levels of keys:
- the master key (KEK) lives outside the database, in a 0600 key file (`<data dir>/master.key`
  by default). The file is a key ring: one `<key id> <base64 key>` line per key, the last one
  current, so `confide keys rotate` can add a key, re-wrap every data key, then drop the old.
- each user has a data key (DEK), stored wrapped by the KEK in `user_keys`. Content is sealed
  with the owner's DEK. Deleting the wrapped DEK makes that user's ciphertext unreadable,
  including copies in backups.

Associated data binds a ciphertext to its place (table, column, row id and owner), so a
ciphertext copied into another row, column or user's data fails to open.

Format: one version byte, the nonce, then AES-GCM's output; the version byte is part of the
associated data. Version 1 seals the plaintext as it is; version 2 seals it raw-deflated
(used for text when that makes it smaller; see SECURITY.md on what lengths then say).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = b"\x01"
FORMAT_DEFLATED = b"\x02"
COMPRESS_FROM = 64  # bytes: shorter plaintext is never compressed
NONCE_BYTES = 12
KEY_BYTES = 32
KEYFILE_HEADER = (
    "# Confide master key ring. Keep it secret, and back it up apart from the database:\n"
    "# without it no sealed data can be read.\n"
    "# One '<key id> <base64 key>' per line; the last one is current.\n"
)


class SealError(Exception):
    """A ciphertext could not be opened: wrong key, wrong place, or tampered with."""


class KeyFileError(Exception):
    """The master key file is missing, malformed or too widely readable."""


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    blob: bytes


class KeyRing:
    """The master keys, read from (and written to) the key file."""

    def __init__(self, path: Path, keys: dict[str, bytes]) -> None:
        if not keys:
            raise KeyFileError(f"master key file {path} holds no key")
        self.path = path
        self._keys = keys
        self._stamp = _file_stamp(path)

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            ring = cls(path, {_new_key_id(): secrets.token_bytes(KEY_BYTES)})
            ring._write(exclusive=True)
            return ring
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"master key file {path} is readable by others (mode {mode:o}); run chmod 600 on it"
            )
        return cls(path, _parse_keys(path))

    @property
    def current_id(self) -> str:
        self.refresh()
        return next(reversed(self._keys))

    def key(self, kek_id: str) -> bytes:
        if kek_id not in self._keys:
            self.refresh()
        try:
            return self._keys[kek_id]
        except KeyError:
            raise SealError(f"master key {kek_id} is not in the key ring") from None

    def refresh(self) -> None:
        """Pick up keys that `confide keys rotate` (another process) wrote to the file.

        Keys dropped from the file stay known in memory, so a running server keeps opening
        what it wrapped before the rotation, and wraps new data keys with the new current key.
        """
        stamp = _file_stamp(self.path)
        if stamp is None or stamp == self._stamp:
            return
        on_file = KeyRing.load(self.path)._keys
        self._keys = {k: v for k, v in self._keys.items() if k not in on_file} | on_file
        self._stamp = stamp

    def ids(self) -> list[str]:
        return list(self._keys)

    def add_new_key(self) -> str:
        """Append a fresh key (it becomes current) and save the ring."""
        kek_id = _new_key_id()
        self._keys[kek_id] = secrets.token_bytes(KEY_BYTES)
        self._write()
        return kek_id

    def keep_only(self, kek_id: str) -> None:
        """Forget every key but `kek_id` and save the ring."""
        self._keys = {kek_id: self.key(kek_id)}
        self._write()

    def _write(self, *, exclusive: bool = False) -> None:
        lines = [KEYFILE_HEADER]
        lines += [f"{kid} {base64.b64encode(key).decode()}\n" for kid, key in self._keys.items()]
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive and self.path.exists():
            tmp.unlink()
            raise KeyFileError(f"master key file {self.path} appeared while creating it")
        tmp.replace(self.path)
        self._stamp = _file_stamp(self.path)


class Sealer:
    """Creates, wraps and unwraps per-user data keys with the key ring."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def new_data_key(self, user_id: str) -> tuple[bytes, WrappedKey]:
        dek = AESGCM.generate_key(bit_length=256)
        return dek, self.wrap(user_id, dek)

    def wrap(self, user_id: str, dek: bytes) -> WrappedKey:
        kek_id = self.ring.current_id
        blob = seal(self.ring.key(kek_id), _dek_aad(user_id, kek_id), dek)
        return WrappedKey(kek_id, blob)

    def unwrap(self, user_id: str, wrapped: WrappedKey) -> bytes:
        return open_sealed(
            self.ring.key(wrapped.kek_id), _dek_aad(user_id, wrapped.kek_id), wrapped.blob
        )


def seal(key: bytes, aad: bytes, plaintext: bytes, *, compress: bool = False) -> bytes:
    """Encrypt `plaintext`; with `compress`, deflated first when that makes it smaller."""
    return seal_with(AESGCM(key), aad, plaintext, compress=compress)


def open_sealed(key: bytes, aad: bytes, blob: bytes) -> bytes:
    return open_with(AESGCM(key), aad, blob)


def seal_with(aead: AESGCM, aad: bytes, plaintext: bytes, *, compress: bool = False) -> bytes:
    """`seal` with a key already set up (a cipher that seals many values keeps one)."""
    form, body = FORMAT_V1, plaintext
    if compress and len(plaintext) >= COMPRESS_FROM:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = packer.compress(plaintext) + packer.flush()
        if len(packed) < len(plaintext):
            form, body = FORMAT_DEFLATED, packed
    nonce = secrets.token_bytes(NONCE_BYTES)
    return form + nonce + aead.encrypt(nonce, body, form + aad)


def open_with(aead: AESGCM, aad: bytes, blob: bytes) -> bytes:
    form = blob[:1]
    if len(blob) < 1 + NONCE_BYTES + 16 or form not in (FORMAT_V1, FORMAT_DEFLATED):
        raise SealError("not a sealed value")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        plaintext = aead.decrypt(nonce, body, form + aad)
    except InvalidTag:
        raise SealError("sealed value does not open here") from None
    return zlib.decompress(plaintext, -15) if form == FORMAT_DEFLATED else plaintext


def content_aad(table: str, column: str, row_id: str, owner_id: str) -> bytes:
    """Associated data binding a ciphertext to one cell of one user's row."""
    return f"confide/v1|{table}|{column}|{row_id}|{owner_id}".encode()


def _dek_aad(user_id: str, kek_id: str) -> bytes:
    return f"confide/dek/v1|{user_id}|{kek_id}".encode()


def _new_key_id() -> str:
    return secrets.token_hex(8)


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _parse_keys(path: Path) -> dict[str, bytes]:
    return parse_key_ring(path.read_text("ascii"), f"master key file {path}")


def parse_key_ring(text: str, where: str) -> dict[str, bytes]:
    """The keys of a key file's text (`where` names it in errors)."""
    keys: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            kid, encoded = line.split()
            key = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise KeyFileError(f"{where}, line {number}: malformed") from None
        if len(key) != KEY_BYTES:
            raise KeyFileError(f"{where}, line {number}: key is not 32 bytes")
        keys[kid] = key
    return keys
