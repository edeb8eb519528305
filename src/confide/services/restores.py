"""`confide restore`: a backup into an empty instance, all of it or nothing.

Refused before anything is written: a damaged archive, a format or schema revision this code
does not know, a target that already has an account, chat or file, a master key that does not
match. Then the blobs are written, and every row is loaded in one transaction that commits
only after each table's row count and checksum, read back from the database, match the
manifest; on any failure the transaction rolls back and the blobs (and a master key file this
restore created) are removed again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from confide.db import copy, migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base, Chat, File, User
from confide.security.key_backup import unwrap_key_file, write_key_file
from confide.security.sealing import KeyFileError, parse_key_ring
from confide.services.audit import record
from confide.services.backup_archive import (
    FORMAT,
    MASTER_KEY,
    ArchiveReader,
    BackupError,
    table_member,
)
from confide.settings import Settings
from confide.store.access import Principal, require_admin
from confide.store.blobs import READ_BYTES, BlobStore, blob_store

IN_USE = tuple(Base.metadata.tables[m.__tablename__] for m in (User, Chat, File))  # not empty


@dataclass(frozen=True)
class RestoreReport:
    rows: int
    tables: int
    files: int
    key_restored: bool


async def restore_backup(
    principal: Principal,
    settings: Settings,
    path: Path,
    *,
    passphrase: Callable[[], str],
) -> RestoreReport:
    """Restore the archive at `path`; `passphrase` is asked only for a wrapped master key."""
    require_admin(principal)
    reader = ArchiveReader(path)
    try:
        _check_manifest(reader.manifest)
        new_key = _key_to_write(reader, settings, passphrase)
        db = Database(settings.sqlalchemy_url)
        try:
            await migrate.upgrade(db)
            await _refuse_in_use(db)
            await _restore(reader, db, blob_store(settings), settings, new_key)
            async with db.write() as session:
                await record(session, principal, "backup.restored", key=new_key is not None)
        finally:
            await db.dispose()
    finally:
        reader.close()
    manifest = reader.manifest
    return RestoreReport(
        rows=sum(t["rows"] for t in manifest["tables"].values()),
        tables=len(manifest["tables"]),
        files=manifest["files"]["count"],
        key_restored=new_key is not None,
    )


def _check_manifest(manifest: dict[str, Any]) -> None:
    if manifest["format"] > FORMAT:
        raise BackupError(
            f"this backup has format {manifest['format']}, newer than this Confide reads "
            f"({FORMAT}): restore it with a newer Confide"
        )
    if manifest["format"] < 1 or not isinstance(manifest.get("tables"), dict):
        raise BackupError("the backup's manifest is malformed")
    revision = manifest.get("schema_revision")
    if revision == HEAD:
        return
    if revision not in migrate.known_revisions():
        raise BackupError(
            f"this backup was made at schema revision {revision}, which this Confide does not "
            f"know (it is at {HEAD}): restore it with the newer Confide that made it"
        )
    raise BackupError(
        f"this backup was made at the older schema revision {revision} (this Confide is at "
        f"{HEAD}): restore it with the Confide version that made it "
        f"({manifest.get('confide_version')}), then upgrade Confide and run `confide migrate`"
    )


def _key_to_write(
    reader: ArchiveReader, settings: Settings, passphrase: Callable[[], str]
) -> bytes | None:
    """The master key file to create from the archive, if it carries one and none exists;
    refuses a different key already in place, or no key at all."""
    path = settings.key_file
    if not reader.has(MASTER_KEY):
        if not path.exists():
            raise BackupError(
                f"no master key at {path}, and this backup does not carry one: put the master "
                "key of the instance it was made from there first"
            )
        return None
    content = unwrap_key_file(reader.read_json(MASTER_KEY), passphrase())
    try:
        carried = parse_key_ring(content.decode("ascii"), "the backup's master key")
    except (UnicodeDecodeError, KeyFileError):
        raise BackupError("the master key in this backup is malformed") from None
    if not path.exists():
        return content
    if list(_ring_keys(path).items()) != list(carried.items()):
        raise BackupError(
            f"a different master key is already at {path}; move it away to restore this "
            "backup's key (or restore into an instance that has no key yet)"
        )
    return None


def _ring_keys(path: Path) -> dict[str, bytes]:
    return parse_key_ring(path.read_text("ascii"), f"master key file {path}")


async def _refuse_in_use(db: Database) -> None:
    async with db.engine.connect() as conn:
        for table in IN_USE:
            found = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            if found:
                raise BackupError(
                    f"the target instance is not empty ({found} rows in {table.name}): restore "
                    "only into a new instance"
                )


async def _restore(
    reader: ArchiveReader, db: Database, blobs: BlobStore, settings: Settings, key: bytes | None
) -> None:
    """Blobs first, then the master key file (when the backup brings it), then the rows in
    one transaction; whatever was written is removed again when anything fails."""
    written: list[str] = []
    key_written = False
    try:
        await _write_blobs(reader, blobs, written)
        if key is not None:
            write_key_file(settings.key_file, key)
            key_written = True
        await _load(reader, db, settings.key_file)
    except BaseException:
        for blob in written:
            await blobs.delete(blob)
        if key_written:
            settings.key_file.unlink(missing_ok=True)
        raise


async def _write_blobs(reader: ArchiveReader, blobs: BlobStore, written: list[str]) -> None:
    count, size = 0, 0
    for name in reader.names("blobs/"):
        key = name.removeprefix("blobs/")
        with reader.open(name) as handle:
            try:
                size += await blobs.write(key, _pieces(handle))
            except ValueError:
                raise BackupError(f"the backup holds a file under a bad name ({name!r})") from None
        written.append(key)
        count += 1
    expected = reader.manifest.get("files") or {}
    if (count, size) != (expected.get("count"), expected.get("bytes")):
        raise BackupError(
            f"the backup holds {count} files ({size} bytes), its manifest says "
            f"{expected.get('count')} ({expected.get('bytes')} bytes): it is damaged or altered"
        )


async def _pieces(handle: IO[bytes]) -> AsyncIterator[bytes]:
    while piece := handle.read(READ_BYTES):
        yield piece


async def _load(reader: ArchiveReader, db: Database, key_file: Path) -> None:
    tables = Base.metadata.sorted_tables
    if set(reader.manifest["tables"]) != {table.name for table in tables}:
        raise BackupError("the backup's tables do not match this schema: it was altered")
    async with copy.write_transaction(db.engine) as conn:
        for table in reversed(tables):  # leftovers of an instance nobody has used yet
            await conn.execute(delete(table))
        keks: set[str] = set()
        try:
            for table in tables:
                keks |= await _load_table(reader, conn, table)
        except IntegrityError as exc:
            raise BackupError(
                f"the backup's rows do not fit together ({type(exc.orig).__name__}): "
                "it is damaged or altered; nothing was restored"
            ) from None
        await copy.reset_sequences(conn, tables)
        for table in tables:
            await _verify(reader.manifest["tables"][table.name], conn, table)
        _check_master_key(keks, key_file)


async def _load_table(reader: ArchiveReader, conn: AsyncConnection, table: Table) -> set[str]:
    """Insert the table's rows; answers the master key ids its rows name (`kek_id`)."""
    kinds = copy.table_kinds(table)
    if reader.manifest["tables"][table.name].get("columns") != kinds:
        raise BackupError(f"table {table.name} in the backup does not match this schema")
    member, deferred = table_member(table.name), []
    if not reader.has(member):
        raise BackupError(f"the backup has no rows for table {table.name}: it is damaged")
    with reader.open(member) as handle:
        batch: list[copy.Row] = []
        for number, line in enumerate(handle, start=1):
            batch.append(_decoded(kinds, line, table.name, number))
            if len(batch) == copy.BATCH_ROWS:
                deferred += await _insert(conn, table, batch)
                batch = []
        deferred += await _insert(conn, table, batch)
    await copy.set_deferred(conn, table, deferred)
    if "kek_id" not in kinds:
        return set()
    return set((await conn.execute(select(table.c.kek_id).distinct())).scalars())


