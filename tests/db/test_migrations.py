"""The migrations build exactly the tables in `db/tables.py`, and `/readyz` watches them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from confide.app import create_app
from confide.db import alembic_ops, migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base
from confide.services.context import Context
from confide.settings import Settings
from tests.conftest import new_client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _schema_diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def test_head_names_the_newest_migration() -> None:
    assert alembic_ops.script_head() == HEAD


async def test_the_migrated_schema_matches_the_tables(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_schema_diffs) == []


async def test_the_comparison_does_see_a_difference(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP INDEX ix_users_role"))
        diffs = await conn.run_sync(_schema_diffs)
        await conn.rollback()
    assert [diff[0] for diff in diffs] == ["add_index"]


async def test_upgrade_is_idempotent(db: Database) -> None:
    assert await migrate.current_revision(db) == HEAD
    await migrate.upgrade(db)
    async with db.engine.begin() as conn:  # Alembic itself, past migrate's shortcut
        await conn.run_sync(alembic_ops.upgrade_to_head)
    async with db.engine.connect() as conn:
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert await conn.run_sync(_schema_diffs) == []
    assert [v[0] for v in versions] == [HEAD]


async def test_an_empty_sqlite_database_migrates_to_head(tmp_path: Path) -> None:
    empty = Database(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'confide.db'}")
    try:
        assert await migrate.current_revision(empty) is None
        assert not await migrate.is_current(empty)
        await migrate.upgrade(empty)
        await migrate.upgrade(empty)
        assert await migrate.is_current(empty)
        async with empty.engine.connect() as conn:
            assert await conn.run_sync(_schema_diffs) == []
    finally:
        await empty.dispose()


async def test_sqlite_pragmas_are_on(ctx: Context) -> None:
    if not ctx.db.is_sqlite:
        pytest.skip("SQLite only")
    async with ctx.db.engine.connect() as conn:
        pragmas = {
            name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}


# --- /readyz --------------------------------------------------------------------------------


async def test_readyz_is_ok_when_the_schema_is_current(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.fixture
async def other_revision(ctx: Context) -> AsyncIterator[None]:
    """The database claims another revision (restored after: PostgreSQL's is shared)."""
    query = text("UPDATE alembic_version SET version_num = :v")
    async with ctx.db.write() as session:
        await session.execute(query, {"v": "9999"})
    yield
    async with ctx.db.write() as session:
        await session.execute(query, {"v": HEAD})


async def test_readyz_answers_503_while_migrations_are_pending(
    other_revision: None, client: httpx.AsyncClient
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "migrations pending"}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://confide@127.0.0.1:1/confide",
        "sqlite+aiosqlite:///{tmp}",
    ],
    ids=["closed-port", "not-a-file"],
)
async def test_readyz_answers_503_when_the_database_is_unreachable(
    settings: Settings, ctx: Context, tmp_path: Path, url: str
) -> None:
    broken = Database(url.format(tmp=tmp_path))
    app = create_app(settings, dataclasses.replace(ctx, db=broken))
    try:
        async with new_client(app) as client:
            response = await client.get("/readyz")
    finally:
        await broken.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert "Traceback" not in response.text
