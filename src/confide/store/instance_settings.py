"""Settings an admin changes at run time, stored as small JSON values by key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.tables import InstanceSetting

TOPIC = "instance_settings"  # commits that change one (services/live_settings.py forgets)


async def get(session: AsyncSession, key: str) -> dict[str, Any] | None:
    row = await session.get(InstanceSetting, key)
    return row.value if row else None


async def put(session: AsyncSession, key: str, value: dict[str, Any]) -> None:
    row = await session.get(InstanceSetting, key)
    if row is None:
        session.add(InstanceSetting(key=key, value=value))
    else:
        row.value = value
    changed(session, TOPIC)
    await session.flush()
