"""An embedder that imports its implementation on first use.

The built-in embedder needs numpy and `tokenizers`, tens of megabytes of memory a server that
never reads a file should not pay for. The app holds this stand-in instead, so importing and
starting Confide stay as light as before; the first file ingested (or the first call to
`/v1/embeddings`) builds the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from confide.rag.embedder import Embedder, Vectors

BUILT_IN_NAME = "all-MiniLM-L6-v2"  # the built-in embedder's (rag/embedder.py MiniLMEmbedder)


class LazyEmbedder:
    def __init__(self, build: Callable[[], Embedder], name: str | None = None) -> None:
        self._build = build
        self._name = name  # known without building it (when given)
        self._built: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._built is not None

    def _get(self) -> Embedder:
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
        return self._built

    @property
    def name(self) -> str:
        return self._name or self._get().name

    @property
    def dimensions(self) -> int:
        return self._get().dimensions

    @property
    def max_tokens(self) -> int:
        return self._get().max_tokens

    def count_tokens(self, text: str) -> int:
        return self._get().count_tokens(text)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        return await self._get().embed(texts)
