"""The keyword side of retrieval: a per-file inverted index of blind term hashes, and BM25.

At ingestion each passage's words are normalized (security/blind.py: case and accents folded)
and replaced by their keyed hashes under the owner's index key; the file's index says, for
each hash, which passages hold it and how often, plus every passage's length in words. It is
sealed as one value (db.tables.ChunkKeywords), so unlike a shared full-text index the database
shows neither words nor which files have one in common. At query time the indexes of the files
the caller may read are opened (and cached, like vectors) and scored with Okapi BM25: rare
words that a passage repeats, in a short passage, rank it highest.

numpy is imported inside the functions: the server starts without it.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confide.rag.vectors import Hit, highest
from confide.security.blind import terms

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

K1, B = 1.2, 0.75  # BM25's usual term-saturation and length-normalization constants
MAX_TF = 65_535
_MAGIC = b"CKW1"
_HEADER = struct.Struct("<4sIII")  # magic, distinct terms, postings, passages

Hasher = Callable[[str], int]


class BadIndex(ValueError):
    """Stored bytes that are not a keyword index of this format."""


@dataclass(frozen=True)
class KeywordIndex:
    """One file's index: `terms` sorted; the postings of terms[i] are
    `ordinals[offsets[i]:offsets[i+1]]` (ascending) with their counts in `counts`."""

    terms: NDArray[np.int64]
    offsets: NDArray[np.uint32]
    ordinals: NDArray[np.uint32]
    counts: NDArray[np.uint16]
    lengths: NDArray[np.uint32]  # words per passage

    @property
    def nbytes(self) -> int:
        arrays = (self.terms, self.offsets, self.ordinals, self.counts, self.lengths)
        return sum(int(a.nbytes) for a in arrays)

    def postings(self, term: int) -> tuple[NDArray[np.uint32], NDArray[np.uint16]]:
        import numpy as np

        at = int(np.searchsorted(self.terms, term))
        if at == len(self.terms) or int(self.terms[at]) != term:
            return self.ordinals[:0], self.counts[:0]
        start, end = int(self.offsets[at]), int(self.offsets[at + 1])
        return self.ordinals[start:end], self.counts[start:end]


def build(texts: Sequence[str], hasher: Hasher) -> KeywordIndex:
    """The index of a file's passages (in ordinal order); `hasher` blinds a normalized word."""
    import numpy as np

    hashes: list[int] = []
    ordinals: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for ordinal, text in enumerate(texts):
        words = terms(text)
        lengths.append(len(words))
        for word, count in Counter(words).items():
            hashes.append(hasher(word))
            ordinals.append(ordinal)
            counts.append(min(count, MAX_TF))
    all_terms = np.array(hashes, dtype=np.int64)
    order = np.lexsort((np.array(ordinals, dtype=np.uint32), all_terms))
    sorted_terms = all_terms[order]
    distinct, starts = np.unique(sorted_terms, return_index=True)
    return KeywordIndex(
        terms=distinct,
        offsets=np.append(starts, len(sorted_terms)).astype(np.uint32),
        ordinals=np.array(ordinals, dtype=np.uint32)[order],
        counts=np.array(counts, dtype=np.uint16)[order],
        lengths=np.array(lengths, dtype=np.uint32),
    )


def dumps(index: KeywordIndex) -> bytes:
    header = _HEADER.pack(_MAGIC, len(index.terms), len(index.ordinals), len(index.lengths))
    parts = (index.terms, index.offsets, index.ordinals, index.counts, index.lengths)
    return header + b"".join(part.astype(part.dtype.newbyteorder("<")).tobytes() for part in parts)


def loads(data: bytes) -> KeywordIndex:
    """The index `dumps` wrote; BadIndex for anything else (it is checked, not trusted)."""
    import numpy as np

    if len(data) < _HEADER.size:
        raise BadIndex("too short for a keyword index")
    magic, n_terms, n_postings, n_passages = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise BadIndex("not a keyword index")
    layout = (
        ("<i8", n_terms),
        ("<u4", n_terms + 1),
        ("<u4", n_postings),
        ("<u2", n_postings),
        ("<u4", n_passages),
    )
    arrays, at = [], _HEADER.size
    for dtype, count in layout:
        size = np.dtype(dtype).itemsize * count
        if at + size > len(data):
            raise BadIndex("keyword index cut short")
        arrays.append(np.frombuffer(data, dtype=dtype, count=count, offset=at))
        at += size
    index = KeywordIndex(*arrays)
    if at != len(data) or int(index.offsets[-1]) != n_postings:
        raise BadIndex("keyword index has the wrong size")
    return index


