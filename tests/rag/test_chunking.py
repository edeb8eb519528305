"""Chunking keeps structure whole, carries the heading path, overlaps and respects the bound."""

from __future__ import annotations

from itertools import pairwise

import pytest

from confide.rag.chunking import Chunk, chunk, estimate_tokens
from confide.rag.loaders import Block, BlockKind, Document

H, P, CODE, ROW = BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.CODE, BlockKind.TABLE_ROW


def words(count: int, start: int = 0) -> str:
    """Distinct sentences of five words, so overlap positions are easy to see."""
    return " ".join(f"Sentence {n} has five words." for n in range(start, start + count))


def doc(*blocks: Block) -> Document:
    return Document(list(blocks))


def count_words(text: str) -> int:
    return len(text.split())


def test_heading_path_is_carried_and_prepended() -> None:
    document = doc(
        Block(H, "Guide", "page 1", 1),
        Block(H, "Install", "page 1", 2),
        Block(P, "Run make run.", "page 2"),
        Block(H, "Use", "page 3", 2),
        Block(P, "Open the browser.", "page 3"),
    )
    chunks = chunk(document)
    assert [(c.heading_path, c.body, c.location) for c in chunks] == [
        (("Guide", "Install"), "Run make run.", "page 2"),
        (("Guide", "Use"), "Open the browser.", "page 3"),
    ]
    assert chunks[0].text == "Guide > Install\n\nRun make run."
    assert [c.ordinal for c in chunks] == [0, 1]


def test_small_blocks_pack_together_and_rows_join_by_line() -> None:
    rows = [Block(ROW, f"Name: item {n}; Cost: {n}", f"Sheet1 row {n}") for n in range(2, 6)]
    chunks = chunk(doc(Block(H, "Sheet1", "Sheet1", 1), *rows))
    assert len(chunks) == 1
    assert chunks[0].body == "\n".join(row.text for row in rows)
    assert (chunks[0].location, chunks[0].end_location) == ("Sheet1 row 2", "Sheet1 row 5")


def test_max_tokens_is_respected_with_the_callers_counter() -> None:
    blocks = [Block(P, words(3, start=3 * n), f"page {n}") for n in range(40)]
    chunks = chunk(
        doc(Block(H, "Long", "page 1", 1), *blocks),
        max_tokens=50,
        overlap_tokens=10,
        count_tokens=count_words,
    )
    assert len(chunks) > 5
    assert all(count_words(c.text) <= 50 for c in chunks)
    assert all(c.tokens == count_words(c.text) for c in chunks)


def test_overlap_starts_each_chunk_with_the_previous_tail() -> None:
    blocks = [Block(P, words(4, start=4 * n), f"page {n}") for n in range(10)]
    chunks = chunk(doc(*blocks), max_tokens=45, overlap_tokens=10, count_tokens=count_words)
    assert len(chunks) >= 3
    for before, after in pairwise(chunks):
        first_line = after.body.split("\n\n")[0]
        assert before.body.endswith(first_line)  # whole sentences from the previous chunk
        assert 0 < count_words(first_line) <= 10
        assert first_line.endswith(".")


def test_no_overlap_across_sections_or_when_disabled() -> None:
    document = doc(
        Block(H, "A", "l1", 1),
        Block(P, words(8), "l2"),
        Block(H, "B", "l3", 1),
        Block(P, words(8, start=100), "l4"),
    )
    chunks = chunk(document, max_tokens=30, overlap_tokens=10, count_tokens=count_words)
    first_of_b = next(c for c in chunks if c.heading_path == ("B",))
    assert first_of_b.body.startswith("Sentence 100 ")
    plain = chunk(doc(Block(P, words(20), "l1")), max_tokens=30, overlap_tokens=0)
    assert "".join(c.body.replace(" ", "") for c in plain) == words(20).replace(" ", "")


def test_code_block_is_kept_whole_when_it_fits() -> None:
    code = "def add(a, b):\n    total = a + b\n\n    return total"
    document = doc(Block(P, words(6), "line 1"), Block(CODE, code, "line 9"))
    chunks = chunk(document, max_tokens=40, overlap_tokens=5, count_tokens=count_words)
    holding = [c for c in chunks if "def add" in c.body]
    assert len(holding) == 1 and code in holding[0].body


def test_table_rows_are_never_split() -> None:
    rows = [Block(ROW, f"Key: {n}; Value: {'x ' * 5}end", f"row {n}") for n in range(30)]
    chunks = chunk(doc(*rows), max_tokens=40, overlap_tokens=0, count_tokens=count_words)
    pieces = [line for c in chunks for line in c.body.split("\n")]
    assert pieces == [row.text for row in rows]


def test_a_single_long_block_is_split_by_lines_then_words() -> None:
    code = "\n".join(f"line_{n} = {n}" for n in range(60))
    one_line = " ".join(f"w{n}" for n in range(100))
    document = doc(Block(CODE, code, "line 1"), Block(P, one_line, "line 70"))
    chunks = chunk(document, max_tokens=30, overlap_tokens=0, count_tokens=count_words)
    code_chunks = [c for c in chunks if c.location == "line 1"]
    assert len(code_chunks) > 1
    assert all(line.startswith("line_") for c in code_chunks for line in c.body.split("\n"))
    assert "\n".join(c.body for c in code_chunks) == code
    word_chunks = [c for c in chunks if c.location == "line 70"]
    assert " ".join(c.body for c in word_chunks) == one_line
    assert all(count_words(c.text) <= 30 for c in chunks)


def test_a_blob_without_boundaries_is_cut_by_characters() -> None:
    blob = "A" * 5000
    chunks = chunk(doc(Block(P, blob, "page 1")), max_tokens=50, overlap_tokens=0)
    assert "".join(c.body for c in chunks) == blob
    assert all(estimate_tokens(c.text) <= 50 for c in chunks)


def test_a_heading_with_nothing_under_it_is_its_own_chunk() -> None:
    document = doc(
        Block(H, "Thanks", "slide 9", 1),
        Block(H, "Appendix", "slide 10", 1),
        Block(H, "Data", "slide 10", 2),
        Block(P, "Numbers.", "slide 10"),
        Block(H, "The end", "slide 11", 1),
    )
    assert [(c.heading_path, c.body) for c in chunk(document)] == [
        ((), "Thanks"),
        (("Appendix", "Data"), "Numbers."),
        ((), "The end"),
    ]


def test_an_overlong_heading_path_is_shortened() -> None:
    long_title = " ".join(["title"] * 200)
    chunks = chunk(
        doc(Block(H, long_title, "p1", 1), Block(P, "Body.", "p1")), max_tokens=40, overlap_tokens=5
    )
    assert chunks[0].body == "Body."
    assert chunks[0].tokens <= 40


def test_chunking_is_deterministic() -> None:
    blocks = [Block(P, words(5, start=5 * n), f"page {n}") for n in range(30)]
    first = chunk(doc(*blocks), max_tokens=60, overlap_tokens=12)
    second = chunk(doc(*blocks), max_tokens=60, overlap_tokens=12)
    assert first == second and all(isinstance(c, Chunk) for c in first)


@pytest.mark.parametrize(("max_tokens", "overlap"), [(4, 0), (100, 60), (100, -1)])
def test_bad_settings_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        chunk(doc(Block(P, "x", "l1")), max_tokens=max_tokens, overlap_tokens=overlap)


def test_estimate_counts_words_and_punctuation() -> None:
    assert estimate_tokens("Hello, world!") == 4
    assert estimate_tokens("") == 0
    assert estimate_tokens("a" * 16) == 3
