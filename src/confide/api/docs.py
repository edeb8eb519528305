"""The OpenAPI schema, for signed-in users only (or not at all: CONFIDE_API_DOCS=false)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from confide.api.deps import SignedIn

router = APIRouter(tags=["docs"])


@router.get("/api/openapi.json", include_in_schema=False)
async def openapi_schema(request: Request, principal: SignedIn) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema
