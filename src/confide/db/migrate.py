"""Apply Alembic migrations: from `confide migrate` and on `serve` start, never on import.

A restart on a current schema costs one query: Alembic (and Mako behind it) is imported only
when a migration actually has to run, which keeps start-up fast and idle memory small.
On PostgreSQL an advisory lock makes replicas that start together migrate one at a time.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from confide.db.engine import Database
from confide.db.migrations import HEAD

PG_MIGRATION_LOCK = 0x0C0F1DE  # an arbitrary constant shared by every replica


async def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        async with db.engine.connect() as conn:
            row = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return row.scalar_one_or_none()
    except DBAPIError:
        return None


async def is_current(db: Database) -> bool:
    return await current_revision(db) == HEAD


async def upgrade(db: Database) -> None:
    """Bring the database to HEAD (a no-op when it is there already)."""
    if await is_current(db):
        return
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        await conn.run_sync(_upgrade_sync)


def _upgrade_sync(connection: Connection) -> None:
    # Imported here on purpose: Alembic is heavy and only needed when a migration runs.
    from confide.db import alembic_ops

    alembic_ops.upgrade_to_head(connection)
