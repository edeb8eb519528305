"""Reading a ChatModel's stream in tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from confide.providers.base import (
    ChatMessage,
    ChatRequest,
    Delta,
    Finish,
    GenerationParams,
    ProviderError,
    StreamEvent,
)


def request(
    model: str = "fake-small", text: str = "Hi", params: GenerationParams | None = None
) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=(ChatMessage("system", "Be brief."), ChatMessage("user", text)),
        params=params or GenerationParams(),
    )


async def collect(stream: AsyncIterator[StreamEvent]) -> tuple[list[str], Finish]:
    """The texts of the Deltas and the one Finish, checking that it comes last, once."""
    texts: list[str] = []
    finish: Finish | None = None
    async for event in stream:
        assert finish is None, "nothing may follow the Finish"
        if isinstance(event, Delta):
            assert event.text, "a Delta carries text"
            texts.append(event.text)
        else:
            finish = event
    assert finish is not None, "a stream ends with a Finish"
    return texts, finish


async def failure(
    stream: AsyncIterator[StreamEvent], texts: list[str] | None = None
) -> ProviderError:
    """The ProviderError the stream ends with; the text before it goes into `texts`."""
    with pytest.raises(ProviderError) as info:
        async for event in stream:
            assert isinstance(event, Delta), "no Finish before a failure"
            if texts is not None:
                texts.append(event.text)
    return info.value


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
