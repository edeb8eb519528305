"""Serving the web app: its pages, its assets, and nothing else from the disk."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from confide.api import home

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script>'
PAGES = ["/", "/login", "/signup", "/pending", "/archived", "/c/0123abcd", "/settings"]
PAGES += ["/settings/api-keys", "/admin", "/admin/users/42"]


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small stand-in for `npm run build`'s output, with a secret beside it."""
    app_dir = tmp_path / "static" / "app"
    (app_dir / "assets").mkdir(parents=True)
    (app_dir / "index.html").write_text(INDEX)
    (app_dir / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (app_dir / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (app_dir / "assets" / "app-1a2b.css").write_text("body{margin:0}")
    (app_dir / "assets" / ".hidden.js").write_text("hidden")
    (app_dir / "assets" / "notes.md").write_text("not an asset type")
    (tmp_path / "static" / "secret.js").write_text("the master key")
    (app_dir / "assets" / "link.js").symlink_to(tmp_path / "static" / "secret.js")
    monkeypatch.setattr(home, "APP_DIR", app_dir)
    return app_dir


@pytest.mark.parametrize("path", PAGES)
async def test_each_app_page_answers_index_html(
    client: httpx.AsyncClient, built: Path, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_head_works_for_pages_and_assets(client: httpx.AsyncClient, built: Path) -> None:
    for path in ["/", "/c/abc", "/assets/app-1a2b.js"]:
        response = await client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app-1a2b.js", "text/javascript; charset=utf-8"),
        ("app-1a2b.css", "text/css; charset=utf-8"),
    ],
)
async def test_assets_are_cached_for_good_with_their_type(
    client: httpx.AsyncClient, built: Path, name: str, content_type: str
) -> None:
    response = await client.get(f"/assets/{name}")
    assert response.status_code == 200
    assert response.text == (built / "assets" / name).read_text()
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_favicon(client: httpx.AsyncClient, built: Path) -> None:
    response = await client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../index.html",
        "/assets/%2e%2e/index.html",
        "/assets/%2E%2E/%2e%2e/secret.js",
        "/assets/..%2fsecret.js",
        "/assets/..%2f..%2fsecret.js",
        "/assets/..%5c..%5csecret.js",
        "/assets/app-1a2b.js%00.css",
        "/assets/%2fetc/passwd",
        "/assets//etc/passwd",
        "/assets/.hidden.js",
        "/assets/notes.md",
        "/assets/link.js",
        "/assets/missing.js",
        "/assets/",
    ],
)
async def test_nothing_outside_the_assets_is_served(
    client: httpx.AsyncClient, built: Path, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404, path
    assert "the master key" not in response.text
    assert response.text != INDEX


@pytest.mark.parametrize(
    "name",
    ["../index.html", "..\\index.html", "a/../../x.js", "/etc/passwd", "x\x00.js", "", ".", "./a"],
)
def test_asset_path_refuses_odd_names(built: Path, name: str) -> None:
    assert home.asset_path(built / "assets", name) is None


def test_asset_path_finds_a_real_asset(built: Path) -> None:
    found = home.asset_path(built / "assets", "app-1a2b.js")
    assert found == (built / "assets" / "app-1a2b.js").resolve()


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/nothing", "/v1/models", "/healthz"])
async def test_app_pages_never_shadow_the_api(
    client: httpx.AsyncClient, built: Path, path: str
) -> None:
    response = await client.get(path)
    assert response.text != INDEX
    assert response.headers["content-type"].startswith("application/json")


async def test_unknown_paths_are_not_the_app(client: httpx.AsyncClient, built: Path) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404


async def test_without_a_build_a_status_page_says_how_to_build(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home, "APP_DIR", tmp_path / "not-built")
    for path in ["/", "/login", "/c/abc"]:
        response = await client.get(path)
        assert response.status_code == 200
        assert "make run" in response.text
        assert "<script" not in response.text
        assert response.headers["cache-control"] == "no-cache"
    assert (await client.get("/assets/app.js")).status_code == 404
