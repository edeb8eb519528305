"""Backup and restore: every user sees the same after a round trip; bad archives, wrong keys
and a used target are refused, and a refused restore leaves nothing behind."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from confide.db.engine import Database
from confide.db.tables import User
from confide.security.key_backup import KeyBackupError
from confide.security.sealing import KeyRing
from confide.services.backup_archive import MANIFEST, BackupError
from confide.services.backups import create_backup
from confide.services.restores import restore_backup
from confide.settings import Settings
from confide.store.access import Principal
from tests.conftest import (
    PG_SERVER,
    _pg_create_database,
    _pg_drop_database,
    _truncate_all,
    make_settings,
    new_bucket,
    object_names,
    s3_settings,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.populated import (
    backward_chain,
    parents,
    populate,
    running,
    seen,
    seen_by,
    small_instance,
)

PASSPHRASE = "correct horse battery staple"
CLI = Principal.cli()


@pytest.fixture
async def source(settings: Settings, db_kind: str) -> Settings:
    if db_kind == "postgresql":
        await _truncate_all(settings.sqlalchemy_url)
    return settings


@pytest.fixture
async def target(tmp_path: Path, db_kind: str) -> AsyncIterator[Settings]:
    """A new instance's settings: its own data dir, and a database nobody has used."""
    root = tmp_path / "restored"
    if db_kind == "sqlite":
        yield make_settings(root, f"sqlite+aiosqlite:///{root / 'data' / 'confide.db'}")
        return
    name = f"confide_restore_{uuid.uuid4().hex[:12]}"
    await _pg_create_database(name)
    yield make_settings(root, PG_SERVER.rsplit("/", 1)[0] + f"/{name}")
    await _pg_drop_database(name)


def given(passphrase: str) -> Callable[[], str]:
    return lambda: passphrase


def never() -> str:
    raise AssertionError("asked for a passphrase it does not need")


async def test_round_trip_with_key(source: Settings, target: Settings, tmp_path: Path) -> None:
    async with FakeOpenAI.running() as fake:
        await populate(source, fake)
    before = await seen(source)
    archive = tmp_path / "instance.confide"
    report = await create_backup(CLI, source, archive, passphrase=PASSPHRASE)
    assert report.with_key and report.files == 3 and report.missing_blobs == []
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not target.key_file.exists()

    restored = await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))

    assert restored.key_restored and restored.rows == report.rows and restored.files == 3
    assert target.key_file.read_bytes() == source.key_file.read_bytes()
    assert stat.S_IMODE(target.key_file.stat().st_mode) == 0o600
    after = await seen(target)
    assert after == before
    assert len(after["bea@example.com"]["trees"]) == 2
    assert "Bea Brook's knowledge" in [b["name"] for b in after["cy@example.com"]["bases"]]


async def test_round_trip_with_files_in_s3(
    source: Settings, target: Settings, tmp_path: Path, s3_endpoint: str
) -> None:
    """Files in a bucket are backed up, and restored into the new instance's bucket."""
    there = new_bucket(s3_endpoint)
    src = make_settings(tmp_path, source.sqlalchemy_url, **s3_settings(s3_endpoint, there))
    here = new_bucket(s3_endpoint)
    root = target.data_dir.parent
    dst = make_settings(root, target.sqlalchemy_url, **s3_settings(s3_endpoint, here))
    async with FakeOpenAI.running() as fake:
        await populate(src, fake)
    before = await seen(src)
    archive = tmp_path / "s3.confide"
    assert (await create_backup(CLI, src, archive, passphrase=PASSPHRASE)).files == 3
    restored = await restore_backup(CLI, dst, archive, passphrase=given(PASSPHRASE))
    assert restored.files == 3
    assert await seen(dst) == before  # every user's files download, byte for byte
    assert len(object_names(s3_endpoint, here)) == 3


async def test_round_trip_with_the_key_copied(
    source: Settings, target: Settings, tmp_path: Path
) -> None:
    await small_instance(source)
    before = await seen_admin(source)
    archive = tmp_path / "b.tgz"
    report = await create_backup(CLI, source, archive)
    assert not report.with_key
    with pytest.raises(BackupError, match="no master key"):
        await restore_backup(CLI, target, archive, passphrase=never)
    target.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.key_file, target.key_file)
    await restore_backup(CLI, target, archive, passphrase=never)
    assert await seen_admin(target) == before


async def test_parents_after_their_children(
    source: Settings, target: Settings, tmp_path: Path
) -> None:
    chat_id = await backward_chain(source)
    await create_backup(CLI, source, tmp_path / "b.tgz")
    KeyRing.load_or_create(target.key_file)
    await restore_backup(CLI, target, tmp_path / "b.tgz", passphrase=never)
    assert await parents(target.sqlalchemy_url, chat_id) == await parents(
        source.sqlalchemy_url, chat_id
    )


