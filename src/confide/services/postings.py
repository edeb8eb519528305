"""Keeping the blind index compact: merging fresh postings into blocks, compacting a user's
blocks after a large deletion, and removing a user's postings (store/postings.py).

A merge runs in the background once there are MERGE_AT fresh postings (app.py checks every
few seconds) and can be called directly (the history benchmark does, after building).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from confide.services.context import Context
from confide.store import postings
from confide.store.access import Principal

log = logging.getLogger(__name__)

MERGE_AT = 200_000  # fresh postings (about 200 chats' worth) that make a merge worth it
COMPACT_AFTER = 50  # deleting this many chats at once compacts the owner's postings


async def merge(ctx: Context) -> int:
    """Fold every fresh posting into blocks, a bounded batch per transaction (so writers
    wait at most one batch); answers how many postings it took."""
    done = 0
    while True:
        async with ctx.db.write() as session:
            taken = await postings.merge_batch(session)
        done += taken
        if taken < postings.MERGE_BATCH:
            return done


async def merge_if_needed(ctx: Context, threshold: int = MERGE_AT) -> int:
    async with ctx.db.read() as session:
        if not await postings.fresh_over(session, threshold):
            return 0
    return await merge(ctx)


async def compact(ctx: Context, user_id: str) -> None:
    """Rewrite a user's blocks without the ids of chats deleted since (a batch of terms per
    transaction)."""
    async with ctx.db.read() as session:
        live = await postings.live_docs(session, user_id)
    after: int | None = None
    while True:
        async with ctx.db.write() as session:
            after = await postings.compact_batch(session, user_id, after, live)
        if after is None:
            return


def compact_later(ctx: Context, principal: Principal, deleted: int) -> None:
    """After a deletion has committed: compact the owner's postings if it was a large one."""
    if deleted >= COMPACT_AFTER:
        ctx.runner.spawn(_compact_logged(ctx, principal.uid), name=f"compact-{principal.uid}")


async def _compact_logged(ctx: Context, user_id: str) -> None:
    try:
        await compact(ctx, user_id)
    except Exception:
        log.exception("compacting search postings failed; the next large deletion retries")


async def purge(session: AsyncSession, user_id: str) -> None:
    """Remove all of a user's postings, before all their chats (or their account) are
    deleted in the same transaction."""
    await postings.purge(session, user_id)
