"""The font files a deck's first view uses, for `<link rel="preload">` in its <head>.

A browser asks for a web font only once a layout has shown a character in it:
for a deck that is after the CSS, the scripts and Reveal's first layout, and
every font that then arrives lays the slides out again. Naming the fonts of the
slide Reveal shows first (`FIRST_VIEW`; its neighbours are laid out after it shows)
lets them load beside the CSS, so the first layout already has them.

The choice mirrors the browser's font matching closely enough for a hint: the
theme's font stacks by element (headings, bold, italic, code), KaTeX's families
by class, and per character the first family in the stack whose face covers it.
A missed font still loads as before; a needless one costs a local request.
"""
from __future__ import annotations

import bisect
import functools
import re
from html import unescape
from pathlib import Path

from . import assets

FIRST_VIEW = 1  # Reveal's viewDistance at load: the slides laid out before it is ready (the template passes it on)
VIEW_DISTANCE = 3  # and once the first slide shows in its fonts (present.js widens the view to it)

_STACK = re.compile(r"--pk-font-(title|body|mono):\s*([^;]+);")
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")  # a rule's selectors and body (no backtracking over the sheet)


# What Reveal shows beside the slides from the start, in the deck's fonts: the slide number ("1 / 16",
# in the body font). Its live region for screen readers is set in a local font (theme.css).
CHROME = '<span class="slide-number">0123456789 /</span>'


def first_view(slide_bodies: list[str]) -> str:
    """The HTML shown when the deck opens at its first slide: the slides laid out, and the slide number."""
    return "\n".join(slide_bodies[:FIRST_VIEW]) + CHROME


def warm(modules: Path) -> None:
    """Read the faces, the theme's stacks and KaTeX's font rules now (kept for the process), ahead of the first deck."""
    _stacks()
    _FaceIndex.of(modules)
    _katex_rules(modules)


def preload_fonts(html: str, modules: Path) -> list[str]:
    """Site paths below assets/ of the fonts `html` shows, sorted."""
    index = _FaceIndex.of(modules)
    stacks = _stacks()
    wanted: set[str] = set()
    for (stack, weight, style), chars in _text_by_font(html).items():
        for ch in chars:
            face = index.face(stacks[stack], weight, style, ord(ch))
            if face:
                wanted.add(face)
    if 'class="katex' in html:
        for family, weight, style in _katex_families(html, _katex_rules(modules)):
            face = index.face((family,), weight, style, None)
            if face:
                wanted.add(face)
    return sorted(wanted)


# A tokeniser rather than an HTML parser: this runs for every deck of a catalogue, and what it
# decides is a hint. The MathML twin is for screen readers (not painted); an SVG draws no text font.
_UNPAINTED = re.compile(r'<span class="katex-mathml">.*?</math></span>|<svg\b.*?</svg>|<aside class="notes">.*?</aside>',
                        re.S)
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>|([^<]+)")
_CLASS = re.compile(r'class="([^"]*)"')
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_CJK_START = 0x2E80  # below it, KaTeX's own fonts have the glyph; above, its stacks fall back to the CJK font


def _text_by_font(html: str) -> dict[tuple[str, str, str], set[str]]:
    """The characters shown, by (font stack, weight, style): headings in the title font and bold,
    <strong> bold, <em> italic, code in the monospace stack, the rest in the body font; inside
    a formula only the characters KaTeX's fonts lack."""
    found: dict[tuple[str, str, str], set[str]] = {}
    open_tags: list[tuple[str, bool]] = []  # (tag, opens a formula)
    for m in _TOKEN.finditer(_UNPAINTED.sub(" ", html)):
        closing, tag, attrs, text = m.groups()
        if tag:
            tag = tag.lower()
            if closing:
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i][0] == tag:
                        del open_tags[i:]
                        break
            elif tag not in _VOID and not attrs.rstrip().endswith("/"):
                open_tags.append((tag, 'class="katex' in attrs and tag == "span"))
            continue
        chars = set(unescape(text)) - set(" \t\n\r\u200b")
        if not chars:
            continue
        tags = {t for t, _ in open_tags}
        if any(formula for _, formula in open_tags):
            chars = {c for c in chars if ord(c) >= _CJK_START}
        heading = bool(tags & {"h1", "h2", "h3", "h4", "h5", "h6"})
        key = ("title" if heading else "mono" if tags & {"code", "pre"} else "body",
               "700" if heading or tags & {"strong", "b", "th"} else "400",
               "italic" if tags & {"em", "i"} else "normal")
        found.setdefault(key, set()).update(chars)
    return found


