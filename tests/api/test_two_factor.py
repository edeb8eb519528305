"""Two-factor authentication: enrolment, sign-in with a code or a recovery code, replay,
turning it off, regenerating codes, the admins' requirement, audit events and bad inputs."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from confide.db.tables import TwoFactor
from confide.security import totp
from confide.services.context import Context
from tests.conftest import PASSWORD, new_client

SECRET_RFC = b"12345678901234567890"


def test_codes_match_the_rfc_6238_test_vectors() -> None:
    # RFC 6238 appendix B (SHA-1), last six of the eight digits.
    for at, expected in [(59, "287082"), (1111111109, "081804"), (2000000000, "279037")]:
        assert totp.code_at(SECRET_RFC, totp.step_at(at)) == expected


def test_a_code_is_valid_one_step_either_side_and_never_twice() -> None:
    now = 1_700_000_000.0
    step = totp.step_at(now)
    for drift in (-1, 0, 1):
        code = totp.code_at(SECRET_RFC, step + drift)
        assert totp.verify(SECRET_RFC, code, last_step=0, now=now) == step + drift
    old = totp.code_at(SECRET_RFC, step - 2)
    assert totp.verify(SECRET_RFC, old, last_step=0, now=now) is None
    used = totp.code_at(SECRET_RFC, step)
    assert totp.verify(SECRET_RFC, used, last_step=step, now=now) is None
    for junk in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"]:
        assert totp.verify(SECRET_RFC, junk, last_step=0, now=now) is None


def test_recovery_codes_are_long_random_and_compared_loosely() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES
    assert all(totp.looks_like_recovery_code(c) for c in codes)
    assert totp.recovery_hash(codes[0].upper().replace("-", " ")) == totp.recovery_hash(codes[0])
    assert not totp.looks_like_recovery_code("123456")


def test_the_qr_code_is_a_square_of_cells() -> None:
    rows = totp.qr_rows("otpauth://totp/Confide:a%40b.c?secret=AAAA")
    assert len(rows) == len(rows[0]) and set("".join(rows)) == {"0", "1"}


def current_code(secret: str, *, offset: int = 0) -> str:
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return totp.code_at(raw, totp.step_at(time.time()) + offset)


async def enrol(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    setup = await client.post("/api/auth/two-factor/setup", json={"password": PASSWORD})
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["uri"].startswith("otpauth://totp/Confide:")
    confirmed = await client.post(
        "/api/auth/two-factor/confirm", json={"code": current_code(secret)}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


async def login(app: Any, email: str, **extra: Any) -> httpx.Response:
    async with new_client(app) as c:
        return await c.post("/api/auth/login", json={"email": email, "password": PASSWORD, **extra})


async def test_enrolment_turns_it_on_and_login_then_needs_a_code(
    app: Any, user: httpx.AsyncClient
) -> None:
    assert (await user.get("/api/auth/two-factor")).json() == {
        "enabled": False,
        "pending": False,
        "recovery_codes_left": 0,
    }
    secret, codes = await enrol(user)
    assert len(codes) == 10
    assert (await user.get("/api/auth/two-factor")).json()["enabled"] is True

    asked = await login(app, "user@example.com")
    assert asked.status_code == 401
    assert asked.json()["reason"] == "two_factor_required"
    assert "set-cookie" not in asked.headers
    wrong = await login(app, "user@example.com", code="000000")
    assert wrong.status_code == 401 and "reason" not in wrong.json()
    # The code used to confirm cannot sign in (never twice); the next one can.
    ok = await login(app, "user@example.com", code=current_code(secret, offset=1))
    assert ok.status_code == 200, ok.text
    again = await login(app, "user@example.com", code=current_code(secret, offset=1))
    assert again.status_code == 401


async def test_a_recovery_code_signs_in_once(app: Any, user: httpx.AsyncClient) -> None:
    _, codes = await enrol(user)
    first = await login(app, "user@example.com", code=codes[0].upper())
    assert first.status_code == 200, first.text
    assert (await login(app, "user@example.com", code=codes[0])).status_code == 401
    assert (await user.get("/api/auth/two-factor")).json()["recovery_codes_left"] == 9


async def test_new_recovery_codes_replace_the_old_ones(app: Any, user: httpx.AsyncClient) -> None:
    _, old = await enrol(user)
    renewed = await user.post("/api/auth/two-factor/recovery-codes", json={"password": PASSWORD})
    assert renewed.status_code == 200
    assert (await login(app, "user@example.com", code=old[1])).status_code == 401
    new = renewed.json()["recovery_codes"]
    assert (await login(app, "user@example.com", code=new[1])).status_code == 200


async def test_turning_it_off_needs_the_password(app: Any, user: httpx.AsyncClient) -> None:
    await enrol(user)
    refused = await user.post("/api/auth/two-factor/disable", json={"password": "not it at all"})
    assert refused.status_code == 400
    assert (
        await user.post("/api/auth/two-factor/disable", json={"password": PASSWORD})
    ).status_code == 204
    assert (await login(app, "user@example.com")).status_code == 200


async def test_setup_refuses_bad_input_and_writes_nothing(
    user: httpx.AsyncClient, ctx: Context
) -> None:
    wrong = await user.post("/api/auth/two-factor/setup", json={"password": "not my password"})
    assert wrong.status_code == 400 and "password" in wrong.json()["detail"]
    early = await user.post("/api/auth/two-factor/confirm", json={"code": "123456"})
    assert early.status_code == 409
    setup = await user.post("/api/auth/two-factor/setup", json={"password": PASSWORD})
    secret = setup.json()["secret"]
    for code in ["000000", "12345", "x" * 32]:
        bad = await user.post("/api/auth/two-factor/confirm", json={"code": code})
        assert bad.status_code == 400, code
    too_long = await user.post("/api/auth/two-factor/confirm", json={"code": "1" * 33})
    assert too_long.status_code == 422
    assert (await user.get("/api/auth/two-factor")).json()["pending"] is True
    async with ctx.db.read() as session:
        row = (await session.scalars(select(TwoFactor))).one()
    assert secret.encode() not in row.secret  # sealed
    await enrol(user)  # a new setup replaces an unconfirmed one
    twice = await user.post("/api/auth/two-factor/setup", json={"password": PASSWORD})
    assert twice.status_code == 409


async def test_admins_can_be_required_to_use_it(
    app: Any, admin: httpx.AsyncClient, user: httpx.AsyncClient
) -> None:
    locked_out = await admin.patch("/api/settings", json={"admins_need_two_factor": True})
    assert locked_out.status_code == 409 and "own account first" in locked_out.json()["detail"]
    await enrol(admin)
    required = await admin.patch("/api/settings", json={"admins_need_two_factor": True})
    assert required.status_code == 200 and required.json()["admins_need_two_factor"] is True
    refused = await admin.post("/api/auth/two-factor/disable", json={"password": PASSWORD})
    assert refused.status_code == 409
    # A second admin without it can sign in and turn it on, but not use admin pages before.
    second = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.patch(f"/api/users/{second}", json={"role": "admin"})).status_code == 200
    blocked = await user.get("/api/users")
    assert blocked.status_code == 403 and "two-factor" in blocked.json()["detail"]
    assert blocked.json()["reason"] == "two_factor_required_for_admins"
    assert (await user.get("/api/chats")).status_code == 200
    await enrol(user)
    assert (await user.get("/api/users")).status_code == 200


async def test_each_step_is_audited_without_secrets(app: Any, admin: httpx.AsyncClient) -> None:
    secret, codes = await enrol(admin)
    await login(app, "admin@example.com", code="000000")
    await login(app, "admin@example.com", code=codes[2])
    log = (await admin.get("/api/audit", params={"limit": 200})).json()
    actions = [event["action"] for event in log["items"]]
    for action in [
        "auth.two_factor_started",
        "auth.two_factor_enabled",
        "auth.recovery_code_used",
        "auth.login_failed",
    ]:
        assert action in actions, action
    text = str(log)
    assert secret not in text and codes[2] not in text


@pytest.mark.parametrize("body", [{"password": 5}, {}, {"password": PASSWORD, "role": "admin"}])
async def test_malformed_requests_get_a_clear_422(user: httpx.AsyncClient, body: Any) -> None:
    response = await user.post("/api/auth/two-factor/setup", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request.")
