"""Opened embedding vectors in memory, and the nearest passages to a query among them.

Vectors are sealed in the database (see db.tables.ChunkVectors), so similarity search runs
here, over the matrices of the files a query may read. Opening a file's blocks costs a few
milliseconds per thousand passages; this cache keeps recently used files' matrices so a
conversation's follow-up questions do not pay it again. An entry is keyed by the file's id
and its `updated_at`: a re-indexed file simply misses, on every replica, with no messages
between them. The cache never decides who may read what: callers pass only files the asking
user may read right now.

numpy is imported inside the functions: the server starts without it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Matrix = NDArray[np.float32]
    Vector = NDArray[np.float32]

DEFAULT_BUDGET = 256 * 1024 * 1024  # bytes of opened vectors kept, at most
PARALLEL_ROWS = 20_000  # from this many rows on, products are split between two threads


KEYWORDS = "keywords"  # the `space` of a cached keyword index (rag/keywords.py)


@dataclass(frozen=True)
class Key:
    file_id: str
    updated_at: datetime
    space: str  # the embedder whose vectors these are, or KEYWORDS


@dataclass(frozen=True)
class Hit:
    file_id: str
    ordinal: int
    score: float


class VectorCache:
    """Least-recently-used opened matrices (and keyword indexes: anything with `nbytes`),
    within a byte budget. Thread-safe."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._entries: OrderedDict[Key, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> Any:
        with self._lock:
            matrix = self._entries.get(key)
            if matrix is not None:
                self._entries.move_to_end(key)
            return matrix

    def put(self, key: Key, matrix: Any) -> None:
        with self._lock:
            self._forget_stale(key)
            if matrix.nbytes > self.budget:
                return
            self._entries[key] = matrix
            self._bytes += matrix.nbytes
            while self._bytes > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _forget_stale(self, key: Key) -> None:
        """Entries `key` replaces: the same file's, of an older version or the same space."""
        for stale in [
            k
            for k in self._entries
            if k.file_id == key.file_id and (k.updated_at != key.updated_at or k.space == key.space)
        ]:
            self._bytes -= self._entries.pop(stale).nbytes

    @property
    def size_bytes(self) -> int:
        return self._bytes


def stack_blocks(blocks: Sequence[bytes], dimensions: int) -> Matrix:
    """One file's opened vector blocks (stored as float16, in block order) as one float32
    matrix: numpy multiplies float32 with BLAS, float16 without (many times slower)."""
    import numpy as np

    joined = b"".join(blocks)
    return np.frombuffer(joined, dtype=np.float16).reshape(-1, dimensions).astype(np.float32)


def _scores(query: NDArray[np.float32], matrices: list[Matrix]) -> NDArray[np.float32]:
    """Every row's product with `query`, in order. Many files' worth is split between two
    threads, each multiplying its files one by one: a product per file is too small for BLAS
    to split well (100 files of 1,000 rows, measured in the retrieval benchmark with one BLAS
    thread: 12.1 ms in one thread, 8.5 ms in two; with OpenBLAS's default two threads both
    take 12 ms, its own threads competing with ours)."""
    import numpy as np

    total = sum(len(m) for m in matrices)
    if len(matrices) < 2 or total < PARALLEL_ROWS:
        return np.concatenate([m @ query for m in matrices])
    half, rows = 0, 0
    while rows < total / 2:
        rows += len(matrices[half])
        half += 1
    first = _pool().submit(_products, query, matrices[:half])
    rest = _products(query, matrices[half:])
    return np.concatenate([first.result(), rest])


def _products(query: NDArray[np.float32], matrices: list[Matrix]) -> NDArray[np.float32]:
    import numpy as np

    if not matrices:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([m @ query for m in matrices])


_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="confide-vectors"))
    return _POOL[0]


def nearest(
    query: NDArray[np.float32], matrices: Sequence[tuple[str, Matrix]], limit: int
) -> list[Hit]:
    """The `limit` passages most similar to `query` (cosine: all vectors are unit length)
    across the given files' matrices, best first."""
    import numpy as np

    if not matrices or limit <= 0:
        return []
    sizes = [len(m) for _, m in matrices]
    owners = np.repeat(np.arange(len(matrices), dtype=np.int32), sizes)
    ordinals = np.concatenate([np.arange(size, dtype=np.int32) for size in sizes])
    scores = _scores(query, [m for _, m in matrices])
    count = min(limit, len(scores))
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Hit(matrices[owners[i]][0], int(ordinals[i]), float(scores[i])) for i in top]