def _katex_families(html: str, rules) -> set[tuple[str, str, str]]:
    """KaTeX's faces for the classes used: KaTeX_Main (the .katex default) and each class rule that matches."""
    classes = {frozenset(c.split()) for c in _CLASS.findall(html)}
    used = {("KaTeX_Main", "400", "normal")}
    for needed, family, weight, style in rules:
        if any(needed <= c for c in classes):
            used.add((family, weight, style))
    return used


class _FaceIndex:
    """The site's faces by family, weight and style, each as sorted code point ranges (a bisect per character)."""

    _made: dict[Path, "_FaceIndex"] = {}

    @classmethod
    def of(cls, modules: Path) -> "_FaceIndex":
        if modules not in cls._made:
            cls._made[modules] = cls(assets.font_faces(modules))
        return cls._made[modules]

    def __init__(self, faces):
        self.memo: dict[tuple, str | None] = {}
        # family -> (weight, style) -> [(ranges, path)]; a variant's sorted spans are made when first asked for
        self.families: dict[str, dict[tuple[str, str], list]] = {}
        for family, weight, style, ranges, path in faces:
            self.families.setdefault(family, {}).setdefault((weight, style), []).append((ranges, path))
        self._spans: dict[tuple, tuple[list[int], list[tuple[int, str]]]] = {}

    def _sorted_spans(self, family: str, variant: tuple[str, str]) -> tuple[list[int], list[tuple[int, str]]]:
        """One variant's ranges sorted by start, for a bisect per character: only the variants a deck's
        text asks for are sorted (the CJK font alone has some 10 000 ranges per weight)."""
        key = (family, variant)
        if key not in self._spans:
            spans = sorted((low, high, path) for ranges, path in self.families[family][variant]
                           for low, high in (ranges if ranges is not None else [(0, 0x10FFFF)]))
            self._spans[key] = ([low for low, _, _ in spans], [(high, path) for _, high, path in spans])
        return self._spans[key]

    def face(self, stack, weight: str, style: str, codepoint: int | None) -> str | None:
        """The face the browser takes for one character: the first family of the stack with a face
        covering it, at the nearest weight and the style (else normal) the family has."""
        key = (tuple(stack), weight, style, codepoint)
        if key not in self.memo:  # a catalogue's decks share most of their characters
            self.memo[key] = self._face(stack, weight, style, codepoint)
        return self.memo[key]

    def _face(self, stack, weight: str, style: str, codepoint: int | None) -> str | None:
        for family in stack:
            variants = self.families.get(family)
            if not variants:
                continue
            if style not in {s for _, s in variants}:
                style = "normal"
            weights = [w for w, s in variants if s == style]
            if not weights:
                continue
            nearest = min(weights, key=lambda w: abs(int(w) - int(weight)) if w.isdigit() else 1000)
            if codepoint is None:
                return variants[(nearest, style)][0][1]
            starts, spans = self._sorted_spans(family, (nearest, style))
            at = bisect.bisect(starts, codepoint) - 1
            while at >= 0:  # ranges may overlap (emoji subsets): the nearest start below may end too early
                high, path = spans[at]
                if codepoint <= high:
                    return path
                at -= 1
        return None


def _stacks() -> dict[str, tuple[str, ...]]:
    """The theme's font stacks (--pk-font-title, --pk-font-body, --pk-font-mono in theme.css), family by
    family. The face index passes over a family the site does not ship: a system font, a generic one.
    Read again when the file changes (an edit of the theme while `serve` runs)."""
    from .site import STATIC

    theme = STATIC / "theme.css"
    return _stacks_in(theme, theme.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _stacks_in(theme: Path, mtime_ns: int) -> dict[str, tuple[str, ...]]:
    css = theme.read_text(encoding="utf-8")
    return {name: tuple(family.strip().strip("'\"") for family in value.split(","))
            for name, value in _STACK.findall(css)}


@functools.lru_cache(maxsize=4)
def _katex_rules(modules: Path) -> list[tuple[frozenset[str], str, str, str]]:
    """KaTeX's classes that set a font: (classes, family, weight, style), from its own CSS."""
    css = (modules / "katex" / "dist" / "katex.min.css").read_text(encoding="utf-8")
    rules = []
    for selectors, body in _CSS_RULE.findall(css):
        if "@font-face" in selectors or "font-family:" not in body:
            continue
        family = re.search(r"font-family:\s*([^;,}]+)", body).group(1).strip().strip("'\"")
        weight = re.search(r"font-weight:\s*(\d+|bold)", body)
        style = re.search(r"font-style:\s*(\w+)", body)
        for selector in selectors.split(","):
            classes = frozenset(re.findall(r"\.([\w-]+)", selector)) - {"katex"}
            if classes and selector.strip().startswith(".katex"):
                rules.append((classes, family, "700" if weight and weight.group(1) == "bold" else
                              (weight.group(1) if weight else "400"), style.group(1) if style else "normal"))
    return rules
