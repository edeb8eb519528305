"""The test kit's guard: no test reaches beyond loopback, whatever the code under test does."""

from __future__ import annotations

import socket

import pytest

from confide.providers.base import ErrorKind, ProviderError
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool
from confide.providers.openai_compat import OpenAICompatModel
from tests.fakes.fixtures import is_local_host


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        (None, True),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("::ffff:8.8.8.8", False),
        ("2001:db8::1", False),
        ("example.com", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_only_loopback_counts_as_local(host: str | None, local: bool) -> None:
    assert is_local_host(host) is local


def test_connect_beyond_loopback_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(OSError, match="test network guard"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: would hang, never answer


def test_names_are_never_resolved() -> None:
    with pytest.raises(socket.gaierror, match="test network guard"):
        socket.getaddrinfo("example.com", 443)


def test_udp_beyond_loopback_is_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(OSError, match="test network guard"),
    ):
        sock.sendto(b"\x00", ("8.8.8.8", 53))


async def test_an_adapter_pointed_outside_fails_fast() -> None:
    http = HttpPool()
    try:
        model = OpenAICompatModel(http, Endpoint("https://api.openai.com/v1", api_key="sk-x"))
        with pytest.raises(ProviderError) as info:
            await model.list_models()
        assert info.value.kind == ErrorKind.unreachable
        model = OpenAICompatModel(http, Endpoint("http://203.0.113.7/v1"))
        with pytest.raises(ProviderError) as info:
            await model.list_models()
        assert info.value.kind == ErrorKind.unreachable
    finally:
        await http.close()
