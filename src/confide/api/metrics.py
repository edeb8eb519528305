"""`/metrics` (Prometheus text) for operators, and the middleware that counts requests.

The route exists only in name until the operator restricts it: with neither
`CONFIDE_METRICS_TOKEN` nor `CONFIDE_METRICS_NETWORKS` set, it answers 404 exactly like an
unknown address, and prometheus_client is never imported. With networks set, a client outside
them gets that same 404 (the client address is the one uvicorn gives, after the proxies
`CONFIDE_FORWARDED_ALLOW_IPS` trusts); with a token set, a request without it gets 401.
Both set: both are required.
"""

from __future__ import annotations

import hmac
import time
from ipaddress import ip_address
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confide.settings import Settings

if TYPE_CHECKING:
    from confide.api.exposition import Metrics

router = APIRouter(include_in_schema=False)
UNMATCHED = "unmatched"  # the route label of a request no route took (404, or refused before)
UNAUTHORIZED = "Send the metrics token as 'Authorization: Bearer <token>'."


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format, for the operator's scraper only."""
    access: Access | None = getattr(request.app.state, "metrics_access", None)
    if access is None or not access.admits_address(request):
        raise HTTPException(404)  # the very answer of an unknown route
    if not access.admits_token(request):
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    collected: Metrics = request.app.state.metrics
    body = await collected.render()
    return Response(body, media_type=collected.content_type, headers={"cache-control": "no-store"})


class Access:
    """Who may read the metrics, from the settings: every restriction set must be met."""

    def __init__(self, settings: Settings) -> None:
        self.networks = settings.metrics_allowed_networks()
        token = settings.metrics_token
        self.token = token.get_secret_value().encode() if token is not None else None

    def admits_address(self, request: Request) -> bool:
        if not self.networks:
            return True
        try:
            address = ip_address(request.client.host if request.client else "")
        except ValueError:  # not an IP address (a unix socket)
            return False
        return any(address in network for network in self.networks)

    def admits_token(self, request: Request) -> bool:
        if self.token is None:
            return True
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        # compare_digest: the time taken tells nothing about how much of the token matched.
        matches = hmac.compare_digest(credential.strip().encode(), self.token)
        return scheme.lower() == "bearer" and matches


def install(app: FastAPI, settings: Settings) -> None:
    """Turn metrics on when the operator configured who may read them."""
    if not settings.metrics_enabled:
        return
    # Imported only here: prometheus_client (with http.server and wsgiref) costs about 80 ms
    # of start-up and some memory, which a server without metrics should not pay.
    from confide.api.exposition import Metrics

    state = app.state
    state.metrics_access = Access(settings)
    state.metrics = Metrics(lambda: state.ctx, lambda: state.drain.draining)
    app.add_middleware(RequestMetricsMiddleware, metrics=state.metrics)


class RequestMetricsMiddleware:
    """Counts every answer by method, route template and status class, and times it to the
    response's start. Pure ASGI and cheap: the route is read from the scope the router filled
    in, and the labelled series come from a dict after the first request of their kind."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.observe = metrics.observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observe = self.observe

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                path = getattr(scope.get("route"), "path", UNMATCHED)
                observe(scope["method"], path, message["status"], time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed)