async def test_refuses_to_overwrite(source: Settings, tmp_path: Path) -> None:
    await small_instance(source)
    archive = tmp_path / "b.tgz"
    archive.write_bytes(b"precious")
    with pytest.raises(BackupError, match="--force"):
        await create_backup(CLI, source, archive)
    assert archive.read_bytes() == b"precious"
    await create_backup(CLI, source, archive, force=True)
    assert tarfile.is_tarfile(archive)
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "not a tar"])
async def test_damaged_archive(
    source: Settings, target: Settings, tmp_path: Path, damage: str
) -> None:
    archive = await _archive(source, tmp_path)
    data = archive.read_bytes()
    if damage == "truncated":
        archive.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "corrupt":
        middle = len(data) // 2
        archive.write_bytes(data[:middle] + bytes(b ^ 0x5A for b in data[middle : middle + 64]))
    else:
        archive.write_bytes(b"just some text\n" * 100)
    with pytest.raises(BackupError, match=r"damaged|not a Confide backup"):
        await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    await _nothing_restored(target)


async def test_tampered_row(source: Settings, target: Settings, tmp_path: Path) -> None:
    archive = await _archive(source, tmp_path)

    def rename(name: str, data: bytes) -> bytes:
        if name != "tables/users.jsonl":
            return data
        return data.replace(b'"name":"Ada Admin"', b'"name":"Eve Evil"')

    _rewrite(archive, rename)
    with pytest.raises(BackupError, match=r"table users.*checksum"):
        await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    await _nothing_restored(target)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"format": 2}, "format 2, newer"),
        ({"schema_revision": "9999"}, "revision 9999, which this Confide does not know"),
        ({"schema_revision": "0011"}, "older schema revision 0011"),
    ],
)
async def test_refuses_unknown_format_or_revision(
    source: Settings,
    target: Settings,
    tmp_path: Path,
    change: dict[str, Any],
    refusal: str,
) -> None:
    archive = await _archive(source, tmp_path)

    def edit(name: str, data: bytes) -> bytes:
        return json.dumps(json.loads(data) | change).encode() if name == MANIFEST else data

    _rewrite(archive, edit)
    with pytest.raises(BackupError, match=refusal):
        await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    await _nothing_restored(target)


async def test_refuses_a_used_target(source: Settings, target: Settings, tmp_path: Path) -> None:
    archive = await _archive(source, tmp_path)
    await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    before = await seen_admin(target)
    with pytest.raises(BackupError, match="not empty"):
        await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    assert await seen_admin(target) == before


async def test_wrong_passphrase(source: Settings, target: Settings, tmp_path: Path) -> None:
    archive = await _archive(source, tmp_path)
    with pytest.raises(KeyBackupError, match="wrong passphrase"):
        await restore_backup(CLI, target, archive, passphrase=given("not the passphrase"))
    assert not target.key_file.exists()
    await _nothing_restored(target)


async def test_refuses_a_different_master_key(
    source: Settings, target: Settings, tmp_path: Path
) -> None:
    archive = await _archive(source, tmp_path)
    async with running(target):  # a new instance's own key, and nothing else
        pass
    theirs = target.key_file.read_bytes()
    with pytest.raises(BackupError, match="different master key"):
        await restore_backup(CLI, target, archive, passphrase=given(PASSPHRASE))
    assert target.key_file.read_bytes() == theirs
    await _nothing_restored(target)


async def test_passphrase_too_short(source: Settings, tmp_path: Path) -> None:
    await small_instance(source)
    with pytest.raises(KeyBackupError, match="at least 8"):
        await create_backup(CLI, source, tmp_path / "b.tgz", passphrase="short")
    assert not (tmp_path / "b.tgz").exists()


# --- helpers ---------------------------------------------------------------------------------


async def seen_admin(settings: Settings) -> dict[str, Any]:
    async with running(settings) as (app, _ctx):
        return await seen_by(app, "ada@example.com")


async def _archive(source: Settings, tmp_path: Path) -> Path:
    await small_instance(source)
    archive = tmp_path / "b.tgz"
    await create_backup(CLI, source, archive, passphrase=PASSPHRASE)
    return archive


def _rewrite(archive: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Rewrite the archive with each member's bytes passed through `change`."""
    with tarfile.open(archive, "r:gz") as old:
        members = [(m, old.extractfile(m).read()) for m in old.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(archive, "w:gz") as new:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


async def _nothing_restored(target: Settings) -> None:
    """No account in the target's database, no blob in its file storage, no key it made."""
    db = Database(target.sqlalchemy_url)
    try:
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(User)) == 0
    except DBAPIError as exc:  # a database never migrated has no users table: also nothing
        assert "users" in str(exc)
    finally:
        await db.dispose()
    blobs = (
        [p for p in target.files_dir.rglob("*") if p.is_file()] if target.files_dir.exists() else []
    )
    assert blobs == []
