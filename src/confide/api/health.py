"""`/healthz` (the process is alive) and `/readyz` (it should get new work: not draining for
shutdown, database reachable, schema current).

A load balancer routes by `/readyz`; an orchestrator restarts by `/healthz`, which stays up
while the replica drains so it is not killed before its running replies finish.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from confide.api.deps import Ctx
from confide.db import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, ctx: Ctx) -> JSONResponse:
    if request.app.state.drain.draining:
        return JSONResponse({"status": "draining", "database": "not checked"}, status_code=503)
    try:
        await ctx.db.ping()
        current = await migrate.is_current(ctx.db)
    except (SQLAlchemyError, OSError):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not current:
        return JSONResponse(
            {"status": "unavailable", "database": "migrations pending"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})
