"""`/api/auth`: sign-up, sign-in, sign-out, my account, my sessions."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import Field

from confide.api.deps import Anyone, Ctx, IdPath, SignedIn, cookie_name
from confide.api.schemas import Email, Name, Password, PublicModel, StrictModel, UserPublic
from confide.services import accounts, instance, sessions, two_factor
from confide.services.accounts import SignedIn as SignedInResult
from confide.settings import Settings, SignupMode

router = APIRouter(prefix="/api/auth", tags=["auth"])


class SignupIn(StrictModel):
    email: Email
    password: Password
    name: Name


class LoginIn(StrictModel):
    email: str = Field(min_length=1, max_length=320)
    password: Password
    code: str | None = Field(
        default=None,
        max_length=32,
        description="For an account with two-factor on: the app's 6-digit code or a recovery "
        "code. Without it such an account gets 401 with `reason: two_factor_required`.",
    )


class PasswordConfirm(StrictModel):
    password: Password


class CodeIn(StrictModel):
    code: str = Field(min_length=1, max_length=32)


class TwoFactorPublic(PublicModel):
    enabled: bool
    pending: bool = Field(description="Set-up started and not confirmed yet.")
    recovery_codes_left: int


class EnrolmentPublic(PublicModel):
    secret: str = Field(description="Base32, for typing into an authenticator app.")
    uri: str = Field(description="The otpauth:// URI the QR code holds.")
    qr: list[str] = Field(description="The QR code: rows of '1' (dark) and '0' (light).")


class RecoveryCodesPublic(PublicModel):
    recovery_codes: list[str] = Field(description="Shown this once; each works one time.")


class ProfileIn(StrictModel):
    name: Name


class PasswordIn(StrictModel):
    current_password: Password
    new_password: Password


class SessionPublic(PublicModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool = False


class Revoked(PublicModel):
    revoked: int


class SetupPublic(PublicModel):
    needs_admin: bool = Field(description="No account exists yet: the first sign-up is the admin.")
    signup_mode: SignupMode


def _set_session_cookie(response: Response, settings: Settings, signed: SignedInResult) -> None:
    response.set_cookie(
        cookie_name(settings),
        signed.token,
        max_age=settings.session_max_days * 86400,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


@router.get("/setup", response_model=SetupPublic)
async def setup(ctx: Ctx) -> object:
    """For the sign-in page, before anyone is signed in: is this a new instance, may one sign up."""
    return await instance.setup(ctx)


@router.post("/signup", status_code=201, response_model=UserPublic)
async def signup(body: SignupIn, principal: Anyone, ctx: Ctx, response: Response) -> object:
    """Create an account. The first one becomes admin; later ones follow the sign-up mode."""
    signed = await accounts.signup(
        principal, ctx, email=body.email, password=body.password, name=body.name
    )
    _set_session_cookie(response, ctx.settings, signed)
    return signed.user


@router.post("/login", response_model=UserPublic)
async def login(body: LoginIn, principal: Anyone, ctx: Ctx, response: Response) -> object:
    signed = await accounts.login(
        principal, ctx, email=body.email, password=body.password, code=body.code
    )
    _set_session_cookie(response, ctx.settings, signed)
    return signed.user


@router.post("/logout", status_code=204)
async def logout(principal: Anyone, ctx: Ctx, response: Response) -> None:
    """End this session (a no-op for a visitor who is not signed in)."""
    await accounts.logout(principal, ctx)
    response.delete_cookie(
        cookie_name(ctx.settings),
        path="/",
        secure=ctx.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


@router.get("/me", response_model=UserPublic)
async def me(principal: SignedIn, ctx: Ctx) -> object:
    return await accounts.me(principal, ctx)


@router.patch("/me", response_model=UserPublic)
async def update_me(body: ProfileIn, principal: SignedIn, ctx: Ctx) -> object:
    return await accounts.update_profile(principal, ctx, name=body.name)


@router.post("/password", status_code=204)
async def change_password(body: PasswordIn, principal: SignedIn, ctx: Ctx) -> None:
    """Change my password; every other session of mine ends."""
    await accounts.change_password(
        principal, ctx, current_password=body.current_password, new_password=body.new_password
    )


@router.get("/sessions", response_model=list[SessionPublic])
async def list_sessions(principal: SignedIn, ctx: Ctx) -> list[SessionPublic]:
    rows = await sessions.list_mine(principal, ctx)
    return [
        SessionPublic.model_validate(row).model_copy(
            update={"current": row.id == principal.session_id}
        )
        for row in rows
    ]


@router.delete("/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: IdPath, principal: SignedIn, ctx: Ctx) -> None:
    await sessions.revoke(principal, ctx, session_id)


@router.delete("/sessions", response_model=Revoked)
async def revoke_other_sessions(principal: SignedIn, ctx: Ctx) -> Revoked:
    """End all my other sessions (this one stays signed in)."""
    return Revoked(revoked=await sessions.revoke_others(principal, ctx))


@router.get("/two-factor", response_model=TwoFactorPublic)
async def two_factor_status(principal: SignedIn, ctx: Ctx) -> object:
    return await two_factor.status(principal, ctx)


@router.post("/two-factor/setup", response_model=EnrolmentPublic)
async def two_factor_setup(body: PasswordConfirm, principal: SignedIn, ctx: Ctx) -> object:
    """Start turning two-factor on: a new secret for an authenticator app (needs the password)."""
    return await two_factor.begin(principal, ctx, body.password)


@router.post("/two-factor/confirm", response_model=RecoveryCodesPublic)
async def two_factor_confirm(body: CodeIn, principal: SignedIn, ctx: Ctx) -> RecoveryCodesPublic:
    """Finish turning it on with a first code from the app; answers the recovery codes."""
    return RecoveryCodesPublic(recovery_codes=await two_factor.confirm(principal, ctx, body.code))


@router.post("/two-factor/disable", status_code=204)
async def two_factor_disable(body: PasswordConfirm, principal: SignedIn, ctx: Ctx) -> None:
    await two_factor.disable(principal, ctx, body.password)


@router.post("/two-factor/recovery-codes", response_model=RecoveryCodesPublic)
async def two_factor_new_codes(
    body: PasswordConfirm, principal: SignedIn, ctx: Ctx
) -> RecoveryCodesPublic:
    """Replace the recovery codes (the old ones stop working)."""
    codes = await two_factor.new_recovery_codes(principal, ctx, body.password)
    return RecoveryCodesPublic(recovery_codes=codes)
