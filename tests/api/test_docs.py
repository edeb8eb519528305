"""The OpenAPI schema and the Swagger UI page: signed-in users only, offline, CSP-clean."""

from __future__ import annotations

import re

import httpx
import pytest

from confide.api.middleware import CSP
from tests.conftest import signup

DOCS_ROUTES = [
    "/api/openapi.json",
    "/api/docs",
    "/api/docs/init.js",
    "/api/docs/assets/swagger-ui.css",
    "/api/docs/assets/swagger-ui-bundle.js",
]


@pytest.mark.parametrize("path", DOCS_ROUTES)
async def test_anonymous_gets_401(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


async def test_signed_in_user_gets_the_schema(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/auth/login" in schema["paths"]
    assert not any(path.startswith("/api/docs") for path in schema["paths"])


async def test_pending_user_gets_the_page_too(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    assert (await signup(client, "later@example.com"))["role"] == "pending"
    assert (await client.get("/api/docs")).status_code == 200


async def test_page_has_no_inline_script_and_its_files_load(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    html = page.text
    assert "<script>" not in html
    assert not re.search(r"<[^>]*\son\w+=", html)  # no onload= and the like
    scripts = re.findall(r'<script src="([^"]+)"></script>', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert scripts == ["/api/docs/assets/swagger-ui-bundle.js", "/api/docs/init.js"]
    assert styles == ["/api/docs/assets/swagger-ui.css"]
    for url in scripts:
        loaded = await admin.get(url)
        assert loaded.status_code == 200
        assert loaded.headers["content-type"] == "text/javascript; charset=utf-8"
    css = await admin.get(styles[0])
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "swagger-ui" in css.text


async def test_init_script_points_at_our_schema(admin: httpx.AsyncClient) -> None:
    bundle = await admin.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    init = (await admin.get("/api/docs/init.js")).text
    assert 'url: "/api/openapi.json"' in init
    assert "validatorUrl: null" in init  # no schema URL sent to validator.swagger.io
    assert '"X-Confide-CSRF"' in init


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/assets/..%2f..%2fsettings.py",
        "/api/docs/assets/..%2f__init__.py",
        "/api/docs/assets/%2e%2e%2fcore.py",
        "/api/docs/assets/..%5ccore.py",
        "/api/docs/assets/__init__.py",
        "/api/docs/assets/missing.js",
        "/api/docs/assets/",
        "/api/docs/assets/.",
    ],
)
async def test_only_files_of_the_static_directory_are_served(
    admin: httpx.AsyncClient, path: str
) -> None:
    response = await admin.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("settings_overrides", [{"api_docs": False}])
@pytest.mark.parametrize("path", DOCS_ROUTES)
async def test_docs_can_be_turned_off(admin: httpx.AsyncClient, path: str) -> None:
    assert (await admin.get(path)).status_code == 404
