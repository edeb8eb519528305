"""Share links: `/api/chats/{id}/shares` and `/api/shares` (mine: make, list, revoke), and
`/api/shared/{token}` (what a link shows). The web app shows a link at `/s/{token}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import Field, StrictBool

from confide.api.deps import Anyone, Ctx, IdPath, Member
from confide.api.schemas import PublicModel, StrictModel
from confide.services import shares
from confide.services.context import Context
from confide.services.shares import ShareView

router = APIRouter(tags=["shares"])
LINK_PAGE = "/s/"
TokenPath = Annotated[
    str, Path(min_length=1, max_length=64, description="The secret part of a share link.")
]


class ShareCreate(StrictModel):
    public: StrictBool = Field(
        default=False,
        description="Anyone with the link may open it, signed in or not (when the instance "
        "allows public links). Otherwise only signed-in members of this instance.",
    )


class ShareOut(PublicModel):
    id: str
    chat_id: str
    title: str = Field(description="The chat's current title.")
    url: str = Field(description="The link to give out: the web app's page for this share.")
    token: str = Field(description="The link's secret (the last part of `url`).")
    public: bool
    message_count: int = Field(description="How many messages the snapshot holds.")
    created_at: datetime


class ShareOptionsOut(PublicModel):
    public_allowed: bool = Field(description="Whether shares can be made public right now.")


class SharedMessageOut(PublicModel):
    role: str
    content: str
    model: str | None
    created_at: datetime


class SharedChatOut(PublicModel):
    title: str = Field(description="The chat's title when it was shared.")
    messages: list[SharedMessageOut] = Field(
        description="The branch that was current when it was shared, oldest first."
    )
    created_at: datetime = Field(description="When it was shared.")
    public: bool = Field(description="Whether the link opens for anyone, signed in or not.")


def _base_url(request: Request, ctx: Context) -> str:
    if ctx.settings.explicitly_set("public_url"):
        return ctx.settings.public_url
    return str(request.base_url).rstrip("/")


def _out(view: ShareView, base: str) -> ShareOut:
    return ShareOut(
        id=view.id,
        chat_id=view.chat_id,
        title=view.title,
        url=f"{base}{LINK_PAGE}{view.token}",
        token=view.token,
        public=view.public,
        message_count=view.message_count,
        created_at=view.created_at,
    )


@router.post("/api/chats/{chat_id}/shares", status_code=201, response_model=ShareOut)
async def create_share(
    chat_id: IdPath, body: ShareCreate, principal: Member, ctx: Ctx, request: Request
) -> ShareOut:
    """Share the chat as it is now (its title and current branch) behind a new link."""
    view = await shares.create_share(principal, ctx, chat_id, public=body.public)
    return _out(view, _base_url(request, ctx))


@router.get("/api/chats/{chat_id}/shares", response_model=list[ShareOut])
async def list_chat_shares(
    chat_id: IdPath, principal: Member, ctx: Ctx, request: Request
) -> list[ShareOut]:
    """This chat's share links, newest first."""
    base = _base_url(request, ctx)
    return [_out(v, base) for v in await shares.list_shares(principal, ctx, chat_id)]


@router.get("/api/shares", response_model=list[ShareOut])
async def list_shares(principal: Member, ctx: Ctx, request: Request) -> list[ShareOut]:
    """All my share links, newest first (at most 1,000 can exist)."""
    base = _base_url(request, ctx)
    return [_out(v, base) for v in await shares.list_shares(principal, ctx)]


@router.get("/api/shares/options", response_model=ShareOptionsOut)
async def share_options(principal: Member, ctx: Ctx) -> ShareOptionsOut:
    """What the share dialog may offer."""
    return ShareOptionsOut(public_allowed=await shares.public_allowed(principal, ctx))


@router.delete("/api/shares/{share_id}", status_code=204)
async def revoke_share(share_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Revoke the link: from now on it shows nothing."""
    await shares.revoke_share(principal, ctx, share_id)


@router.get("/api/shared/{token}", response_model=SharedChatOut)
async def view_shared(token: TokenPath, principal: Anyone, ctx: Ctx) -> SharedChatOut:
    """The chat a share link shows. Any signed-in member of this instance may open a link;
    anyone at all only when the share is public and the instance allows public links."""
    chat = await shares.view_shared(principal, ctx, token)
    return SharedChatOut.model_validate(chat)
