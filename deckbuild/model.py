"""The parsed deck: what every later stage reads, and nothing writes back to.

Each formula, element and derivation link keeps its file, line and column so
that any stage can point the author at the exact place in the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(eq=False)
class Math:
    tex: str  # exactly as written between the delimiters
    display: bool
    path: str
    line: int  # where the formula text (after the opening delimiter) starts
    col: int

    def locate(self, pos: int) -> tuple[int, int]:
        """File line and column of character `pos` of the formula."""
        pos = max(0, min(pos, len(self.tex)))
        before = self.tex[:pos]
        newlines = before.count("\n")
        if newlines == 0:
            return self.line, self.col + pos
        return self.line + newlines, pos - before.rfind("\n")


@dataclass(eq=False)
class Element:
    name: str  # e.g. "slide-img"
    attrs: dict[str, str | None]
    path: str
    line: int
    col: int
    body: "Block | None" = None
    block: bool = True  # stands on its own line(s), not inside a sentence


@dataclass(eq=False)
class Block:
    """A stretch of Markdown whose formulas and elements are held out as pieces."""

    pieces: list["str | Math | Element"] = field(default_factory=list)
    line: int = 1
    images: dict[str, tuple[int, int]] = field(default_factory=dict)  # Markdown image src -> where first written

    def walk(self):
        """Every Math and Element inside, depth first, in source order."""
        for piece in self.pieces:
            if isinstance(piece, str):
                continue
            yield piece
            if isinstance(piece, Element) and piece.body is not None:
                yield from piece.body.walk()


@dataclass(eq=False)
class DerivationRow:
    index: int
    relation: str
    latex: str
    fingerprint: str
    line: int
    col: int
    offset: int  # into the formula's LaTeX


@dataclass(eq=False)
class DerivationLink:
    id: str
    element: Element
    math: Math
    rows: list[DerivationRow]
    fragment_rows: frozenset[int] = frozenset()


@dataclass(eq=False)
class Slide:
    number: int  # 1-based position in the deck
    line: int
    kind: str  # "slide-section" or "section"
    attrs: dict[str, str]
    body: Block
    notes: Block | None
    title: str


@dataclass(frozen=True)
class RemoteImage:
    """An image the deck shows from the network, where it is written."""

    url: str
    path: str
    line: int
    col: int


@dataclass(eq=False)
class Deck:
    path: str
    slug: str
    meta: dict
    slides: list[Slide]
    links: list[DerivationLink]
    remote_images: list[RemoteImage] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meta.get("title") or self.slug

    @property
    def draft(self) -> bool:
        return bool(self.meta.get("draft", False))

    def formulas(self) -> list[Math]:
        found = []
        for slide in self.slides:
            for block in (slide.body, slide.notes):
                if block is not None:
                    found.extend(p for p in block.walk() if isinstance(p, Math))
        return found
