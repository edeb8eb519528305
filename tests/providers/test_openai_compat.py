"""The OpenAI-compatible adapter against a fake `/v1` server on loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest

from confide.providers.base import ErrorKind, GenerationParams, ModelInfo, ProviderError
from confide.providers.endpoint import Endpoint
from confide.providers.http import HttpPool
from confide.providers.openai_compat import OpenAICompatModel, SseParser
from tests.fakes.openai_server import FakeOpenAI, vector
from tests.providers.streams import collect, failure, free_port, request

KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz"


def adapter(http: HttpPool, base_url: str, **endpoint: Any) -> OpenAICompatModel:
    return OpenAICompatModel(http, Endpoint(base_url, **endpoint))


# --- streaming -------------------------------------------------------------------------------


async def test_streams_text_then_one_finish_with_usage(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["Hel", "lo", " there"], delay=0.02)
    texts, finish = await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert texts == ["Hel", "lo", " there"]
    assert finish.reason == "stop"
    assert finish.usage is not None
    assert (finish.usage.prompt_tokens, finish.usage.completion_tokens) == (11, 3)


async def test_sends_the_request_openai_expects(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    params = GenerationParams(temperature=0.5, max_tokens=20, stop=("\n\n",), seed=3)
    await collect(adapter(http, fake_openai.base_url).stream_chat(request(params=params)))
    sent = fake_openai.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.json == {
        "model": "fake-small",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.5,
        "max_tokens": 20,
        "seed": 3,
        "stop": ["\n\n"],
    }  # top_p is None: not sent at all


async def test_key_is_sent_as_bearer_and_only_when_set(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    await collect(adapter(http, fake_openai.base_url, api_key=KEY).stream_chat(request()))
    await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    with_key, without_key = fake_openai.requests
    assert with_key.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in without_key.headers


async def test_chunks_of_one_network_read_become_one_delta(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    words = [f"w{i} " for i in range(20)]
    fake_openai.script(chunks=words, together=True)
    texts, finish = await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert "".join(texts) == "".join(words)
    assert len(texts) < len(words)
    assert finish.reason == "stop"


async def test_finish_reason_and_missing_usage(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(chunks=["a", "b"], finish_reason="length", usage=False)
    texts, finish = await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert (texts, finish.reason, finish.usage) == (["ab"], "length", None)


async def test_finish_reason_without_done_is_a_complete_answer(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["ok"], done=False)
    texts, finish = await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert (texts, finish.reason) == (["ok"], "stop")


def test_parser_keeps_partial_lines_for_the_next_read() -> None:
    parser = SseParser(None)
    first = b'data: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\ndata: {"choi'
    assert parser.feed(first) == "a"
    assert parser.feed(b'ces":[{"delta":{"content":"b"}}]}\n\n: keep-alive\n\n') == "b"
    assert parser.feed(b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n') == ""
    assert parser.feed(b"\ndata: [DONE]") == ""
    assert parser.flush() == ""
    assert parser.done and parser.finish().reason == "stop"


# --- broken streams --------------------------------------------------------------------------


async def test_stream_ending_early_is_an_upstream_error(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["par", "tial"], finish_reason=None, usage=False, done=False)
    texts: list[str] = []
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()), texts)
    assert error.kind == ErrorKind.upstream
    assert "ended early" in error.message
    assert "".join(texts) == "partial"


async def test_connection_dropped_mid_stream_keeps_the_text_before_it(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["one ", "two ", "three"], delay=0.02, abort_after=2)
    texts: list[str] = []
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()), texts)
    assert error.kind == ErrorKind.upstream
    assert "".join(texts) == "one two "


async def test_malformed_chunk_is_a_protocol_error(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(chunks=["fine"], malformed=b"data: {not json\n\n")
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert error.kind == ErrorKind.protocol


async def test_chunk_of_the_wrong_shape_is_a_protocol_error(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["fine"], malformed=b'data: {"choices": "nope"}\n\n')
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert error.kind == ErrorKind.protocol


async def test_error_object_in_the_stream_is_an_upstream_error_without_the_key(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["a"], error={"message": f"overloaded (key {KEY})", "type": "x"})
    model = adapter(http, fake_openai.base_url, api_key=KEY)
    error = await failure(model.stream_chat(request()))
    assert error.kind == ErrorKind.upstream
    assert "overloaded" in error.message
    assert KEY not in error.message


async def test_bare_json_error_instead_of_events(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(chunks=[], malformed=b'{"error": {"message": "no stream for you"}}\n')
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert (error.kind, error.detail) == (ErrorKind.upstream, "no stream for you")


# --- HTTP errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"error": {"message": "Invalid API key"}}, ErrorKind.auth),
        (403, {"error": {"message": "Forbidden"}}, ErrorKind.auth),
        (404, {"error": {"message": "The model does not exist"}}, ErrorKind.not_found),
        (
            400,
            {"error": {"message": "This model's maximum context length is 8192 tokens"}},
            ErrorKind.context_length,
        ),
        (413, {"error": "too many tokens in the prompt"}, ErrorKind.context_length),
        (422, {"detail": "prompt exceeds the context window"}, ErrorKind.context_length),
        (
            400,
            {"error": {"message": "too big", "type": "exceed_context_size_error"}},
            ErrorKind.context_length,
        ),
        (400, {"error": {"message": "temperature must be <= 2"}}, ErrorKind.bad_request),
        (418, "I'm a teapot", ErrorKind.bad_request),
        (429, {"error": {"message": "Rate limit reached"}}, ErrorKind.rate_limited),
        (500, {"error": {"message": "Internal error"}}, ErrorKind.upstream),
        (503, "Service Unavailable", ErrorKind.upstream),
    ],
)
async def test_http_error_statuses(
    fake_openai: FakeOpenAI, http: HttpPool, status: int, body: Any, kind: ErrorKind
) -> None:
    fake_openai.script(status=status, body=body)
    error = await failure(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert error.kind == kind
    assert error.detail  # the upstream's own words, shortened


async def test_upstream_message_is_shown_short_and_without_the_key(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    message = f"Incorrect API key provided: {KEY}.\n" + "x " * 500
    fake_openai.script(status=401, body={"error": {"message": message}})
    error = await failure(adapter(http, fake_openai.base_url, api_key=KEY).stream_chat(request()))
    assert error.kind == ErrorKind.auth
    assert error.detail.startswith("Incorrect API key provided: [redacted]")
    assert KEY not in error.message
    assert KEY[:20] not in error.message
    assert len(error.detail) <= 200
    assert "\n" not in error.detail


async def test_redirect_is_not_followed_and_the_key_stays_home(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    async with FakeOpenAI.running() as elsewhere:
        fake_openai.script(redirect=f"{elsewhere.base_url}/chat/completions")
        model = adapter(http, fake_openai.base_url, api_key=KEY)
        error = await failure(model.stream_chat(request()))
        assert error.kind == ErrorKind.bad_request
        assert error.detail == "redirects are not followed"
        assert fake_openai.requests[-1].headers["authorization"] == f"Bearer {KEY}"
        assert elsewhere.requests == []


async def test_redirect_on_list_models_is_not_followed_either(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    async with FakeOpenAI.running() as elsewhere:
        fake_openai.script(redirect=f"{elsewhere.base_url}/models")
        with pytest.raises(ProviderError) as info:
            await adapter(http, fake_openai.base_url, api_key=KEY).list_models()
        assert info.value.kind == ErrorKind.bad_request
        assert elsewhere.requests == []


# --- transport failures ----------------------------------------------------------------------


async def test_hanging_upstream_times_out_in_bounded_time(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(hang=True)
    started = time.monotonic()
    model = adapter(http, fake_openai.base_url, read_timeout=0.2)
    error = await failure(model.stream_chat(request()))
    assert error.kind == ErrorKind.timeout
    assert time.monotonic() - started < 2


async def test_silence_mid_stream_times_out(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(chunks=["quick", "slow"], delay=3)
    texts: list[str] = []
    started = time.monotonic()
    model = adapter(http, fake_openai.base_url, read_timeout=0.2)
    error = await failure(model.stream_chat(request()), texts)
    assert (error.kind, texts) == (ErrorKind.timeout, ["quick"])
    assert time.monotonic() - started < 2


async def test_connection_refused_is_unreachable(http: HttpPool) -> None:
    model = adapter(http, f"http://127.0.0.1:{free_port()}/v1")
    error = await failure(model.stream_chat(request()))
    assert error.kind == ErrorKind.unreachable


async def test_unknown_host_is_unreachable(http: HttpPool) -> None:
    model = adapter(http, "http://no-such-host.invalid/v1", connect_timeout=2)
    with pytest.raises(ProviderError) as info:
        await model.list_models()
    assert info.value.kind == ErrorKind.unreachable


async def test_tls_failure_is_unreachable(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    model = adapter(http, fake_openai.base_url.replace("http://", "https://"), connect_timeout=2)
    error = await failure(model.stream_chat(request()))
    assert error.kind == ErrorKind.unreachable


# --- models and embeddings -------------------------------------------------------------------


async def test_list_models(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    models = await adapter(http, fake_openai.base_url, api_key=KEY).list_models()
    assert models == [ModelInfo("fake-small", "fake-small"), ModelInfo("fake-large", "fake-large")]
    sent = fake_openai.requests[-1]
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.headers["authorization"] == f"Bearer {KEY}"


async def test_list_models_error(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(status=401, body={"error": {"message": "bad key"}})
    with pytest.raises(ProviderError) as info:
        await adapter(http, fake_openai.base_url).list_models()
    assert info.value.kind == ErrorKind.auth


async def test_embed_returns_vectors_in_input_order(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    texts = ["a", "bbb", "cc"]
    vectors = await adapter(http, fake_openai.base_url).embed("fake-embed", texts)
    assert vectors == [vector(text) for text in texts]
    sent = fake_openai.requests[-1]
    assert (sent.path, sent.json) == ("/v1/embeddings", {"model": "fake-embed", "input": texts})


async def test_embed_error(fake_openai: FakeOpenAI, http: HttpPool) -> None:
    fake_openai.script(status=404, body={"error": {"message": "no such model"}})
    with pytest.raises(ProviderError) as info:
        await adapter(http, fake_openai.base_url).embed("nope", ["a"])
    assert info.value.kind == ErrorKind.not_found


async def test_closing_a_stream_early_frees_the_connection(
    fake_openai: FakeOpenAI, http: HttpPool
) -> None:
    fake_openai.script(chunks=["a", "b", "c"], delay=0.5)
    stream = adapter(http, fake_openai.base_url).stream_chat(request())
    assert (await anext(stream)).text == "a"  # type: ignore[union-attr]
    started = time.monotonic()
    await stream.aclose()
    assert time.monotonic() - started < 0.4
    fake_openai.script(chunks=["again"])
    texts, _ = await collect(adapter(http, fake_openai.base_url).stream_chat(request()))
    assert texts == ["again"]