def empty() -> KeywordIndex:
    """The index of a file with no passages."""
    return build([], lambda word: 0)


Searchable = tuple[str, KeywordIndex, Sequence[int]]  # file id, its index, the query's hashes


@dataclass(frozen=True)
class Combined:
    """Several files' indexes as one, searched with one lookup per word and owner instead of
    one per word and file. `terms` lists every file's terms, sorted: a term that several files
    hold is there once per file. The postings are laid out in that order, with global
    passage numbers (file by file), so all postings of one term, whichever files hold it, are
    one slice: a word is scored from views, with no gathering."""

    file_ids: tuple[str, ...]
    bases: NDArray[np.int64]  # each file's first global passage number, then the total
    firsts: NDArray[np.int64]  # each file's first term (in file order), then the total
    terms: NDArray[np.int64]  # sorted
    places: NDArray[np.uint32]  # where each term, in file order, went in `terms`
    bounds: NDArray[np.uint32]  # the postings of terms[i] are [bounds[i], bounds[i+1])
    ordinals: NDArray[np.uint32]  # global passage numbers
    counts: NDArray[np.uint16]
    lengths: NDArray[np.uint32]  # words per passage
    norm: NDArray[np.float32]  # BM25's length normalization of each passage

    @property
    def nbytes(self) -> int:
        arrays: tuple[NDArray[Any], ...] = (self.bases, self.firsts, self.terms, self.places)
        arrays += (self.bounds, self.ordinals, self.counts, self.lengths, self.norm)
        return sum(int(a.nbytes) for a in arrays)

    def part(self, file_id: str) -> KeywordIndex:
        """The file's own index, as `build` made it."""
        import numpy as np

        at = self.file_ids.index(file_id)
        mine = self.places[int(self.firsts[at]) : int(self.firsts[at + 1])]  # still sorted
        starts = self.bounds[mine].astype(np.int64)
        sizes = self.bounds[mine + 1].astype(np.int64) - starts
        postings = _ranges(starts, sizes)
        base, end = int(self.bases[at]), int(self.bases[at + 1])
        return KeywordIndex(
            terms=self.terms[mine],
            offsets=np.cumsum(np.append(0, sizes), dtype=np.int64).astype(np.uint32),
            ordinals=(self.ordinals[postings] - base).astype(np.uint32),
            counts=self.counts[postings],
            lengths=self.lengths[base:end].copy(),
        )

    def best(self, words: Sequence[Sequence[int]], limit: int) -> list[Hit]:
        """The `limit` passages scoring highest by Okapi BM25, best first. `words` holds each
        distinct query word's hashes (one per owner of these files). Passages with none of
        the words are not returned. Document frequencies count exactly these files."""
        import numpy as np

        total = int(self.bases[-1])
        if total == 0 or limit <= 0:
            return []
        scores = np.zeros(total, dtype=np.float32)
        for hashes in words:
            places, counts = self._postings(hashes)
            if len(places) == 0:
                continue
            idf = np.float32(np.log1p((total - len(places) + 0.5) / (len(places) + 0.5)))
            tf = counts.astype(np.float32)
            weight = tf + self.norm[places]
            np.divide(tf, weight, out=weight)
            weight *= idf * np.float32(K1 + 1)
            scores[places] += weight
        return _top(scores, self.bases, self.file_ids, limit)

    def _postings(self, hashes: Sequence[int]) -> tuple[NDArray[np.uint32], NDArray[np.uint16]]:
        """Where any of `hashes` occurs, as global passage numbers, with the counts: one slice
        per hash (the entries of one hash are adjacent in `terms`)."""
        import numpy as np

        wanted = np.unique(np.asarray(hashes, dtype=np.int64))
        low = np.searchsorted(self.terms, wanted, side="left")
        high = np.searchsorted(self.terms, wanted, side="right")
        spans = [
            (int(self.bounds[lo]), int(self.bounds[hi]))
            for lo, hi in zip(low, high, strict=True)
            if hi > lo
        ]
        if len(spans) == 1:
            first, last = spans[0]
            return self.ordinals[first:last], self.counts[first:last]
        return (
            _join([self.ordinals[a:b] for a, b in spans], np.uint32),
            _join([self.counts[a:b] for a, b in spans], np.uint16),
        )


