"""Instance-wide settings an admin changes at run time (the sign-up mode, whether share links
can be public); the environment always wins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from confide.errors import Conflict
from confide.services import embedders, reranking
from confide.services.audit import record
from confide.services.context import Context
from confide.settings import SignupMode
from confide.store import instance_settings, users
from confide.store.access import Principal, require_admin

SIGNUP_KEY = "signup"
PUBLIC_SHARES_KEY = "public_shares"
ADMIN_TWO_FACTOR_KEY = "admin_two_factor"


@dataclass(frozen=True)
class InstanceView:
    signup_mode: SignupMode
    signup_mode_locked: bool  # set by CONFIDE_SIGNUP_MODE, so the admin cannot change it
    public_shares: bool  # share links may be opened by anyone, signed in or not
    public_shares_locked: bool  # set by CONFIDE_PUBLIC_SHARES
    admins_need_two_factor: bool  # admin pages refuse an admin without two-factor on
    embedding_model: str  # "" for the built-in embedder
    files_to_reembed: int  # ready files whose vectors another embedder made
    rerank_model: str  # "" for none


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


async def public_shares_allowed(ctx: Context, session: AsyncSession) -> bool:
    """Whether share links marked public open for visitors who are not signed in."""
    if ctx.settings.explicitly_set("public_shares"):
        return ctx.settings.public_shares
    stored = await instance_settings.get(session, PUBLIC_SHARES_KEY)
    if stored and isinstance(stored.get("allowed"), bool):
        return bool(stored["allowed"])
    return ctx.settings.public_shares


async def admins_need_two_factor(ctx: Context, session: AsyncSession) -> bool:
    stored = await instance_settings.get(session, ADMIN_TWO_FACTOR_KEY)
    return bool(stored and stored.get("required") is True)


async def _view(ctx: Context, session: AsyncSession) -> InstanceView:
    model, waiting = await embedders.status(ctx, session)
    return InstanceView(
        await signup_mode(ctx, session),
        ctx.settings.explicitly_set("signup_mode"),
        await public_shares_allowed(ctx, session),
        ctx.settings.explicitly_set("public_shares"),
        await admins_need_two_factor(ctx, session),
        model,
        waiting,
        await reranking.chosen(ctx),
    )


async def view(principal: Principal, ctx: Context) -> InstanceView:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await _view(ctx, session)


async def update(
    principal: Principal,
    ctx: Context,
    *,
    signup_mode: SignupMode | None = None,
    public_shares: bool | None = None,
    admins_need_two_factor: bool | None = None,
    embedding_model: str | None = None,
    rerank_model: str | None = None,
) -> InstanceView:
    """Change what is given (refused for a setting the environment sets). A new embedding
    model is checked first (it must answer with a vector), then files start being
    re-embedded in the background."""
    require_admin(principal)
    if admins_need_two_factor and not principal.two_factor:
        raise Conflict(
            "Turn on two-factor authentication for your own account first (Settings > "
            "Account), or this would lock you out of the admin pages."
        )
    if signup_mode is not None and ctx.settings.explicitly_set("signup_mode"):
        raise Conflict("The sign-up mode is set by CONFIDE_SIGNUP_MODE; change it there.")
    if public_shares is not None and ctx.settings.explicitly_set("public_shares"):
        raise Conflict("Public share links are set by CONFIDE_PUBLIC_SHARES; change it there.")
    if embedding_model is not None:
        await embedders.choose(principal, ctx, embedding_model)
    if rerank_model is not None:
        await reranking.choose(principal, ctx, rerank_model)
    async with ctx.db.write() as session:
        if signup_mode is not None:
            await instance_settings.put(session, SIGNUP_KEY, {"mode": signup_mode.value})
            await record(session, principal, "admin.signup_mode", mode=signup_mode.value)
        if public_shares is not None:
            await instance_settings.put(session, PUBLIC_SHARES_KEY, {"allowed": public_shares})
            await record(session, principal, "admin.public_shares", allowed=public_shares)
        if admins_need_two_factor is not None:
            required = admins_need_two_factor
            await instance_settings.put(session, ADMIN_TWO_FACTOR_KEY, {"required": required})
            await record(session, principal, "admin.require_two_factor", required=required)
        return await _view(ctx, session)
