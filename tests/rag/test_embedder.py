"""The built-in embedder gives sentence-transformers' all-MiniLM-L6-v2 vectors, offline.

Real weights throughout; the reference vectors in fixtures/minilm_reference.json were computed
with sentence-transformers 6.2.0 on PyTorch (normalize_embeddings=True, max_seq_length 256).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from confide.rag.embedder import MiniLMEmbedder

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.json"
MIXED = ["short", "a somewhat longer sentence about retrieval and chunks " * 4, "", "mid length"]


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    """One embedder for the module: the weights load on its first embed and stay loaded."""
    return MiniLMEmbedder()


def _long_text(reference: dict[str, Any]) -> tuple[str, list[float]]:
    return max(zip(reference["texts"], reference["vectors"], strict=True), key=lambda p: len(p[0]))


async def test_every_text_matches_its_reference_vector(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    vectors = await embedder.embed(reference["texts"])
    want = np.asarray(reference["vectors"], dtype=np.float32)
    cosines = np.sum(vectors * want, axis=1)
    for text, cosine in zip(reference["texts"], cosines, strict=True):
        assert cosine >= 0.999, f"cosine {cosine:.6f} for {text[:60]!r}"


async def test_rows_are_unit_float32_vectors_in_input_order(embedder: MiniLMEmbedder) -> None:
    vectors = await embedder.embed(MIXED)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(MIXED), embedder.dimensions)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    reversed_ = await embedder.embed(MIXED[::-1])
    np.testing.assert_allclose(reversed_[::-1], vectors, atol=1e-5)


async def test_a_text_alone_equals_the_same_text_in_a_mixed_batch(
    embedder: MiniLMEmbedder,
) -> None:
    together = await embedder.embed(MIXED)
    for i, text in enumerate(MIXED):
        alone = await embedder.embed([text])
        np.testing.assert_allclose(alone[0], together[i], atol=1e-5, err_msg=repr(text))


async def test_batches_smaller_than_the_input_change_nothing(embedder: MiniLMEmbedder) -> None:
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(10)]
    in_threes = await MiniLMEmbedder(batch_size=3).embed(texts)
    np.testing.assert_allclose(in_threes, await embedder.embed(texts), atol=1e-5)


async def test_no_texts_give_an_empty_matrix(embedder: MiniLMEmbedder) -> None:
    vectors = await embedder.embed([])
    assert vectors.shape == (0, embedder.dimensions)
    assert vectors.dtype == np.float32


async def test_an_empty_string_is_a_unit_vector(embedder: MiniLMEmbedder) -> None:
    (vector,) = await embedder.embed([""])
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-6
    assert embedder.count_tokens("") == 2  # [CLS] [SEP]


async def test_a_long_text_is_truncated_to_max_tokens(
    embedder: MiniLMEmbedder, reference: dict[str, Any]
) -> None:
    text, want = _long_text(reference)
    assert embedder.count_tokens(text) > embedder.max_tokens == 256
    vectors = await embedder.embed([text, text + " and then a tail the model never reads"])
    assert float(vectors[0] @ np.asarray(want, dtype=np.float32)) >= 0.999
    np.testing.assert_allclose(vectors[1], vectors[0], atol=1e-6)


async def test_nothing_loads_until_the_first_embed(embedder: MiniLMEmbedder) -> None:
    fresh = MiniLMEmbedder()
    assert fresh._model is None
    assert fresh._tokenizer is None
    assert fresh.count_tokens("hello world") == 4
    assert fresh._model is None, "counting tokens must not load the weights"
    await fresh.embed(["hello world"])
    assert fresh._model is not None


async def test_concurrent_first_calls_load_once_and_agree(embedder: MiniLMEmbedder) -> None:
    fresh = MiniLMEmbedder()
    batches = [MIXED, MIXED[1:], ["another text"], MIXED[::-1]]
    results = await asyncio.gather(*(fresh.embed(batch) for batch in batches))
    model = fresh._model
    assert model is not None
    for batch, got in zip(batches, results, strict=True):
        np.testing.assert_allclose(got, await embedder.embed(batch), atol=1e-5)
    await fresh.embed(["again"])
    assert fresh._model is model
