"""The OpenAPI schema and its Swagger UI page, for signed-in users only.

CONFIDE_API_DOCS=false removes these routes. Swagger UI's files come from the
`fastapi-offline` package's static directory, so the page works offline and under our CSP
(`script-src 'self'`): the page has no inline script; `init.js` below starts Swagger UI.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from confide.api.deps import SignedIn
from confide.errors import NotFound

ASSETS_PACKAGE = "fastapi_offline"
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confide API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"""
# Same-origin requests made with "Try it out" ride on the session cookie, so they carry the
# CSRF header our middleware asks of unsafe methods. No validator badge: it would send the
# schema's URL to a third party.
INIT_JS = """"use strict";
window.addEventListener("load", function () {
  SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: function (request) {
      if (new URL(request.url, window.location.href).origin === window.location.origin) {
        request.headers["X-Confide-CSRF"] = "1";
      }
      return request;
    },
  });
});
"""

router = APIRouter(tags=["docs"])


@router.get("/api/openapi.json", include_in_schema=False)
async def openapi_schema(request: Request, principal: SignedIn) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/api/docs", include_in_schema=False)
async def docs_page(principal: SignedIn) -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/api/docs/init.js", include_in_schema=False)
async def docs_init(principal: SignedIn) -> Response:
    return Response(INIT_JS, media_type=ASSET_TYPES[".js"])


@router.get("/api/docs/assets/{name}", include_in_schema=False)
async def docs_asset(name: str, principal: SignedIn) -> FileResponse:
    path = assets().get(name)
    if path is None:
        raise NotFound("No such file.")
    cache_control = "private, max-age=86400"  # versioned with the package; cookie-gated
    return FileResponse(
        path, media_type=ASSET_TYPES[path.suffix], headers={"cache-control": cache_control}
    )


@cache
def assets() -> dict[str, Path]:
    """The files we serve, by name: the regular files of the package's static directory.

    Looked up on first use, without importing the package (we only need its files). A name
    not in this map is a 404, so no request path can reach outside the directory.
    """
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {ASSETS_PACKAGE} package is not installed")
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    return {
        entry.name: entry
        for entry in static.iterdir()
        if entry.suffix in ASSET_TYPES and entry.is_file() and not entry.is_symlink()
    }
