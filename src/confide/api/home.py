"""The web app: `index.html` for each of its pages, and its hashed assets under `/assets/`.

`make run` builds the app (frontend/) into `confide/static/app/`; a wheel ships it built. Each
client-side route answers the same `index.html` (never cached, so a new version shows at once);
assets carry a content hash in their names, so they are cached for good. Until the app is
built, every page is a short status page that says how to build it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from confide import __version__
from confide.errors import NotFound

router = APIRouter(include_in_schema=False)

APP_DIR = Path(__file__).resolve().parent.parent / "static" / "app"
METHODS = ["GET", "HEAD"]
# Paths the app handles in the browser. Listed one by one so that no catch-all can ever
# shadow /api, /v1, /healthz, /readyz or the API docs.
PAGES = ("/", "/login", "/signup", "/pending", "/archived", "/settings", "/admin")
SUBPAGES = ("/c/{chat_id}", "/s/{token}", "/settings/{rest:path}", "/admin/{rest:path}")
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"

NOT_BUILT = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confide</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Confide {__version__}</h1>
<p>The server is running, but the web app has not been built into this copy.</p>
<p>From a clone of the repository, <code>make run</code> builds it (Node.js and npm needed)
and starts the server. The API works meanwhile: sign up with
<code>POST /api/auth/signup</code> (the first account becomes the admin), then read it at
<a href="/api/docs">/api/docs</a>.</p>
</main></body></html>
"""


def app_page(app_dir: Path) -> Response:
    """The app's index.html, or the status page when the app is not built."""
    index = app_dir / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, headers={"cache-control": PAGE_CACHE})
    return FileResponse(
        index, media_type="text/html; charset=utf-8", headers={"cache-control": PAGE_CACHE}
    )


def asset_path(root: Path, name: str) -> Path | None:
    """The file `name` names inside `root`, or None when it is not a plain file in there.

    `name` arrives percent-decoded. Anything odd (`..`, backslashes, NUL, absolute paths,
    dot files) is refused before the file system is asked, and the resolved path must
    still lie inside `root` (a symlink pointing out is refused too).
    """
    if not name or "\\" in name or "\x00" in name:
        return None
    parts = PurePosixPath(name).parts
    if name.startswith("/") or any(part.startswith(".") for part in parts):
        return None
    base = root.resolve()
    try:
        path = (base / name).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def _static_file(root: Path, name: str, cache: str) -> FileResponse:
    path = asset_path(root, name)
    media_type = ASSET_TYPES.get(path.suffix.lower()) if path is not None else None
    if path is None or media_type is None:
        raise NotFound("No such file.")
    return FileResponse(path, media_type=media_type, headers={"cache-control": cache})


async def page() -> Response:
    return app_page(APP_DIR)


async def asset(path: str) -> FileResponse:
    return _static_file(APP_DIR / "assets", path, ASSET_CACHE)


async def favicon() -> FileResponse:
    return _static_file(APP_DIR, "favicon.svg", "public, max-age=86400")


for _path in (*PAGES, *SUBPAGES):
    router.add_api_route(_path, page, methods=METHODS)
router.add_api_route("/assets/{path:path}", asset, methods=METHODS)
router.add_api_route("/favicon.svg", favicon, methods=METHODS)
