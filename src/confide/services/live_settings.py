"""Instance settings read on hot paths (which embedder, which reranker: every search asks),
kept for a few seconds instead of read from the database each time.

A change made by this process is seen at once (its commit empties the cache); another
replica's change within LIVE_SECONDS.
"""

from __future__ import annotations

from typing import Any

from confide.services.context import Context
from confide.store import instance_settings

LIVE_SECONDS = 5.0


async def get(ctx: Context, key: str) -> dict[str, Any]:
    """The stored value of `key` ({} when none is stored)."""

    async def load() -> tuple[dict[str, Any], None]:
        async with ctx.db.read() as session:
            return (await instance_settings.get(session, key) or {}), None

    found = await ctx.live_settings.get_or_load(key, load)
    return found if found is not None else {}
