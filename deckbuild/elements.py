"""The lecturer's element vocabulary: one declaration per `<slide-*>` element.

Everything the build needs to know about an element is declared here, once:
the attributes it takes (and what a valid value looks like), what it may
contain, how its content is read (Markdown or one line per entry), the HTML it
becomes, whether its formulas are claims the evaluator checks or a link to a
check in `derivations/`, which attribute names a file the site copies, and
what `check --layout` calls it. Parsing, evaluation, rendering, the converter
and the layout lint read these declarations instead of testing names, so a new
element is one more entry in `ELEMENTS`.

No JavaScript is needed to show a slide: the browser only receives divs,
images and CSS custom properties.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Protocol

from .diagnostics import Report
from .markup import tag as start_tag
from .model import Element

_FRAGMENT_EFFECTS = {"fade-in", "fade-up", "fade-down", "fade-left", "fade-right", "fade-out",
                     "grow", "shrink", "highlight-red", "highlight-blue", "highlight-green",
                     "semi-fade-out", "strike"}


@dataclass(frozen=True)
class Attr:
    means: str  # what a valid value looks like, for messages
    valid: Callable[[str], object] = lambda value: True


@dataclass(frozen=True)
class DerivationView:
    """What rendering a derivation needs from the checks: its id, state and details."""

    id: str
    state: str
    details: str  # JSON for the details panel
    rows_in_turn: bool  # its rows appear one by one, so the element itself is no fragment
    panel: str = ""  # the details panel's HTML, in the deck's language, typeset (deckbuild.panel)


class Context(Protocol):
    """The parts of rendering an element cannot do alone: files and check results."""

    def image(self, el: Element) -> str: ...

    def derivation(self, el: Element) -> DerivationView | None: ...

    def claims(self, el: Element) -> bool: ...  # a <slide-definition> whose formula is a claim, not a definition


Render = Callable[[Element, str, Context], str]


@dataclass(frozen=True)
class ElementKind:
    name: str
    attrs: dict[str, Attr]
    render: Render  # (element, its rendered content, context) -> HTML
    required: tuple[str, ...] = ()
    contains: tuple[str, ...] | None = None  # the only child elements allowed; () = no content; None = any Markdown
    strays_become: str | None = None  # other content inside is wrapped in this child (with a warning), not refused
    lines: bool = False  # each line of the content is one entry (references)
    claims: bool = True  # its formulas state relations the evaluator checks (False: a definition or a linked check)
    derivation: bool = False  # links its one display formula to a check in derivations/
    file_attr: str | None = None  # the attribute naming a file the site shows (an image)
    layout_kind: str | None = None  # how `check --layout` names it in its advice


# --- attributes -----------------------------------------------------------------------

FRAGMENT = Attr("nothing, or an order number", lambda v: v == "" or v.isdigit())
_SIZE = Attr("a width such as 70%", lambda v: re.fullmatch(r"\d+(\.\d+)?%?", v))
_RATIO = Attr("a positive number", lambda v: re.fullmatch(r"\d+(\.\d+)?", v) and float(v) > 0)
_FACTOR = Attr("a number between 0.3 and 1, such as 0.8", lambda v: re.fullmatch(r"\d*\.?\d+", v) and 0.3 <= float(v) <= 1)
_INDEX = Attr("an order number", lambda v: v.isdigit())
_EFFECT = Attr("a Reveal fragment style such as fade-up", lambda v: v in _FRAGMENT_EFFECTS)
_REVEAL = Attr("rows shown one by one: 'all', '3-' or '2,4'", lambda v: re.fullmatch(r"all|\d+-|\d+(,\d+)*", v))
_CONDITION = Attr("nothing: the formula is a condition the slide assumes (when θ̂ = θ), not a claim", lambda v: v == "")
_ID = Attr("a name for the derivation, unique in the deck (lower case, digits, dashes), e.g. id=\"elbo-bound\"",
           lambda v: re.fullmatch(r"[a-z0-9][a-z0-9-]*", v))


# --- HTML helpers ---------------------------------------------------------------------

def fragment_of(el: Element) -> tuple[str, str | None]:
    """(extra classes, fragment index) that make an element a Reveal fragment."""
    if el.name == "slide-fragment":
        effect = el.attrs.get("effect")
        return "fragment" + (f" {effect}" if effect else ""), el.attrs.get("index")
    if "fragment" in el.attrs:
        return "fragment", el.attrs.get("fragment") or None
    return "", None


def open_tag(tag: str, classes: str, el: Element, style: str = "") -> str:
    frag_classes, index = fragment_of(el)
    classes = f"{classes} {frag_classes}".strip()
    return start_tag(tag, {"class": classes or None, "style": style or None, "data-fragment-index": index or None})


def remote_placeholder(src: str, tag: str = "div") -> str:
    """What stands in for an image on the network that could not be kept: the URL is shown."""
    name = html.escape(src.rsplit("/", 1)[-1])
    return (f'{start_tag(tag, {"class": "img-remote", "data-remote-src": src})}'
            f'<span>remote image, not available offline</span><code>{name}</code></{tag}>')


def unwrap_paragraph(inner: str) -> str:
    """Content meant as a phrase: Markdown's one paragraph around it goes."""
    m = re.fullmatch(r"\s*<p>(.*)</p>\s*", inner, re.DOTALL)
    return m.group(1) if m and "<p>" not in m.group(1) else inner


