"""The secret in a share link: its spelling, its hash, and the snapshot key derived from it."""

from __future__ import annotations

import base64
import hashlib

import pytest

from confide.security import share_links
from confide.security.sealing import SealError

TOKEN = bytes(range(32))


def test_a_token_is_32_random_bytes_in_43_url_safe_characters() -> None:
    tokens = {share_links.new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) == 32 for t in tokens)
    for token in tokens:
        text = share_links.encode_token(token)
        assert len(text) == share_links.TOKEN_CHARS
        assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert share_links.decode_token(text) == token


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "B",  # the last character carries 2 bits that must be zero
        "A" * 42 + "=",
        base64.b64encode(b"\xfb" * 32).decode().rstrip("="),  # '+' and '/': not base64url
        "Å" * 43,
        "A" * 42 + "\x00",
        " " + "A" * 42,
        "A" * 43 + "\n",
    ],
    ids=[
        "empty",
        "short",
        "long",
        "not canonical",
        "padding",
        "plain base64",
        "unicode",
        "nul",
        "space",
        "newline",
    ],
)
def test_anything_else_is_no_token(text: str) -> None:
    assert share_links.decode_token(text) is None


def test_the_lookup_is_the_sha256_of_the_secret() -> None:
    assert share_links.lookup_of(TOKEN) == hashlib.sha256(TOKEN).digest()
    assert share_links.lookup_of(TOKEN) != TOKEN


def test_the_snapshot_key_is_derived_not_the_secret_or_its_hash() -> None:
    key = share_links.snapshot_key(TOKEN)
    assert len(key) == 32
    assert key == share_links.snapshot_key(TOKEN)  # deterministic
    assert key not in (TOKEN, share_links.lookup_of(TOKEN))
    assert key != share_links.snapshot_key(bytes(32))


def test_a_snapshot_opens_with_its_link_in_its_row_only() -> None:
    blob = share_links.seal_snapshot(TOKEN, "share1", b"the chat")
    assert b"the chat" not in blob
    assert share_links.open_snapshot(TOKEN, "share1", blob) == b"the chat"
    with pytest.raises(SealError):
        share_links.open_snapshot(TOKEN, "share2", blob)
    with pytest.raises(SealError):
        share_links.open_snapshot(bytes(32), "share1", blob)
