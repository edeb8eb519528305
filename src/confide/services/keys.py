"""Master key rotation: re-wrap every data key with a new master key; content is untouched.

Crash-safe in three steps: the new key is added to the key ring file first (the old one kept),
then every data key is re-wrapped in one transaction, then the old key is dropped from the file.
A crash between steps leaves a ring that still opens everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from confide.services.audit import record
from confide.services.context import Context
from confide.store import keys
from confide.store.access import Principal, require_admin


@dataclass(frozen=True)
class Rotation:
    new_key_id: str
    rewrapped: int


async def rotate_master_key(principal: Principal, ctx: Context) -> Rotation:
    require_admin(principal)
    ring = ctx.sealer.ring
    new_id = ring.add_new_key()
    async with ctx.db.write() as session:
        count = await keys.rewrap_all(session, ctx.sealer)
        await record(session, principal, "keys.rotated", key_id=new_id, rewrapped=count)
    async with ctx.db.write() as session:
        await keys.lock_keys(session, exclusive=True)  # no wrap in flight while we look
        if await keys.kek_ids_in_use(session) <= {new_id}:
            ring.keep_only(new_id)
    return Rotation(new_id, count)
