from __future__ import annotations

import pytest

from confide.security.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordHasher,
    PasswordRejected,
    check_password_rules,
)

GOOD = "a sturdy passphrase 42"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(19456)


def test_hashes_are_argon2id_and_salted(hasher: PasswordHasher) -> None:
    first, second = hasher.hash(GOOD), hasher.hash(GOOD)
    assert first.startswith("$argon2id$")
    assert "m=19456" in first
    assert first != second
    assert GOOD not in first


def test_verify_accepts_the_password_and_refuses_others(hasher: PasswordHasher) -> None:
    stored = hasher.hash(GOOD)
    assert hasher.verify(stored, GOOD) is True
    assert hasher.verify(stored, GOOD.upper()) is False
    assert hasher.verify(stored, "") is False


def test_verify_without_a_stored_hash_is_false(hasher: PasswordHasher) -> None:
    assert hasher.verify(None, GOOD) is False
    assert hasher.verify(None, "confide-dummy-password-for-timing") is False


def test_the_dummy_hash_is_made_once_off_the_start_up_path() -> None:
    hasher = PasswordHasher(19456)
    assert hasher._dummy is None  # building the hasher costs no hash
    hasher.warm()
    dummy = hasher._dummy
    assert dummy is not None
    assert dummy.startswith("$argon2id$")
    assert "m=19456" in dummy  # the same cost as a real user's hash: the same timing
    assert hasher.verify(None, GOOD) is False
    assert hasher._dummy is dummy


def test_verify_with_a_broken_hash_is_false(hasher: PasswordHasher) -> None:
    assert hasher.verify("not a hash", GOOD) is False


def test_unicode_passwords_work(hasher: PasswordHasher) -> None:
    password = "ключ-密码-🔑-clé-ünïcödé"
    stored = hasher.hash(password)
    assert hasher.verify(stored, password) is True
    assert hasher.verify(stored, password.replace("🔑", "🔒")) is False
    check_password_rules(password)


def test_rehash_is_needed_when_the_cost_changes(hasher: PasswordHasher) -> None:
    assert hasher.needs_rehash(hasher.hash(GOOD)) is False
    assert PasswordHasher(19456 * 2).needs_rehash(hasher.hash(GOOD)) is True


def test_length_limits() -> None:
    check_password_rules("x1y2z3w4v5")
    with pytest.raises(PasswordRejected, match=f"at least {MIN_LENGTH}"):
        check_password_rules("x1y2z3w4v")
    check_password_rules(("abcdefghij" * 103)[:MAX_LENGTH])
    with pytest.raises(PasswordRejected, match=f"at most {MAX_LENGTH}"):
        check_password_rules("abcdefghij" * 103)


@pytest.mark.parametrize("password", ["password123", "PassWord123", "  QWERTYUIOP  ", "1234567890"])
def test_common_passwords_are_refused_in_any_case(password: str) -> None:
    with pytest.raises(PasswordRejected, match="too common"):
        check_password_rules(password)


@pytest.mark.parametrize(
    "password", ["ada.lovelace@example.com", "ADA.LOVELACE", "Ada Lovelace-Byron"]
)
def test_the_email_or_name_is_refused(password: str) -> None:
    with pytest.raises(PasswordRejected, match="email address or name"):
        check_password_rules(password, email="ada.lovelace@example.com", name="ada lovelace-byron")


def test_too_few_distinct_characters_are_refused() -> None:
    with pytest.raises(PasswordRejected, match="too few different"):
        check_password_rules("abcabcabcabc")
    check_password_rules("abcdabcdabcd")
