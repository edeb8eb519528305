"""Rows as dialect-neutral data: the one encoding backup, restore and migrate-data share.

A row becomes a JSON object of its columns: datetimes as ISO-8601 UTC (`...Z`), dates as ISO
dates, bytes as base64, JSON as JSON, the rest as they are. Sealed columns are bytes here like
any other: rows are copied as stored, never opened. A table's checksum is the SHA-256 of its
rows' canonical lines (sorted keys, no spaces) in primary-key order, so the same rows give the
same checksum on SQLite and PostgreSQL. Primary keys are ordered byte-wise on both (PostgreSQL
compares text with its "C" collation here, as SQLite does by default), which keeps the order,
and so the checksums and a resumed copy's position, the same on both.

Works on any table of the metadata (or reflected), never a list of names: a table added by a
later migration is copied like the rest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeDecorator, TypeEngine

from confide.db.engine import WRITE_OPTION

BATCH_ROWS = 500
Row = dict[str, Any]  # a row as the database driver gives it
Key = tuple[Any, ...]  # a primary key's values, in the table's primary key order


class RowFormatError(ValueError):
    """A row from an archive does not fit the table (a column or value of the wrong kind)."""


def column_kind(column: Column[Any]) -> str:
    """How a column's values are encoded: the dialect-neutral kind of its type."""
    type_: TypeEngine[Any] = column.type
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    for kind, classes in _KINDS:
        if isinstance(type_, classes):
            return kind
    raise TypeError(f"column {column.table.name}.{column.name}: no encoding for {type_!r}")


_KINDS: tuple[tuple[str, type | tuple[type, ...]], ...] = (
    ("json", JSON),
    ("bytes", LargeBinary),
    ("datetime", DateTime),
    ("date", Date),
    ("bool", Boolean),
    ("int", Integer),
    ("float", (Float, Numeric)),
    ("text", String),
)


def table_kinds(table: Table) -> dict[str, str]:
    return {column.name: column_kind(column) for column in table.columns}


def encode_row(kinds: dict[str, str], row: Row) -> dict[str, Any]:
    return {name: _encode(kind, row[name]) for name, kind in kinds.items()}


def canonical(encoded: dict[str, Any]) -> bytes:
    """The one byte form of an encoded row: what is hashed, and a line of an archive."""
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode() + b"\n"


def decode_row(kinds: dict[str, str], encoded: Any, *, naive: bool = False) -> Row:
    """An archive's row back into values for an insert; `naive` gives datetimes without a
    zone (UTC) for reflected columns, which take them so."""
    if not isinstance(encoded, dict) or set(encoded) != set(kinds):
        raise RowFormatError("a row's columns do not match the table's")
    try:
        return {name: _decode(kind, encoded[name], naive) for name, kind in kinds.items()}
    except (TypeError, ValueError, binascii.Error) as exc:
        raise RowFormatError(f"a value does not fit its column ({exc})") from None


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        moment = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return moment.isoformat(timespec="microseconds") + "Z"
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "float":
        return float(value)
    return value


def _decode(kind: str, value: Any, naive: bool) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        if not isinstance(value, str) or not value.endswith("Z"):
            raise ValueError("not a UTC time")
        moment = datetime.fromisoformat(value[:-1])
        return moment if naive else moment.replace(tzinfo=UTC)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    return _checked(kind, value)


_PLAIN: dict[str, type | tuple[type, ...]] = {
    "text": str,
    "bool": bool,
    "int": int,
    "float": (int, float),
}


def _checked(kind: str, value: Any) -> Any:
    expected: Any = _PLAIN.get(kind)
    if expected is None:  # json: any JSON value
        return value
    if not isinstance(value, expected) or (kind != "bool" and isinstance(value, bool)):
        raise TypeError(f"expected {kind}")
    return float(value) if kind == "float" else value


@dataclass
class Digest:
    """A running row count and checksum of rows fed in primary-key order."""

    count: int = 0
    _hash: Any = field(default_factory=hashlib.sha256)

    def add(self, line: bytes) -> None:
        self.count += 1
        self._hash.update(line)

    @property
    def sha256(self) -> str:
        return str(self._hash.hexdigest())


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One read-only transaction that sees the whole database as of one moment: REPEATABLE
    READ on PostgreSQL; on SQLite (WAL) a read transaction sees one moment by itself."""
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with conn.begin():
            yield conn


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A Core connection in a write transaction (`BEGIN IMMEDIATE` on SQLite, see engine.py)."""
    async with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        yield conn


# --- reading in primary-key order --------------------------------------------------------------


def ordered_key(conn: AsyncConnection, table: Table) -> list[ColumnElement[Any]]:
    """The primary key's columns as an ORDER BY compares them: byte-wise on both dialects."""
    postgres = conn.dialect.name == "postgresql"
    return [
        column.collate("C") if postgres and column_kind(column) == "text" else column
        for column in table.primary_key.columns
    ]


def key_of(table: Table, row: Row) -> Key:
    return tuple(row[column.name] for column in table.primary_key.columns)


