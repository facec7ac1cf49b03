"""Where a lecture starts and ends: its title slide, its closing slide, and the appendix after it.

The lecturer opens a deck with a slide that is only a heading and closes it
with a plain slide holding one short line ("Thanks!", in a `<div>` they style
inline), then keeps backup derivations after it. Nothing in the source marks
these roles, so they are read from the slides themselves, the same way for
every deck: the closing slide is the last slide whose whole content is one
short line of text that says thanks (or, failing that, the deck's last slide
if it is such a line). Slides after it are the appendix: the lecture counts
up to the closing slide ("13/13"), the appendix counts on its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Block, Deck, Slide

MAX_CLOSING_CHARS = 40  # a closing line, not a sentence of content
_CLOSING_WORDS = re.compile(r"thank|谢谢|感谢|致谢|q\s*&\s*a|questions|the end|结束|再见|bye", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_HEADING_LINE = re.compile(r"#{1,6}[ \t]+[^\n]+")
_MARKDOWN_BLOCK = re.compile(r"^\s*(#|[-*+]\s|\d+[.)]\s|\||>|```|!\[)", re.MULTILINE)


@dataclass(frozen=True)
class Outline:
    """The roles of a deck's slides, by slide number (1-based)."""

    total: int
    title_slides: frozenset[int]
    closing: int | None

    @property
    def lecture(self) -> int:
        """Slides of the lecture itself: up to and including the closing slide."""
        return self.closing if self.closing is not None else self.total

    @property
    def appendix(self) -> int:
        return self.total - self.lecture

    def appendix_number(self, number: int) -> int | None:
        """1-based position of slide `number` in the appendix, or None for a slide of the lecture."""
        return number - self.lecture if number > self.lecture else None


def outline_of(deck: Deck) -> Outline:
    lines = {s.number: one_line(s) for s in deck.slides}
    saying_thanks = [n for n, text in lines.items() if text and _CLOSING_WORDS.search(text)]
    closing = saying_thanks[-1] if saying_thanks else None
    last = deck.slides[-1].number if deck.slides else None
    if closing is None and last is not None and last > 1 and lines[last]:
        closing = last
    titles = frozenset(s.number for s in deck.slides if s.kind == "slide-section" and only_heading(s.body))
    return Outline(len(deck.slides), titles, closing)


def one_line(slide: Slide) -> str | None:
    """The slide's text when all it holds is one short line of plain text (HTML around it allowed)."""
    body = slide.body
    if any(not isinstance(p, str) for p in body.pieces):
        return None  # a formula or an element is content
    source = _COMMENT.sub("", "".join(body.pieces))
    if _MARKDOWN_BLOCK.search(_TAG.sub("", source)):
        return None
    text = " ".join(_TAG.sub(" ", source).split())
    return text if 0 < len(text) <= MAX_CLOSING_CHARS else None


def only_heading(block: Block) -> bool:
    """A title slide: nothing but one Markdown heading."""
    text = _COMMENT.sub("", "".join(p for p in block.pieces if isinstance(p, str))).strip()
    return all(isinstance(p, str) for p in block.pieces) and bool(_HEADING_LINE.fullmatch(text))
