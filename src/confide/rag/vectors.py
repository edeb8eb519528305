"""Opened embedding vectors in memory, and the nearest passages to a query among them.

Vectors are sealed in the database (see db.tables.ChunkVectors), so similarity search runs
here, over the vectors of the files a query may read, stacked into one matrix (`Stack`).
Opening a file's blocks costs a few milliseconds per thousand passages; this cache keeps the
stacks of recently searched sets of files (and their keyword indexes, rag/keywords.py) so a
conversation's follow-up questions pay neither the opening nor the stacking again. An entry
is keyed by its files' ids and `updated_at`: a re-indexed file simply misses, on every
replica, with no messages between them, and a new set of files (a file added) is stacked
from what the cached sets already hold, opening only what they do not. The cache never
decides who may read what: callers pass only files the asking user may read right now.

numpy is imported inside the functions: the server starts without it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Matrix = NDArray[np.float32]
    Vector = NDArray[np.float32]

DEFAULT_BUDGET = 256 * 1024 * 1024  # bytes of opened vectors kept, at most


KEYWORDS = "keywords"  # the `space` of a cached keyword index (rag/keywords.py)


@dataclass(frozen=True)
class Key:
    """A cached value: what one set of files holds in one `space` (an embedder's vectors, or
    KEYWORDS), at the files' versions (`updated_at`)."""

    space: str
    files: frozenset[tuple[str, datetime]]

    @classmethod
    def of(cls, space: str, versions: Iterable[tuple[str, datetime]]) -> Key:
        return cls(space, frozenset(versions))


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
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def find(self, space: str, file_id: str, updated_at: datetime) -> Any:
        """A cached value of `space` that holds this version of the file among others (its
        `part` gives the file's own), or None."""
        with self._lock:
            for key, value in self._entries.items():
                if key.space == space and (file_id, updated_at) in key.files:
                    return value
        return None

    def put(self, key: Key, value: Any) -> None:
        with self._lock:
            self._forget_stale(key)
            if value.nbytes > self.budget:
                return
            self._entries[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _forget_stale(self, key: Key) -> None:
        """Entries `key` replaces: itself, and any holding another version of one of its
        files (re-indexed: that version is gone for good)."""
        versions = dict(key.files)
        for stale in [
            k
            for k in self._entries
            if k == key
            or any(versions.get(file_id, updated) != updated for file_id, updated in k.files)
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


@dataclass(frozen=True)
class Stack:
    """Several files' matrices as one, rows in file order: a question is compared with all of
    them in one product. At 100,000 rows of 384 that is 5-6 ms, against 14 ms for a product
    per file of 1,000 rows (BLAS does too little per call to run at full speed)."""

    file_ids: tuple[str, ...]
    bases: NDArray[np.int64]  # the first row of each file, then the number of rows
    matrix: Matrix

    @property
    def nbytes(self) -> int:
        return int(self.matrix.nbytes) + int(self.bases.nbytes)

    def part(self, file_id: str) -> Matrix:
        """The file's own rows (a view: copy it before keeping it)."""
        at = self.file_ids.index(file_id)
        return self.matrix[int(self.bases[at]) : int(self.bases[at + 1])]

    def nearest(self, query: NDArray[np.float32], limit: int) -> list[Hit]:
        """The `limit` rows most similar to `query` (cosine: all vectors are unit length),
        best first."""
        import numpy as np

        if limit <= 0 or len(self.matrix) == 0:
            return []
        scores = _scores(query, self.matrix)
        top = highest(scores, limit)
        owners = np.searchsorted(self.bases, top, side="right") - 1
        return [
            Hit(self.file_ids[owner], int(row - self.bases[owner]), float(scores[row]))
            for row, owner in zip(top, owners, strict=True)
        ]


def highest(scores: NDArray[np.float32], count: int) -> NDArray[np.intp]:
    """The places of the `count` highest scores, highest first (equal scores in place order).

    A full partition of 100,000 scores takes about 1 ms. Instead, the `count`-th highest of
    every 16th score is a bar that at least `count` scores reach (those sampled ones, and
    about 16 times as many in all), so the best `count` are among the few that reach it,
    and only those are partitioned: exact, in a tenth of the time. Of scores equal to the
    last one kept, the first places are kept."""
    import numpy as np

    count = min(count, len(scores))
    if count <= 0:
        return np.zeros(0, dtype=np.intp)
    if len(scores) > 64 * count:
        sample = scores[::16]
        bar = np.partition(sample, len(sample) - count)[len(sample) - count]
        places = np.flatnonzero(scores >= bar)
    else:
        places = np.arange(len(scores))
    values = scores[places]
    kth = np.partition(values, len(values) - count)[len(values) - count]
    above = places[values > kth]
    top = np.sort(np.concatenate([above, places[values == kth][: count - len(above)]]))
    return top[np.argsort(-scores[top], kind="stable")]


def stack(parts: Sequence[tuple[str, Matrix]], dimensions: int) -> Stack:
    """The files' matrices, copied into one."""
    import numpy as np

    sizes = [len(matrix) for _, matrix in parts]
    matrix = (
        np.concatenate([m for _, m in parts])
        if parts
        else np.zeros((0, dimensions), dtype=np.float32)
    )
    return Stack(
        file_ids=tuple(file_id for file_id, _ in parts),
        bases=np.cumsum([0, *sizes], dtype=np.int64),
        matrix=matrix,
    )


def nearest(
    query: NDArray[np.float32], matrices: Sequence[tuple[str, Matrix]], limit: int
) -> list[Hit]:
    """The `limit` passages most similar to `query` across the given files' matrices."""
    if not matrices:
        return []
    return stack(matrices, len(query)).nearest(query, limit)


def _scores(query: NDArray[np.float32], matrix: Matrix) -> NDArray[np.float32]:
    """Every row's product with `query`, in one piece: numpy's OpenBLAS already uses both
    cores. (Splitting the rows between two threads of our own was 1-2 ms slower per search at
    100,000 rows, measured in the whole search: four threads on two cores.)"""
    return matrix @ query
