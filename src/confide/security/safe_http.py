"""Fetching a URL a user gave us without letting it reach what only the server can reach.

Every outbound request to a user-influenced URL goes through `SafeFetcher.fetch` (a semgrep
rule keeps it that way). The defences, in order:

1. The URL itself: http or https only; no user name or password in it; no whitespace or
   control characters anywhere (a tab or newline can split a URL differently in different
   parsers); no backslash (browsers read `\\` as `/`, Python does not); a host is required.
2. The address: the host is resolved once, here, and every address it resolves to must be a
   public unicast one. Refused: loopback, private, link-local (169.254.169.254, the cloud
   metadata service), shared (100.64/10), multicast, reserved and unspecified (0.0.0.0, ::)
   addresses, 168.63.129.16 (Azure's host endpoint), and IPv6 addresses that embed an IPv4
   one (IPv4-mapped ::ffff:a.b.c.d, 6to4, NAT64) whose IPv4 is refused. Numeric forms such as
   `127.1`, `0x7f000001` or `2130706433` are read by the same resolver the connection uses, so
   they are checked as the address they really are.
3. The connection is made to exactly the address that was checked (the resolver aiohttp uses
   is ours), so a DNS answer that changes between check and connect (rebinding) cannot win.
4. Redirects are followed by us, at most `max_redirects`, each new URL checked from step 1.
5. The answer is bounded: time (`timeout`), size (`max_bytes`, read in chunks and cut off),
   and content type (`content_types`).

No proxy from the environment is used, no cookies are kept, and nothing is sent but a GET.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import aiohttp
    import aiohttp.abc

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]

BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT, often internal
        "168.63.129.16/32",  # Azure's wireserver: public-looking, answers only inside Azure
        "192.0.0.0/24",
        "198.18.0.0/15",
        "fd00::/8",
        "fe80::/10",
        "fec0::/10",
    )
]
REDIRECTS = {301, 302, 303, 307, 308}


class UnsafeURL(ValueError):
    """The URL or an address it leads to may not be fetched; the message says why."""


class FetchFailed(Exception):
    """The page could not be fetched (refused, too big, wrong type, timeout, HTTP error)."""


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


def check_url(url: str) -> tuple[str, str, int]:
    """Step 1: (scheme, host, port) of a URL that is well-formed enough to check further."""
    if len(url) > 2048:
        raise UnsafeURL("The URL is longer than 2,048 characters.")
    if any(ord(c) < 0x21 or c == "\x7f" for c in url) or "\\" in url:
        raise UnsafeURL("The URL contains spaces, control characters or a backslash.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"The URL is not valid: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// addresses can be fetched.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURL("The URL may not contain a user name or password.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(address: IPAddress) -> str | None:
    """Why the address may not be contacted, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    if any(address in network for network in BLOCKED_NETWORKS):
        return f"{address} is an internal address."
    if not address.is_global or address.is_multicast:
        return f"{address} is not a public address."
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    """Addresses for `host` from the system resolver (numeric forms included)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host!r} could not be resolved.") from exc
    return [str(info[4][0]) for info in infos]


@dataclass
class SafeFetcher:
    """Fetches public web pages for a user. `allow` lists (address, port) pairs that may be
    contacted although internal (an admin's explicit exception; tests use it for the local
    server that plays "the internet"); `resolve` is swappable for the same reason."""

    timeout: float = 10.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    content_types: tuple[str, ...] = ("text/html", "text/plain", "application/xhtml+xml")
    allow: frozenset[tuple[str, int]] = frozenset()
    resolve: Resolve = system_resolve
    user_agent: str = "Confide (+https://github.com/confide) page fetcher"
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    async def addresses(self, host: str, port: int) -> list[str]:
        """Step 2: every address of `host`, all of which must be allowed."""
        literal = _numeric(host)
        found = [literal] if literal else await self.resolve(host, port)
        if not found:
            raise UnsafeURL(f"The host {host!r} has no address.")
        for text in found:
            if (text, port) in self.allow:
                continue
            reason = refusal(ipaddress.ip_address(text.split("%")[0]))
            if reason:
                raise UnsafeURL(f"{host} cannot be fetched: {reason}")
        return found

    async def fetch(self, url: str) -> Page:
        """GET `url` (following checked redirects) within the time, size and type bounds."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url)
        except TimeoutError:
            raise FetchFailed(f"The page did not answer within {self.timeout:g} s.") from None

    async def _follow(self, url: str) -> Page:
        import aiohttp

        for _ in range(self.max_redirects + 1):
            _, host, port = check_url(url)
            if _numeric(host):  # aiohttp connects to a literal without asking the resolver
                await self.addresses(host, port)
            try:
                async with self._client().get(
                    url, allow_redirects=False, headers={"User-Agent": self.user_agent}
                ) as response:
                    if response.status in REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        continue
                    return await self._read(url, response)
            except aiohttp.ClientError as exc:
                raise FetchFailed(
                    f"The page could not be fetched ({type(exc).__name__})."
                ) from None
        raise FetchFailed(f"The page redirected more than {self.max_redirects} times.")

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> Page:
        if response.status >= 400:
            raise FetchFailed(f"The page answered HTTP {response.status}.")
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind not in self.content_types:
            raise FetchFailed(f"The page is {kind or 'of no stated type'}, not a web page.")
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchFailed(f"The page is larger than {self.max_bytes:,} bytes.")
        chunks, size = [], 0
        async for chunk in response.content.iter_chunked(65536):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchFailed(f"The page is larger than {self.max_bytes:,} bytes.")
            chunks.append(chunk)
        return Page(url, response.status, kind, b"".join(chunks))

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(
                resolver=_checked_resolver(self), use_dns_cache=False, limit=20
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)


def _numeric(host: str) -> str | None:
    """The address a numeric host stands for, in every form a C library accepts (`127.1`,
    `0x7f000001`, `2130706433`, `0177.0.0.1`) as well as the usual ones; None for a name."""
    bare = host.strip("[]")
    if _is_literal(bare):
        return str(ipaddress.ip_address(bare))
    if _LEGACY_IPV4.fullmatch(bare):
        try:
            return socket.inet_ntoa(socket.inet_aton(bare))
        except OSError:
            raise UnsafeURL(f"{host!r} is not a valid address.") from None
    return None


def _checked_resolver(fetcher: SafeFetcher) -> aiohttp.abc.AbstractResolver:
    """Step 3: aiohttp connects to what this returns, i.e. exactly the checked addresses.
    (Defined here so that aiohttp is imported on first use only.)"""
    from aiohttp.abc import AbstractResolver, ResolveResult

    class CheckedResolver(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            found = await fetcher.addresses(host, port)
            return [_result(host, address, port) for address in found]

        async def close(self) -> None:
            return None

    return CheckedResolver()


def _result(host: str, address: str, port: int) -> aiohttp.abc.ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": socket.AI_NUMERICHOST,
    }
