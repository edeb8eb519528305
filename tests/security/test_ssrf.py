"""SSRF: `security/safe_http` refuses every address only the server can reach, in every
spelling, before and after redirects, and bounds what it reads.

"The internet" is a real aiohttp server on 127.0.0.1 that the fetcher is told it may contact
(`allow`, under a public-looking name through an injected resolver); an "internal" server on
another port stands for what must stay unreachable, and counts the requests that reach it.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from confide.security.safe_http import FetchFailed, SafeFetcher, UnsafeURL, check_url, refusal

PUBLIC_NAME = "public.example"

# (URL template, why it must be refused); {port} is the internal server's port.
ADDRESS_PAYLOADS = [
    "http://127.0.0.1:{port}/",
    "http://127.1:{port}/",
    "http://0x7f000001:{port}/",
    "http://2130706433:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::]:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://168.63.129.16/machine?comp=goalstate",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://localhost:{port}/",
]
URL_PAYLOADS = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://example.com/",
    "dict://127.0.0.1:11211/",
    "http://evil\\@127.0.0.1/",
    "http://evil.example@127.0.0.1/",
    "http://user:pass@example.com/",
    "http://exa\tmple.com/",
    "http://example.com/\r\nX-Injected: 1",
    "http://example.com/\n",
    "http:///nohost",
    "http://example.com:99999/",
    "javascript:alert(1)",
    "http://" + "a" * 2100 + ".com/",
]


@dataclass
class Site:
    """A loopback HTTP server whose handler a test sets; counts what reaches it."""

    handler: web.Handler | None = None
    hits: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path_qs)
        if self.handler is None:
            return web.Response(text="<p>secret</p>", content_type="text/html")
        return await self.handler(request)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def internal() -> AsyncIterator[Site]:
    site = Site()
    await site.start()
    yield site
    await site.stop()


@pytest.fixture
async def public() -> AsyncIterator[Site]:
    site = Site()
    await site.start()
    yield site
    await site.stop()


@pytest.fixture
async def fetcher(public: Site) -> AsyncIterator[SafeFetcher]:
    async def resolve(host: str, port: int) -> list[str]:
        if host == PUBLIC_NAME:
            return ["127.0.0.1"]
        raise UnsafeURL(f"The host {host!r} could not be resolved.")

    made = SafeFetcher(
        timeout=3.0,
        max_bytes=10_000,
        allow=frozenset({("127.0.0.1", public.port)}),
        resolve=resolve,
    )
    yield made
    await made.close()


def public_url(public: Site, path: str = "/") -> str:
    return f"http://{PUBLIC_NAME}:{public.port}{path}"


async def test_the_allowed_public_site_is_fetched(fetcher: SafeFetcher, public: Site) -> None:
    """The control: without it, every refusal below could be a fetcher that fetches nothing."""
    page = await fetcher.fetch(public_url(public, "/hello"))
    assert (page.status, page.content_type, page.body) == (200, "text/html", b"<p>secret</p>")
    assert public.hits == ["/hello"]


@pytest.mark.parametrize("template", ADDRESS_PAYLOADS)
async def test_internal_addresses_are_refused_in_every_spelling(
    fetcher: SafeFetcher, internal: Site, template: str
) -> None:
    with pytest.raises(UnsafeURL):
        await fetcher.fetch(template.format(port=internal.port))
    assert internal.hits == []


@pytest.mark.parametrize("url", URL_PAYLOADS)
async def test_malformed_and_foreign_scheme_urls_are_refused(
    fetcher: SafeFetcher, url: str
) -> None:
    with pytest.raises(UnsafeURL):
        await fetcher.fetch(url)


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://2130706433:{port}/secret",
        "http://localhost:{port}/secret",
        "file:///etc/passwd",
    ],
)
async def test_a_public_page_that_redirects_inside_is_refused(
    fetcher: SafeFetcher, public: Site, internal: Site, location: str
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location.format(port=internal.port))

    public.handler = redirect
    with pytest.raises(UnsafeURL):
        await fetcher.fetch(public_url(public))
    assert public.hits == ["/"] and internal.hits == []


async def test_redirects_within_the_public_site_are_followed_and_bounded(
    fetcher: SafeFetcher, public: Site
) -> None:
    async def hop(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("n", "0"))
        if n < 3 or request.query.get("loop"):
            raise web.HTTPFound(f"/?n={n + 1}" + ("&loop=1" if request.query.get("loop") else ""))
        return web.Response(text="arrived", content_type="text/plain")

    public.handler = hop
    page = await fetcher.fetch(public_url(public))
    assert page.body == b"arrived" and page.url.endswith("/?n=3")
    with pytest.raises(FetchFailed, match="redirected more than 5"):
        await fetcher.fetch(public_url(public, "/?loop=1"))


async def test_size_type_and_time_are_bounded(fetcher: SafeFetcher, public: Site) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path == "/big":  # no Content-Length: cut off while reading
            response = web.StreamResponse(headers={"Content-Type": "text/plain"})
            await response.prepare(request)
            for _ in range(100):
                await response.write(b"x" * 1000)
            return response
        if request.path == "/declared-big":
            return web.Response(body=b"x" * 20_000, content_type="text/html")
        if request.path == "/binary":
            return web.Response(body=b"\x7fELF", content_type="application/octet-stream")
        if request.path == "/error":
            return web.Response(status=500, text="boom")
        await asyncio.sleep(10)
        return web.Response(text="late")

    public.handler = answer
    for path, message in [
        ("/big", "larger than"),
        ("/declared-big", "larger than"),
        ("/binary", "not a web page"),
        ("/error", "HTTP 500"),
        ("/slow", "did not answer within 3 s"),
    ]:
        with pytest.raises(FetchFailed, match=message):
            await fetcher.fetch(public_url(public, path))


async def test_a_name_with_any_internal_address_is_refused(internal: Site) -> None:
    """Every address a name resolves to must pass, not just the first one."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "127.0.0.1"]

    fetcher = SafeFetcher(resolve=resolve)
    try:
        with pytest.raises(UnsafeURL, match=r"127\.0\.0\.1"):
            await fetcher.fetch(f"http://mixed.example:{internal.port}/")
    finally:
        await fetcher.close()
    assert internal.hits == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("93.184.215.14", False),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False),
        ("8.8.8.8", False),
        ("127.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("::ffff:10.0.0.1", True),
        ("2002:0a00:0001::", True),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),  # Teredo, client 192.0.2.45
        ("168.63.129.16", True),
        ("198.18.0.1", True),
        ("255.255.255.255", True),
    ],
)
def test_the_address_policy(address: str, refused: bool) -> None:
    assert (refusal(ipaddress.ip_address(address)) is not None) is refused


def test_check_url_reads_scheme_host_and_default_ports() -> None:
    assert check_url("https://Example.com/a?b") == ("https", "example.com", 443)
    assert check_url("http://example.com:8080/") == ("http", "example.com", 8080)
