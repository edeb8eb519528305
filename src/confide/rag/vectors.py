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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Matrix = NDArray[np.float32]

DEFAULT_BUDGET = 256 * 1024 * 1024  # bytes of opened vectors kept, at most


@dataclass(frozen=True)
class Key:
    file_id: str
    updated_at: datetime
    embedder: str


@dataclass(frozen=True)
class Hit:
    file_id: str
    ordinal: int
    score: float


class VectorCache:
    """Least-recently-used opened matrices, within a byte budget. Thread-safe."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._entries: OrderedDict[Key, Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> Matrix | None:
        with self._lock:
            matrix = self._entries.get(key)
            if matrix is not None:
                self._entries.move_to_end(key)
            return matrix

    def put(self, key: Key, matrix: Matrix) -> None:
        with self._lock:
            self._forget_file(key.file_id)
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

    def _forget_file(self, file_id: str) -> None:
        for stale in [k for k in self._entries if k.file_id == file_id]:
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
    scores = np.concatenate([m @ query for _, m in matrices])
    count = min(limit, len(scores))
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Hit(matrices[owners[i]][0], int(ordinals[i]), float(scores[i])) for i in top]
