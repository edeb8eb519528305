from __future__ import annotations

import base64
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from confide.security.sealing import (
    KeyFileError,
    KeyRing,
    Sealer,
    SealError,
    WrappedKey,
    content_aad,
    open_sealed,
    seal,
)

KEY = bytes(range(32))
AAD = content_aad("messages", "content", "row1", "owner1")


def test_seal_then_open_roundtrips() -> None:
    blob = seal(KEY, AAD, "hello, wörld 🌍".encode())
    assert b"hello" not in blob
    assert open_sealed(KEY, AAD, blob).decode() == "hello, wörld 🌍"


def test_compressible_text_is_sealed_deflated_and_still_opens() -> None:
    text = ("the same words again and again " * 20).encode()
    packed, plain = seal(KEY, AAD, text, compress=True), seal(KEY, AAD, text)
    assert packed[:1] == b"\x02" and plain[:1] == b"\x01" and len(packed) < len(plain) // 4
    assert open_sealed(KEY, AAD, packed) == text == open_sealed(KEY, AAD, plain)
    with pytest.raises(SealError):  # the format byte is bound: flipping it does not open
        open_sealed(KEY, AAD, b"\x01" + packed[1:])


def test_short_or_incompressible_text_is_sealed_as_it_is() -> None:
    for text in (b"short text", secrets.token_bytes(500)):
        blob = seal(KEY, AAD, text, compress=True)
        assert blob[:1] == b"\x01" and open_sealed(KEY, AAD, blob) == text


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal(KEY, AAD, b"same") != seal(KEY, AAD, b"same")


@pytest.mark.parametrize(
    "aad",
    [
        content_aad("chats", "content", "row1", "owner1"),
        content_aad("messages", "title", "row1", "owner1"),
        content_aad("messages", "content", "row2", "owner1"),
        content_aad("messages", "content", "row1", "owner2"),
    ],
    ids=["table", "column", "row", "owner"],
)
def test_a_ciphertext_does_not_open_in_another_place(aad: bytes) -> None:
    blob = seal(KEY, AAD, b"secret")
    with pytest.raises(SealError):
        open_sealed(KEY, aad, blob)


def test_a_ciphertext_does_not_open_with_another_key() -> None:
    blob = seal(KEY, AAD, b"secret")
    with pytest.raises(SealError):
        open_sealed(secrets.token_bytes(32), AAD, blob)


@pytest.mark.parametrize(
    "position", [0, 1, 13, 20, -1], ids=["version", "nonce", "body", "mid", "tag"]
)
def test_a_tampered_byte_is_detected(position: int) -> None:
    blob = bytearray(seal(KEY, AAD, b"some secret text"))
    blob[position] ^= 0x01
    with pytest.raises(SealError):
        open_sealed(KEY, AAD, bytes(blob))


@pytest.mark.parametrize(
    "make",
    [
        lambda blob: blob[:-1],
        lambda blob: blob[:20],
        lambda blob: b"",
        lambda blob: b"not a sealed value at all, just some text",
        lambda blob: blob + b"\x00",
    ],
    ids=["one-short", "truncated", "empty", "garbage", "extended"],
)
def test_truncated_or_garbage_blobs_fail(make: Callable[[bytes], bytes]) -> None:
    blob = seal(KEY, AAD, b"some secret text")
    with pytest.raises(SealError):
        open_sealed(KEY, AAD, make(blob))


# --- the key file ---------------------------------------------------------------------------


def test_key_file_is_created_private_on_first_start(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"
    ring = KeyRing.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(ring.ids()) == 1
    again = KeyRing.load_or_create(path)
    assert again.ids() == ring.ids()
    assert again.key(again.current_id) == ring.key(ring.current_id)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    KeyRing.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match=r"readable by others \(mode 644\); run chmod 600"):
        KeyRing.load(path)


def _write_key_file(path: Path, text: str) -> Path:
    path.write_text(text, "ascii")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("k1 not-base64!!\n", "line 1: malformed"),
        ("# comment\nk1\n", "line 2: malformed"),
        ("k1 a b\n", "line 1: malformed"),
        (f"k1 {base64.b64encode(b'x' * 16).decode()}\n", "line 1: key is not 32 bytes"),
        ("# only a comment\n", "holds no key"),
    ],
    ids=["not-base64", "no-key", "extra-field", "short-key", "empty"],
)
def test_a_malformed_key_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = _write_key_file(tmp_path / "master.key", content)
    with pytest.raises(KeyFileError, match=message):
        KeyRing.load(path)


def test_the_ring_keeps_several_keys_and_the_last_is_current(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    ring = KeyRing.load_or_create(path)
    first = ring.current_id
    second, third = ring.add_new_key(), ring.add_new_key()
    assert ring.ids() == [first, second, third]
    assert ring.current_id == third
    reloaded = KeyRing.load(path)
    assert reloaded.ids() == [first, second, third]
    assert reloaded.current_id == third
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reloaded.keep_only(second)
    assert KeyRing.load(path).ids() == [second]


# --- data keys ------------------------------------------------------------------------------


@pytest.fixture
def sealer(tmp_path: Path) -> Sealer:
    return Sealer(KeyRing.load_or_create(tmp_path / "master.key"))


def test_a_data_key_unwraps_for_its_user(sealer: Sealer) -> None:
    dek, wrapped = sealer.new_data_key("user-a")
    assert len(dek) == 32
    assert wrapped.kek_id == sealer.ring.current_id
    assert dek not in wrapped.blob
    assert sealer.unwrap("user-a", wrapped) == dek


def test_a_data_key_wrapped_for_one_user_does_not_unwrap_for_another(sealer: Sealer) -> None:
    _dek, wrapped = sealer.new_data_key("user-a")
    with pytest.raises(SealError):
        sealer.unwrap("user-b", wrapped)


def test_a_data_key_needs_the_master_key_it_names(sealer: Sealer) -> None:
    _dek, wrapped = sealer.new_data_key("user-a")
    with pytest.raises(SealError, match="not in the key ring"):
        sealer.unwrap("user-a", WrappedKey("0123456789abcdef", wrapped.blob))
    other = sealer.ring.add_new_key()
    with pytest.raises(SealError):
        sealer.unwrap("user-a", WrappedKey(other, wrapped.blob))


def test_a_ring_picks_up_keys_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    running = KeyRing.load_or_create(path)
    old = running.current_id
    rotating = KeyRing.load(path)
    new = rotating.add_new_key()
    assert running.current_id == new
    rotating.keep_only(new)
    assert running.key(new) == rotating.key(new)
    assert running.ids() == [old, new]  # what it wrapped before stays readable


def test_a_key_unknown_to_the_ring_and_its_file_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "master.key")
    with pytest.raises(SealError, match="not in the key ring"):
        ring.key("feedfacefeedface")
