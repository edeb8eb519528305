"""The test kit's fixtures: fake upstreams, and a guard that keeps every test on loopback.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    """A fake OpenAI-compatible server; `.base_url` ends in /v1."""
    async with FakeOpenAI.running() as fake:
        yield fake


@pytest.fixture
async def fake_ollama() -> AsyncIterator[FakeOllama]:
    """A fake Ollama server (native API); `.base_url` is its root."""
    async with FakeOllama.running() as fake:
        yield fake


# --- the network guard -----------------------------------------------------------------------


def is_local_host(host: object) -> bool:
    """Loopback (127.0.0.0/8, ::1, IPv4-mapped forms), `localhost`, or no host at all."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES or host == "":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name: never resolved, it could be anywhere
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def is_local_address(family: int, address: object) -> bool:
    if family == socket.AF_UNIX or isinstance(address, str | bytes):
        return True
    return isinstance(address, tuple) and bool(address) and is_local_host(address[0])


def refused(address: object) -> OSError:
    return OSError(errno.ENETUNREACH, f"test network guard: {address!r} is not a loopback address")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach beyond 127.0.0.0/8, ::1 and unix sockets, by accident or not."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_local_host(host):
            raise socket.gaierror(socket.EAI_NONAME, f"test network guard: {host!r} refused")
        return real_getaddrinfo(host, *args, **kwargs)

    def guard(real: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(sock: socket.socket, *args: Any) -> Any:
            address = args[-1]  # connect(address), sendto(data[, flags], address)
            if not is_local_address(sock.family, address):
                raise refused(address)
            return real(sock, *args)

        return guarded

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, guard(getattr(socket.socket, name)))
