"""Web pages attached to a chat message: fetched through the SSRF guard when the message is
sent, searched for the question, and given to the reply as cited sources. Every refused
address answers 400 before anything is written, and nothing reaches the internal server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from confide.security.safe_http import UnsafeURL
from confide.services.context import Context
from tests.api.test_chat_sources import system_prompts
from tests.api.test_chats import finished, new_chat, send, upstream  # noqa: F401
from tests.fakes.openai_server import FakeOpenAI
from tests.security.test_ssrf import (
    ADDRESS_PAYLOADS,
    PUBLIC_NAME,
    URL_PAYLOADS,
    Site,
    internal,  # noqa: F401 -- fixture
    public,  # noqa: F401 -- fixture
)

pytestmark = pytest.mark.usefixtures("upstream")

ARTICLE = """<!doctype html><html><head><title>Otters</title><script>steal()</script></head>
<body><h1>River otters</h1><p>River otters eat crayfish, frogs and slow fish.</p>
<h2>Dens</h2><p>They den in burrows called holts, dug into the riverbank.</p></body></html>"""


@pytest.fixture
async def web_ready(ctx: Context, public: Site) -> AsyncIterator[Site]:  # noqa: F811
    """`ctx`'s fetcher sees the `public` loopback site as the internet's PUBLIC_NAME."""

    async def resolve(host: str, port: int) -> list[str]:
        if host == PUBLIC_NAME:
            return ["127.0.0.1"]
        raise UnsafeURL(f"The host {host!r} could not be resolved.")

    ctx.fetcher.allow = frozenset({("127.0.0.1", public.port)})
    ctx.fetcher.resolve = resolve
    ctx.fetcher.timeout = 3.0

    async def article(request: web.Request) -> web.StreamResponse:
        return web.Response(text=ARTICLE, content_type="text/html")

    public.handler = article
    yield public


def page_url(site: Site, path: str = "/otters") -> str:
    return f"http://{PUBLIC_NAME}:{site.port}{path}"


async def messages_of(c: httpx.AsyncClient, chat_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await c.get(f"/api/chats/{chat_id}")).json()["messages"]
    return found


async def test_a_web_page_is_read_and_cited(
    ctx: Context, user: httpx.AsyncClient, web_ready: Site, fake_openai: FakeOpenAI
) -> None:
    chat_id = await new_chat(user)
    url = page_url(web_ready)
    sent = await send(user, chat_id, content="What do otters eat?", urls=[url])
    await finished(ctx, sent)
    asked, replied = await messages_of(user, chat_id)
    assert asked["attachments"] == [{"kind": "web", "id": url, "name": url}]
    [first, *_] = replied["sources"]
    assert first["url"] == url and first["file_id"] is None
    assert first["file_name"] == "River otters" and "crayfish" in first["text"]
    assert all("steal()" not in s["text"] for s in replied["sources"])  # scripts are not text
    [prompt] = system_prompts(fake_openai)
    assert '<source n="1" from="River otters">' in prompt
    assert web_ready.hits == ["/otters"]


async def test_a_regeneration_reads_the_page_again_or_goes_on_without_it(
    ctx: Context, user: httpx.AsyncClient, web_ready: Site
) -> None:
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="What do otters eat?", urls=[page_url(web_ready)])
    await finished(ctx, sent)

    async def gone(request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="gone")

    web_ready.handler = gone
    again = await send(user, chat_id, parent_id=sent["user_message_id"])
    await finished(ctx, again)
    assert (await messages_of(user, chat_id))[-1]["sources"] == []
    assert web_ready.hits == ["/otters", "/otters"]
    # a follow-up does not fetch it again: a page serves the message it came with
    await finished(ctx, await send(user, chat_id, content="And where do they live?"))
    assert len(web_ready.hits) == 2


@pytest.mark.parametrize("template", ADDRESS_PAYLOADS)
async def test_every_internal_address_is_refused_before_anything_is_written(
    user: httpx.AsyncClient,
    internal: Site,  # noqa: F811
    web_ready: Site,
    template: str,
) -> None:
    chat_id = await new_chat(user)
    url = template.format(port=internal.port)
    body = {"model": "fake-small", "content": "Read this", "urls": [url]}
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code == 400, response.text
    assert "cannot be read" in response.json()["detail"]
    assert internal.hits == [] and await messages_of(user, chat_id) == []


@pytest.mark.parametrize("url", URL_PAYLOADS)
async def test_every_malformed_or_foreign_scheme_address_is_refused(
    user: httpx.AsyncClient, web_ready: Site, url: str
) -> None:
    chat_id = await new_chat(user)
    body = {"model": "fake-small", "content": "Read this", "urls": [url]}
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"]
    assert await messages_of(user, chat_id) == []


@pytest.mark.parametrize("location", ["http://127.0.0.1:{port}/", "http://[::1]:{port}/"])
async def test_a_public_page_that_redirects_inside_is_refused(
    user: httpx.AsyncClient,
    internal: Site,  # noqa: F811
    web_ready: Site,
    location: str,
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location.format(port=internal.port))

    web_ready.handler = redirect
    chat_id = await new_chat(user)
    body = {"model": "fake-small", "content": "Read this", "urls": [page_url(web_ready)]}
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code == 400 and "cannot be read" in response.json()["detail"]
    assert internal.hits == [] and await messages_of(user, chat_id) == []


async def test_pages_that_are_not_text_or_answer_an_error_are_refused_clearly(
    user: httpx.AsyncClient, web_ready: Site
) -> None:
    replies = {
        "/image": web.Response(body=b"\x89PNG\r\n", content_type="image/png"),
        "/missing": web.Response(status=404, text="no"),
        "/empty": web.Response(text="<html><body></body></html>", content_type="text/html"),
    }

    async def varied(request: web.Request) -> web.StreamResponse:
        return replies[request.path]

    web_ready.handler = varied
    chat_id = await new_chat(user)
    for path, reason in [
        ("/image", "image/png"),
        ("/missing", "HTTP 404"),
        ("/empty", "No text found"),
    ]:
        body = {"model": "fake-small", "content": "Read", "urls": [page_url(web_ready, path)]}
        response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
        assert response.status_code == 400 and reason in response.json()["detail"], response.text
    too_many = [page_url(web_ready, f"/{n}") for n in range(4)]
    body = {"model": "fake-small", "content": "Read", "urls": too_many}
    assert (await user.post(f"/api/chats/{chat_id}/messages", json=body)).status_code == 422
    assert await messages_of(user, chat_id) == []


@pytest.mark.parametrize("settings_overrides", [{"web_pages": False}])
async def test_the_admin_can_turn_web_pages_off(user: httpx.AsyncClient, web_ready: Site) -> None:
    chat_id = await new_chat(user)
    body = {"model": "fake-small", "content": "Read", "urls": [page_url(web_ready)]}
    response = await user.post(f"/api/chats/{chat_id}/messages", json=body)
    assert response.status_code == 400
    assert response.json()["detail"] == "Web pages are turned off on this server."
    assert web_ready.hits == []
