"""`store.knowledge.readable_files` / `readable_ids`, which retrieval asks at every question:
only ready files of bases the asker may read now; a base they may not read adds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.services import ingest
from confide.services.context import Context
from confide.store import knowledge
from confide.store.access import Principal, Role
from tests.api.test_knowledge import add, make, share, uid, upload
from tests.api.test_presets import approved, group_with

MISSING = "0" * 32


def principal(c: httpx.AsyncClient) -> Principal:
    return Principal(user_id=uid(c), role=Role(c.user["role"]))  # type: ignore[attr-defined]


async def readable(ctx: Context, c: httpx.AsyncClient, ids: list[str]) -> set[str]:
    async with ctx.db.read() as session:
        return {f.id for f in await knowledge.readable_files(session, principal(c), ids)}


async def readable_ids(ctx: Context, c: httpx.AsyncClient, ids: list[str]) -> list[str]:
    async with ctx.db.read() as session:
        return await knowledge.readable_ids(session, principal(c), ids)


@pytest.fixture
async def other(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with approved(app, admin, "other@example.com") as c:
        yield c


async def test_only_ready_files_of_readable_bases(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    ready = await upload(user, "ready.md")
    await ingest.run_pending(ctx)
    pending = await upload(user, "pending.md")  # not read yet
    for f in (ready, pending):
        await add(user, kid, f)
    assert await readable(ctx, user, [kid]) == {ready}
    assert await readable(ctx, user, [kid, MISSING, kid]) == {ready}
    assert await readable(ctx, other, [kid]) == set()
    assert await readable(ctx, user, []) == set()
    theirs = (await make(other))["id"]
    assert await readable_ids(ctx, user, [theirs, kid, MISSING, kid]) == [kid]
    assert await readable_ids(ctx, other, [kid, theirs]) == [theirs]


async def test_a_grant_counts_only_while_it_lasts(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    file_id = await upload(user)
    await add(user, kid, file_id)
    await ingest.run_pending(ctx)
    await share(user, kid, {"user_id": uid(other), "permission": "read"})
    assert await readable(ctx, other, [kid]) == {file_id}
    assert await readable_ids(ctx, other, [kid]) == [kid]
    await share(user, kid)
    assert await readable(ctx, other, [kid]) == set()
    assert await readable_ids(ctx, other, [kid]) == []


async def test_a_group_grant_ends_when_the_member_leaves(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    gid = await group_with(admin, "Team", user, other)
    kid = (await make(user))["id"]
    file_id = await upload(user)
    await add(user, kid, file_id)
    await ingest.run_pending(ctx)
    await share(user, kid, {"group_id": gid, "permission": "read"})
    assert await readable(ctx, other, [kid]) == {file_id}
    removed = await admin.delete(f"/api/groups/{gid}/members/{uid(other)}")
    assert removed.status_code == 200, removed.text
    assert await readable(ctx, other, [kid]) == set()
    assert await readable_ids(ctx, other, [kid]) == []
    assert await readable(ctx, user, [kid]) == {file_id}  # the owner still reads it


async def test_a_writers_files_are_read_by_everyone_the_base_is_shared_with(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    kid = (await make(user))["id"]
    await share(user, kid, {"user_id": uid(other), "permission": "write"})
    writers = await upload(other, "writer.md")
    await add(other, kid, writers)
    await ingest.run_pending(ctx)
    async with ctx.db.read() as session:
        [row] = await knowledge.readable_files(session, principal(user), [kid])
    assert (row.id, row.user_id) == (writers, uid(other))  # opened with its uploader's key
    assert await readable(ctx, other, [kid]) == {writers}
