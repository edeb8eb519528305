"""`/api/connections` (admin): the model servers Confide talks to.

The API key is write-only: it is sealed at rest and never returned (answers say
`has_api_key`). In a PATCH, a new `api_key` replaces it, `"api_key": null` removes it, and
leaving it out keeps it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from fastapi import APIRouter
from pydantic import AfterValidator, Field

from confide.api.deps import Admin, Ctx, IdCursor, IdPath, Limit
from confide.api.schemas import Name, Page, PatchModel, PublicModel, StrictModel
from confide.db.tables import Connection
from confide.services import connections
from confide.services.connections import (
    MAX_URL,
    ConnectionChanges,
    ConnectionSpec,
    clean_base_url,
    clean_model_ids,
    clean_secret,
)

router = APIRouter(prefix="/api/connections", tags=["connections (admin)"])

Kind = Literal["openai", "ollama"]
BaseUrl = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL, description="http(s) URL, e.g. http://127.0.0.1:11434"),
    AfterValidator(clean_base_url),
]
ApiKey = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(clean_secret)]
Prefix = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$",
        description="Public model ids become `<prefix>/<model id>`.",
    ),
]
ModelIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(max_length=500, description="Upstream model ids to offer; empty offers all."),
    AfterValidator(clean_model_ids),
]
ConnectTimeout = Annotated[float, Field(ge=0.5, le=60, allow_inf_nan=False)]
ReadTimeout = Annotated[float, Field(ge=1, le=600, allow_inf_nan=False)]


class ConnectionIn(StrictModel):
    kind: Kind
    name: Name
    base_url: BaseUrl
    api_key: ApiKey | None = Field(default=None, description="Write-only; never returned.")
    model_prefix: Prefix | None = None
    enabled: bool = True
    model_allowlist: ModelIds = Field(default_factory=list)
    connect_timeout: ConnectTimeout = 5.0
    read_timeout: ReadTimeout = 120.0


class ConnectionUpdate(PatchModel):
    nullable: ClassVar[frozenset[str]] = frozenset({"api_key", "model_prefix"})

    kind: Kind | None = None
    name: Name | None = None
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = Field(default=None, description="New key; null removes it.")
    model_prefix: Prefix | None = Field(default=None, description="null removes it.")
    enabled: bool | None = None
    model_allowlist: ModelIds | None = None
    connect_timeout: ConnectTimeout | None = None
    read_timeout: ReadTimeout | None = None


class ConnectionPublic(PublicModel):
    id: str
    kind: str
    name: str
    base_url: str
    has_api_key: bool
    model_prefix: str | None
    enabled: bool
    model_allowlist: list[str]
    connect_timeout: float
    read_timeout: float
    created_at: datetime
    updated_at: datetime


class ProbeOut(PublicModel):
    ok: bool
    model_count: int
    error: str | None = Field(description="Why the server could not be listed (when not ok).")


def _public(row: Connection) -> ConnectionPublic:
    return ConnectionPublic(
        id=row.id,
        kind=row.kind,
        name=row.name,
        base_url=row.base_url,
        has_api_key=row.api_key is not None,
        model_prefix=row.model_prefix,
        enabled=row.enabled,
        model_allowlist=list(row.model_allowlist),
        connect_timeout=row.connect_timeout,
        read_timeout=row.read_timeout,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", response_model=Page[ConnectionPublic])
async def list_connections(
    principal: Admin, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[ConnectionPublic]:
    """In creation order (which is also the order clashing model ids are settled in)."""
    rows = await connections.page(principal, ctx, after=cursor, limit=limit + 1)
    items = [_public(r) for r in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.post("", status_code=201, response_model=ConnectionPublic)
async def create_connection(body: ConnectionIn, principal: Admin, ctx: Ctx) -> ConnectionPublic:
    spec = ConnectionSpec(**body.model_dump())
    return _public(await connections.create(principal, ctx, spec))


@router.get("/{connection_id}", response_model=ConnectionPublic)
async def get_connection(connection_id: IdPath, principal: Admin, ctx: Ctx) -> ConnectionPublic:
    return _public(await connections.get(principal, ctx, connection_id))


@router.patch("/{connection_id}", response_model=ConnectionPublic)
async def update_connection(
    connection_id: IdPath, body: ConnectionUpdate, principal: Admin, ctx: Ctx
) -> ConnectionPublic:
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    changes = ConnectionChanges(
        **values,
        clear_api_key=body.cleared("api_key"),
        clear_model_prefix=body.cleared("model_prefix"),
    )
    return _public(await connections.update(principal, ctx, connection_id, changes))


@router.delete("/{connection_id}", status_code=204)
async def delete_connection(connection_id: IdPath, principal: Admin, ctx: Ctx) -> None:
    await connections.delete(principal, ctx, connection_id)


@router.post("/{connection_id}/test", response_model=ProbeOut)
async def test_connection(connection_id: IdPath, principal: Admin, ctx: Ctx) -> ProbeOut:
    """List the server's models now, with the connection's own timeouts and key."""
    result = await connections.probe(principal, ctx, connection_id)
    return ProbeOut(ok=result.ok, model_count=result.model_count, error=result.error)