def _decoded(kinds: dict[str, str], line: bytes, table: str, number: int) -> copy.Row:
    try:
        return copy.decode_row(kinds, json.loads(line))
    except ValueError as exc:
        raise BackupError(f"table {table} in the backup, row {number}: {exc}") from None


async def _insert(
    conn: AsyncConnection, table: Table, batch: list[copy.Row]
) -> list[copy.Deferred]:
    present = await copy.existing(conn, table, copy.referenced_outside(table, batch))
    rows, deferred = copy.plan_batch(table, batch, present)
    await copy.insert_rows(conn, table, rows)
    return deferred


async def _verify(expected: dict[str, Any], conn: AsyncConnection, table: Table) -> None:
    digest = await copy.digest_table(conn, table)
    if (digest.count, digest.sha256) != (expected.get("rows"), expected.get("sha256")):
        raise BackupError(
            f"table {table.name}: {digest.count} rows restored, the manifest says "
            f"{expected.get('rows')}, or their checksum differs: the backup is damaged or was "
            "altered; nothing was restored"
        )


def _check_master_key(keks: set[str], key_file: Path) -> None:
    missing = keks - set(_ring_keys(key_file))
    if missing:
        raise BackupError(
            f"the backup's data keys are wrapped with master key {', '.join(sorted(missing))}, "
            f"which {key_file} does not hold: put the right master key there first"
        )
