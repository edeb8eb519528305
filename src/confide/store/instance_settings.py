"""Settings an admin changes at run time, stored as small JSON values by key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import InstanceSetting


async def get(session: AsyncSession, key: str) -> dict[str, Any] | None:
    row = await session.get(InstanceSetting, key)
    return row.value if row else None


async def put(session: AsyncSession, key: str, value: dict[str, Any]) -> None:
    row = await session.get(InstanceSetting, key)
    if row is None:
        session.add(InstanceSetting(key=key, value=value))
    else:
        row.value = value
    await session.flush()
