"""Apply Alembic migrations: from `confide migrate` and on `serve` start, never on import.

On PostgreSQL an advisory lock makes replicas that start together migrate one at a time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from confide.db.engine import Database
from confide.db.migrations import HEAD

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PG_MIGRATION_LOCK = 0x0C0F1DE  # an arbitrary constant shared by every replica


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def script_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


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
    command.upgrade(alembic_config(connection), "head")
