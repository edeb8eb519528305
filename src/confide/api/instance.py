"""`/api/settings` (admin): instance settings changed at run time (environment wins)."""

from __future__ import annotations

from fastapi import APIRouter

from confide.api.deps import Admin, Ctx
from confide.api.schemas import PublicModel, StrictModel
from confide.services import instance
from confide.settings import SignupMode

router = APIRouter(prefix="/api/settings", tags=["settings (admin)"])


class InstancePublic(PublicModel):
    signup_mode: SignupMode
    signup_mode_locked: bool


class InstanceUpdate(StrictModel):
    signup_mode: SignupMode


@router.get("", response_model=InstancePublic)
async def get_settings(principal: Admin, ctx: Ctx) -> object:
    return await instance.view(principal, ctx)


@router.patch("", response_model=InstancePublic)
async def update_settings(body: InstanceUpdate, principal: Admin, ctx: Ctx) -> object:
    """Change the sign-up mode (refused when CONFIDE_SIGNUP_MODE sets it)."""
    return await instance.set_signup_mode(principal, ctx, body.signup_mode)
