from __future__ import annotations

import hashlib
import re

import pytest

from confide.security.tokens import (
    api_key_display_prefix,
    looks_like_api_key,
    looks_like_session_token,
    new_api_key,
    new_session_token,
    token_hash,
)

URLSAFE_43 = re.compile(r"[A-Za-z0-9_-]{43}")


def test_api_keys_are_cf_and_32_random_bytes() -> None:
    key = new_api_key()
    assert key.startswith("cf-")
    assert URLSAFE_43.fullmatch(key[3:])
    assert key != new_api_key()
    assert looks_like_api_key(key)
    assert api_key_display_prefix(key) == key[:11]


def test_session_tokens_are_43_url_safe_characters() -> None:
    token = new_session_token()
    assert URLSAFE_43.fullmatch(token)
    assert token != new_session_token()
    assert looks_like_session_token(token)


def test_hashes_are_sha256_hex() -> None:
    token = new_session_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash(token))
    assert token_hash(token) != token_hash(new_session_token())


def test_hashing_does_not_choke_on_lone_surrogates() -> None:
    assert len(token_hash("\ud800junk")) == 64


@pytest.mark.parametrize(
    "value",
    ["", "cf-", "cf-short", "sk-" + "a" * 43, "cf-" + "a" * 80, "cf-" + " " * 43, "cf-" + "é" * 43],
)
def test_junk_is_not_an_api_key(value: str) -> None:
    assert not looks_like_api_key(value)


@pytest.mark.parametrize(
    "value", ["", "short", "a" * 39, "a" * 65, "a" * 42 + "!", "a" * 42 + " ", "ä" * 43]
)
def test_junk_is_not_a_session_token(value: str) -> None:
    assert not looks_like_session_token(value)
