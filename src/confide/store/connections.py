"""Model connections (instance-wide, admin-managed); their API keys are sealed.

A key is sealed with the instance data key `connections`, bound to this table, column and row,
so a ciphertext copied to another connection does not open there.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.ids import new_id
from confide.db.tables import Connection
from confide.security.sealing import Sealer
from confide.store.keys import UserCipher, system_cipher

# The `Database.on_commit` topic of writes that add, change or remove a connection.
TOPIC = "connections"

SYSTEM_KEY = "connections"
TABLE, KEY_COLUMN = "connections", "api_key"


async def cipher(session: AsyncSession, sealer: Sealer) -> UserCipher:
    """The instance data key that seals connection API keys (created on first use)."""
    return await system_cipher(session, sealer, SYSTEM_KEY)


async def create(
    session: AsyncSession,
    box: UserCipher,
    *,
    kind: str,
    name: str,
    base_url: str,
    api_key: str | None,
    model_prefix: str | None,
    enabled: bool,
    model_allowlist: list[str],
    connect_timeout: float,
    read_timeout: float,
) -> Connection:
    """Insert a connection; a model prefix already in use raises IntegrityError."""
    row = Connection(
        id=new_id(),
        kind=kind,
        name=name,
        base_url=base_url,
        model_prefix=model_prefix,
        enabled=enabled,
        model_allowlist=model_allowlist,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    seal_key(box, row, api_key)
    session.add(row)
    await session.flush()
    changed(session, TOPIC)
    return row


def seal_key(box: UserCipher, connection: Connection, api_key: str | None) -> None:
    connection.api_key = (
        None if api_key is None else box.seal(TABLE, KEY_COLUMN, connection.id, api_key)
    )


def open_key(box: UserCipher, connection: Connection) -> str | None:
    if connection.api_key is None:
        return None
    return box.open(TABLE, KEY_COLUMN, connection.id, connection.api_key)


async def get(session: AsyncSession, connection_id: str) -> Connection | None:
    return await session.get(Connection, connection_id)


async def by_prefix(session: AsyncSession, prefix: str) -> Connection | None:
    return await session.scalar(select(Connection).where(Connection.model_prefix == prefix))


async def page(session: AsyncSession, *, after: str | None, limit: int) -> list[Connection]:
    """In creation order (ids are time-ordered)."""
    query = select(Connection).order_by(Connection.id).limit(limit)
    if after:
        query = query.where(Connection.id > after)
    return list((await session.scalars(query)).all())


async def list_enabled(session: AsyncSession, *, unprefixed_only: bool = False) -> list[Connection]:
    """Enabled connections in creation order (at most a few dozen on any instance)."""
    query = select(Connection).where(Connection.enabled.is_(True)).order_by(Connection.id)
    if unprefixed_only:
        query = query.where(Connection.model_prefix.is_(None))
    return list((await session.scalars(query)).all())


async def prefixes(session: AsyncSession) -> set[str]:
    """Every model prefix in use, enabled or not (a prefix always names its connection)."""
    query = select(Connection.model_prefix).where(Connection.model_prefix.is_not(None))
    return {p for p in (await session.scalars(query)).all() if p is not None}


async def remove(session: AsyncSession, connection_id: str) -> None:
    changed(session, TOPIC)
    await session.execute(delete(Connection).where(Connection.id == connection_id))
