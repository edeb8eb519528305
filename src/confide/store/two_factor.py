"""Authenticator enrolments: one row per user who started or finished setting one up."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import TwoFactor
from confide.store.keys import UserCipher

TABLE = "two_factor"


async def get(session: AsyncSession, user_id: str, *, for_update: bool = False) -> TwoFactor | None:
    """The user's enrolment; `for_update` locks it (PostgreSQL) so a code is used only once."""
    query = select(TwoFactor).where(TwoFactor.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def start(session: AsyncSession, cipher: UserCipher, user_id: str, secret: str) -> TwoFactor:
    """A new, unconfirmed enrolment (replacing an unconfirmed one)."""
    await remove(session, user_id)
    row = TwoFactor(
        user_id=user_id,
        secret=cipher.seal(TABLE, "secret", user_id, secret),
        last_step=0,
        recovery=[],
    )
    session.add(row)
    await session.flush()
    return row


def secret_of(cipher: UserCipher, row: TwoFactor) -> str:
    return cipher.open(TABLE, "secret", row.user_id, row.secret)


async def remove(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))