async def stream_rows(
    conn: AsyncConnection, table: Table, *, after: Key | None = None, upto: Key | None = None
) -> AsyncIterator[list[Row]]:
    """The table's rows in primary-key order, a batch at a time (after/upto: a key range)."""
    key = ordered_key(conn, table)
    query = select(table).order_by(*key)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    if upto is not None:
        query = query.where(tuple_(*key) <= tuple_(*upto))
    result = await conn.stream(query.execution_options(yield_per=BATCH_ROWS))
    async for partition in result.mappings().partitions(BATCH_ROWS):
        yield [dict(row) for row in partition]


async def page(conn: AsyncConnection, table: Table, after: Key | None, limit: int) -> list[Row]:
    """Up to `limit` rows after the key `after`, in primary-key order (one short query)."""
    key = ordered_key(conn, table)
    query = select(table).order_by(*key).limit(limit)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def last_key(conn: AsyncConnection, table: Table) -> Key | None:
    key = ordered_key(conn, table)
    query = select(*table.primary_key.columns).order_by(*(k.desc() for k in key)).limit(1)
    row = (await conn.execute(query)).first()
    return tuple(row) if row is not None else None


async def digest_table(
    conn: AsyncConnection, table: Table, *, upto: Key | None = None, mask_after: Key | None = None
) -> Digest:
    """Count and checksum of the table's rows (up to the key `upto`, when given).

    `mask_after` reads self-references to rows after that key as empty: what a copy that has
    reached that key holds (see `plan_batch`), so a partial copy can be compared."""
    kinds, digest = table_kinds(table), Digest()
    own = self_references(table)
    async for batch in stream_rows(conn, table, upto=upto):
        for row in batch:
            if mask_after is not None:
                row = _masked(row, own, mask_after)
            digest.add(canonical(encode_row(kinds, row)))
    return digest


def _masked(row: Row, own: Sequence[Column[Any]], after: Key) -> Row:
    later = {c.name for c in own if row[c.name] is not None and (row[c.name],) > after}
    return {name: None if name in later else value for name, value in row.items()}


# --- writing, self-references first --------------------------------------------------------------


def self_references(table: Table) -> list[Column[Any]]:
    """Columns with a foreign key to the table's own (single-column) primary key, such as a
    message's parent: a row may come before the row it points at, so those wait."""
    own = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
    if own and len(table.primary_key.columns) != 1:
        raise TypeError(f"table {table.name}: self-reference over a composite primary key")
    return own


@dataclass(frozen=True)
class Deferred:
    """A self-reference left empty at insert, set once the row it points at is in."""

    key: Any
    column: str
    target: Any


def plan_batch(
    table: Table, rows: Iterable[Row], present: set[Any]
) -> tuple[list[Row], list[Deferred]]:
    """Order a batch so a row follows the rows it points at; a reference to a row that is
    neither `present` (already written) nor in the batch is emptied and returned to set later.
    Rows stay in primary-key order otherwise."""
    own = self_references(table)
    if not own:
        return list(rows), []
    (pk,) = (c.name for c in table.primary_key.columns)
    batch = {row[pk]: row for row in rows}
    ordered: list[Row] = []
    deferred: list[Deferred] = []
    placed: set[Any] = set()

    def place(key: Any, trail: frozenset[Any]) -> None:
        row = dict(batch[key])
        for column in own:
            target = row[column.name]
            if target is None or target in present or target in placed:
                continue
            if target in batch and target not in trail:
                place(target, trail | {key})
                if target in placed:
                    continue
            row[column.name] = None
            deferred.append(Deferred(key, column.name, target))
        if key not in placed:
            placed.add(key)
            ordered.append(row)

    for key in list(batch):
        if key not in placed:
            place(key, frozenset())
    return ordered, deferred


def referenced_outside(table: Table, rows: Iterable[Row]) -> set[Any]:
    """The keys a batch's self-references point at outside the batch (to look up)."""
    own = self_references(table)
    if not own:
        return set()
    (pk,) = (c.name for c in table.primary_key.columns)
    keys = {row[pk] for row in rows}
    return {row[c.name] for row in rows for c in own if row[c.name] not in keys} - {None}


async def existing(conn: AsyncConnection, table: Table, keys: set[Any]) -> set[Any]:
    """Which of these primary keys (of a single-column key) the table holds."""
    if not keys:
        return set()
    (pk,) = table.primary_key.columns
    found = await conn.execute(select(pk).where(pk.in_(sorted(keys))))
    return set(found.scalars())


async def insert_rows(conn: AsyncConnection, table: Table, rows: list[Row]) -> None:
    if rows:
        await conn.execute(table.insert(), rows)


async def set_deferred(conn: AsyncConnection, table: Table, fixes: list[Deferred]) -> None:
    """Set the references left empty; columns the table updates by itself (`updated_at`)
    keep the copied value."""
    if not fixes:
        return
    (pk,) = table.primary_key.columns
    keep = {column.name: column for column in table.columns if column.onupdate is not None}
    for fix in fixes:
        change = update(table).where(pk == fix.key).values({**keep, fix.column: fix.target})
        await conn.execute(change)


async def reset_sequences(conn: AsyncConnection, tables: Iterable[Table]) -> None:
    """After rows came in with their own ids, PostgreSQL's id sequences must continue after
    them (SQLite's AUTOINCREMENT keeps track by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        await conn.execute(select(func.setval(sequence, highest, False)))
