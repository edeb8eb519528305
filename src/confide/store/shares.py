"""Shares: read-only snapshots of a chat behind a link.

The owner's queries are scoped by the Principal like every other. One query is not: finding a
share by its link (`by_lookup`), because the link itself is the capability. It only matches the
SHA-256 of a 32-byte random secret, so nobody finds a share without holding its link.

`link` holds the owner's copy of the link, sealed with their data key: a small JSON object
`{"token": ..., "messages": n}`, so listing shares never has to open the snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.tables import Chat, Share, User
from confide.store.access import Principal, Role, get_owned, owned_by
from confide.store.keys import UserCipher


@dataclass(frozen=True)
class LinkInfo:
    """What the owner's sealed copy of a link holds."""

    token: str
    message_count: int


def add_share(
    session: AsyncSession,
    principal: Principal,
    cipher: UserCipher,
    *,
    share_id: str,
    chat: Chat,
    lookup: bytes,
    public: bool,
    snapshot: bytes,
    link: LinkInfo,
) -> Share:
    """A new share of a chat the caller holds; `snapshot` is already sealed."""
    share = Share(
        id=share_id,
        chat_id=chat.id,
        user_id=principal.uid,
        lookup=lookup,
        public=public,
        snapshot=snapshot,
        link=seal_link(cipher, share_id, link),
    )
    session.add(share)
    return share


def seal_link(cipher: UserCipher, share_id: str, link: LinkInfo) -> bytes:
    text = json.dumps({"token": link.token, "messages": link.message_count})
    return cipher.seal("shares", "link", share_id, text)


def open_link(cipher: UserCipher, share: Share) -> LinkInfo:
    data = json.loads(cipher.open("shares", "link", share.id, share.link))
    return LinkInfo(str(data["token"]), int(data["messages"]))


async def count(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).select_from(Share).where(owned_by(principal, Share.user_id))
    return int(await session.scalar(query) or 0)


async def mine(
    session: AsyncSession, principal: Principal, *, chat_id: str | None, limit: int
) -> list[tuple[Share, Chat]]:
    """The caller's shares (of one chat, or all), newest first, each with its chat."""
    query = (
        select(Share, Chat)
        .join(Chat, Chat.id == Share.chat_id)
        .where(owned_by(principal, Share.user_id), owned_by(principal, Chat.user_id))
        .order_by(Share.created_at.desc(), Share.id.desc())
        .limit(limit)
    )
    if chat_id is not None:
        query = query.where(Share.chat_id == chat_id)
    return [(share, chat) for share, chat in (await session.execute(query)).all()]


async def get_share(session: AsyncSession, principal: Principal, share_id: str) -> Share:
    return await get_owned(session, principal, Share, share_id, "Share")


async def delete_share(session: AsyncSession, share: Share) -> None:
    await session.execute(delete(Share).where(Share.id == share.id))


async def by_lookup(session: AsyncSession, lookup: bytes) -> Share | None:
    """The share whose link hashes to `lookup`, while its owner's account is active (not
    disabled, not waiting for approval)."""
    query = (
        select(Share)
        .join(User, User.id == Share.user_id)
        .where(Share.lookup == lookup, User.disabled.is_(False), User.role != Role.pending)
    )
    share: Share | None = await session.scalar(query)
    return share
