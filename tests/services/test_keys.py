"""Master key rotation re-wraps data keys and leaves sealed content byte for byte alone."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from confide.app import build_context
from confide.errors import Forbidden
from confide.security.sealing import KeyRing, Sealer
from confide.services import keys
from confide.services.context import Context
from confide.store.access import Principal, Role
from tests.store.test_sealed_content import MESSAGES, TITLE, make_user, read_chat, write_chat


async def raw_content(ctx: Context) -> dict[str, bytes]:
    async with ctx.db.read() as session:
        titles = await session.execute(text("SELECT id, title FROM chats"))
        messages = await session.execute(text("SELECT id, content FROM messages"))
        return {row[0]: bytes(row[1]) for row in [*titles, *messages]}


async def wrapped_keys(ctx: Context) -> dict[str, tuple[str, bytes]]:
    async with ctx.db.read() as session:
        rows = await session.execute(text("SELECT user_id, kek_id, wrapped_dek FROM user_keys"))
        return {row[0]: (row[1], bytes(row[2])) for row in rows}


def reloaded(ctx: Context) -> Context:
    """The same database with the key ring read afresh from its file, as after a restart."""
    ring = KeyRing.load(ctx.settings.key_file)
    return dataclasses.replace(ctx, sealer=Sealer(ring))


async def test_rotation_rewraps_every_data_key_and_leaves_content_alone(ctx: Context) -> None:
    alice, bob = await make_user(ctx, "alice@example.com"), await make_user(ctx, "bob@example.com")
    chats = {alice: await write_chat(ctx, alice, TITLE, MESSAGES)}
    chats[bob] = await write_chat(ctx, bob, "bob's", ["hi"])
    old_id = ctx.sealer.ring.current_id
    content_before, keys_before = await raw_content(ctx), await wrapped_keys(ctx)

    rotation = await keys.rotate_master_key(Principal.cli(), ctx)

    assert rotation.rewrapped == 2
    assert rotation.new_key_id != old_id
    keys_after = await wrapped_keys(ctx)
    assert {kek for kek, _ in keys_after.values()} == {rotation.new_key_id}
    assert all(keys_after[uid][1] != keys_before[uid][1] for uid in keys_before)
    assert await raw_content(ctx) == content_before
    fresh = reloaded(ctx)
    assert fresh.sealer.ring.ids() == [rotation.new_key_id]
    assert old_id not in ctx.settings.key_file.read_text()
    assert await read_chat(fresh, alice, chats[alice]) == (TITLE, MESSAGES)
    assert await read_chat(fresh, bob, chats[bob]) == ("bob's", ["hi"])


async def test_a_crash_before_rewrapping_leaves_everything_readable(ctx: Context) -> None:
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    old_id = ctx.sealer.ring.current_id
    new_id = ctx.sealer.ring.add_new_key()  # the crash happens right after this step

    fresh = reloaded(ctx)
    assert fresh.sealer.ring.ids() == [old_id, new_id]
    assert await read_chat(fresh, alice, chat_id) == (TITLE, MESSAGES)
    bob = await make_user(fresh, "bob@example.com")
    assert (await wrapped_keys(fresh))[bob.uid][0] == new_id

    rotation = await keys.rotate_master_key(Principal.cli(), fresh)  # run again: it finishes
    assert reloaded(fresh).sealer.ring.ids() == [rotation.new_key_id]
    assert await read_chat(reloaded(fresh), alice, chat_id) == (TITLE, MESSAGES)


async def test_rotating_while_the_server_runs_loses_nothing(ctx: Context) -> None:
    alice = await make_user(ctx, "alice@example.com")
    chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
    cli = await build_context(ctx.settings)  # `confide keys rotate` beside the running server
    try:
        rotation = await keys.rotate_master_key(Principal.cli(), cli)
    finally:
        await cli.db.dispose()

    assert await read_chat(ctx, alice, chat_id) == (TITLE, MESSAGES)
    bob = await make_user(ctx, "bob@example.com")
    assert (await wrapped_keys(ctx))[bob.uid][0] == rotation.new_key_id
    bob_chat = await write_chat(ctx, bob, "bob's", ["hi"])
    assert await read_chat(reloaded(ctx), bob, bob_chat) == ("bob's", ["hi"])


async def test_only_an_admin_rotates(ctx: Context) -> None:
    with pytest.raises(Forbidden):
        await keys.rotate_master_key(Principal(user_id="u1", role=Role.user), ctx)
    assert len(ctx.sealer.ring.ids()) == 1
