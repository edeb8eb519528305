"""The database: one async engine, and read or write units of work over it.

SQLite runs in WAL mode with foreign keys on and a busy timeout. A write unit starts with
`BEGIN IMMEDIATE` on SQLite, so concurrent writers queue for the lock instead of failing when
a transaction that has read tries to write; reads use plain deferred transactions.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

WRITE_OPTION = "confide_write"
CHANGED = "confide_changed"  # session.info key: the topics a unit of work changed
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA temp_store=MEMORY",
)


class Database:
    """Owns the engine; hands out sessions for reading or for writing."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **_engine_options(url))
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine)
        self._reads = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writes = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._listeners: defaultdict[str, list[Callable[[], None]]] = defaultdict(list)
        self._announcers: list[Callable[[str], object]] = []
        self._keeper: async_sessionmaker[AsyncSession] | None = None  # see `housekeeping`
        # SQLite has one writer at a time. Writers of this process queue here, in order, rather
        # than in SQLite's busy handler, which polls with sleeps of up to 100 ms: under a burst
        # of writes that sleeping, not the writing, was most of the wait.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None

    def on_commit(self, topic: str, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed write that marked `topic` with `changed`."""
        self._listeners[topic].append(listener)

    def on_any_commit(self, announce: Callable[[str], object]) -> None:
        """Call `announce(topic)` after every committed write that marked a topic: how other
        replicas learn of it (they `tell` their own listeners)."""
        self._announcers.append(announce)

    def tell(self, topic: str) -> None:
        """Run this process's listeners of `topic` (another replica committed a change)."""
        for listener in self._listeners[topic]:
            listener()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits when the block ends and rolls back on an exception.

        Once it has committed, the listeners of the topics it marked `changed` are told.
        """
        async with self._write_turn(), self._writes() as session, session.begin():
            yield session
        for topic in session.info.pop(CHANGED, ()):
            self.tell(topic)
            for announce in self._announcers:
                announce(topic)

    @asynccontextmanager
    async def housekeeping(self) -> AsyncIterator[AsyncSession]:
        """A write transaction for a replica's heartbeat. On PostgreSQL it runs on a connection
        of its own, outside the request pool, so a burst of requests (every pooled connection
        busy) cannot delay the heartbeat until the other replicas think this one is dead."""
        if self.is_sqlite:
            async with self.write() as session:
                yield session
            return
        if self._keeper is None:
            self._keeper = async_sessionmaker(
                create_async_engine(self.url, pool_size=1, max_overflow=0, pool_pre_ping=True),
                expire_on_commit=False,
            )
        async with self._keeper() as session, session.begin():
            yield session

    def _write_turn(self) -> AbstractAsyncContextManager[object]:
        return self._sqlite_writer if self._sqlite_writer is not None else nullcontext()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._keeper is not None:
            bind = self._keeper.kw.get("bind")
            if isinstance(bind, AsyncEngine):
                await bind.dispose()


def changed(session: AsyncSession, topic: str) -> None:
    """Mark this write as changing `topic` (e.g. who may sign in); see `Database.on_commit`."""
    session.info.setdefault(CHANGED, set()).add(topic)


def upsert(session: AsyncSession, table: Table | type[Any]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports `on_conflict_do_nothing/update` on this session's dialect.

    The dialect modules are imported here, not at the top: a server on SQLite never loads
    PostgreSQL's (about 35 ms of its start-up).
    """
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    from sqlalchemy.dialects import postgresql

    return postgresql.insert(table)


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"pool_size": 8, "max_overflow": 8}
    return {"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True}


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
