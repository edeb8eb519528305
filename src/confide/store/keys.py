"""Per-user data keys, and the cipher that seals a user's content columns with them."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import SystemKey, UserKey
from confide.errors import NotFound
from confide.security import blind, sealed_stream
from confide.security.sealing import Sealer, WrappedKey, content_aad, open_with, seal_with

BLIND_CACHE = 50_000  # blind values a cipher remembers, at most


@dataclass(frozen=True)
class UserCipher:
    """Seals and opens one user's content; the associated data pins each value to its cell."""

    owner_id: str
    dek: bytes
    # Blind values already computed with this cipher (it lives for one unit of work): words
    # repeat, and a dictionary lookup is cheaper than an HMAC.
    _blinded: dict[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def seal(self, table: str, column: str, row_id: str, text: str) -> bytes:
        aad = content_aad(table, column, row_id, self.owner_id)
        return seal_with(self._aead, aad, text.encode("utf-8"), compress=True)

    def open(self, table: str, column: str, row_id: str, blob: bytes) -> str:
        aad = content_aad(table, column, row_id, self.owner_id)
        return open_with(self._aead, aad, blob).decode("utf-8")

    def seal_stream(
        self, table: str, column: str, row_id: str, chunks: AsyncIterable[bytes]
    ) -> AsyncIterator[bytes]:
        """Seal bytes of any length as they come (a file's), segment by segment."""
        return sealed_stream.seal_stream(self._aead, self._aad(table, column, row_id), chunks)

    def open_stream(
        self, table: str, column: str, row_id: str, framed: AsyncIterable[bytes]
    ) -> AsyncIterator[bytes]:
        return sealed_stream.open_stream(self._aead, self._aad(table, column, row_id), framed)

    def seal_bytes(self, table: str, column: str, row_id: str, data: bytes) -> bytes:
        return seal_with(self._aead, self._aad(table, column, row_id), data)

    def open_bytes(self, table: str, column: str, row_id: str, blob: bytes) -> bytes:
        return open_with(self._aead, self._aad(table, column, row_id), blob)

    def _aad(self, table: str, column: str, row_id: str) -> bytes:
        return content_aad(table, column, row_id, self.owner_id)

    @cached_property
    def _aead(self) -> AESGCM:
        return AESGCM(self.dek)

    @cached_property
    def _index_mac(self) -> hmac.HMAC:
        return blind.keyed(blind.index_key(self.dek))

    def blind(self, value: str, *, kind: str = "t") -> int:
        """The blind-index value of an already normalized `value` (see security/blind.py)."""
        found = self._blinded.get((kind, value))
        if found is None:
            if len(self._blinded) >= BLIND_CACHE:
                self._blinded.clear()
            found = self._blinded[kind, value] = blind.digest_with(
                self._index_mac, value, kind=kind
            )
        return found


PG_KEYS_LOCK = 0x0C0FEE  # wrapping (shared) vs. master key rotation (exclusive)


async def lock_keys(session: AsyncSession, *, exclusive: bool) -> None:
    """Order data-key wrapping against rotation until the transaction ends.

    On SQLite the write transaction already holds the database's write lock; on PostgreSQL an
    advisory lock does it, so rotation never drops a master key that a concurrent sign-up has
    just used to wrap a data key.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    statement = (
        text("SELECT pg_advisory_xact_lock(:key)")
        if exclusive
        else text("SELECT pg_advisory_xact_lock_shared(:key)")
    )
    await session.execute(statement, {"key": PG_KEYS_LOCK})


async def add_user_key(session: AsyncSession, sealer: Sealer, user_id: str) -> None:
    await lock_keys(session, exclusive=False)
    _dek, wrapped = sealer.new_data_key(user_id)
    session.add(UserKey(user_id=user_id, kek_id=wrapped.kek_id, wrapped_dek=wrapped.blob))


async def cipher_for(session: AsyncSession, sealer: Sealer, user_id: str) -> UserCipher:
    row = await session.get(UserKey, user_id)
    if row is None:
        raise NotFound("No data key for this user.")
    dek = sealer.unwrap(user_id, WrappedKey(row.kek_id, row.wrapped_dek))
    return UserCipher(user_id, dek)


SYSTEM_OWNER = "system:{name}"  # the owner id a system key is wrapped and used under


async def system_cipher(session: AsyncSession, sealer: Sealer, name: str) -> UserCipher:
    """The instance's data key `name` (created on first use), e.g. for connection API keys."""
    owner = SYSTEM_OWNER.format(name=name)
    row = await session.get(SystemKey, name)
    if row is None:
        await lock_keys(session, exclusive=False)
        dek, wrapped = sealer.new_data_key(owner)
        session.add(SystemKey(name=name, kek_id=wrapped.kek_id, wrapped_dek=wrapped.blob))
        await session.flush()
        return UserCipher(owner, dek)
    return UserCipher(owner, sealer.unwrap(owner, WrappedKey(row.kek_id, row.wrapped_dek)))


async def rewrap_all(session: AsyncSession, sealer: Sealer) -> int:
    """Re-wrap every data key (users' and the instance's) with the current master key;
    content is not touched."""
    await lock_keys(session, exclusive=True)
    user_rows = (await session.scalars(select(UserKey))).all()
    for row in user_rows:
        row.kek_id, row.wrapped_dek = _rewrapped(sealer, row.user_id, row.kek_id, row.wrapped_dek)
    system_rows = (await session.scalars(select(SystemKey))).all()
    for key in system_rows:
        owner = SYSTEM_OWNER.format(name=key.name)
        key.kek_id, key.wrapped_dek = _rewrapped(sealer, owner, key.kek_id, key.wrapped_dek)
    return len(user_rows) + len(system_rows)


def _rewrapped(sealer: Sealer, owner: str, kek_id: str, blob: bytes) -> tuple[str, bytes]:
    wrapped = sealer.wrap(owner, sealer.unwrap(owner, WrappedKey(kek_id, blob)))
    return wrapped.kek_id, wrapped.blob


async def kek_ids_in_use(session: AsyncSession) -> set[str]:
    users = set((await session.scalars(select(UserKey.kek_id).distinct())).all())
    system = set((await session.scalars(select(SystemKey.kek_id).distinct())).all())
    return users | system
