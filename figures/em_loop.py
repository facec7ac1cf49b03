"""The EM loop for a Gaussian mixture: parameters -> (E step) -> responsibilities -> (M step) -> back.

Drawn for the recap slide of DAR-5-5, where it sits under the mixture density at
about 60% of the slide width, so the labels are set large for that size.
"""

from __future__ import annotations

from .svg import ACCENT, INK, PANEL, SECONDARY, bold, curved_arrow, document, el, it, label, math_text, sub, vec

NAME = "em-loop"
OUTPUTS = (f"{NAME}.svg",)

WIDTH, HEIGHT = 640, 300
BEND = 10  # y distance of the arcs' control points from the figure's edge
BOX_H = 76
BOX_Y = (HEIGHT - BOX_H) / 2
LEFT = (24, 196)    # x, width of the parameter box
RIGHT = (476, 140)  # x, width of the responsibility box


def _box(x: float, width: float, runs: list, size: float) -> list:
    return [
        el("rect", x=x, y=BOX_Y, width=width, height=BOX_H, rx=6, fill=PANEL, stroke=INK, stroke_width=2.5),
        math_text(x + width / 2, BOX_Y + BOX_H / 2 + 0.36 * size, runs, size),
    ]


def render() -> dict[str, bytes]:
    left_cx = LEFT[0] + LEFT[1] / 2
    right_cx = RIGHT[0] + RIGHT[1] / 2
    top, bottom = BOX_Y, BOX_Y + BOX_H
    gap = 6  # between an arrow tip and the box it points at
    e_step = curved_arrow((left_cx, top - gap), (left_cx + 40, BEND), (right_cx - 40, BEND), (right_cx, top - gap),
                          ACCENT, width=3.5, head=16)
    m_step = curved_arrow((right_cx, bottom + gap), (right_cx - 40, HEIGHT - BEND), (left_cx + 40, HEIGHT - BEND),
                          (left_cx, bottom + gap), SECONDARY, width=3.5, head=16)
    mid = WIDTH / 2
    # A cubic's midpoint lies 3/4 of the way to its control points' height;
    # each step's label sits halfway between its arc's crest and the boxes.
    e_crest = 0.25 * top + 0.75 * BEND
    m_crest = 0.25 * bottom + 0.75 * (HEIGHT - BEND)
    svg = document(
        NAME, WIDTH, HEIGHT, "EM 算法: 参数 α, μ, Σ 经 E 步得到 ẑ_ik, 再经 M 步更新参数",
        e_step, m_step,
        *_box(LEFT[0], LEFT[1], [it("α"), ", ", vec("μ"), ", ", bold("Σ")], 34),
        *_box(RIGHT[0], RIGHT[1], [it("ẑ"), sub("ik")], 34),
        el("g",
           label(mid, (e_crest + top) / 2 + 9, "E 步", 26, fill=ACCENT),
           label(mid, (m_crest + bottom) / 2 + 9, "M 步", 26, fill=SECONDARY),
           font_weight="bold"),
    )
    return {OUTPUTS[0]: svg}
