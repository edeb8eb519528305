"""An embedder served by a connection: an OpenAI-compatible `/v1/embeddings` or Ollama's
`/api/embed`, chosen by the admin instead of the built-in one (services/embedders.py).

Its vectors are normalized here (not every server does), checked to have the dimensions the
admin's choice was made with, and sent in batches. Tokens are counted with the built-in
tokenizer, which only sizes passages: the server counts its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder, Vectors

EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
BATCH = 64
MAX_TOKENS = 512  # what passages are sized for; the server truncates beyond its own limit


class EmbedderFailed(Exception):
    """The embedding server answered with something else than the vectors asked for."""


class RemoteEmbedder:
    def __init__(self, name: str, dimensions: int, embed: EmbedFn, tokens: Embedder) -> None:
        self._name, self._dimensions, self._embed, self._tokens = name, dimensions, embed, tokens

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def max_tokens(self) -> int:
        return MAX_TOKENS

    def count_tokens(self, text: str) -> int:
        return self._tokens.count_tokens(text)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        parts = [np.zeros((0, self._dimensions), dtype=np.float32)]
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            parts.append(self._checked(await self._embed(batch), len(batch)))
        return np.concatenate(parts)

    def _checked(self, rows: list[list[float]], count: int) -> Vectors:
        import numpy as np

        try:
            vectors = np.array(rows, dtype=np.float32)
        except (TypeError, ValueError):
            raise EmbedderFailed(f"{self._name} answered with something else.") from None
        if vectors.shape != (count, self._dimensions):
            raise EmbedderFailed(
                f"{self._name} answered with vectors of shape {vectors.shape}, "
                f"not {count} of {self._dimensions} dimensions."
            )
        if not np.isfinite(vectors).all():
            raise EmbedderFailed(f"{self._name} answered with vectors that are not numbers.")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return unit
