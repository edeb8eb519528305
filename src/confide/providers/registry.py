"""The adapter for a connection's kind. (The local runtime is not a connection: it is
`LocalModels`, built once with the app's context.)

The adapters, and aiohttp behind them, are imported on first use: a server that never talks
to a connection never pays for them at start-up (see benchmarks/startup.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from confide.providers.base import ChatModel
    from confide.providers.endpoint import Endpoint
    from confide.providers.http import HttpPool

OPENAI = "openai"
OLLAMA = "ollama"
KINDS = (OPENAI, OLLAMA)


def build(kind: str, endpoint: Endpoint, http: HttpPool) -> ChatModel:
    """The ChatModel for a connection of `kind`; ValueError for an unknown kind."""
    if kind == OPENAI:
        from confide.providers.openai_compat import OpenAICompatModel

        return OpenAICompatModel(http, endpoint)
    if kind == OLLAMA:
        from confide.providers.ollama import OllamaModel

        return OllamaModel(http, endpoint)
    raise ValueError(f"unknown connection kind {kind!r}; expected one of {', '.join(KINDS)}")
