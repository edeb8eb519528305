"""Structure-aware chunking: a Document's blocks packed into overlapping, bounded chunks.

Rules, and why:
- A chunk never mixes sections: a heading starts a new chunk, and every chunk carries the path
  of headings it sits under ("Guide > Install") as a context line, so a retrieved chunk says
  what it is about even when its own text does not.
- Code blocks, table rows and list items are whole units; small blocks pack together up to
  `max_tokens`. A single block longer than that is split by lines, then sentences (not in
  code), then words, then characters: the bound always holds, counted on the full text that
  will be embedded (context line included), with whichever tokenizer the caller passes.
- Within a section, each chunk after the first starts with the tail of the previous one (at
  most `overlap_tokens`, cut at a line or sentence boundary when one exists), so a fact split
  across a boundary is still found whole in one chunk.
- A heading with nothing under it (a title-only slide) becomes a chunk of its own.
Output depends only on the input: the same document always yields the same chunks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from confide.rag.loaders.model import Block, BlockKind, Document

TokenCounter = Callable[[str], int]
WORD_PIECE = re.compile(r"\w+|[^\w\s]")
LINE_KINDS = frozenset({BlockKind.TABLE_ROW, BlockKind.LIST_ITEM})
TAIL_BOUNDARY = re.compile(r"\n|[.!?][\"')\]]*[ \t]+")
PATH_SEPARATOR = " > "


def estimate_tokens(text: str) -> int:
    """A cheap stand-in for a WordPiece count: one token per word or punctuation mark, and
    one more per 8 characters of a long word. Errs high rather than low on prose and code."""
    return sum(1 + len(piece) // 8 for piece in WORD_PIECE.findall(text))


@dataclass(frozen=True, slots=True)
class Chunk:
    """`text` is what gets embedded and quoted: the heading path line, then `body`."""

    ordinal: int
    text: str
    body: str
    heading_path: tuple[str, ...]
    location: str  # where the chunk starts, e.g. "page 3"
    end_location: str  # where it ends; the same label for a one-place chunk
    tokens: int

    @property
    def heading(self) -> str:
        return PATH_SEPARATOR.join(self.heading_path)


@dataclass(frozen=True, slots=True)
class _Unit:
    """A block, or a piece of one, that is never split further when packing."""

    text: str
    location: str
    block: int  # index of the source block: pieces of one block rejoin with a newline
    kind: BlockKind


def chunk(
    document: Document,
    *,
    max_tokens: int = 200,
    overlap_tokens: int = 40,
    count_tokens: TokenCounter = estimate_tokens,
) -> list[Chunk]:
    """Split `document` into chunks of at most `max_tokens` (see the module docstring)."""
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    if not 0 <= overlap_tokens <= max_tokens // 2:
        raise ValueError("overlap_tokens must be between 0 and half of max_tokens")
    chunker = _Chunker(max_tokens, overlap_tokens, count_tokens)
    for index, block in enumerate(document.blocks):
        chunker.add(index, block)
    chunker.finish()
    return chunker.chunks


class _Chunker:
    def __init__(self, max_tokens: int, overlap_tokens: int, count: TokenCounter) -> None:
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.count = count
        self.chunks: list[Chunk] = []
        self.headings: list[tuple[int, str]] = []  # (level, text), outermost first
        self.context = ""
        self.pending: tuple[int, Block] | None = None  # a heading still waiting for content
        self.units: list[_Unit] = []
        self.previous: list[_Unit] = []  # the last chunk's units in this section, for overlap

    # --- blocks in ---------------------------------------------------------------------------

    def add(self, index: int, block: Block) -> None:
        if block.kind is BlockKind.HEADING:
            self._heading(index, block)
            return
        self.pending = None
        for unit in self._units(index, block):
            self._place(unit)

    def finish(self) -> None:
        self._emit()
        self._orphan_heading()

    def _heading(self, index: int, block: Block) -> None:
        self._emit()
        if self.pending is not None and self.pending[1].level >= block.level:
            self._orphan_heading()
        while self.headings and self.headings[-1][0] >= block.level:
            self.headings.pop()
        self.headings.append((block.level, block.text))
        self._set_context()
        self.pending = (index, block)
        self.previous = []

    def _orphan_heading(self) -> None:
        """A heading with no content under it is kept as a chunk of its own."""
        if self.pending is None:
            return
        index, block = self.pending
        self.pending = None
        self.headings.pop()
        self._set_context()
        for unit in self._units(index, Block(BlockKind.PARAGRAPH, block.text, block.location)):
            self._place(unit)
        self._emit()

    def _set_context(self) -> None:
        """The heading path line, shortened if it would take over a quarter of a chunk."""
        context = PATH_SEPARATOR.join(text for _, text in self.headings)
        budget = self.max_tokens // 4
        if self.count(context) > budget:
            context = self.headings[-1][1]
            context = _longest_prefix(context, lambda text: self.count(text) <= budget)
        self.context = context

    # --- packing -----------------------------------------------------------------------------

    def _compose(self, body: str) -> str:
        return f"{self.context}\n\n{body}" if self.context else body

    def _fits(self, body: str) -> bool:
        return self.count(self._compose(body)) <= self.max_tokens

    def _units(self, index: int, block: Block) -> list[_Unit]:
        pieces = split_to_fit(block.text, self._fits, code=block.kind is BlockKind.CODE)
        return [_Unit(piece, block.location, index, block.kind) for piece in pieces]

    def _place(self, unit: _Unit) -> None:
        if not self.units or self._fits(_join([*self.units, unit])):
            self.units.append(unit)
            return
        self._emit()
        self.units = [*self._overlap(unit), unit]

    def _emit(self) -> None:
        if not self.units:
            return
        body = _join(self.units)
        text = self._compose(body)
        heading_path = tuple(text for _, text in self.headings)
        first, last = self.units[0].location, self.units[-1].location
        chunk = Chunk(len(self.chunks), text, body, heading_path, first, last, self.count(text))
        self.chunks.append(chunk)
        self.previous, self.units = self.units, []

    def _overlap(self, unit: _Unit) -> list[_Unit]:
        """The previous chunk's tail, as long as it and `unit` still fit in one chunk."""
        if not self.previous or not self.overlap_tokens:
            return []
        body = _join(self.previous)
        budget = self.overlap_tokens
        while budget > 0:
            start = tail_start(body, budget, self.count)
            if start < len(body):
                tail = _Unit(body[start:].strip(), *self._origin(start), self.previous[-1].kind)
                if tail.text and self._fits(_join([tail, unit])):
                    return [tail]
            budget //= 2
        return []

    def _origin(self, offset: int) -> tuple[str, int]:
        """Location and block of the previous unit holding `offset` of the joined body."""
        position = 0
        for current, following in zip(self.previous, [*self.previous[1:], None], strict=True):
            position += len(current.text)
            if offset < position or following is None:
                return current.location, self.previous[-1].block
            position += len(_separator(current, following))
        return self.previous[-1].location, self.previous[-1].block


