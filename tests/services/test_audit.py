"""The audit log's hash chain holds for real actions and breaks where a row is tampered with."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, text, update

from confide.db.tables import AuditEvent
from confide.errors import Forbidden
from confide.services.audit import verify_chain
from confide.services.context import Context
from confide.store.access import Principal, Role
from confide.store.audit import event_hash
from tests.conftest import PASSWORD, signup

CLI = Principal.cli()


@pytest.fixture
async def events(ctx: Context, admin: httpx.AsyncClient, client: httpx.AsyncClient) -> list[int]:
    """Sign-ups, a failed and a good login, a logout: the seqs of the events they left."""
    await signup(client, "bea@example.com", name="Bea")
    assert (await client.post("/api/auth/logout")).status_code == 204
    wrong = {"email": "bea@example.com", "password": "not the password"}
    assert (await client.post("/api/auth/login", json=wrong)).status_code == 401
    good = {"email": "bea@example.com", "password": PASSWORD}
    assert (await client.post("/api/auth/login", json=good)).status_code == 200
    async with ctx.db.read() as session:
        seqs = (await session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))).all()
    return list(seqs)


async def _actions(ctx: Context) -> list[str]:
    async with ctx.db.read() as session:
        query = select(AuditEvent.action).order_by(AuditEvent.seq)
        return list((await session.scalars(query)).all())


async def test_real_actions_leave_a_chain_that_verifies(ctx: Context, events: list[int]) -> None:
    assert await _actions(ctx) == [
        "auth.signup",
        "auth.signup",
        "auth.logout",
        "auth.login_failed",
        "auth.login",
    ]
    report = await verify_chain(CLI, ctx)
    assert report.ok
    assert report.checked == len(events)
    async with ctx.db.read() as session:
        last = await session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()))
    assert report.head_hash == last


async def test_an_edited_action_is_found(ctx: Context, events: list[int]) -> None:
    target = events[2]
    async with ctx.db.write() as session:
        query = text("UPDATE audit_events SET action = 'auth.nothing' WHERE seq = :seq")
        await session.execute(query, {"seq": target})
    report = await verify_chain(CLI, ctx)
    assert not report.ok
    assert report.broken_seq == target
    assert report.checked == 2
    assert "edited" in report.reason


async def test_an_edited_detail_is_found(ctx: Context, events: list[int]) -> None:
    target = events[1]
    async with ctx.db.write() as session:
        statement = update(AuditEvent).where(AuditEvent.seq == target)
        await session.execute(statement.values(detail={"role": "admin"}))
    report = await verify_chain(CLI, ctx)
    assert (report.ok, report.broken_seq) == (False, target)


async def test_a_deleted_middle_row_is_found(ctx: Context, events: list[int]) -> None:
    async with ctx.db.write() as session:
        query = text("DELETE FROM audit_events WHERE seq = :seq")
        await session.execute(query, {"seq": events[2]})
    report = await verify_chain(CLI, ctx)
    assert (report.ok, report.broken_seq) == (False, events[3])
    assert "removed" in report.reason


async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    ctx: Context, events: list[int]
) -> None:
    async with ctx.db.write() as session:
        event = await session.get(AuditEvent, events[2])
        assert event is not None
        event.action = "auth.nothing"
        event.hash = event_hash(event)
    report = await verify_chain(CLI, ctx)
    assert (report.ok, report.broken_seq) == (False, events[3])


async def test_only_an_admin_verifies(ctx: Context) -> None:
    with pytest.raises(Forbidden):
        await verify_chain(Principal(user_id="u1", role=Role.user), ctx)


async def test_audit_rows_never_hold_passwords_or_session_tokens(
    ctx: Context, events: list[int], client: httpx.AsyncClient
) -> None:
    token = client.cookies["confide_session"]
    assert len(token) >= 40
    async with ctx.db.read() as session:
        rows = (await session.execute(text("SELECT * FROM audit_events"))).all()
    assert len(rows) == len(events)
    dump = repr([tuple(row) for row in rows])
    for secret in (PASSWORD, "not the password", token):
        assert secret not in dump
