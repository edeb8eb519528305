"""`/v1/embeddings`, driven by the official `openai` SDK and plain HTTP, with the real embedder."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from confide.services.context import Context
from confide.services.embeddings import MAX_INPUT_TOKENS, MAX_INPUTS, MAX_TOTAL_CHARS
from tests.conftest import BASE_URL, new_client, signup

MODEL = "all-MiniLM-L6-v2"
TEXTS = [
    "The cat sat on the mat.",
    "Quarterly revenue grew by four percent.",
    "Ein kurzer deutscher Satz.",
    "x",
]


@pytest.fixture
async def key(user: httpx.AsyncClient) -> str:
    created: str = (await user.post("/api/api-keys", json={"name": "embedder"})).json()["key"]
    return created


@pytest.fixture
async def api(app: Any, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP with the API key (no cookie, no CSRF header: a script)."""
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
    ) as c:
        yield c


@pytest.fixture
async def sdk(app: Any, key: str) -> AsyncIterator[openai.AsyncOpenAI]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield openai.AsyncOpenAI(
            api_key=key, base_url=f"{BASE_URL}/v1", http_client=http, max_retries=0
        )


async def test_the_sdk_gets_the_embedders_vectors_in_both_encodings(
    sdk: openai.AsyncOpenAI, ctx: Context, user: httpx.AsyncClient
) -> None:
    packed = await sdk.embeddings.create(model=MODEL, input=TEXTS)  # the SDK asks for base64
    floats = await sdk.embeddings.create(model=MODEL, input=TEXTS, encoding_format="float")
    expected = await ctx.embedder.embed(TEXTS)
    for answer in (packed, floats):
        assert answer.model == MODEL
        assert [d.index for d in answer.data] == list(range(len(TEXTS)))
        assert answer.usage.prompt_tokens == sum(ctx.embedder.count_tokens(t) for t in TEXTS)
        assert answer.usage.total_tokens == answer.usage.prompt_tokens
    a = np.array([d.embedding for d in packed.data], dtype=np.float32)
    b = np.array([d.embedding for d in floats.data], dtype=np.float32)
    assert a.shape == (len(TEXTS), 384)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(a, expected, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    rows = (await user.get("/api/usage")).json()
    assert [(r["model"], r["requests"]) for r in rows] == [(MODEL, 2)]
    assert rows[0]["prompt_tokens"] == 2 * packed.usage.prompt_tokens
    assert rows[0]["completion_tokens"] == 0


async def test_order_single_strings_base64_and_truncation(
    api: httpx.AsyncClient, ctx: Context
) -> None:
    forward = await api.post("/v1/embeddings", json={"model": MODEL, "input": TEXTS})
    backward = await api.post(
        "/v1/embeddings",
        json={"model": MODEL, "input": TEXTS[::-1], "encoding_format": "base64"},
    )
    assert forward.status_code == backward.status_code == 200, backward.text
    there = np.array([d["embedding"] for d in forward.json()["data"]], dtype=np.float32)
    back = np.array(
        [
            np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4")
            for d in backward.json()["data"]
        ]
    )
    np.testing.assert_allclose(there, back[::-1], atol=1e-6)

    # One string, the model's own dimensions, and fields the API ignores.
    body = {"model": MODEL, "input": TEXTS[0], "dimensions": 384, "user": "u-1", "x": {}}
    one = (await api.post("/v1/embeddings", json=body)).json()
    assert len(one["data"]) == 1
    np.testing.assert_allclose(one["data"][0]["embedding"], there[0], atol=1e-6)

    # The model reads 256 tokens: what follows them changes nothing, but is counted.
    long = " ".join(["word"] * 400)
    pair = [long, long + " and then a completely different ending"]
    cut = (await api.post("/v1/embeddings", json={"model": MODEL, "input": pair})).json()
    np.testing.assert_allclose(cut["data"][0]["embedding"], cut["data"][1]["embedding"], atol=1e-6)
    assert cut["usage"]["prompt_tokens"] == sum(ctx.embedder.count_tokens(t) for t in pair)


REFUSED: list[tuple[dict[str, Any], int, str | None, str]] = [
    ({"input": ""}, 400, "input", "Input 0 is empty"),
    ({"input": ["a", ""]}, 400, "input", "Input 1 is empty"),
    ({"input": []}, 400, "input", "at least one text"),
    ({"input": [101, 7592, 102]}, 400, "input", "not token ids"),
    ({"input": [[101, 7592, 102], [101]]}, 400, "input", "not token ids"),
    ({"model": "text-embedding-3-small"}, 404, "model", f"embeds with {MODEL}"),
    ({"dimensions": 256}, 400, "dimensions", "384 dimensions only"),
    ({"input": "word " * MAX_INPUT_TOKENS}, 400, "input", "Input 0 is 8,194 tokens long"),
    ({"input": ["hi", "x " * 9000]}, 400, "input", "Input 1 is 9,002 tokens"),
    ({"input": ["x" * 100_000] * 4}, 400, "input", "more than 300,000 characters"),
    ({"input": ["!" * 300] * 300}, 400, "input", "at most 65,536 per request"),
    ({"input": ["a"] * (MAX_INPUTS + 1)}, 422, None, "input"),
    ({"input": "x" * (MAX_TOTAL_CHARS + 1)}, 422, None, "input"),
    ({"input": [1.5]}, 422, None, "input"),
    ({"input": {"text": "hi"}}, 422, None, "input"),
    ({"input": "a\x00b"}, 422, None, "NUL"),
    ({"encoding_format": "int8"}, 422, None, "encoding_format"),
    ({"dimensions": 0}, 422, None, "dimensions"),
    ({"model": ""}, 422, None, "model"),
]


async def test_bad_requests_get_a_clear_openai_error(api: httpx.AsyncClient) -> None:
    for change, status, param, words in REFUSED:
        body = {"model": MODEL, "input": "hello", **change}
        response = await api.post("/v1/embeddings", json=body)
        assert response.status_code == status, f"{change}: {response.text[:300]}"
        error = response.json()["error"]
        assert words in error["message"], error
        assert error["type"] == "invalid_request_error"
        if status != 422:
            assert error["param"] == param
    missing = await api.post("/v1/embeddings", json={"input": "hello"})
    assert missing.status_code == 422
    assert "model" in missing.json()["error"]["message"]


async def test_the_sdk_raises_what_openai_would(sdk: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        await sdk.embeddings.create(model="text-embedding-ada-002", input="hi")
    assert unknown.value.code == "model_not_found"
    assert MODEL in str(unknown.value)
    with pytest.raises(openai.BadRequestError) as empty:
        await sdk.embeddings.create(model=MODEL, input=["hi", ""])
    assert empty.value.param == "input"


async def test_visitors_and_pending_accounts_are_refused(
    app: Any, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    body = {"model": MODEL, "input": "hello"}
    async with new_client(app) as anonymous:
        refused = await anonymous.post("/v1/embeddings", json=body)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Sign in first."
    assert (await signup(client, "later@example.com"))["role"] == "pending"
    waiting = await client.post("/v1/embeddings", json=body)
    assert waiting.status_code == 403
    assert "approval" in waiting.json()["error"]["message"]


async def test_the_route_is_documented(app: Any) -> None:
    operation = app.openapi()["paths"]["/v1/embeddings"]["post"]
    assert "requestBody" in operation
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/EmbeddingList")
    assert {"400", "401", "403", "404", "422"} <= set(operation["responses"])
