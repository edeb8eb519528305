"""The HTTP baseline: headers, body limits, content types, CSRF, errors, CORS, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from confide.app import create_app
from confide.services import accounts
from tests.conftest import PASSWORD, make_settings, new_client

SIGNUP = {"email": "a@example.com", "password": PASSWORD, "name": "A"}


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for path in ["/healthz", "/api/auth/me", "/no/such/page"]:
        headers = (await client.get(path)).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "camera=()" in headers["permissions-policy"]
        assert headers["x-request-id"]


async def test_api_answers_are_not_cached(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).headers["cache-control"] == "no-store"


async def test_request_id_is_echoed_when_sane(client: httpx.AsyncClient) -> None:
    good = await client.get("/healthz", headers={"x-request-id": "trace-12345678"})
    assert good.headers["x-request-id"] == "trace-12345678"
    bad = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert bad.headers["x-request-id"] != "<script>"


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": 4096}


async def test_oversized_body_refused_by_content_length(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/signup", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "4096" in response.json()["detail"]


async def test_oversized_body_refused_when_streamed(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    response = await client.post(
        "/api/auth/signup", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_bad_content_length(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content=b"{}",
        headers={"content-length": "abc", "content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/signup", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_wrong_content_type_is_415(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/api/auth/signup", content=b'{"a": 1}', headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [[], "string", 42, None, {"email": {"$ne": ""}, "password": PASSWORD, "name": "A"}],
)
async def test_wrong_json_shapes_are_422(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Invalid request.")


async def test_deeply_nested_json_is_refused_cleanly(client: httpx.AsyncClient) -> None:
    nested = "[" * 3000 + "]" * 3000
    response = await client.post(
        "/api/auth/signup", content=nested.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code in {400, 413, 422}
    assert "detail" in response.json()


async def test_csrf_header_required_for_cookie_requests(app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080"
    ) as bare:
        response = await bare.post("/api/auth/signup", json=SIGNUP)
    assert response.status_code == 403
    assert "X-Confide-CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:8080.evil.example"},
        {"referer": "https://evil.example/page"},
    ],
)
async def test_foreign_origins_are_refused(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await admin.patch("/api/auth/me", json={"name": "Pwned"}, headers=headers)
    assert response.status_code == 403
    assert (await admin.get("/api/auth/me")).json()["name"] == "Ada Admin"


async def test_own_origin_is_accepted(admin: httpx.AsyncClient) -> None:
    response = await admin.patch(
        "/api/auth/me", json={"name": "Ada"}, headers={"origin": "http://127.0.0.1:8080"}
    )
    assert response.status_code == 200


async def test_unknown_routes_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong = await client.put("/api/auth/login", json={})
    assert wrong.status_code == 405
    assert "detail" in wrong.json()


async def test_unexpected_errors_reveal_nothing(
    app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals at /srv/confide/db.py SELECT * FROM users")

    monkeypatch.setattr(accounts, "login", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="confide.api"):
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8080", headers={"x-confide-csrf": "1"}
        ) as client:
            response = await client.post(
                "/api/auth/login", json={"email": "a@example.com", "password": "x"}
            )
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Something went wrong on the server."
    assert body["request_id"] == response.headers["x-request-id"]
    assert "secret" not in response.text and "SELECT" not in response.text
    assert body["request_id"] in caplog.text
    assert "RuntimeError" in caplog.text


async def test_no_cors_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/auth/me",
        headers={"origin": "https://other.example", "access-control-request-method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_when_configured(tmp_path: Any, database_url: str, ctx: Any) -> None:
    settings = make_settings(tmp_path, database_url, cors_origins="https://app.example")
    app = create_app(settings, type(ctx)(**{**ctx.__dict__, "settings": settings}))
    async with new_client(app) as c:
        allowed = await c.options(
            "/api/auth/me",
            headers={"origin": "https://app.example", "access-control-request-method": "GET"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        denied = await c.get("/api/auth/me", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


async def test_openapi_for_signed_in_users_only(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    assert (await client.get("/api/openapi.json")).status_code == 401
    schema = (await admin.get("/api/openapi.json")).json()
    assert "/api/auth/login" in schema["paths"]
    assert (await client.get("/docs")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 404


async def test_secure_cookies_for_https_public_url(
    tmp_path: Any, database_url: str, ctx: Any
) -> None:
    settings = make_settings(tmp_path, database_url, public_url="https://chat.example")
    app = create_app(settings, type(ctx)(**{**ctx.__dict__, "settings": settings}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://chat.example",
        headers={"x-confide-csrf": "1", "origin": "https://chat.example"},
    ) as c:
        response = await c.post("/api/auth/signup", json=SIGNUP)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-confide_session=")
        assert "Secure" in cookie
        assert "strict-transport-security" in response.headers
        assert (await c.get("/api/auth/me")).status_code == 200
