"""Sharing a chat as a read-only snapshot behind a link; listing and revoking shares; viewing
a shared chat.

A snapshot is taken when the share is made: the chat's title and the finished messages of its
current branch (root to leaf), never other branches, never later messages. It is sealed with a
key derived from the link's secret (security/share_links.py), so the database alone, or an
admin, cannot read it. A share link opens for any signed-in member of this instance; for
anyone at all only when the share is public and the instance allows public links (an admin
setting, checked on every view, so turning it off applies at once to existing links).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Chat, Message, Share
from confide.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from confide.security import share_links
from confide.security.sealing import SealError
from confide.services import audit
from confide.services.chats import branch
from confide.services.context import Context
from confide.services.instance import public_shares_allowed
from confide.store import chats, keys, shares
from confide.store.access import Principal, Role
from confide.store.keys import UserCipher
from confide.store.shares import LinkInfo

MAX_SHARES = 1000
MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024  # of JSON, before compression
SNAPSHOT_VERSION = 1
NOT_FOUND = "This shared chat does not exist or its link was revoked."
SIGN_IN = "Sign in to see this shared chat: its link opens only for members of this instance."
PUBLIC_OFF = "Public links are turned off on this instance; ask an administrator."


@dataclass(frozen=True)
class ShareView:
    """One of my shares, as its owner sees it (with the link, to copy it again)."""

    id: str
    chat_id: str
    title: str  # the chat's current title
    token: str
    public: bool
    message_count: int
    created_at: datetime


@dataclass(frozen=True)
class SharedMessage:
    role: str
    content: str
    model: str | None
    created_at: datetime


@dataclass(frozen=True)
class SharedChat:
    """What a link shows: the chat as it was when it was shared."""

    title: str
    messages: list[SharedMessage]
    created_at: datetime
    public: bool


def _shown(message: Message, content: str) -> bool:
    """Finished messages only: not a reply still being written, not one that failed empty."""
    return message.status != chats.STREAMING and bool(content.strip())


def _snapshot(cipher: UserCipher, chat: Chat, rows: list[Message]) -> dict[str, Any]:
    """The chat's title and the finished messages of its current branch."""
    messages: list[dict[str, Any]] = []
    for message in branch(rows, chat.current_leaf_id):
        content = chats.open_content(cipher, message)
        if _shown(message, content):
            messages.append(
                {
                    "role": message.role,
                    "content": content,
                    "model": message.model,
                    "created_at": message.created_at.isoformat(),
                }
            )
    if not messages:
        raise BadRequest("This chat has no messages to share yet.")
    return {"v": SNAPSHOT_VERSION, "title": chats.chat_title(chat, cipher), "messages": messages}


def _pack(document: dict[str, Any]) -> bytes:
    encoded = json.dumps(document, ensure_ascii=False).encode("utf-8")
    if len(encoded) > MAX_SNAPSHOT_BYTES:
        raise BadRequest("This chat is too long to share (over 16 MB of text).")
    return zlib.compress(encoded)


def _unpack(packed: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(zlib.decompress(packed))
    return document


async def _check_may_share(
    principal: Principal, ctx: Context, session: AsyncSession, *, public: bool
) -> None:
    if public and not await public_shares_allowed(ctx, session):
        raise Forbidden(PUBLIC_OFF)
    if await shares.count(session, principal) >= MAX_SHARES:
        raise Conflict(
            f"You have {MAX_SHARES:,} share links, the most there can be; "
            "revoke some you no longer need first."
        )


async def create_share(
    principal: Principal, ctx: Context, chat_id: str, *, public: bool
) -> ShareView:
    """Snapshot my chat behind a new link. The snapshot is read and packed (off the event
    loop) before the write transaction, which checks again that the chat is still there."""
    async with ctx.db.read() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        await _check_may_share(principal, ctx, session, public=public)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        document = _snapshot(cipher, chat, await chats.messages_of(session, chat))
    packed = await asyncio.to_thread(_pack, document)
    token, share_id = share_links.new_token(), new_id()
    link = LinkInfo(share_links.encode_token(token), len(document["messages"]))
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        await _check_may_share(principal, ctx, session, public=public)
        share = shares.add_share(
            session,
            principal,
            cipher,
            share_id=share_id,
            chat=chat,
            lookup=share_links.lookup_of(token),
            public=public,
            snapshot=share_links.seal_snapshot(token, share_id, packed),
            link=link,
        )
        await session.flush()
        await audit.record(
            session,
            principal,
            "share.create",
            target_type="share",
            target_id=share_id,
            chat_id=chat.id,
            public=public,
        )
        return _view(share, chat, cipher, link)


def _view(share: Share, chat: Chat, cipher: UserCipher, link: LinkInfo) -> ShareView:
    title = chats.chat_title(chat, cipher)
    return ShareView(
        share.id, chat.id, title, link.token, share.public, link.message_count, share.created_at
    )


async def list_shares(
    principal: Principal, ctx: Context, chat_id: str | None = None
) -> list[ShareView]:
    """My shares (of one chat of mine, or all of them), newest first."""
    async with ctx.db.read() as session:
        if chat_id is not None:
            await chats.get_chat(session, principal, chat_id)
        rows = await shares.mine(session, principal, chat_id=chat_id, limit=MAX_SHARES)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    return [_view(share, chat, cipher, shares.open_link(cipher, share)) for share, chat in rows]


async def public_allowed(principal: Principal, ctx: Context) -> bool:
    """Whether a share made now may be public (for the share dialog)."""
    if principal.user_id is None:
        raise Unauthorized("Sign in first.")
    async with ctx.db.read() as session:
        return await public_shares_allowed(ctx, session)


async def revoke_share(principal: Principal, ctx: Context, share_id: str) -> None:
    """Delete my share: its link shows nothing from now on."""
    async with ctx.db.write() as session:
        share = await shares.get_share(session, principal, share_id)
        await shares.delete_share(session, share)
        await audit.record(
            session,
            principal,
            "share.revoke",
            target_type="share",
            target_id=share.id,
            chat_id=share.chat_id,
        )


async def view_shared(principal: Principal, ctx: Context, token_text: str) -> SharedChat:
    """The chat a link shows, to whoever may open it (see the module's docstring)."""
    token = share_links.decode_token(token_text)
    if token is None:
        raise NotFound(NOT_FOUND)
    async with ctx.db.read() as session:
        share = await shares.by_lookup(session, share_links.lookup_of(token))
        if share is None:
            raise NotFound(NOT_FOUND)
        public = share.public and await public_shares_allowed(ctx, session)
    _check_viewer(principal, public=public)
    try:
        document = share_links.open_snapshot(token, share.id, share.snapshot)
    except SealError:
        raise NotFound(NOT_FOUND) from None
    return _shared_chat(await asyncio.to_thread(_unpack, document), share, public=public)


def _check_viewer(principal: Principal, *, public: bool) -> None:
    if public:
        return
    if principal.user_id is None:
        raise Unauthorized(SIGN_IN)
    if principal.role is Role.pending:
        raise Forbidden("Your account is waiting for an admin's approval.")


def _shared_chat(data: dict[str, Any], share: Share, *, public: bool) -> SharedChat:
    messages = [
        SharedMessage(m["role"], m["content"], m["model"], datetime.fromisoformat(m["created_at"]))
        for m in data["messages"]
    ]
    return SharedChat(data["title"], messages, share.created_at, public)
