"""Building the adapter for a connection's kind."""

from __future__ import annotations

import pytest

from confide.providers import registry
from confide.providers.base import ChatModel
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool
from confide.providers.ollama import OllamaModel
from confide.providers.openai_compat import OpenAICompatModel

ENDPOINT = Endpoint("http://127.0.0.1:9/v1", api_key="sk-secret-value")


def test_kinds() -> None:
    assert registry.KINDS == (registry.OPENAI, registry.OLLAMA) == ("openai", "ollama")


@pytest.mark.parametrize(("kind", "cls"), [("openai", OpenAICompatModel), ("ollama", OllamaModel)])
def test_builds_each_kind(kind: str, cls: type) -> None:
    model = registry.build(kind, ENDPOINT, HttpPool())
    assert isinstance(model, cls)
    assert isinstance(model, ChatModel)


@pytest.mark.parametrize("kind", ["local", "OpenAI", "", "anthropic"])
def test_unknown_kind_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown connection kind"):
        registry.build(kind, ENDPOINT, HttpPool())


def test_endpoint_never_prints_its_key() -> None:
    assert "sk-secret-value" not in repr(ENDPOINT)
    assert "api_key=set" in repr(ENDPOINT)
