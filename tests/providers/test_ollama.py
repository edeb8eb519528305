"""The Ollama adapter (native API) against a fake Ollama on loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest

from confide.providers.base import ErrorKind, GenerationParams, ModelInfo, ProviderError
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool
from confide.providers.ollama import NdjsonParser, OllamaModel
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import vector
from tests.providers.streams import collect, failure, free_port, request

KEY = "proxy-token-0123456789abcdefghijklmnopqrstuvwxyz"


def adapter(http: HttpPool, base_url: str, **endpoint: Any) -> OllamaModel:
    return OllamaModel(http, Endpoint(base_url, **endpoint))


async def test_streams_text_with_reason_and_counts(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(chunks=["Bon", "jour", "!"], delay=0.02, finish_reason="length")
    texts, finish = await collect(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert texts == ["Bon", "jour", "!"]
    assert finish.reason == "length"
    assert finish.usage is not None
    assert (finish.usage.prompt_tokens, finish.usage.completion_tokens) == (11, 3)


async def test_sends_messages_and_options(fake_ollama: FakeOllama, http: HttpPool) -> None:
    params = GenerationParams(temperature=0.1, top_p=0.9, max_tokens=64, stop=("END",), seed=7)
    model = adapter(http, fake_ollama.base_url, api_key=KEY)
    await collect(model.stream_chat(request("llama3:8b", params=params)))
    sent = fake_ollama.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/chat")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json == {
        "model": "llama3:8b",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "stream": True,
        "options": {
            "temperature": 0.1,
            "top_p": 0.9,
            "num_predict": 64,
            "seed": 7,
            "stop": ["END"],
        },
    }


async def test_no_options_and_no_key_when_none_are_set(
    fake_ollama: FakeOllama, http: HttpPool
) -> None:
    await collect(adapter(http, fake_ollama.base_url).stream_chat(request()))
    sent = fake_ollama.requests[-1]
    assert "options" not in sent.json
    assert "authorization" not in sent.headers


async def test_lines_of_one_network_read_become_one_delta(
    fake_ollama: FakeOllama, http: HttpPool
) -> None:
    words = [f"w{i} " for i in range(20)]
    fake_ollama.script(chunks=words, together=True)
    texts, finish = await collect(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert "".join(texts) == "".join(words)
    assert len(texts) < len(words)
    assert finish.reason == "stop"


async def test_missing_counts_and_reason(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(chunks=["x"], usage=False, finish_reason=None)
    texts, finish = await collect(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert (texts, finish.reason, finish.usage) == (["x"], "stop", None)


def test_parser_handles_split_lines_and_a_last_line_without_newline() -> None:
    parser = NdjsonParser(None)
    assert parser.feed(b'{"message":{"content":"a"},"done":false}\n{"message":') == "a"
    assert parser.feed(b'{"content":"b"},"done":false}\n\n') == "b"
    assert parser.feed(b'{"done":true,"done_reason":"stop","eval_count":2}') == ""
    assert not parser.done
    assert parser.flush() == ""
    assert parser.done
    assert parser.finish().reason == "stop"


async def test_stream_without_the_final_line_ended_early(
    fake_ollama: FakeOllama, http: HttpPool
) -> None:
    fake_ollama.script(chunks=["half"], done=False)
    texts: list[str] = []
    error = await failure(adapter(http, fake_ollama.base_url).stream_chat(request()), texts)
    assert (error.kind, texts) == (ErrorKind.upstream, ["half"])


async def test_connection_dropped_mid_stream(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(chunks=["a", "b", "c"], delay=0.02, abort_after=1)
    texts: list[str] = []
    error = await failure(adapter(http, fake_ollama.base_url).stream_chat(request()), texts)
    assert (error.kind, texts) == (ErrorKind.upstream, ["a"])


async def test_error_line_in_the_stream(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(chunks=["a"], error="model runner has unexpectedly stopped")
    error = await failure(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert error.kind == ErrorKind.upstream
    assert error.detail == "model runner has unexpectedly stopped"


async def test_malformed_line_is_a_protocol_error(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(chunks=["a"], malformed=b"<html>oops</html>\n")
    error = await failure(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert error.kind == ErrorKind.protocol


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"error": "unauthorized"}, ErrorKind.auth),
        (404, {"error": "model 'nope' not found, try pulling it first"}, ErrorKind.not_found),
        (400, {"error": "invalid options"}, ErrorKind.bad_request),
        (400, {"error": "input length exceeds the context length"}, ErrorKind.context_length),
        (429, {"error": "busy"}, ErrorKind.rate_limited),
        (500, {"error": "llama runner process has terminated"}, ErrorKind.upstream),
        (302, "", ErrorKind.bad_request),
    ],
)
async def test_http_error_statuses(
    fake_ollama: FakeOllama, http: HttpPool, status: int, body: Any, kind: ErrorKind
) -> None:
    fake_ollama.script(status=status, body=body)
    error = await failure(adapter(http, fake_ollama.base_url).stream_chat(request()))
    assert error.kind == kind
    if isinstance(body, dict):
        assert error.detail == body["error"]


async def test_redirect_is_not_followed(fake_ollama: FakeOllama, http: HttpPool) -> None:
    async with FakeOllama.running() as elsewhere:
        fake_ollama.script(redirect=f"{elsewhere.base_url}/api/chat")
        error = await failure(
            adapter(http, fake_ollama.base_url, api_key=KEY).stream_chat(request())
        )
        assert (error.kind, error.detail) == (ErrorKind.bad_request, "redirects are not followed")
        assert elsewhere.requests == []


async def test_hanging_upstream_times_out(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(hang=True)
    started = time.monotonic()
    error = await failure(
        adapter(http, fake_ollama.base_url, read_timeout=0.2).stream_chat(request())
    )
    assert error.kind == ErrorKind.timeout
    assert time.monotonic() - started < 2


async def test_unreachable(http: HttpPool) -> None:
    with pytest.raises(ProviderError) as info:
        await adapter(http, f"http://127.0.0.1:{free_port()}").list_models()
    assert info.value.kind == ErrorKind.unreachable


async def test_list_models_from_tags(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.models = ["llama3:8b", "qwen2.5:0.5b"]
    models = await adapter(http, fake_ollama.base_url).list_models()
    assert models == [
        ModelInfo("llama3:8b", "llama3:8b"),
        ModelInfo("qwen2.5:0.5b", "qwen2.5:0.5b"),
    ]
    assert fake_ollama.requests[-1].path == "/api/tags"


async def test_list_models_with_a_broken_answer(fake_ollama: FakeOllama, http: HttpPool) -> None:
    fake_ollama.script(status=503, body={"error": "starting"})
    with pytest.raises(ProviderError) as info:
        await adapter(http, fake_ollama.base_url).list_models()
    assert (info.value.kind, info.value.detail) == (ErrorKind.upstream, "starting")


async def test_embed(fake_ollama: FakeOllama, http: HttpPool) -> None:
    texts = ["one", "three"]
    vectors = await adapter(http, fake_ollama.base_url).embed("nomic-embed-text", texts)
    assert vectors == [vector(text) for text in texts]
    sent = fake_ollama.requests[-1]
    assert (sent.path, sent.json) == ("/api/embed", {"model": "nomic-embed-text", "input": texts})
