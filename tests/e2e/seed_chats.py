"""Seeds a long chat history straight into a stopped server's data directory, through the
server's own store (so titles are sealed exactly as the API seals them): far faster than
thousands of HTTP requests.

    CONFIDE_DATA_DIR=… python -m tests.e2e.seed_chats EMAIL COUNT

Chat 0 is the newest; each older one is `STEP` earlier, so the history spans Today, the
previous 7 days and older. The title of chat i is `title_of(i)`; chat `PINNED` is pinned.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from confide.app import build_context, close_context
from confide.db.ids import new_id
from confide.db.tables import Chat, User
from confide.settings import Settings
from confide.store import keys
from confide.store.access import Principal, Role
from confide.store.chats import create_chat

STEP = timedelta(minutes=3)
PINNED = 5


def title_of(index: int) -> str:
    return f"Seeded chat {index:05d}"


async def seed(email: str, count: int) -> None:
    ctx = await build_context(Settings())
    try:
        now = datetime.now(UTC)
        async with ctx.db.write() as session:
            user = await session.scalar(select(User).where(User.email == email))
            assert user is not None, f"no account {email}"
            principal = Principal(user_id=user.id, role=Role(user.role))
            cipher = await keys.cipher_for(session, ctx.sealer, user.id)
            # The store's own create_chat for one, then rows like it in bulk (one flush).
            first = await create_chat(session, principal, cipher, title_of(0))
            first.created_at = first.updated_at = now
            session.add_all(_chat(user.id, cipher, index, now) for index in range(1, count))
    finally:
        await close_context(ctx)


def _chat(user_id: str, cipher: keys.UserCipher, index: int, now: datetime) -> Chat:
    chat_id = new_id()
    when = now - index * STEP
    title = cipher.seal("chats", "title", chat_id, title_of(index))
    return Chat(
        id=chat_id,
        user_id=user_id,
        title=title,
        pinned=index == PINNED,
        created_at=when,
        updated_at=when,
    )


if __name__ == "__main__":
    asyncio.run(seed(sys.argv[1], int(sys.argv[2])))
