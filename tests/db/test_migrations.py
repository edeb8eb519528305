"""The migrations build exactly the tables in `db/tables/`, and `/readyz` watches them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from confide.app import create_app
from confide.db import alembic_ops, migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base
from confide.services.context import Context
from confide.settings import Settings
from confide.store import search
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


def _plain(index: Any) -> dict[str, Any]:
    """An index as comparable values (a partial index's WHERE clause is an object)."""
    options = {k: str(v) for k, v in index.get("dialect_options", {}).items()}
    return {**index, "dialect_options": options}


def _structure(connection: Connection) -> dict[str, Any]:
    """Everything about a schema that behaviour depends on, in a comparable form."""
    inspector = inspect(connection)
    tables: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        create = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}
        ).scalar_one()
        tables[name] = {
            "columns": sorted(  # order differs (added columns go last) and does not matter
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in inspector.get_columns(name)
            ),
            "primary_key": inspector.get_pk_constraint(name),
            "foreign_keys": sorted(
                inspector.get_foreign_keys(name), key=lambda fk: fk["constrained_columns"]
            ),
            "indexes": sorted(
                (_plain(ix) for ix in inspector.get_indexes(name)), key=lambda ix: str(ix["name"])
            ),
            "unique": sorted(
                inspector.get_unique_constraints(name), key=lambda uq: str(uq["name"])
            ),
            "without_rowid": "WITHOUT ROWID" in create.upper(),
            "autoincrement": "AUTOINCREMENT" in create.upper(),
        }
    return tables


async def test_a_new_sqlite_database_is_built_like_the_migrations_build_it(
    tmp_path: Path,
) -> None:
    """A brand-new SQLite database skips Alembic (create_all + stamp); the result must be the
    schema the migrations build, down to foreign key actions and table options."""
    fast = Database(f"sqlite+aiosqlite:///{tmp_path / 'fast.db'}")
    slow = Database(f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}")
    try:
        await migrate.upgrade(fast)
        async with slow.engine.begin() as conn:
            await conn.run_sync(alembic_ops.upgrade_to_head)
        async with fast.engine.connect() as a, slow.engine.connect() as b:
            built, migrated = await a.run_sync(_structure), await b.run_sync(_structure)
            assert await a.run_sync(_schema_diffs) == []
        assert await migrate.current_revision(fast) == HEAD
        assert set(built) == set(migrated)
        for table in migrated:
            assert built[table] == migrated[table], table
        assert any(t["without_rowid"] for t in built.values())  # the comparison sees options
    finally:
        await fast.dispose()
        await slow.dispose()


# The search index is rebuilt by 0006 on purpose (the backfill re-indexes every chat).
REBUILT_BY_DESIGN = {"search_docs", "search_terms", "search_fresh", "search_blocks"}


def _a_row_in_every_table(connection: Connection) -> dict[str, int]:
    """One row in each table of whatever schema the database has, foreign keys pointing at
    the rows made before; answers the row count of each table."""
    metadata = MetaData()
    metadata.reflect(connection)
    made: dict[tuple[str, str], Any] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        row = {column.name: _sample(column, made) for column in table.columns}
        connection.execute(table.insert().values(row))
        made |= {(table.name, name): value for name, value in row.items()}
    return _counts(connection)


def _sample(column: Any, made: dict[tuple[str, str], Any]) -> Any:
    for fk in column.foreign_keys:
        target = (fk.column.table.name, fk.column.name)
        return made.get(target)  # a self-reference (a message's parent) stays NULL
    kind = column.type.python_type if hasattr(column.type, "impl") else None
    name = type(column.type).__name__.upper()
    if "INT" in name:
        return 1
    if "BOOL" in name:
        return False
    if "FLOAT" in name or "REAL" in name:
        return 1.0
    if "BLOB" in name or "BINARY" in name:
        return b"sealed"
    if "JSON" in name:
        return {}
    if "DATE" in name or kind is datetime:
        when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        return when if "TIME" in name else when.date()
    return f"{column.table.name[:10]}-{column.name}"[:16]


def _counts(connection: Connection) -> dict[str, int]:
    names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
    return {n: connection.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}  # noqa: S608 -- table names from the schema itself


@pytest.mark.parametrize("start", ["0001", "0002", "0003", "0004", "0005", "0006", "0007"])
async def test_upgrading_an_sqlite_database_keeps_every_row(tmp_path: Path, start: str) -> None:
    """A migration that rebuilds a table (SQLite's copy, drop, rename) must not take the rows
    that refer to it along by cascade: every row of the old schema is still there."""
    old = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with old.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_ops.alembic_config(c), start))
            before = await conn.run_sync(_a_row_in_every_table)
        assert sum(before.values()) >= 8
        await migrate.upgrade(old)
        async with old.engine.connect() as conn:
            after = await conn.run_sync(_counts)
            assert await conn.run_sync(_schema_diffs) == []
        kept = {t: n for t, n in before.items() if t not in REBUILT_BY_DESIGN}
        assert {t: after[t] for t in kept} == kept
        async with old.engine.connect() as conn:
            pragma = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        assert pragma == 1  # enforcement is back on for the connections that follow
    finally:
        await old.dispose()


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


# --- 0006: the blind index in blocks ---------------------------------------------------------


def _downgrade_to_0005(connection: Connection) -> None:
    command.downgrade(alembic_ops.alembic_config(connection), "0005")


def _upgrade_to_0006(connection: Connection) -> None:
    command.upgrade(alembic_ops.alembic_config(connection), "0006")


async def test_0006_drops_old_postings_so_the_backfill_indexes_every_chat(db: Database) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    async with db.engine.begin() as conn:
        await conn.run_sync(_downgrade_to_0005)
        await conn.execute(
            text(
                "INSERT INTO users (id, email, name, role, disabled, password_hash,"
                " password_changed_at, created_at, updated_at)"
                " VALUES ('u1', 'a@example.com', 'A', 'user', false, 'x', :t, :t, :t)"
            ),
            {"t": now},
        )
        await conn.execute(
            text(
                "INSERT INTO chats (id, user_id, title, pinned, archived, created_at, updated_at)"
                " VALUES ('c1', 'u1', :title, false, false, :t, :t)"
            ),
            {"t": now, "title": b"sealed"},
        )
        await conn.execute(text("INSERT INTO search_docs (id, chat_id) VALUES (1, 'c1')"))
        await conn.execute(text("INSERT INTO search_terms (term, doc) VALUES (123, 1)"))
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade_to_0006)
        assert (await conn.execute(text("SELECT count(*) FROM search_docs"))).scalar() == 0
        assert (await conn.execute(text("SELECT count(*) FROM search_fresh"))).scalar() == 0
        assert (await conn.execute(text("SELECT count(*) FROM chats"))).scalar() == 1
    async with db.read() as session:
        assert [chat.id for chat in await search.unindexed_chats(session, 10)] == ["c1"]
    async with db.engine.begin() as conn:
        await conn.run_sync(alembic_ops.upgrade_to_head)
        assert await conn.run_sync(_schema_diffs) == []
