"""`confide backup`: the whole instance, as it is at one moment, in one archive.

Every table is read in one snapshot transaction, and the uploaded files' blobs (sealed bytes,
as stored) while it is open, so the rows and the files agree. Rows are spooled to a private
temporary directory first: the manifest, with each table's count and checksum, leads the
archive, so a restore can refuse a backup before reading the rest. Nothing is opened: sealed
columns stay sealed. The master key is left out unless asked for, wrapped under a passphrase.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from confide import __version__
from confide.db import copy, migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import Base, File
from confide.security.key_backup import wrap_key_file
from confide.services.audit import record
from confide.services.backup_archive import (
    FORMAT,
    MANIFEST,
    MASTER_KEY,
    ArchiveWriter,
    BackupError,
    blob_member,
    table_member,
)
from confide.settings import Settings
from confide.store.access import Principal, require_admin
from confide.store.blobs import BlobStore, blob_store

FILES = Base.metadata.tables[File.__tablename__]


@dataclass(frozen=True)
class BackupReport:
    path: Path
    rows: int
    tables: int
    files: int
    file_bytes: int
    missing_blobs: list[str]
    with_key: bool


async def create_backup(
    principal: Principal,
    settings: Settings,
    path: Path,
    *,
    force: bool = False,
    passphrase: str | None = None,
) -> BackupReport:
    """Write the archive to `path` (refusing to replace a file unless `force`); with a
    `passphrase`, the master key goes in too, wrapped under it."""
    require_admin(principal)
    key = _wrapped_key(settings, passphrase) if passphrase is not None else None
    writer = ArchiveWriter(path, force=force)
    spool = path.with_name(f"{writer.partial.name}.spool")
    db = Database(settings.sqlalchemy_url)
    try:
        spool.mkdir(mode=0o700)
        manifest, blobs = await _spool(db, blob_store(settings), spool)
        manifest["master_key"] = "wrapped" if key else "absent"
        _assemble(writer, spool, manifest, key, blobs)
        writer.commit()
        async with db.write() as session:
            await record(session, principal, "backup.created", with_key=key is not None)
    except BaseException:
        writer.abort()
        raise
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        await db.dispose()
    return _report(path, manifest)


def _wrapped_key(settings: Settings, passphrase: str) -> dict[str, Any]:
    if not settings.key_file.is_file():
        raise BackupError(f"no master key at {settings.key_file} to include")
    return wrap_key_file(settings.key_file, passphrase)


async def _spool(db: Database, blobs: BlobStore, spool: Path) -> tuple[dict[str, Any], list[str]]:
    """Rows and blobs into `spool`, all read in one snapshot; answers the manifest and the
    keys of the blobs spooled (in order)."""
    async with copy.snapshot(db.engine) as conn:
        revision = await migrate.revision_in(conn)
        if revision != HEAD:
            raise BackupError(
                f"the database is at schema revision {revision}, this Confide's is {HEAD}: "
                "run `confide migrate` first"
            )
        tables = {t.name: await _spool_table(conn, t, spool) for t in Base.metadata.sorted_tables}
        files, copied = await _spool_blobs(blobs, await _blob_keys(conn), spool / "blobs")
    manifest = {
        "format": FORMAT,
        "confide_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "dialect": db.engine.dialect.name,
        "schema_revision": revision,
        "tables": tables,
        "files": files,
    }
    return manifest, copied


async def _spool_table(conn: AsyncConnection, table: Table, spool: Path) -> dict[str, Any]:
    kinds, digest = copy.table_kinds(table), copy.Digest()
    with (spool / f"{table.name}.jsonl").open("wb") as out:
        async for batch in copy.stream_rows(conn, table):
            for row in batch:
                line = copy.canonical(copy.encode_row(kinds, row))
                digest.add(line)
                out.write(line)
    return {"rows": digest.count, "sha256": digest.sha256, "columns": kinds}


async def _blob_keys(conn: AsyncConnection) -> list[str]:
    keys: list[str] = []
    async for batch in copy.stream_rows(conn, FILES):
        keys += [row["blob"] for row in batch]
    return sorted(keys)


async def _spool_blobs(
    blobs: BlobStore, keys: list[str], into: Path
) -> tuple[dict[str, Any], list[str]]:
    """Copy each blob's bytes (spooled as `into/<n>`, never under a name from the database);
    a blob already gone (its file deleted after the snapshot began) is listed as missing
    rather than failing the whole backup. Answers the totals and the keys copied, in order."""
    await asyncio.to_thread(into.mkdir)
    size, copied, missing = 0, list[str](), list[str]()
    for key in keys:
        target = into / str(len(copied))
        try:
            with target.open("wb") as out:
                async for piece in blobs.read(key):
                    out.write(piece)
                    size += len(piece)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            missing.append(key)
            continue
        copied.append(key)
    return {"count": len(copied), "bytes": size, "missing": missing}, copied


def _assemble(
    writer: ArchiveWriter,
    spool: Path,
    manifest: dict[str, Any],
    key: dict[str, Any] | None,
    blobs: list[str],
) -> None:
    writer.add_json(MANIFEST, manifest)
    if key is not None:
        writer.add_json(MASTER_KEY, key)
    for number, blob in enumerate(blobs):
        _add_spooled(writer, blob_member(blob), spool / "blobs" / str(number))
    for name in manifest["tables"]:
        _add_spooled(writer, table_member(name), spool / f"{name}.jsonl")


def _add_spooled(writer: ArchiveWriter, name: str, source: Path) -> None:
    with source.open("rb") as handle:
        writer.add_file(name, handle, source.stat().st_size)


def _report(path: Path, manifest: dict[str, Any]) -> BackupReport:
    tables = manifest["tables"]
    return BackupReport(
        path=path,
        rows=sum(t["rows"] for t in tables.values()),
        tables=len(tables),
        files=manifest["files"]["count"],
        file_bytes=manifest["files"]["bytes"],
        missing_blobs=manifest["files"]["missing"],
        with_key=manifest["master_key"] == "wrapped",
    )
