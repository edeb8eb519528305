"""`confide migrate-data`: copy an instance's database to another one (SQLite to PostgreSQL).

Rows are copied as stored (sealed columns stay sealed: nothing is opened), table by table in
foreign-key order, each in primary-key order, a batch per transaction. Run again after an
interruption, it resumes after the last row the target has, once it has checked that what
the target holds is exactly the source's first rows; a table already complete is skipped
after that check. The blobs are not in the database: the same storage stays in use.

A row whose self-reference (a message's parent) points at a row not copied yet goes in with
that reference empty, and gets it in the transaction that copies the row it points at. So a
copy that has reached key K always holds the source's rows up to K with references past K
empty, which is what the resume check compares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from confide.db import copy, migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base
from confide.errors import ConfideError
from confide.store.access import Principal, require_admin

URL_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
Progress = Callable[[str, int], None]  # after each committed batch: table, rows copied in it


class MigrationError(ConfideError):
    """The copy cannot start or go on; the message says why and what to do."""


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


@dataclass(frozen=True)
class MigrationReport:
    copied: int  # rows copied by this run
    skipped: list[str]  # tables found complete
    checks: list[TableCheck]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


async def migrate_data(
    principal: Principal,
    source_url: str,
    target_url: str,
    *,
    batch_rows: int = copy.BATCH_ROWS,
    progress: Progress | None = None,
) -> MigrationReport:
    require_admin(principal)
    if source_url == target_url:
        raise MigrationError("--from and --to are the same database")
    source, target = _open(source_url, "--from"), _open(target_url, "--to")
    try:
        await _check_revisions(source, target)
        await migrate.upgrade(target)
        tables = Base.metadata.sorted_tables
        starts = [await _resume_point(source, target, table) for table in tables]
        copied, skipped = 0, []
        for table, after in zip(tables, starts, strict=True):
            rows = await _copy_table(source, target, table, after, batch_rows, progress or _quiet)
            if rows is None:
                skipped.append(table.name)
            else:
                copied += rows
        async with copy.write_transaction(target.engine) as conn:
            await copy.reset_sequences(conn, Base.metadata.sorted_tables)
        return MigrationReport(copied, skipped, await _compare(source, target))
    finally:
        await source.dispose()
        await target.dispose()


def _quiet(table: str, rows: int) -> None:
    return None


def _open(url: str, option: str) -> Database:
    if not url.startswith(URL_SCHEMES):
        raise MigrationError(
            f"{option}: expected a sqlite+aiosqlite:///… or postgresql+asyncpg://… URL"
        )
    return Database(url)


async def _check_revisions(source: Database, target: Database) -> None:
    at = await migrate.current_revision(source)
    if at is None:
        raise MigrationError("the --from database holds no Confide data")
    if at != HEAD:
        known = at in migrate.known_revisions()
        raise MigrationError(
            f"the --from database is at schema revision {at}, this Confide's is {HEAD}: "
            + ("run `confide migrate` on it first" if known else "use the newer Confide")
        )
    there = await migrate.current_revision(target)
    if there is not None and there not in migrate.known_revisions():
        raise MigrationError(f"the --to database is at an unknown schema revision {there}")


async def _resume_point(source: Database, target: Database, table: Table) -> copy.Key | None:
    """The key to copy after: the target's last, once its rows are found to be the source's
    first ones (all tables are checked before anything is written)."""
    async with target.engine.connect() as conn:
        after = await copy.last_key(conn, table)
    if after is not None:
        await _check_prefix(source, target, table, after)
    return after


async def _copy_table(
    source: Database,
    target: Database,
    table: Table,
    after: copy.Key | None,
    batch_rows: int,
    progress: Progress,
) -> int | None:
    """Copy the rows after `after`; None when the table was complete already."""
    copied = 0
    while True:
        async with source.engine.connect() as conn:
            rows = await copy.page(conn, table, after, batch_rows)
            waiting = await _waiting_children(conn, table, rows, after)
        if not rows:
            return None if after is not None and copied == 0 else copied
        async with copy.write_transaction(target.engine) as conn:
            present = await copy.existing(conn, table, copy.referenced_outside(table, rows))
            await copy.insert_rows(conn, table, copy.plan_batch(table, rows, present)[0])
            await copy.set_deferred(conn, table, waiting)
        after, copied = copy.key_of(table, rows[-1]), copied + len(rows)
        progress(table.name, copied)


async def _waiting_children(
    conn: AsyncConnection, table: Table, rows: list[copy.Row], after: copy.Key | None
) -> list[copy.Deferred]:
    """Rows copied before this batch whose self-reference points into it (left empty then)."""
    own = copy.self_references(table)
    if not own or not rows or after is None:
        return []
    (pk,) = table.primary_key.columns
    keys = [row[pk.name] for row in rows]
    waiting = []
    for column in own:
        found = await conn.execute(select(pk, column).where(column.in_(keys)))
        waiting += [
            copy.Deferred(key, column.name, target) for key, target in found if (key,) <= after
        ]
    return waiting


async def _check_prefix(source: Database, target: Database, table: Table, last: copy.Key) -> None:
    """Refuse a target whose rows are not exactly the source's first rows up to `last`."""
    async with copy.snapshot(source.engine) as conn:
        ours = await copy.digest_table(conn, table, upto=last, mask_after=last)
    async with copy.snapshot(target.engine) as conn:
        theirs = await copy.digest_table(conn, table, mask_after=last)
    if (ours.count, ours.sha256) != (theirs.count, theirs.sha256):
        raise MigrationError(
            f"the --to database already holds other data (table {table.name}: {theirs.count} "
            f"rows that are not the source's): copy into an empty database"
        )


async def _compare(source: Database, target: Database) -> list[TableCheck]:
    checks = []
    async with copy.snapshot(source.engine) as ours, copy.snapshot(target.engine) as theirs:
        for table in Base.metadata.sorted_tables:
            mine = await copy.digest_table(ours, table)
            copied = await copy.digest_table(theirs, table)
            checks.append(
                TableCheck(table.name, mine.count, copied.count, mine.sha256, copied.sha256)
            )
    return checks
