"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing megabytes of "password" is a denial of service, not security


class PasswordRejected(ValueError):
    """The password breaks a rule; the message says which, for a person."""


class PasswordHasher:
    """argon2id with a configurable memory cost; verifies in constant shape for unknown users.

    Unknown users are verified against a dummy hash with the same parameters. Making it costs
    as much as one hash (~0.1 s), so it is made off the start-up path: `warm()` (which the app
    runs in a worker thread once it is serving), or the first verify that needs it.
    """

    def __init__(self, memory_kib: int = 65536) -> None:
        self._argon2 = Argon2Hasher(time_cost=3, memory_cost=memory_kib, parallelism=2)
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def warm(self) -> None:
        """Make the dummy hash now (blocking: run it in a worker thread)."""
        self._dummy_hash()

    def _dummy_hash(self) -> str:
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._argon2.hash("confide-dummy-password-for-timing")
            return self._dummy

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Check a password; with no stored hash, spend the same time and return False."""
        try:
            return self._argon2.verify(stored_hash or self._dummy_hash(), password) and bool(
                stored_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._argon2.check_needs_rehash(stored_hash)


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    """Raise PasswordRejected when the password is too short, too long or too common."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Password must be at most {MAX_LENGTH} characters long.")
    folded = _fold(password)
    if folded in common_passwords():
        raise PasswordRejected("This password is too common; choose one that is harder to guess.")
    personal = {_fold(email), _fold(email.split("@", 1)[0]), _fold(name)} - {""}
    if folded in personal:
        raise PasswordRejected("Password must not be your email address or name.")
    if len(set(folded)) < 4:
        raise PasswordRejected("Password uses too few different characters.")


@cache
def common_passwords() -> frozenset[str]:
    text = files("confide.security").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(_fold(line) for line in text.splitlines() if line and not line.startswith("#"))


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold().strip()
