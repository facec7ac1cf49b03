"""A tiny SVG writer and the drawing pieces the lecture figures share.

The build inlines every figure into the slide HTML and caches it by source
hash, so the output must be a pure function of the inputs: attributes are
written in the order given, numbers with a fixed number of decimals, and
nothing carries a timestamp or a generated id. Any id must start with the
figure's name, because several inlined figures share one HTML page.

Text leaves the font to the page (the slide theme's Inter / Source Sans 3 /
Noto Sans SC) so labels match the slide body; maths is set as Unicode with
italic runs and <tspan> sub- and superscripts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SVG_NS = "http://www.w3.org/2000/svg"

# The slide theme's colours.
INK = "#1C2430"
ACCENT = "#A10F2B"
MUTED = "#5B6573"
RULE = "#C9CED6"
PANEL = "#F4F5F7"
WHITE = "#FFFFFF"
SECONDARY = "#4E79A7"  # a calm blue, the second colour beside the crimson accent

# One colour per digit class 0-9: muted, distinct in hue and lightness, and
# readable as small dots on white (Tableau 10 with the pale grey and yellow
# replaced by darker tones).
DIGIT_COLOURS = (
    SECONDARY, "#F28E2B", "#59A14F", "#E15759", "#76B7B2",
    "#B07AA1", "#9C755F", "#FF9DA7", "#3D3D8F", "#B8A12A",
)


def num(value: float, places: int = 2) -> str:
    """Format a number with at most ``places`` decimals and no trailing zeros.

    Fixed rounding keeps the bytes stable when the float underneath differs in
    its last bits, and keeps the files small.
    """
    text = f"{float(value):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str]

    def add(self, *children: Element | str | None) -> Element:
        self.children.extend(c for c in children if c is not None)
        return self

    def write(self, out: list[str]) -> None:
        attrs = "".join(f' {k}="{_escape(v, quote=True)}"' for k, v in self.attrs.items())
        if not self.children:
            out.append(f"<{self.tag}{attrs}/>")
            return
        out.append(f"<{self.tag}{attrs}>")
        inline = self.tag in ("text", "tspan")
        for child in self.children:
            if isinstance(child, str):
                out.append(_escape(child))
            else:
                child.write(out)
                if not inline:
                    out.append("\n")
        out.append(f"</{self.tag}>")

    def iter(self) -> Iterable[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()


def el(tag: str, *children: Element | str | None, **attrs: object) -> Element:
    """Make an element; ``font_size=12`` becomes ``font-size="12"``, None is left out."""
    written: dict[str, str] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        written[name] = num(value) if isinstance(value, (int, float, np.floating, np.integer)) else str(value)
    return Element(tag, written, []).add(*children)


def document(name: str, width: float, height: float, label: str, *children: Element) -> bytes:
    """The figure as UTF-8 bytes, ready to inline: no XML declaration, no fixed size."""
    # aria-label rather than a <title>: a title pops up as a tooltip whenever
    # the presenter's pointer rests on the figure.
    root = el(
        "svg", *children,
        xmlns=SVG_NS, viewBox=f"0 0 {num(width)} {num(height)}", role="img", aria_label=label,
    )
    for node in root.iter():
        node_id = node.attrs.get("id")
        if node_id is not None and not node_id.startswith(name + "-"):
            raise ValueError(f"id {node_id!r} must start with {name + '-'!r} to stay unique on a slide page")
    out: list[str] = []
    root.write(out)
    out.append("\n")
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------- maths text


@dataclass(frozen=True)
class Run:
    text: str
    italic: bool = False
    bold: bool = False
    shift: int = 0  # -1 subscript, +1 superscript


def it(text: str) -> Run:
    """A variable: italic, as TeX sets it."""
    return Run(text, italic=True)


def vec(text: str) -> Run:
    """A vector, bold italic, matching the slides' \\bm{x}."""
    return Run(text, italic=True, bold=True)


def bold(text: str) -> Run:
    """An upright bold symbol such as a matrix Σ."""
    return Run(text, bold=True)


def sub(text: str, italic: bool = True) -> Run:
    return Run(text, italic=italic, shift=-1)


def math_text(
    x: float, y: float, runs: Sequence[Run | str], size: float,
    anchor: str = "middle", fill: str = INK, weight: str | None = None,
) -> Element:
    """One line of maths; plain strings in ``runs`` are upright text.

    Sub/superscripts move with ``dy`` (relative to the previous run) rather than
    ``baseline-shift``, which renderers treat inconsistently.
    """
    text = el("text", x=x, y=y, font_size=size, text_anchor=anchor, fill=fill, font_weight=weight)
    offset = 0.0
    for run in runs:
        run = Run(run) if isinstance(run, str) else run
        target = {-1: 0.3 * size, 0: 0.0, 1: -0.4 * size}[run.shift]
        span = el(
            "tspan", run.text,
            dy=target - offset if target != offset else None,
            font_style="italic" if run.italic else None,
            font_weight="bold" if run.bold else None,
            font_size=num(0.7 * size) if run.shift else None,
        )
        text.add(span if span.attrs else run.text)
        offset = target
    return text


def label(x: float, y: float, text: str, size: float, anchor: str = "middle",
          fill: str = INK, weight: str | None = None) -> Element:
    return el("text", text, x=x, y=y, font_size=size, text_anchor=anchor, fill=fill, font_weight=weight)


# ---------------------------------------------------------------- arrows


Point = tuple[float, float]


