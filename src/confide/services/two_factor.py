"""Two-factor authentication with an authenticator app (TOTP) and recovery codes.

Turning it on takes two steps: `begin` (the password again, then a secret shown as a QR code)
and `confirm` (a first code from the app, which proves it was saved; ten recovery codes are
shown once). From then on, signing in asks for a code after the password (`check_code`, from
accounts.login); a recovery code works once in its place. Turning it off takes the password.
An instance can require it of every admin (services/instance.py): an admin without it can
sign in and turn it on, but not use admin pages until they do.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed
from confide.db.tables import User
from confide.db.types import utcnow
from confide.errors import BadRequest, Conflict, Unauthorized
from confide.security import totp
from confide.services import instance
from confide.services.audit import record
from confide.services.context import Context
from confide.store import keys, two_factor, users
from confide.store.access import AUTH, Principal, Role

ISSUER = "Confide"
WRONG_CODE = "That code is not right. Use the newest code your authenticator app shows."


class CodeRequired(Unauthorized):
    """The password was right and the account has two-factor on: ask for a code."""

    reason = "two_factor_required"


@dataclass(frozen=True)
class Status:
    enabled: bool
    pending: bool  # set up started, not confirmed yet
    recovery_codes_left: int


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into the app
    uri: str  # otpauth:// (what the QR code holds)
    qr: list[str]  # rows of '1' and '0'


async def status(principal: Principal, ctx: Context) -> Status:
    async with ctx.db.read() as session:
        row = await two_factor.get(session, principal.uid)
    if row is None:
        return Status(False, False, 0)
    confirmed = row.confirmed_at is not None
    return Status(confirmed, not confirmed, len(row.recovery) if confirmed else 0)


async def begin(principal: Principal, ctx: Context, password: str) -> Enrolment:
    """Start setting up an authenticator (again, if an earlier start was not confirmed)."""
    user = await _check_password(principal, ctx, password)
    secret = totp.secret_text(totp.new_secret())
    async with ctx.db.write() as session:
        found = await two_factor.get(session, user.id)
        if found is not None and found.confirmed_at is not None:
            raise Conflict("Two-factor authentication is already on. Turn it off first.")
        cipher = await keys.cipher_for(session, ctx.sealer, user.id)
        await two_factor.start(session, cipher, user.id, secret)
        await record(session, principal, "auth.two_factor_started")
    uri = totp.provisioning_uri(_raw(secret), account=user.email, issuer=ISSUER)
    return Enrolment(secret, uri, totp.qr_rows(uri))


async def confirm(principal: Principal, ctx: Context, code: str) -> list[str]:
    """Turn it on with a first code from the app; returns the recovery codes (shown once)."""
    codes = totp.new_recovery_codes()
    async with ctx.db.write() as session:
        row = await two_factor.get(session, principal.uid, for_update=True)
        if row is None or row.confirmed_at is not None:
            raise Conflict("Start setting up two-factor authentication first.")
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        step = totp.verify(_raw(two_factor.secret_of(cipher, row)), code, last_step=0)
        if step is None:
            raise BadRequest(f"{WRONG_CODE} Check that your phone's clock is right.")
        row.confirmed_at, row.last_step = utcnow(), step
        row.recovery = [totp.recovery_hash(c) for c in codes]
        await _set_flag(session, principal.uid, on=True)
        await record(session, principal, "auth.two_factor_enabled")
    return codes


async def disable(principal: Principal, ctx: Context, password: str) -> None:
    user = await _check_password(principal, ctx, password)
    async with ctx.db.write() as session:
        if user.role == Role.admin.value and await instance.admins_need_two_factor(ctx, session):
            raise Conflict(
                "Administrators of this instance must keep two-factor authentication on."
            )
        await two_factor.remove(session, user.id)
        await _set_flag(session, user.id, on=False)
        await record(session, principal, "auth.two_factor_disabled")


async def new_recovery_codes(principal: Principal, ctx: Context, password: str) -> list[str]:
    """Replace every recovery code (the old ones stop working)."""
    await _check_password(principal, ctx, password)
    codes = totp.new_recovery_codes()
    async with ctx.db.write() as session:
        row = await two_factor.get(session, principal.uid, for_update=True)
        if row is None or row.confirmed_at is None:
            raise Conflict("Two-factor authentication is off.")
        row.recovery = [totp.recovery_hash(c) for c in codes]
        await record(session, principal, "auth.recovery_codes_renewed")
    return codes


async def check_code(
    session: AsyncSession, principal: Principal, ctx: Context, user: User, code: str | None
) -> None:
    """At sign-in, inside its transaction: the second factor of an account that has it on.
    A TOTP code is accepted once; a recovery code is used up."""
    if not code:
        raise CodeRequired("Enter the 6-digit code from your authenticator app.")
    row = await two_factor.get(session, user.id, for_update=True)
    if row is None or row.confirmed_at is None:  # flag and row disagree: fail closed
        raise Unauthorized(WRONG_CODE)
    if totp.looks_like_recovery_code(code):
        used = totp.recovery_hash(code)
        if used not in row.recovery:
            raise Unauthorized("That recovery code is not right or was used already.")
        row.recovery = [h for h in row.recovery if h != used]
        await record(
            session, principal, "auth.recovery_code_used", actor_id=user.id, left=len(row.recovery)
        )
        return
    cipher = await keys.cipher_for(session, ctx.sealer, user.id)
    step = totp.verify(_raw(two_factor.secret_of(cipher, row)), code, last_step=row.last_step)
    if step is None:
        raise Unauthorized(WRONG_CODE)
    row.last_step = step


async def _check_password(principal: Principal, ctx: Context, password: str) -> User:
    async with ctx.db.read() as session:
        user = await users.get(session, principal.uid)
    if user is None:
        raise Unauthorized("Sign in first.")
    if not await asyncio.to_thread(ctx.hasher.verify, user.password_hash, password):
        raise BadRequest("The password is wrong.")
    return user


async def _set_flag(session: AsyncSession, user_id: str, *, on: bool) -> None:
    user = await users.get(session, user_id)
    if user is not None:
        user.two_factor = on
        changed(session, AUTH)  # cached principals carry the flag


def _raw(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))
