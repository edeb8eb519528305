"""Profile pictures: set, remove and read one.

A picture is profile information, like a name: any approved member of the instance may see
anyone's. Only its owner may change or remove it: the
routes act on the signed-in user, never on an id from the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from confide.db.types import utcnow
from confide.errors import BadRequest, Forbidden, NotFound, TooLarge, UnsupportedType
from confide.security.images import ImageRejected, inspect_image, strip_metadata
from confide.services.audit import record
from confide.services.context import Context
from confide.store import avatars
from confide.store.access import Principal, Role

MAX_BYTES = 512 * 1024
MAX_SIDE = 4096
NONE_HERE = "This user has no profile picture."


@dataclass(frozen=True)
class Picture:
    content_type: str
    data: bytes
    updated_at: datetime


async def set_mine(principal: Principal, ctx: Context, data: bytes) -> datetime:
    """Check the picture (type by its bytes, size, dimensions), drop its metadata (EXIF and the
    like: where a photo was taken) and make it mine; answers its new stamp."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"The picture is larger than {MAX_BYTES // 1024} KB.")
    try:
        info = inspect_image(data, max_side=MAX_SIDE)
        data = strip_metadata(data, info.content_type)
    except ImageRejected as exc:
        raise (UnsupportedType if exc.unsupported else BadRequest)(str(exc)) from None
    at = utcnow()
    async with ctx.db.write() as session:
        await avatars.put(session, principal.uid, content_type=info.content_type, data=data, at=at)
        await record(
            session,
            principal,
            "account.avatar_changed",
            target_type="user",
            target_id=principal.uid,
            content_type=info.content_type,
            bytes=len(data),
            width=info.width,
            height=info.height,
        )
    return at


async def remove_mine(principal: Principal, ctx: Context) -> None:
    """Remove my picture (nothing to do when I have none)."""
    async with ctx.db.write() as session:
        if await avatars.remove(session, principal.uid):
            await record(
                session,
                principal,
                "account.avatar_removed",
                target_type="user",
                target_id=principal.uid,
            )


async def get(principal: Principal, ctx: Context, user_id: str) -> Picture:
    """A user's picture (the route lets only approved members ask); 404 when none."""
    if principal.user_id is None or principal.role is Role.pending:
        raise Forbidden("Only approved members of this instance see profile pictures.")
    async with ctx.db.read() as session:
        row = await avatars.get(session, user_id)
    if row is None:
        raise NotFound(NONE_HERE)
    return Picture(row.content_type, bytes(row.data), row.updated_at)
