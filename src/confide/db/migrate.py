"""Apply Alembic migrations: from `confide migrate` and on `serve` start, never on import.

A restart on a current schema costs one query: Alembic (and Mako behind it) is imported only
when a migration actually has to run, which keeps start-up fast and idle memory small.
A brand-new SQLite database (the first `make run`) skips Alembic too: the tables are created
straight from `db/tables/` and stamped with HEAD; a test checks that this builds the same
schema as running every migration. On PostgreSQL an advisory lock makes replicas that start
together migrate one at a time, always through Alembic.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base

PG_MIGRATION_LOCK = 0x0C0F1DE  # an arbitrary constant shared by every replica

# Alembic's own bookkeeping table, as Alembic creates it.
_VERSIONS = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


async def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        async with db.engine.connect() as conn:
            row = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return row.scalar_one_or_none()
    except DBAPIError:
        return None


async def revision_in(conn: AsyncConnection) -> str | None:
    """The revision, read in the caller's transaction (a backup's snapshot)."""
    return (await conn.execute(select(_VERSIONS.c.version_num))).scalar_one_or_none()


def known_revisions() -> list[str]:
    """Every revision this code's migrations know, oldest first (imports Alembic)."""
    from confide.db import alembic_ops

    return alembic_ops.revisions()


async def is_current(db: Database) -> bool:
    return await current_revision(db) == HEAD


async def upgrade(db: Database) -> None:
    """Bring the database to HEAD (a no-op when it is there already).

    On SQLite, foreign key enforcement is off while migrations run: a migration that changes a
    table rebuilds it (copy, drop, rename), and dropping a table with enforcement on deletes,
    by cascade, every row that refers to it (a chat's messages, a user's sessions). The keys
    are checked once the migrations are done, before they commit."""
    if await is_current(db):
        return
    async with db.engine.connect() as conn:
        if db.is_sqlite:  # outside a transaction: SQLite ignores this pragma inside one
            await conn.run_sync(_enforce_foreign_keys, False)
        try:
            async with conn.begin():
                await _migrate(db, conn)
        finally:
            if db.is_sqlite:
                await conn.run_sync(_enforce_foreign_keys, True)


async def _migrate(db: Database, conn: AsyncConnection) -> None:
    if not db.is_sqlite:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
    if db.is_sqlite and await conn.run_sync(_is_empty):
        await conn.run_sync(create_at_head)
        return
    await conn.run_sync(_upgrade_sync)
    if db.is_sqlite:
        broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"The migrations left rows with dangling foreign keys: {broken[:5]}")


def _enforce_foreign_keys(connection: Connection, on: bool) -> None:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("PRAGMA foreign_keys=ON" if on else "PRAGMA foreign_keys=OFF")
    cursor.close()


def _is_empty(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


def create_at_head(connection: Connection) -> None:
    """Build an empty database's schema from the tables and stamp it HEAD (no Alembic)."""
    Base.metadata.create_all(connection)
    _VERSIONS.create(connection)
    connection.execute(_VERSIONS.insert().values(version_num=HEAD))


def _upgrade_sync(connection: Connection) -> None:
    # Imported here on purpose: Alembic is heavy and only needed when a migration runs.
    from confide.db import alembic_ops

    alembic_ops.upgrade_to_head(connection)
