"""The adapter for a connection's kind. (The local runtime is not a connection: it is
`LocalModels`, built once with the app's context.)"""

from __future__ import annotations

from confide.providers.base import ChatModel
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool
from confide.providers.ollama import OllamaModel
from confide.providers.openai_compat import OpenAICompatModel

OPENAI = "openai"
OLLAMA = "ollama"
KINDS = (OPENAI, OLLAMA)


def build(kind: str, endpoint: Endpoint, http: HttpPool) -> ChatModel:
    """The ChatModel for a connection of `kind`; ValueError for an unknown kind."""
    if kind == OPENAI:
        return OpenAICompatModel(http, endpoint)
    if kind == OLLAMA:
        return OllamaModel(http, endpoint)
    raise ValueError(f"unknown connection kind {kind!r}; expected one of {', '.join(KINDS)}")
