"""Dependencies every route uses: the app context and who is acting.

Browsers authenticate with the session cookie, API clients with `Authorization: Bearer cf-…`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from confide.db.ids import is_id
from confide.errors import BadRequest, Forbidden, Unauthorized, Unavailable
from confide.services import instance, sessions
from confide.services.context import Context
from confide.settings import Settings
from confide.store.access import Client, Principal, Role, require_admin

SESSION_COOKIE = "confide_session"
SECURE_SESSION_COOKIE = "__Host-confide_session"


def cookie_name(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.secure_cookies else SESSION_COOKIE


async def get_context(request: Request) -> Context:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread per request.
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(get_context)]


def client_of(request: Request) -> Client:
    host = request.client.host if request.client else None
    agent = request.headers.get("user-agent", "")[:255] or None
    return Client(ip=host, user_agent=agent)


async def current_principal(request: Request, ctx: Ctx) -> Principal:
    """Whoever is acting; an anonymous principal when no credential came with the request."""
    client = client_of(request)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthorized("Use the header 'Authorization: Bearer <API key>'.")
        principal = await sessions.from_api_key(ctx, credential.strip(), client)
        if principal is None:
            raise Unauthorized("This API key is not valid, has expired or was revoked.")
        return principal
    token = request.cookies.get(cookie_name(ctx.settings))
    if token:
        principal = await sessions.from_session_token(ctx, token, client)
        if principal is not None:
            return principal
    return Principal.anonymous(client)


Anyone = Annotated[Principal, Depends(current_principal)]


async def signed_in(principal: Anyone) -> Principal:
    if principal.user_id is None:
        raise Unauthorized("Sign in first.")
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


async def member(principal: SignedIn) -> Principal:
    if principal.role is Role.pending:
        raise Forbidden("Your account is waiting for an admin's approval.")
    return principal


Member = Annotated[Principal, Depends(member)]


class AdminNeedsTwoFactor(Forbidden):
    reason = "two_factor_required_for_admins"


async def admin(principal: Member, ctx: Ctx) -> Principal:
    require_admin(principal)
    if not principal.two_factor and not principal.system:
        async with ctx.db.read() as session:
            if await instance.admins_need_two_factor(ctx, session):
                raise AdminNeedsTwoFactor(
                    "This instance requires administrators to use two-factor authentication. "
                    "Turn it on in Settings > Account first."
                )
    return principal


Admin = Annotated[Principal, Depends(admin)]

DRAINING = (
    "This server is restarting and starts no new replies; send your message again in a few seconds."
)
DRAINING_RETRY_SECONDS = 2  # behind a load balancer, the retry reaches another replica


async def taking_generations(request: Request) -> None:
    """New replies start only while this replica is not draining for shutdown
    (runtime/drain.py); refused before anything is written, so a retry is safe."""
    if request.app.state.drain.draining:
        raise Unavailable(DRAINING, DRAINING_RETRY_SECONDS)


TakingGenerations = Depends(taking_generations)

IdPath = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200).")]
Cursor = Annotated[
    str | None, Query(max_length=64, description="`next_cursor` from the previous page.")
]


async def id_cursor(cursor: Cursor = None) -> str | None:
    """A `cursor` that is a row id (the last one of the previous page); 400 for anything else."""
    if cursor is not None and not is_id(cursor):
        raise BadRequest("The cursor is not one this API gave out.")
    return cursor


IdCursor = Annotated[str | None, Depends(id_cursor)]
