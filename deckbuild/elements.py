"""The lecturer's element vocabulary, turned into plain HTML at build time.

Each `<slide-*>` element is declared once here: which attributes it takes,
what its content is, and the HTML it becomes. No JavaScript is needed to show
a slide: the browser only receives divs, images and CSS custom properties.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .diagnostics import Report
from .model import Element

_FRAGMENT_EFFECTS = {"fade-in", "fade-up", "fade-down", "fade-left", "fade-right", "fade-out",
                     "grow", "shrink", "highlight-red", "highlight-blue", "highlight-green",
                     "semi-fade-out", "strike"}


@dataclass(frozen=True)
class Spec:
    attrs: dict[str, str]  # attribute -> what a valid value looks like (for messages)
    required: tuple[str, ...] = ()
    content: str = "markdown"  # "markdown", "empty", "lines" or "columns"


SPECS: dict[str, Spec] = {
    "slide-img": Spec({"src": "an image path or URL", "size": "a width such as 70%", "alt": "text",
                       "fragment": "nothing, or an order number"}, ("src",), "empty"),
    "slide-cols": Spec({"fragment": "nothing, or an order number"}, (), "columns"),
    "slide-col": Spec({"ratio": "a positive number", "fragment": "nothing, or an order number"}),
    "slide-ref": Spec({"fragment": "nothing, or an order number"}, (), "lines"),
    "slide-highlight": Spec({"fragment": "nothing, or an order number"}),
    "slide-fragment": Spec({"index": "an order number", "effect": "a Reveal fragment style such as fade-up"}),
    "slide-scale": Spec({"factor": "a number between 0.3 and 1, such as 0.8"}, ("factor",)),
    "slide-derivation": Spec({"id": "a derivation id from derivations/", "reveal": "rows shown one by one: 'all', '3-' or '2,4'",
                              "fragment": "nothing, or an order number",
                              "notation": "a notation in latexeval/notations/ (default: the deck's)",
                              "wrt": "the variable a \\Leftrightarrow row is meant in, e.g. \\phi"}, ("id",)),
    "slide-definition": Spec({}),
}

TAG = re.compile(r"<(/?)(slide-[a-z][a-z0-9-]*)((?:\s+[^\s>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*(/?)>",
                 re.IGNORECASE)


def check_attrs(el: Element, report: Report) -> None:
    spec = SPECS[el.name]
    for name in el.attrs:
        if name not in spec.attrs:
            allowed = ", ".join(spec.attrs) or "no attributes"
            report.error(el.path, el.line, el.col, f"unknown attribute '{name}' on <{el.name}>",
                         f"<{el.name}> takes: {allowed}")
    for name in spec.required:
        if not el.attrs.get(name):
            report.error(el.path, el.line, el.col, f"<{el.name}> needs a {name}=\"…\" attribute",
                         f"{name}: {spec.attrs[name]}")
    checks = {
        "size": lambda v: re.fullmatch(r"\d+(\.\d+)?%?", v),
        "ratio": lambda v: re.fullmatch(r"\d+(\.\d+)?", v) and float(v) > 0,
        "factor": lambda v: re.fullmatch(r"\d*\.?\d+", v) and 0.3 <= float(v) <= 1,
        "fragment": lambda v: v == "" or v.isdigit(),
        "index": lambda v: v.isdigit(),
        "effect": lambda v: v in _FRAGMENT_EFFECTS,
        "reveal": lambda v: re.fullmatch(r"all|\d+-|\d+(,\d+)*", v),
        "id": lambda v: re.fullmatch(r"[a-z0-9][a-z0-9-]*", v),
    }
    for name, ok in checks.items():
        value = el.attrs.get(name)
        if name in el.attrs and name in spec.attrs and not ok(value or ""):
            report.error(el.path, el.line, el.col, f"<{el.name} {name}=\"{value or ''}\">: {name} must be {spec.attrs[name]}")


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
    attrs = f' class="{classes}"' if classes else ""
    if style:
        attrs += f' style="{style}"'
    if index:
        attrs += f' data-fragment-index="{index}"'
    return f"<{tag}{attrs}>"


def remote_placeholder(src: str, tag: str = "div") -> str:
    """What stands in for an image on the network: the site never fetches, the URL is kept."""
    name = html.escape(src.rsplit("/", 1)[-1])
    return (f'<{tag} class="img-remote" data-remote-src="{html.escape(src)}">'
            f'<span>remote image, not available offline</span><code>{name}</code></{tag}>')


def render_image(el: Element, inner: str) -> str:
    size = el.attrs.get("size") or "80%"
    if not size.endswith("%"):
        size += "%"
    return f'{open_tag("div", "slide-img", el, f"--img-size: {size}")}{inner}</div>'


def render(el: Element, inner: str) -> str:
    """The HTML for an element whose content is already rendered to `inner`."""
    name = el.name
    if name == "slide-img":
        return render_image(el, inner)
    if name == "slide-cols":
        return f'{open_tag("div", "slide-cols", el)}{inner}</div>'
    if name == "slide-col":
        ratio = el.attrs.get("ratio") or "1"
        return f'{open_tag("div", "slide-col", el, f"--col-ratio: {ratio}")}{inner}</div>'
    if name == "slide-ref":
        return f'{open_tag("div", "slide-ref", el)}{inner}</div>'
    if name == "slide-highlight":
        return f'{open_tag("div", "slide-highlight", el)}{inner}</div>'
    if name == "slide-fragment":
        return f'{open_tag("div", "", el)}{inner}</div>'
    if name == "slide-definition":
        tag = "div" if el.block else "span"
        return f'<{tag} class="slide-definition" title="a definition: not checked">{inner}</{tag}>'
    if name == "slide-scale":
        return f'{open_tag("div", "slide-scale", el, "--scale: " + html.escape(el.attrs["factor"] or "1"))}{inner}</div>'
    raise ValueError(f"no renderer for {name}")  # slide-derivation is rendered by render.py