def box(css_class: str, style: Callable[[Element], str] | None = None, phrase: bool = False) -> Render:
    """A div with the element's class (and fragment), around its content."""

    def render(el: Element, inner: str, ctx: Context) -> str:
        content = unwrap_paragraph(inner) if phrase else inner
        return f'{open_tag("div", css_class, el, style(el) if style else "")}{content}</div>'

    return render


# --- renderers that are more than a box -------------------------------------------------

def _image(el: Element, inner: str, ctx: Context) -> str:
    size = el.attrs.get("size") or "80%"
    if not size.endswith("%"):
        size += "%"
    return f'{open_tag("div", "slide-img", el, f"--img-size: {size}")}{ctx.image(el)}</div>'


def _definition(el: Element, inner: str, ctx: Context) -> str:
    content = inner if el.block else unwrap_paragraph(inner)
    if ctx.claims(el):
        return content  # defines nothing: a claim, shown (and checked) like any formula
    tag = "div" if el.block else "span"
    kind = "a condition the slide assumes" if "condition" in el.attrs else "a definition"
    return f'{start_tag(tag, {"class": "slide-definition", "title": f"{kind}: not a claim"})}{content}</{tag}>'


def _derivation(el: Element, inner: str, ctx: Context) -> str:
    view = ctx.derivation(el)
    if view is None:
        return f'<div class="slide-derivation" data-status="unverified">{inner}</div>'
    classes, index = fragment_of(el)
    whole = not view.rows_in_turn  # rows shown one by one carry the fragments themselves
    opening = start_tag("div", {"class": f"slide-derivation {classes}".strip() if whole else "slide-derivation",
                                "data-derivation": view.id, "data-status": view.state,
                                "data-fragment-index": index if whole else None})
    panel = f'<template class="derivation-panel">{view.panel}</template>' if view.panel else ""
    return (f'{opening}{inner}<script type="application/json" class="derivation-details">{view.details}</script>'
            f'{panel}</div>')


# --- the vocabulary ---------------------------------------------------------------------

def _declare(*kinds: ElementKind) -> dict[str, ElementKind]:
    return {kind.name: kind for kind in kinds}


ELEMENTS: dict[str, ElementKind] = _declare(
    ElementKind("slide-img", {"src": Attr("an image path or URL"), "size": _SIZE, "alt": Attr("text"), "fragment": FRAGMENT},
                _image, required=("src",), contains=(), file_attr="src", layout_kind="image"),
    ElementKind("slide-cols", {"fragment": FRAGMENT}, box("slide-cols"), contains=("slide-col",),
                strays_become="slide-col", layout_kind="columns"),
    ElementKind("slide-col", {"ratio": _RATIO, "fragment": FRAGMENT},
                box("slide-col", lambda el: f"--col-ratio: {el.attrs.get('ratio') or '1'}")),
    ElementKind("slide-ref", {"fragment": FRAGMENT}, box("slide-ref"), lines=True),
    ElementKind("slide-highlight", {"fragment": FRAGMENT}, box("slide-highlight", phrase=True), layout_kind="highlight"),
    ElementKind("slide-fragment", {"index": _INDEX, "effect": _EFFECT}, box("")),
    ElementKind("slide-scale", {"factor": _FACTOR},
                box("slide-scale", lambda el: "--scale: " + (el.attrs["factor"] or "1")),
                required=("factor",), layout_kind="slide-scale"),
    ElementKind("slide-derivation", {"id": _ID, "reveal": _REVEAL, "fragment": FRAGMENT,
                                     "notation": Attr("a notation in latexeval/notations/ (default: the deck's)"),
                                     "wrt": Attr("the variable a \\Leftrightarrow row is meant in, e.g. \\phi")},
                _derivation, required=("id",), claims=False, derivation=True, layout_kind="derivation"),
    ElementKind("slide-definition", {"condition": _CONDITION}, _definition, claims=False),
)

TAG = re.compile(r"<(/?)(slide-[a-z][a-z0-9-]*)((?:\s+[^\s>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*(/?)>",
                 re.IGNORECASE)


def kind_of(el: Element) -> ElementKind:
    return ELEMENTS[el.name]


def takes_fragment(name: str) -> bool:
    return name in ELEMENTS and "fragment" in ELEMENTS[name].attrs


def layout_kinds() -> list[tuple[str, str]]:
    """(CSS class, kind) for the layout lint, derivations first: a block holding one is a derivation."""
    kinds = [(k.name, k.layout_kind) for k in ELEMENTS.values() if k.layout_kind]
    return sorted(kinds, key=lambda pair: pair[1] != "derivation")


def check_attrs(el: Element, report: Report) -> None:
    kind = ELEMENTS[el.name]
    for name in el.attrs:
        if name not in kind.attrs:
            allowed = ", ".join(kind.attrs) or "no attributes"
            report.error(el.path, el.line, el.col, f"unknown attribute '{name}' on <{el.name}>",
                         f"<{el.name}> takes: {allowed}")
    for name in kind.required:
        if not el.attrs.get(name):
            report.error(el.path, el.line, el.col, f"<{el.name}> needs the attribute {name}=\"…\"",
                         f"{name}: {kind.attrs[name].means}")
    for name, attr in kind.attrs.items():
        value = el.attrs.get(name)
        if name in el.attrs and not attr.valid(value or ""):
            report.error(el.path, el.line, el.col, f"<{el.name} {name}=\"{value or ''}\">: {name} must be {attr.means}")
