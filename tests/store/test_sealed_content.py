"""Sealed content through the real store: nothing readable at the SQL level or on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from confide.db.tables import Base, UserKey
from confide.errors import NotFound
from confide.security import share_links
from confide.security.sealing import SealError, content_aad, open_sealed
from confide.services import shares as share_service
from confide.services import users as user_service
from confide.services.context import Context
from confide.store import chats, keys, users
from confide.store.access import Principal, Role

TITLE = "zebra-quartz title 7781 about my diagnosis"
MESSAGES = ["xylophone-umbrella secret one", "ḱlöpfer ünïcode 秘密 secret two 🙈"]


async def make_user(ctx: Context, email: str) -> Principal:
    async with ctx.db.write() as session:
        user = await users.create(
            session, ctx.sealer, email=email, name="Someone", role=Role.user, password_hash="x"
        )
    return Principal(user_id=user.id, role=Role.user)


async def write_chat(ctx: Context, who: Principal, title: str, texts: list[str]) -> str:
    async with ctx.db.write() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, who.uid)
        chat = await chats.create_chat(session, who, cipher, title)
        parent = None
        for content in texts:
            message = await chats.add_message(
                session,
                cipher,
                chat,
                parent_id=parent,
                role="user",
                content=content,
            )
            parent = message.id
    return chat.id


async def read_chat(ctx: Context, who: Principal, chat_id: str) -> tuple[str, list[str]]:
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, who.uid)
        chat = await chats.get_chat(session, who, chat_id)
        messages = await chats.read_messages(session, who, cipher, chat_id)
    return chats.chat_title(chat, cipher), [m.content for m in messages]


async def every_value(ctx: Context) -> list[Any]:
    """Every cell of every table, as the database returns it."""
    values: list[Any] = []
    async with ctx.db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values.extend(row)
    return values


def _raw_files(ctx: Context) -> bytes:
    path = Path(ctx.settings.sqlalchemy_url.split(":///", 1)[1])
    wal = path.with_name(path.name + "-wal")
    assert wal.exists()
    return path.read_bytes() + wal.read_bytes()


async def test_plaintext_never_reaches_the_database(ctx: Context) -> None:
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    assert await read_chat(ctx, alice, chat_id) == (TITLE, MESSAGES)
    secrets = [TITLE, *MESSAGES]
    values = await every_value(ctx)
    assert "alice@example.com" in values  # the scan does see what is stored
    for value in values:
        raw = value if isinstance(value, bytes) else str(value).encode()
        for secret in secrets:
            assert secret.encode() not in raw
    if ctx.db.is_sqlite:
        on_disk = _raw_files(ctx)
        assert b"alice@example.com" in on_disk
        for secret in secrets:
            assert secret.encode() not in on_disk
            assert secret.encode("utf-16-le") not in on_disk


async def _message_ids(ctx: Context, chat_id: str) -> list[str]:
    async with ctx.db.read() as session:
        query = text("SELECT id FROM messages WHERE chat_id = :c ORDER BY id")
        return list((await session.scalars(query, {"c": chat_id})).all())


COPY_SQL = {
    "messages": "UPDATE messages SET content = (SELECT content FROM messages WHERE id = :s) "
    "WHERE id = :t",
    "chats": "UPDATE chats SET title = (SELECT title FROM chats WHERE id = :s) WHERE id = :t",
}


async def _copy(ctx: Context, table: str, source: str, target: str) -> None:
    """Copy a sealed cell from one row to another with raw SQL, as an attacker would."""
    async with ctx.db.write() as session:
        await session.execute(text(COPY_SQL[table]), {"s": source, "t": target})


async def test_a_message_copied_to_another_row_does_not_open(ctx: Context) -> None:
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    first, second = await _message_ids(ctx, chat_id)
    await _copy(ctx, "messages", first, second)
    with pytest.raises(SealError):
        await read_chat(ctx, alice, chat_id)


async def test_ciphertext_copied_into_another_users_chat_does_not_open(ctx: Context) -> None:
    alice, bob = await make_user(ctx, "alice@example.com"), await make_user(ctx, "bob@example.com")
    alice_chat = await write_chat(ctx, alice, TITLE, MESSAGES[:1])
    bob_chat = await write_chat(ctx, bob, "bob's chat", ["bob's message"])
    (alice_message,), (bob_message,) = (
        await _message_ids(ctx, alice_chat),
        await _message_ids(ctx, bob_chat),
    )
    await _copy(ctx, "messages", alice_message, bob_message)
    with pytest.raises(SealError):
        await read_chat(ctx, bob, bob_chat)
    await _copy(ctx, "messages", alice_message, alice_message)  # still opens in place
    assert (await read_chat(ctx, alice, alice_chat))[1] == MESSAGES[:1]


async def test_a_title_copied_into_another_users_chat_does_not_open(ctx: Context) -> None:
    alice, bob = await make_user(ctx, "alice@example.com"), await make_user(ctx, "bob@example.com")
    alice_chat = await write_chat(ctx, alice, TITLE, [])
    bob_chat = await write_chat(ctx, bob, "bob's chat", [])
    await _copy(ctx, "chats", alice_chat, bob_chat)
    with pytest.raises(SealError):
        await read_chat(ctx, bob, bob_chat)


async def test_another_users_chat_is_not_found(ctx: Context) -> None:
    alice, bob = await make_user(ctx, "alice@example.com"), await make_user(ctx, "bob@example.com")
    alice_chat = await write_chat(ctx, alice, TITLE, [])
    with pytest.raises(NotFound):
        await read_chat(ctx, bob, alice_chat)


async def _raw_cell(ctx: Context, query: str, **params: str) -> bytes:
    async with ctx.db.read() as session:
        value = await session.scalar(text(query), params)
    assert value is not None
    return bytes(value)


async def _key_rows(ctx: Context, user_id: str | None = None) -> int:
    query = select(func.count()).select_from(UserKey)
    if user_id is not None:
        query = query.where(UserKey.user_id == user_id)
    async with ctx.db.read() as session:
        return int(await session.scalar(query) or 0)


async def test_deleting_a_user_destroys_their_data_key(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    uma = Principal(user_id=user.user["id"], role=Role.user)  # type: ignore[attr-defined]
    chat_id = await write_chat(ctx, uma, TITLE, MESSAGES[:1])
    (message_id,) = await _message_ids(ctx, chat_id)
    stolen = await _raw_cell(ctx, "SELECT content FROM messages WHERE id = :m", m=message_id)
    assert await _key_rows(ctx, uma.uid) == 1

    deleted = await admin.delete(f"/api/users/{uma.uid}")
    assert deleted.status_code == 204, deleted.text

    assert await _key_rows(ctx, uma.uid) == 0
    with pytest.raises(NotFound):
        await read_chat(ctx, uma, chat_id)
    async with ctx.db.read() as session:
        with pytest.raises(NotFound):
            await keys.cipher_for(session, ctx.sealer, uma.uid)
        remaining = (await session.scalars(select(UserKey))).all()
    assert remaining  # the admin's key is still there, and opens nothing of Uma's
    for row in remaining:
        cipher = await _cipher_of(ctx, row.user_id)
        with pytest.raises(SealError):
            open_sealed(cipher.dek, content_aad("messages", "content", message_id, uma.uid), stolen)


async def test_deleting_a_user_through_the_service_removes_their_key(ctx: Context) -> None:
    alice, bob = await make_user(ctx, "alice@example.com"), await make_user(ctx, "bob@example.com")
    await write_chat(ctx, alice, TITLE, MESSAGES)
    await user_service.delete(Principal.cli(), ctx, alice.uid)
    assert await _key_rows(ctx, alice.uid) == 0
    assert await _key_rows(ctx, bob.uid) == 1
    assert await _key_rows(ctx) == 1


async def _cipher_of(ctx: Context, user_id: str) -> keys.UserCipher:
    async with ctx.db.read() as session:
        return await keys.cipher_for(session, ctx.sealer, user_id)


async def test_a_share_keeps_neither_its_snapshot_nor_its_link_readable(ctx: Context) -> None:
    """The snapshot is sealed with a key only the link gives; the link itself is stored as its
    hash and sealed with the owner's data key: a database dump reads neither."""
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    made = await share_service.create_share(alice, ctx, chat_id, public=False)
    token = share_links.decode_token(made.token)
    assert token is not None
    secrets = [TITLE.encode(), *(m.encode() for m in MESSAGES), made.token.encode(), token]
    values = await every_value(ctx)
    assert share_links.lookup_of(token) in [bytes(v) for v in values if isinstance(v, bytes)]
    for value in values:
        raw = value if isinstance(value, bytes) else str(value).encode()
        for secret in secrets:
            assert secret not in raw
    if ctx.db.is_sqlite:
        on_disk = _raw_files(ctx)
        for secret in secrets:
            assert secret not in on_disk
    bob = await make_user(ctx, "bob@example.com")
    shown = await share_service.view_shared(bob, ctx, made.token)
    assert (shown.title, [m.content for m in shown.messages]) == (TITLE, MESSAGES)


async def test_a_snapshot_copied_into_another_share_does_not_open(ctx: Context) -> None:
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    first = await share_service.create_share(alice, ctx, chat_id, public=False)
    second = await share_service.create_share(alice, ctx, chat_id, public=False)
    async with ctx.db.write() as session:
        copy = (
            "UPDATE shares SET snapshot = (SELECT snapshot FROM shares WHERE id = :s) WHERE id = :t"
        )
        await session.execute(text(copy), {"s": first.id, "t": second.id})
    with pytest.raises(NotFound):  # the second link's key, the first share's ciphertext
        await share_service.view_shared(alice, ctx, second.token)
    assert (await share_service.view_shared(alice, ctx, first.token)).title == TITLE
