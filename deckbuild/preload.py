"""The font files a deck's first view uses, for `<link rel="preload">` in its <head>.

A browser asks for a web font only once a layout has shown a character in it:
for a deck that is after the CSS, the scripts and Reveal's first layout, and
every font that then arrives lays the slides out again. Naming the fonts of the
slides Reveal shows first (the current one and its neighbours, `VIEW_DISTANCE`)
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
from html.parser import HTMLParser
from pathlib import Path

from . import assets

VIEW_DISTANCE = 3  # Reveal's viewDistance: the slides laid out at load (the deck template passes it on)

_STACKS = {  # as templates/static/theme.css sets them (--pk-font-title, --pk-font-body, --pk-font-mono)
    "title": ["Source Sans 3", "Noto Sans SC", "Noto Color Emoji", "Noto Sans Symbols 2"],
    "body": ["Inter", "Noto Sans SC", "Noto Color Emoji", "Noto Sans Symbols 2"],
    "mono": ["Noto Sans SC", "Noto Color Emoji"],  # system monospace first: only what it lacks
}
_KATEX_FALLBACK = ["Noto Sans SC"]  # KaTeX's stacks end in the CJK font (assets._with_cjk_fallback)
_KATEX_RULE = re.compile(r"([^{}]+)\{([^}]*font-family:[^}]*)\}")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def first_view(slide_bodies: list[str]) -> str:
    """The HTML of the slides laid out when the deck opens at its first slide."""
    return "\n".join(slide_bodies[:VIEW_DISTANCE])


def preload_fonts(html: str, modules: Path) -> list[str]:
    """Site paths below assets/ of the fonts `html` shows, sorted."""
    index = _FaceIndex.of(modules)
    uses = _FontUses(_katex_rules(modules))
    uses.feed(html)
    uses.close()
    wanted: set[str] = set()
    for (stack, weight, style), chars in uses.text.items():
        for ch in chars:
            face = index.face(stack, weight, style, ord(ch))
            if face:
                wanted.add(face)
    for family, weight, style in uses.katex:
        face = index.face((family,), weight, style, None)
        if face:
            wanted.add(face)
    return sorted(wanted)


class _FaceIndex:
    """The site's faces by family, weight and style, each as sorted code point ranges (a bisect per character)."""

    _made: dict[Path, "_FaceIndex"] = {}

    @classmethod
    def of(cls, modules: Path) -> "_FaceIndex":
        if modules not in cls._made:
            cls._made[modules] = cls(assets.font_faces(modules))
        return cls._made[modules]

    def __init__(self, faces):
        collected: dict[str, dict[tuple[str, str], list[tuple[int, int, str]]]] = {}
        for family, weight, style, ranges, path in faces:
            spans = collected.setdefault(family, {}).setdefault((weight, style), [])
            spans.extend((low, high, path) for low, high in (ranges if ranges is not None else [(0, 0x10FFFF)]))
        self.families: dict[str, dict[tuple[str, str], tuple[list[int], list[tuple[int, str]]]]] = {
            family: {variant: ([low for low, _, _ in spans], [(high, path) for _, high, path in spans])
                     for variant, spans in ((v, sorted(s)) for v, s in variants.items())}
            for family, variants in collected.items()}

    def face(self, stack, weight: str, style: str, codepoint: int | None) -> str | None:
        """The face the browser takes for one character: the first family of the stack with a face
        covering it, at the nearest weight and the style (else normal) the family has."""
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
            starts, spans = variants[(nearest, style)]
            if codepoint is None:
                return spans[0][1]
            at = bisect.bisect(starts, codepoint) - 1
            while at >= 0:  # ranges may overlap (emoji subsets): the nearest start below may end too early
                high, path = spans[at]
                if codepoint <= high:
                    return path
                at -= 1
        return None


@functools.lru_cache(maxsize=4)
def _katex_rules(modules: Path) -> list[tuple[frozenset[str], str, str, str]]:
    """KaTeX's classes that set a font: (classes, family, weight, style), from its own CSS."""
    css = (modules / "katex" / "dist" / "katex.min.css").read_text(encoding="utf-8")
    rules = []
    for selectors, body in _KATEX_RULE.findall(css):
        if "@font-face" in selectors:
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


class _FontUses(HTMLParser):
    """Walks the HTML: which characters show in which font stack, and which KaTeX faces."""

    def __init__(self, katex_rules):
        super().__init__(convert_charrefs=True)
        self.rules = katex_rules
        self.open: list[tuple[str, frozenset[str]]] = []
        self.text: dict[tuple[tuple[str, ...], str, str], set[str]] = {}
        self.katex: set[tuple[str, str, str]] = set()

    def handle_starttag(self, tag, attrs):
        if tag not in _VOID:
            self.open.append((tag, frozenset((dict(attrs).get("class") or "").split())))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                return

    def handle_data(self, data):
        chars = {c for c in data if not c.isspace()}
        if not chars or any("katex-mathml" in classes for _, classes in self.open):
            return  # MathML twin: for screen readers, not painted
        tags = {tag for tag, _ in self.open}
        weight = "700" if tags & {"h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "th"} else "400"
        style = "italic" if tags & {"em", "i"} else "normal"
        if any("katex" in classes for _, classes in self.open):
            family, k_weight, k_style = self._katex_face()
            self.katex.add((family, k_weight, k_style))
            cjk = {c for c in chars if ord(c) >= 0x2E80}
            if cjk:
                self.text.setdefault((tuple(_KATEX_FALLBACK), weight, "normal"), set()).update(cjk)
            return
        stack = "title" if tags & {"h1", "h2", "h3", "h4", "h5", "h6"} else "mono" if tags & {"code", "pre"} else "body"
        self.text.setdefault((tuple(_STACKS[stack]), weight, style), set()).update(chars)

    def _katex_face(self) -> tuple[str, str, str]:
        """The innermost KaTeX class that sets a font, else KaTeX_Main (the .katex default)."""
        seen: set[str] = set()
        for _, classes in reversed(self.open):
            seen |= classes
            for needed, family, weight, style in self.rules:
                if needed <= seen and needed & classes:
                    return family, weight, style
        return "KaTeX_Main", "400", "normal"