def arrowhead(tip: Point, direction: Point, size: float, fill: str) -> Element:
    """A filled triangle at ``tip`` pointing along ``direction``.

    Drawn as a polygon rather than an SVG <marker>, so no id is needed and it
    looks the same wherever the figure is inlined.
    """
    dx, dy = direction
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    back_x, back_y = tip[0] - ux * size, tip[1] - uy * size
    half = 0.45 * size
    points = [tip, (back_x - uy * half, back_y + ux * half), (back_x + uy * half, back_y - ux * half)]
    return el("polygon", points=" ".join(f"{num(px)},{num(py)}" for px, py in points), fill=fill)


def curved_arrow(start: Point, control1: Point, control2: Point, end: Point, colour: str,
                 width: float = 3.0, head: float = 14.0) -> Element:
    """A cubic Bezier ending in an arrowhead tangent to the curve at ``end``."""
    direction = (end[0] - control2[0], end[1] - control2[1])
    length = math.hypot(*direction)
    # Stop the stroke inside the head so its butt end cannot poke past the tip.
    stop = (end[0] - direction[0] / length * head * 0.6, end[1] - direction[1] / length * head * 0.6)
    d = (f"M{num(start[0])} {num(start[1])}C{num(control1[0])} {num(control1[1])} "
         f"{num(control2[0])} {num(control2[1])} {num(stop[0])} {num(stop[1])}")
    return el("g",
              el("path", d=d, fill="none", stroke=colour, stroke_width=width, stroke_linecap="round"),
              arrowhead(end, direction, head, colour))


def straight_arrow(start: Point, end: Point, colour: str, width: float = 3.0, head: float = 14.0) -> Element:
    third = ((2 * start[0] + end[0]) / 3, (2 * start[1] + end[1]) / 3)
    two_thirds = ((start[0] + 2 * end[0]) / 3, (start[1] + 2 * end[1]) / 3)
    return curved_arrow(start, third, two_thirds, end, colour, width, head)


# ---------------------------------------------------------------- digits


def grey_levels(levels: int, ink: str = INK) -> list[str]:
    """``levels`` shades from white (index 0) to ``ink`` (last index)."""
    r, g, b = (int(ink[i:i + 2], 16) for i in (1, 3, 5))
    shades = []
    for k in range(levels):
        t = k / (levels - 1)
        shades.append("#{:02X}{:02X}{:02X}".format(*(round(255 + (c - 255) * t) for c in (r, g, b))))
    return shades


def digit_grid(images: np.ndarray, columns: int, x: float, y: float, tile: float,
               gap: float, levels: int = 17, side: int = 8) -> Element:
    """Digits (rows of side*side intensities in [0, 1]) laid out in a grid of tiles.

    Pixels are merged into horizontal runs and drawn as one <path> per grey
    level, in the digits' own pixel units scaled by a transform: a few bytes
    per pixel instead of a <rect> each, so a grid of hundreds of digits stays
    small. Blank pixels are not drawn at all. crispEdges stops anti-aliasing
    from leaving hairline seams between neighbouring pixels.
    """
    images = np.asarray(images, dtype=np.float64)
    quantised = np.clip(np.rint(images * (levels - 1)), 0, levels - 1).astype(np.int64)
    scale = tile / side
    pitch = side + gap / scale  # pixel units from one tile to the next
    paths: dict[int, list[str]] = {}
    for index, image in enumerate(quantised.reshape(-1, side, side)):
        row, col = divmod(index, columns)
        ox, oy = col * pitch, row * pitch
        for r in range(side):
            c = 0
            while c < side:
                level = int(image[r, c])
                run = 1
                while c + run < side and image[r, c + run] == level:
                    run += 1
                if level:
                    paths.setdefault(level, []).append(f"M{num(ox + c, 3)} {num(oy + r, 3)}h{run}v1h-{run}z")
                c += run
    shades = grey_levels(levels)
    group = el("g", transform=f"translate({num(x)} {num(y)}) scale({num(scale, 4)})", shape_rendering="crispEdges")
    for level in sorted(paths):
        group.add(el("path", d="".join(paths[level]), fill=shades[level]))
    return group


# ---------------------------------------------------------------- scatter


def scatter_dots(points: np.ndarray, labels: np.ndarray, box: tuple[float, float, float, float],
                 limits: tuple[float, float, float, float], radius: float, opacity: float = 0.8) -> Element:
    """Points coloured by class, mapped from data ``limits`` (x0, x1, y0, y1) into ``box`` (x, y, w, h).

    Each class is one <path> of zero-length segments with round caps, which a
    browser draws as dots: about 14 bytes a point instead of a <circle> each.
    Classes are drawn in a fixed order; y grows upwards, as on a plot.
    """
    bx, by, bw, bh = box
    x0, x1, y0, y1 = limits
    px = bx + (points[:, 0] - x0) / (x1 - x0) * bw
    py = by + bh - (points[:, 1] - y0) / (y1 - y0) * bh
    group = el("g", fill="none", stroke_linecap="round", stroke_width=2 * radius, stroke_opacity=opacity)
    for cls in range(len(DIGIT_COLOURS)):
        mask = labels == cls
        d = "".join(f"M{num(a, 1)} {num(b, 1)}h0" for a, b in zip(px[mask], py[mask]))
        if d:
            group.add(el("path", d=d, stroke=DIGIT_COLOURS[cls]))
    return group


def class_legend(x: float, y: float, size: float, spacing: float, columns: int = 10) -> Element:
    """Swatches labelled 0-9, ``columns`` per row, left to right."""
    group = el("g", font_size=size)
    for cls, colour in enumerate(DIGIT_COLOURS):
        row, col = divmod(cls, columns)
        cx, cy = x + col * spacing, y + row * 1.7 * size
        group.add(
            el("circle", cx=cx, cy=cy - 0.35 * size, r=0.38 * size, fill=colour),
            el("text", str(cls), x=cx + 0.6 * size, y=cy, fill=INK),
        )
    return group