def combine(parts: Sequence[tuple[str, KeywordIndex]]) -> Combined:
    """The files' indexes, copied into one (postings regrouped by term)."""
    import numpy as np

    indexes = [index for _, index in parts]
    bases = np.cumsum([0, *(len(i.lengths) for i in indexes)], dtype=np.int64)
    starts = np.cumsum([0, *(len(i.ordinals) for i in indexes)], dtype=np.int64)
    terms = _join([i.terms for i in indexes], np.int64)
    order = np.argsort(terms, kind="stable")
    places = np.empty(len(order), dtype=np.uint32)
    places[order] = np.arange(len(order), dtype=np.uint32)
    entries = _join(
        [i.offsets[:-1].astype(np.int64) + s for i, s in zip(indexes, starts, strict=False)],
        np.int64,
    )[order]
    sizes = _join([np.diff(i.offsets.astype(np.int64)) for i in indexes], np.int64)[order]
    moved = _ranges(entries, sizes)  # for each posting in term order, where it was
    lengths = _join([i.lengths for i in indexes], np.uint32)
    mean = max(float(lengths.mean()) if len(lengths) else 0.0, 1.0)
    ordinals = _join(
        [i.ordinals.astype(np.uint32) + b for i, b in zip(indexes, bases, strict=False)],
        np.uint32,
    )
    return Combined(
        file_ids=tuple(file_id for file_id, _ in parts),
        bases=bases,
        firsts=np.cumsum([0, *(len(i.terms) for i in indexes)], dtype=np.int64),
        terms=terms[order],
        places=places,
        bounds=np.cumsum(np.append(0, sizes), dtype=np.int64).astype(np.uint32),
        ordinals=ordinals[moved],
        counts=_join([i.counts for i in indexes], np.uint16)[moved],
        lengths=lengths,
        norm=(K1 * (1 - B + B * lengths.astype(np.float32) / mean)).astype(np.float32),
    )


def best(indexes: Sequence[Searchable], limit: int) -> list[Hit]:
    """`Combined.best` over files given one by one, each with the query's words hashed under
    its owner's key (the same words, in the same order, for every file)."""
    if not indexes or limit <= 0:
        return []
    words = zip(*(hashes for _, _, hashes in indexes), strict=True)
    combined = combine([(file_id, index) for file_id, index, _ in indexes])
    return combined.best([sorted(set(hashes)) for hashes in words], limit)


def _ranges(starts: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """start, start+1, …, start+size-1 for each (start, size), one after the other."""
    import numpy as np

    if len(sizes) == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    steps = np.repeat(starts - ends + sizes, sizes)
    return np.add(steps, np.arange(int(ends[-1])), out=steps)


def _join(arrays: Sequence[NDArray[Any]], dtype: type) -> NDArray[Any]:
    import numpy as np

    if not arrays:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(arrays).astype(dtype, copy=False)


def _top(
    scores: NDArray[np.float32], bases: NDArray[np.int64], file_ids: Sequence[str], limit: int
) -> list[Hit]:
    import numpy as np

    top = highest(scores, limit)
    top = top[scores[top] > 0]  # passages with none of the words
    owners = np.searchsorted(bases, top, side="right") - 1
    return [
        Hit(file_ids[owner], int(place - bases[owner]), float(scores[place]))
        for place, owner in zip(top, owners, strict=True)
    ]


def fuse(rankings: Sequence[Sequence[Hit]], limit: int, k: int = 60) -> list[Hit]:
    """Reciprocal rank fusion: each passage scores the sum of 1 / (k + rank) over the rankings
    it appears in (rank from 1), so agreement between them counts and raw scores of different
    scales never mix. Ties keep the order of first appearance."""
    fused: dict[tuple[str, int], float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            place = (hit.file_id, hit.ordinal)
            fused[place] = fused.get(place, 0.0) + 1.0 / (k + rank)
    ordered = sorted(fused.items(), key=lambda item: -item[1])[:limit]
    return [Hit(file_id, ordinal, score) for (file_id, ordinal), score in ordered]
