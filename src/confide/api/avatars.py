"""Profile pictures: `PUT`/`DELETE /api/auth/me/avatar` (mine only) and
`GET /api/users/{user_id}/avatar` (anyone's, for approved members, like their name).

The upload is the picture itself as the body (at most 512 KB, refused at once beyond). Its
type is read from its bytes, never from the Content-Type or a file name; pictures are served
back with that sniffed type, `nosniff` and a CSP that lets nothing run.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from confide.api.deps import Ctx, IdPath, Member, SignedIn
from confide.api.schemas import UserPublic, avatar_stamp
from confide.services import accounts, avatars

router = APIRouter(tags=["auth"])
AVATAR_PATH = "/api/auth/me/avatar"
MAX_AGE = 86400  # the URL in `avatar_url` changes with the picture (`?v=`)
ERRORS: dict[int | str, dict[str, Any]] = {
    415: {"description": "Not a PNG, JPEG or WebP picture (read from its bytes)."}
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The picture itself: PNG, JPEG or WebP, at most {avatars.MAX_BYTES} "
        f"bytes and {avatars.MAX_SIDE} pixels a side.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/png", "image/jpeg", "image/webp")
        },
    }
}
PICTURE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture, with the type read from its bytes.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/png", "image/jpeg", "image/webp")
        },
    },
    304: {"description": "Not modified (If-None-Match)."},
}


@router.put(AVATAR_PATH, response_model=UserPublic, responses=ERRORS, openapi_extra=UPLOAD_BODY)
async def set_avatar(request: Request, principal: SignedIn, ctx: Ctx) -> object:
    """Set or replace my profile picture; answers my account with its new `avatar_url`."""
    await avatars.set_mine(principal, ctx, await request.body())
    return await accounts.me(principal, ctx)


@router.delete(AVATAR_PATH, status_code=204)
async def remove_avatar(principal: SignedIn, ctx: Ctx) -> None:
    """Remove my profile picture (a no-op when I have none)."""
    await avatars.remove_mine(principal, ctx)


@router.get("/api/users/{user_id}/avatar", response_class=Response, responses=PICTURE)
async def get_avatar(user_id: IdPath, request: Request, principal: Member, ctx: Ctx) -> Response:
    """A member's profile picture; 404 when they have none. Cached privately: `avatar_url`
    changes when the picture does."""
    picture = await avatars.get(principal, ctx, user_id)
    etag = f'"{avatar_stamp(picture.updated_at)}"'
    headers = {
        "etag": etag,
        "cache-control": f"private, max-age={MAX_AGE}",
        "content-security-policy": "default-src 'none'",
        "content-disposition": 'inline; filename="avatar"',
        "x-content-type-options": "nosniff",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(picture.data, media_type=picture.content_type, headers=headers)
