"""What replicas put in Redis is sealed with a key derived from the master key."""

from __future__ import annotations

from pathlib import Path

import pytest

from confide.security.sealing import KeyRing, SealError
from confide.security.transit import Transit


def test_a_sealed_event_opens_for_its_stream_only(tmp_path: Path) -> None:
    transit = Transit(KeyRing.load_or_create(tmp_path / "master.key"))
    sealed = transit.seal("a" * 32, b'{"text":"a private word"}')
    assert "private" not in sealed
    assert transit.open("a" * 32, sealed) == b'{"text":"a private word"}'
    with pytest.raises(SealError):
        transit.open("b" * 32, sealed)  # moved to another stream
    kek, _, body = sealed.partition(".")
    with pytest.raises(SealError):
        transit.open("a" * 32, f"{kek}.{body[:-4]}AAAA")  # tampered with
    with pytest.raises(SealError):
        transit.open("a" * 32, f"{kek}.not base64!")


def test_replicas_with_one_key_file_agree_and_others_cannot_read(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "master.key")
    one, two = Transit(ring), Transit(KeyRing.load(tmp_path / "master.key"))
    assert two.open("s" * 32, one.seal("s" * 32, b"hello")) == b"hello"
    assert one.name("login:account:ada@example.com") == two.name("login:account:ada@example.com")
    stranger = Transit(KeyRing.load_or_create(tmp_path / "elsewhere.key"))
    with pytest.raises(SealError):
        stranger.open("s" * 32, one.seal("s" * 32, b"hello"))
    assert stranger.name("x") != one.name("x")


def test_events_sealed_before_a_key_rotation_still_open(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path / "master.key")
    transit = Transit(ring)
    before = transit.seal("s" * 32, b"before")
    new_id = ring.add_new_key()
    after = transit.seal("s" * 32, b"after")
    assert after.startswith(f"{new_id}.")
    assert transit.open("s" * 32, before) == b"before"
    assert Transit(KeyRing.load(tmp_path / "master.key")).open("s" * 32, after) == b"after"
