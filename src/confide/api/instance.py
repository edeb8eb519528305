"""`/api/settings` (admin): instance settings changed at run time (environment wins)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field, StrictBool

from confide.api.deps import Admin, Ctx
from confide.api.schemas import PatchModel, PublicModel
from confide.services import instance
from confide.settings import SignupMode

router = APIRouter(prefix="/api/settings", tags=["settings (admin)"])


class InstancePublic(PublicModel):
    signup_mode: SignupMode
    signup_mode_locked: bool = Field(description="Set by CONFIDE_SIGNUP_MODE: read-only here.")
    public_shares: bool = Field(
        description="Share links marked public open for anyone, signed in or not; when false, "
        "every share link needs a signed-in member of this instance."
    )
    public_shares_locked: bool = Field(description="Set by CONFIDE_PUBLIC_SHARES: read-only here.")
    admins_need_two_factor: bool = Field(
        description="Admin pages and admin API calls refuse an admin without two-factor on."
    )
    embedding_model: str = Field(
        description='The model files are embedded with: "" for the built-in all-MiniLM-L6-v2, '
        "or a model of a connection as /api/models lists it."
    )
    files_to_reembed: int = Field(
        description="Ready files whose vectors another embedder made: they are re-embedded in "
        "the background, and found by their words meanwhile."
    )
    rerank_model: str = Field(
        description='The model that orders retrieved passages again ("" for none).'
    )


class InstanceUpdate(PatchModel):
    signup_mode: SignupMode | None = None
    public_shares: StrictBool | None = None
    admins_need_two_factor: StrictBool | None = None
    embedding_model: str | None = Field(
        default=None,
        max_length=200,
        description='"" for the built-in embedder, or a model id from /api/models (not a '
        "preset); it is asked for one embedding first.",
    )
    rerank_model: str | None = Field(
        default=None,
        max_length=200,
        description='"" for none, or a model id from /api/models whose server has `/rerank` '
        "(vLLM, llama.cpp's server, Infinity, TEI); it is asked to rank a probe first.",
    )


@router.get("", response_model=InstancePublic)
async def get_settings(principal: Admin, ctx: Ctx) -> object:
    return await instance.view(principal, ctx)


@router.patch("", response_model=InstancePublic)
async def update_settings(body: InstanceUpdate, principal: Admin, ctx: Ctx) -> object:
    """Change the sign-up mode and/or whether share links can be public (each refused when
    its environment variable sets it)."""
    return await instance.update(
        principal,
        ctx,
        signup_mode=body.signup_mode,
        public_shares=body.public_shares,
        admins_need_two_factor=body.admins_need_two_factor,
        embedding_model=body.embedding_model,
        rerank_model=body.rerank_model,
    )