def _separator(before: _Unit, after: _Unit) -> str:
    same_block = before.block == after.block
    return (
        "\n" if same_block or (before.kind in LINE_KINDS and after.kind in LINE_KINDS) else "\n\n"
    )


def _join(units: list[_Unit]) -> str:
    parts = [units[0].text]
    for before, after in pairwise(units):
        parts += [_separator(before, after), after.text]
    return "".join(parts)


# --- splitting -------------------------------------------------------------------------------

Fits = Callable[[str], bool]
LINES = (re.compile(r"\n"), "\n")
SENTENCES = (re.compile(r"(?<=[.!?])\s+"), " ")
WORDS = (re.compile(r"[ \t]+"), " ")


def split_to_fit(text: str, fits: Fits, *, code: bool = False) -> list[str]:
    """`text` as few pieces as possible, each passing `fits`: by lines, sentences (prose
    only), words, and as a last resort characters (a base64 blob has no other boundary)."""
    levels = [LINES, WORDS] if code else [LINES, SENTENCES, WORDS]
    return _split(text, fits, levels)


def _split(text: str, fits: Fits, levels: list[tuple[re.Pattern[str], str]]) -> list[str]:
    if fits(text):
        return [text]
    if not levels:
        return _split_characters(text, fits)
    (pattern, joiner), rest = levels[0], levels[1:]
    # Blank lines are kept (they matter in code); empty words and sentences are not.
    pieces = [piece for piece in pattern.split(text) if piece.strip() or joiner == "\n"]
    out: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if fits(candidate):
            current = candidate
            continue
        if current:
            out.append(current)
        current = ""
        if fits(piece):
            current = piece
        else:
            out.extend(_split(piece, fits, rest))
    return [*out, current] if current else out


def _split_characters(text: str, fits: Fits) -> list[str]:
    pieces: list[str] = []
    while text:
        piece = _longest_prefix(text, fits) or text[0]
        pieces.append(piece)
        text = text[len(piece) :]
    return pieces


def _longest_prefix(text: str, fits: Fits) -> str:
    """The longest prefix of `text` passing `fits` (a binary search: counts grow with length)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return text[:low]


def tail_start(text: str, budget: int, count: TokenCounter) -> int:
    """Offset where the longest tail of `text` within `budget` tokens begins: at a line or
    sentence boundary if one qualifies, else at a word boundary; len(text) if none fits."""
    best = len(text)
    boundaries = [match.end() for match in TAIL_BOUNDARY.finditer(text)]
    for start in reversed(boundaries):
        if start >= len(text) or count(text[start:]) > budget:
            break
        best = start
    if best < len(text):
        return best
    for match in reversed(list(re.finditer(r"\s+", text))):
        if count(text[match.end() :]) > budget:
            break
        best = match.end()
    return best
