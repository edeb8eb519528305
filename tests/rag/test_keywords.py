"""The keyword side of retrieval: building, storing and scoring per-file indexes of blind
word hashes (BM25), and fusing rankings by reciprocal rank."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from confide.rag.keywords import (
    K1,
    B,
    BadIndex,
    KeywordIndex,
    best,
    build,
    combine,
    dumps,
    empty,
    fuse,
    loads,
)
from confide.rag.vectors import Hit


def hasher(word: str) -> int:
    return int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "big", signed=True)


def other_owner(word: str) -> int:
    return hasher("other key:" + word)


def searchable(file_id: str, index: KeywordIndex, query: str, key=hasher):  # type: ignore[no-untyped-def]
    return (file_id, index, [key(word) for word in dict.fromkeys(query.lower().split())])


PASSAGES = [
    "Otters eat crayfish and fish along the river.",
    "The quarterly invoice INV-88213 is overdue; the invoice was sent in May.",
    "Bees make honey. Honey is sweet, and bees guard the hive.",
    "Café opening hours: the CAFÉ opens at eight.",
]


def test_an_index_lists_each_words_passages_with_counts_and_lengths() -> None:
    index = build(PASSAGES, hasher)
    ordinals, counts = index.postings(hasher("invoice"))
    assert ordinals.tolist() == [1] and counts.tolist() == [2]
    ordinals, counts = index.postings(hasher("honey"))
    assert ordinals.tolist() == [2] and counts.tolist() == [2]
    assert index.postings(hasher("absent"))[0].tolist() == []
    assert index.lengths.tolist() == [8, 13, 11, 8]  # "INV-88213" is two words
    # words are normalized as chat search does: case and accents folded
    assert index.postings(hasher("cafe"))[1].tolist() == [2]


def test_an_index_survives_storage_and_holds_no_words() -> None:
    index = build(PASSAGES, hasher)
    data = dumps(index)
    assert b"crayfish" not in data and b"invoice" not in data.lower()
    again = loads(data)
    for name in ("terms", "offsets", "ordinals", "counts", "lengths"):
        assert np.array_equal(getattr(again, name), getattr(index, name))
    assert loads(dumps(empty())).nbytes == empty().nbytes


@pytest.mark.parametrize(
    "data", [b"", b"CKW1", b"nope" + bytes(12), dumps(build(PASSAGES, hasher))[:-3]]
)
def test_bytes_that_are_not_an_index_are_refused(data: bytes) -> None:
    with pytest.raises(BadIndex):
        loads(data)


def test_a_trailing_byte_is_refused() -> None:
    with pytest.raises(BadIndex):
        loads(dumps(build(PASSAGES, hasher)) + b"\0")


def test_bm25_prefers_rare_words_repeated_in_short_passages() -> None:
    index = build(PASSAGES, hasher)
    [first, *_] = best([searchable("f", index, "invoice overdue")], 5)
    assert (first.file_id, first.ordinal) == ("f", 1)
    hits = best([searchable("f", index, "honey river")], 5)
    assert [h.ordinal for h in hits] == [2, 0]  # "honey" twice beats "river" once
    assert all(h.score > 0 for h in hits)
    assert best([searchable("f", index, "nothing matches")], 5) == []


def test_a_short_passage_beats_a_long_one_with_the_same_count() -> None:
    index = build(["alpha beta", "alpha " + "filler " * 40], hasher)
    assert [h.ordinal for h in best([searchable("f", index, "alpha")], 2)] == [0, 1]


def test_files_are_ranked_together_each_with_its_owners_hashes() -> None:
    mine = build(["river otters", "kitchen bread"], hasher)
    theirs = build(["otters otters otters", "nothing here"], other_owner)
    hits = best(
        [
            searchable("mine", mine, "otters"),
            searchable("theirs", theirs, "otters", key=other_owner),
        ],
        5,
    )
    assert [(h.file_id, h.ordinal) for h in hits] == [("theirs", 0), ("mine", 0)]
    # with the wrong key, a file's words are simply not there
    assert best([searchable("theirs", theirs, "otters")], 5) == []
    assert best([searchable("f", mine, "otters")], 0) == []
    assert best([], 5) == []
    assert best([searchable("f", empty(), "otters")], 5) == []


def test_combined_indexes_give_back_each_files_own_and_rank_as_the_files_would() -> None:
    rng = np.random.default_rng(3)
    vocabulary = [f"w{n}" for n in range(40)]
    texts = [
        [" ".join(rng.choice(vocabulary, size=rng.integers(1, 30))) for _ in range(n)]
        for n in (5, 0, 12, 1)
    ]
    indexes = [build(t, hasher) for t in texts]
    ids = ["a", "empty", "b", "c"]
    combined = combine(list(zip(ids, indexes, strict=True)))
    for file_id, index in zip(ids, indexes, strict=True):
        part = combined.part(file_id)
        assert dumps(part) == dumps(index)  # the same index, to the byte
    query = "w1 w7 w7 w30 nowhere"
    hits = best([searchable(i, x, query) for i, x in zip(ids, indexes, strict=True)], 50)
    assert hits and all(texts[ids.index(h.file_id)][h.ordinal] for h in hits)
    for hit in hits:  # every hit holds a query word, and the best outrank the rest
        assert set(texts[ids.index(hit.file_id)][hit.ordinal].split()) & {"w1", "w7", "w30"}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    matching = sum(
        bool(set(t.split()) & {"w1", "w7", "w30"}) for file_texts in texts for t in file_texts
    )
    assert len(hits) == matching
    assert combine([]).best([[hasher("w1")]], 5) == []


def test_combined_scores_are_okapi_bm25_over_every_owners_files() -> None:
    """Scores checked against BM25 written out by hand: three files of two owners (so a word
    is looked up under two hashes), document frequencies and the mean length over all."""
    rng = np.random.default_rng(11)
    vocabulary = [f"w{n}" for n in range(25)]
    texts = [
        [" ".join(rng.choice(vocabulary, size=rng.integers(1, 40))) for _ in range(n)]
        for n in (30, 7, 18)
    ]
    keys = [hasher, other_owner, hasher]
    parts = [(f"f{n}", build(t, k)) for n, (t, k) in enumerate(zip(texts, keys, strict=True))]
    query = ["w3", "w11", "w24"]
    hits = combine(parts).best([sorted({hasher(w), other_owner(w)}) for w in query], 1000)
    passages = [(f"f{n}", o, t.split()) for n, ts in enumerate(texts) for o, t in enumerate(ts)]
    mean = sum(len(words) for _, _, words in passages) / len(passages)
    expected = {}
    for word in query:
        df = sum(word in words for _, _, words in passages)
        idf = np.log1p((len(passages) - df + 0.5) / (df + 0.5))
        for file_id, ordinal, words in passages:
            tf = words.count(word)
            if tf:
                norm = K1 * (1 - B + B * len(words) / mean)
                score = idf * tf * (K1 + 1) / (tf + norm)
                expected[file_id, ordinal] = expected.get((file_id, ordinal), 0.0) + score
    assert {(h.file_id, h.ordinal) for h in hits} == set(expected)
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.file_id, hit.ordinal], rel=1e-5)


def test_rank_fusion_rewards_agreement_and_keeps_first_seen_order_on_ties() -> None:
    meaning = [Hit("a", 0, 0.9), Hit("b", 0, 0.8), Hit("c", 0, 0.7)]
    words = [Hit("c", 0, 12.0), Hit("d", 0, 3.0)]
    fused = fuse([meaning, words], 10)
    assert [(h.file_id, h.ordinal) for h in fused] == [("c", 0), ("a", 0), ("b", 0), ("d", 0)]
    assert fused[0].score == pytest.approx(1 / 63 + 1 / 61)
    assert len(fuse([meaning, words], 2)) == 2
    assert fuse([[], []], 5) == []
