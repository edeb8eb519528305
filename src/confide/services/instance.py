"""Instance-wide settings an admin changes at run time; the environment always wins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from confide.errors import Conflict
from confide.services.audit import record
from confide.services.context import Context
from confide.settings import SignupMode
from confide.store import instance_settings, users
from confide.store.access import Principal, require_admin

SIGNUP_KEY = "signup"


@dataclass(frozen=True)
class InstanceView:
    signup_mode: SignupMode
    signup_mode_locked: bool  # set by CONFIDE_SIGNUP_MODE, so the admin cannot change it


@dataclass(frozen=True)
class SetupView:
    needs_admin: bool  # no account yet: whoever signs up first becomes the admin
    signup_mode: SignupMode


async def setup(ctx: Context) -> SetupView:
    """What the sign-in page shows a visitor: "create the admin account", or whether it may
    offer sign-up at all. Nothing about any account but whether one exists."""
    async with ctx.db.read() as session:
        return SetupView(not await users.any_exist(session), await signup_mode(ctx, session))


async def signup_mode(ctx: Context, session: AsyncSession) -> SignupMode:
    if ctx.settings.explicitly_set("signup_mode"):
        return ctx.settings.signup_mode
    stored = await instance_settings.get(session, SIGNUP_KEY)
    if stored and stored.get("mode") in SignupMode.__members__:
        return SignupMode(stored["mode"])
    return ctx.settings.signup_mode


async def view(principal: Principal, ctx: Context) -> InstanceView:
    require_admin(principal)
    async with ctx.db.read() as session:
        mode = await signup_mode(ctx, session)
    return InstanceView(mode, ctx.settings.explicitly_set("signup_mode"))


async def set_signup_mode(principal: Principal, ctx: Context, mode: SignupMode) -> InstanceView:
    require_admin(principal)
    if ctx.settings.explicitly_set("signup_mode"):
        raise Conflict("The sign-up mode is set by CONFIDE_SIGNUP_MODE; change it there.")
    async with ctx.db.write() as session:
        await instance_settings.put(session, SIGNUP_KEY, {"mode": mode.value})
        await record(session, principal, "admin.signup_mode", mode=mode.value)
    return InstanceView(mode, False)
