"""`confide backup`, `restore` and `migrate-data` as a person runs them: one line and a
non-zero exit for every refusal, warnings about the master key, the check table."""

from __future__ import annotations

import asyncio
import getpass
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from confide import cli
from confide.cli import main
from confide.services.data_migration import MigrationReport, TableCheck
from confide.settings import Settings
from tests.conftest import _truncate_all, make_settings
from tests.populated import running, seen_by, small_instance

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def source(settings: Settings, db_kind: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test's instance, with a little data, given to the CLI through CONFIDE_*."""
    if db_kind == "postgresql":
        asyncio.run(_truncate_all(settings.sqlalchemy_url))
    asyncio.run(small_instance(settings))
    use(settings, monkeypatch)
    return settings


def use(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CONFIDE_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CONFIDE_PASSWORD_HASH_MEMORY_KIB", str(settings.password_hash_memory_kib))


@pytest.fixture
def fresh(tmp_path: Path) -> Settings:
    """A new SQLite instance to restore into."""
    root = tmp_path / "fresh"
    return make_settings(root, f"sqlite+aiosqlite:///{root / 'data' / 'confide.db'}")


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return path


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    answers: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": answers.pop(0))
    yield answers
    assert answers == [], "not every prompt was asked"


def admin_view(settings: Settings) -> object:
    async def look() -> object:
        async with running(settings) as (app, _ctx):
            return await seen_by(app, "ada@example.com")

    return asyncio.run(look())


def one_line_error(err: str, expected: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("confide: "), err
    assert expected in lines[0], err


def test_backup_then_restore_with_the_key_copied(
    source: Settings,
    fresh: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "backup.tgz"
    assert main(["backup", str(archive)]) == 0
    out, err = capsys.readouterr()
    assert "backup written to" in out and "1 files" in out
    assert "does NOT hold the master key" in err and str(source.key_file) in err
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    assert main(["backup", str(archive)]) == 2
    one_line_error(capsys.readouterr().err, "exists; pass --force")
    assert main(["backup", str(archive), "--force"]) == 0
    capsys.readouterr()

    before = admin_view(source)
    fresh.data_dir.mkdir(parents=True)
    shutil.copy2(source.key_file, fresh.key_file)
    use(fresh, monkeypatch)
    assert main(["restore", str(archive)]) == 0
    assert "checksum matched" in capsys.readouterr().out
    assert admin_view(fresh) == before
    assert main(["restore", str(archive)]) == 2
    one_line_error(capsys.readouterr().err, "not empty")


def test_with_key_and_passphrase_file(
    source: Settings,
    fresh: Settings,
    tmp_path: Path,
    passphrase_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "backup.tgz"
    assert (
        main(["backup", str(archive), "--with-key", "--passphrase-file", str(passphrase_file)]) == 0
    )
    assert "keep the passphrase safe" in capsys.readouterr().err.lower()
    use(fresh, monkeypatch)
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    assert main(["restore", str(archive), "--passphrase-file", str(wrong)]) == 2
    one_line_error(capsys.readouterr().err, "wrong passphrase")
    assert not fresh.key_file.exists()
    assert main(["restore", str(archive), "--passphrase-file", str(passphrase_file)]) == 0
    assert f"master key restored to {fresh.key_file}" in capsys.readouterr().out
    assert fresh.key_file.read_bytes() == source.key_file.read_bytes()


def test_passphrase_prompts(
    source: Settings,
    tmp_path: Path,
    prompts: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompts += [PASSPHRASE, "something else"]
    assert main(["backup", str(tmp_path / "b.tgz"), "--with-key"]) == 2
    one_line_error(capsys.readouterr().err, "do not match")
    assert not (tmp_path / "b.tgz").exists()
    prompts += [PASSPHRASE, PASSPHRASE]
    assert main(["backup", str(tmp_path / "b.tgz"), "--with-key"]) == 0


def test_restore_refusals(
    fresh: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use(fresh, monkeypatch)
    assert main(["restore", str(tmp_path / "missing.tgz")]) == 2
    one_line_error(capsys.readouterr().err, "no such file")
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(b"\x1f\x8b" + b"\x00" * 300)
    assert main(["restore", str(junk)]) == 2
    one_line_error(capsys.readouterr().err, "damaged")


def test_migrate_data(source: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = f"sqlite+aiosqlite:///{tmp_path / 'copy.db'}"
    assert main(["migrate-data", "--from", source.sqlalchemy_url, "--to", target]) == 0
    out = capsys.readouterr().out
    assert "users" in out and "match" in out and "DIFFERENT" not in out
    assert "were not copied" in out  # the blobs note
    assert main(["migrate-data", "--from", target, "--to", "postgresql+asyncpg"]) == 2
    one_line_error(capsys.readouterr().err, "--to: expected")


def test_migrate_data_exits_non_zero_on_a_mismatch(
    source: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def differing(*args: object, **kwargs: object) -> MigrationReport:
        check = TableCheck("users", 2, 1, "a" * 64, "b" * 64)
        return MigrationReport(copied=1, skipped=[], checks=[check])

    monkeypatch.setattr(cli, "migrate_data", differing)
    assert (
        main(["migrate-data", "--from", "sqlite+aiosqlite:///a", "--to", "sqlite+aiosqlite:///b"])
        == 1
    )
    captured = capsys.readouterr()
    assert "DIFFERENT" in captured.out and "does not match" in captured.err
