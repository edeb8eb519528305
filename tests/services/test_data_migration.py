"""migrate-data: a SQLite instance copied to the test's database (PostgreSQL with
`--db=postgresql`) shows every user the same; an interrupted copy resumes to a verified one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import column, func, select, table, update

from confide.db.engine import Database
from confide.db.tables import Base
from confide.services.data_migration import MigrationError, migrate_data
from confide.settings import Settings
from confide.store.access import Principal
from tests.conftest import PG_SERVER, _pg_create_database, _pg_drop_database, make_settings
from tests.fakes.openai_server import FakeOpenAI
from tests.populated import backward_chain, parents, populate, seen, small_instance

CLI = Principal.cli()


class Stop(Exception):
    """Stands for the process being killed mid-copy."""


@pytest.fixture
def source(tmp_path: Path) -> Settings:
    """A SQLite instance (the usual starting point)."""
    root = tmp_path / "source"
    return make_settings(root, f"sqlite+aiosqlite:///{root / 'data' / 'confide.db'}")


@pytest.fixture
async def target_url(tmp_path: Path, db_kind: str) -> AsyncIterator[str]:
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'copy' / 'confide.db'}"
        return
    name = f"confide_copy_{uuid.uuid4().hex[:12]}"
    await _pg_create_database(name)
    yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    await _pg_drop_database(name)


async def test_every_user_sees_the_same(source: Settings, target_url: str) -> None:
    async with FakeOpenAI.running() as fake:
        await populate(source, fake)
    before = await seen(source)

    report = await migrate_data(CLI, source.sqlalchemy_url, target_url)

    assert report.ok and report.copied > 0 and report.skipped == []
    assert {c.table for c in report.checks} >= {"users", "chats", "messages", "files"}
    again = await migrate_data(CLI, source.sqlalchemy_url, target_url)  # nothing left to do
    assert again.ok and again.copied == 0 and "messages" in again.skipped
    moved = make_settings(source.data_dir.parent, target_url)  # same data dir: key and files
    assert await seen(moved) == before


async def test_interrupted_copy_resumes(source: Settings, target_url: str) -> None:
    async with FakeOpenAI.running() as fake:
        await populate(source, fake)
    batches: list[str] = []

    def stop_in_the_middle(name: str, rows: int) -> None:
        batches.append(name)
        if len(batches) == 40:
            raise Stop

    with pytest.raises(Stop):
        await migrate_data(
            CLI, source.sqlalchemy_url, target_url, batch_rows=2, progress=stop_in_the_middle
        )
    first = await _count(target_url)
    resumed = await migrate_data(CLI, source.sqlalchemy_url, target_url, batch_rows=2)

    assert resumed.ok, [c for c in resumed.checks if not c.ok]
    assert first > 0 and resumed.copied == sum(c.source_rows for c in resumed.checks) - first
    assert await seen(make_settings(source.data_dir.parent, target_url)) == await seen(source)


async def test_parents_after_their_children(source: Settings, target_url: str) -> None:
    """Messages whose parent's id sorts after theirs, copied one a batch, interrupted."""
    chat_id = await backward_chain(source)
    stopped: list[int] = []

    def stop_in_messages(name: str, rows: int) -> None:
        if name == "messages" and rows == 2:
            stopped.append(rows)
            raise Stop

    with pytest.raises(Stop):
        await migrate_data(
            CLI, source.sqlalchemy_url, target_url, batch_rows=1, progress=stop_in_messages
        )
    assert stopped == [2]
    report = await migrate_data(CLI, source.sqlalchemy_url, target_url, batch_rows=1)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert await parents(target_url, chat_id) == await parents(source.sqlalchemy_url, chat_id)


async def test_refuses_a_source_behind(source: Settings, target_url: str) -> None:
    await small_instance(source)
    db = Database(source.sqlalchemy_url)
    versions = table("alembic_version", column("version_num"))
    async with db.engine.begin() as conn:
        await conn.execute(update(versions).values(version_num="0011"))
    await db.dispose()
    with pytest.raises(MigrationError, match="run `confide migrate` on it first"):
        await migrate_data(CLI, source.sqlalchemy_url, target_url)


async def test_refuses_a_target_with_other_data(
    source: Settings, target_url: str, tmp_path: Path
) -> None:
    await small_instance(source)
    other = make_settings(tmp_path / "other", target_url)
    await small_instance(other)  # another instance's admin, with the same email
    before = await _count(target_url)
    with pytest.raises(MigrationError, match="already holds other data"):
        await migrate_data(CLI, source.sqlalchemy_url, target_url)
    assert await _count(target_url) == before


async def test_refuses_bad_urls(source: Settings) -> None:
    with pytest.raises(MigrationError, match="--to: expected"):
        await migrate_data(CLI, source.sqlalchemy_url, "mysql://somewhere/db")
    with pytest.raises(MigrationError, match="same database"):
        await migrate_data(CLI, source.sqlalchemy_url, source.sqlalchemy_url)


# --- helpers ---------------------------------------------------------------------------------


async def _count(url: str) -> int:
    """All rows of every table (to see what a copy wrote)."""
    db = Database(url)
    try:
        async with db.read() as session:
            total = 0
            for each in Base.metadata.sorted_tables:
                total += await session.scalar(select(func.count()).select_from(each)) or 0
            return total
    finally:
        await db.dispose()
