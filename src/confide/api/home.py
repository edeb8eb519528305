"""`/`: a short status page until the web app is built into the package."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from confide import __version__

router = APIRouter(include_in_schema=False)

PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confide</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Confide {__version__}</h1>
<p>The server is running. The web app is not built into this version yet.</p>
<p>Sign up with <code>POST /api/auth/signup</code> (the first account becomes the admin), then
read the API at <a href="/api/docs">/api/docs</a>.</p>
</main></body></html>
"""


@router.get("/")
async def home() -> HTMLResponse:
    return HTMLResponse(PAGE)
