"""Figures drawn from our own VAE on the 8x8 digits (see ``figures.vae``).

- ``vae-pipeline.svg``: digits x -> Encoder -> z -> Decoder -> reconstructions,
  and from z the latent codes of all digits, coloured by class ("聚类"); the
  VAE slide of DAR-5-5, full width.
- ``vae-latent-grid.svg``: digits decoded from a lattice over the latent
  space, the teaser for generative models (replaces the image-generator pictures).
- ``vae-latent-scatter.svg``: the latent codes alone, large, with a legend.

Every picture shows the trained model itself: the digits in the grid are what
this decoder outputs, and the scatter is this encoder's posterior means.
"""

from __future__ import annotations

import functools

import numpy as np

from . import vae
from .svg import (
    ACCENT, MUTED, RULE, WHITE, Element, class_legend, curved_arrow, digit_grid, document,
    el, it, label, math_text, num, scatter_dots, straight_arrow, sub, vec,
)

OUTPUTS = ("vae-pipeline.svg", "vae-latent-grid.svg", "vae-latent-scatter.svg")

ENCODER_COLOUR = "#3F6E96"
DECODER_COLOUR = "#5E8C6A"
GIVEN = "\u2009|\u2009"  # the bar of q(z|x), with thin spaces as TeX sets it


@functools.lru_cache(maxsize=1)
def trained_model() -> tuple[vae.TrainedVAE, np.ndarray, np.ndarray]:
    """The trained VAE with its data (pixels, labels); trained once per process."""
    x, y = vae.load_digit_pixels()
    return vae.train_vae(x), x, y


def _sample_indices(n: int, count: int) -> np.ndarray:
    # A fixed, mixed selection: the dataset itself cycles 0, 1, 2, ... at its start.
    return np.random.default_rng(0).choice(n, size=count, replace=False)


def _latent_limits(z: np.ndarray, pad: float = 0.04) -> tuple[float, float, float, float]:
    """A square window around the codes (equal scales on both axes), padded a little."""
    low, high = z.min(axis=0), z.max(axis=0)
    centre, half = (low + high) / 2.0, float(np.max(high - low)) * (0.5 + pad)
    return centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half


def _panel_frame(x: float, y: float, w: float, h: float) -> Element:
    return el("rect", x=x, y=y, width=w, height=h, rx=6, fill=WHITE, stroke=RULE, stroke_width=1.5)


# ---------------------------------------------------------------- pipeline

PIPE_W, PIPE_H = 1100, 500
ROW_TOP, ROW_H = 60, 206       # the main row: digits, networks, latent bar
GRID_COLS, TILE, GAP = 6, 31, 4
GRID_W = GRID_COLS * TILE + (GRID_COLS - 1) * GAP
IN_X, OUT_X = 40, PIPE_W - 40 - GRID_W
ENC_X, DEC_X, NET_W = 318, 662, 120
BAR_X, BAR_W, BAR_H = 535, 30, 136


def _trapezoid(x: float, width: float, narrow_right: bool, colour: str, text: str) -> Element:
    """An encoder (narrowing) or decoder (widening) block."""
    wide, narrow = (ROW_TOP, ROW_TOP + ROW_H), (ROW_TOP + 52, ROW_TOP + ROW_H - 52)
    left, right = (wide, narrow) if narrow_right else (narrow, wide)
    points = [(x, left[0]), (x + width, right[0]), (x + width, right[1]), (x, left[1])]
    cy = ROW_TOP + ROW_H / 2
    return el("g",
              el("polygon", points=" ".join(f"{num(px)},{num(py)}" for px, py in points), fill=colour),
              label(x + width / 2, cy + 7, text, 21, fill=WHITE, weight="bold"))


def _pipeline(model: vae.TrainedVAE, x: np.ndarray, y: np.ndarray) -> bytes:
    shown = _sample_indices(len(x), GRID_COLS * GRID_COLS)
    mu, _ = vae.encode(model.params, x)
    # Decoded from the posterior mean rather than a sample of q(z|x): the
    # usual reconstruction picture, and it does not depend on a noise draw.
    recon = vae.decode(model.params, mu[shown])
    grid_y = ROW_TOP + (ROW_H - GRID_W) / 2
    mid_y = ROW_TOP + ROW_H / 2
    bar_cx, bar_top = BAR_X + BAR_W / 2, mid_y - BAR_H / 2
    label_y = 36
    arrow = dict(colour=MUTED, width=2.5, head=12)

    bar = el("g",
             el("rect", x=BAR_X, y=bar_top, width=BAR_W, height=BAR_H, rx=3, fill=ACCENT),
             el("line", x1=BAR_X, y1=mid_y, x2=BAR_X + BAR_W, y2=mid_y, stroke=WHITE, stroke_width=2))

    # The latent codes, below the encoder, reached from z by the "聚类" arrow.
    sc_x, sc_y, sc_size = 282, 292, 200
    limits = _latent_limits(mu)
    scatter = el("g",
                 _panel_frame(sc_x, sc_y, sc_size, sc_size),
                 scatter_dots(mu, y, (sc_x + 8, sc_y + 8, sc_size - 16, sc_size - 16), limits, radius=1.8),
                 class_legend(sc_x - 118, sc_y + 30, 17, 50, columns=2))
    cluster = curved_arrow((bar_cx, bar_top + BAR_H + 12), (bar_cx + 2, sc_y + 70), (bar_cx - 6, sc_y + 112),
                           (sc_x + sc_size + 12, sc_y + sc_size / 2 + 14), ACCENT, width=3, head=15)

    return document(
        "vae-pipeline", PIPE_W, PIPE_H,
        "VAE: 手写数字 x 经 Encoder 得到二维隐变量 z ∼ q(z|x;φ), 再经 Decoder 重构 x̂ ∼ p(x|z;θ); "
        "z 按数字类别着色呈现聚类",
        math_text(IN_X + GRID_W / 2, label_y, [vec("x"), " ∼ ", it("p"), "(", vec("x"), ")"], 26),
        math_text(bar_cx, label_y,
                  [vec("z"), " ∼ ", it("q"), "(", vec("z"), GIVEN, vec("x"), "; ", it("φ"), ")"], 26),
        math_text(OUT_X + GRID_W / 2, label_y,
                  [vec("x̂"), " ∼ ", it("p"), "(", vec("x"), GIVEN, vec("z"), "; ", it("θ"), ")"], 26),
        digit_grid(x[shown], GRID_COLS, IN_X, grid_y, TILE, GAP),
        straight_arrow((IN_X + GRID_W + 10, mid_y), (ENC_X - 8, mid_y), **arrow),
        _trapezoid(ENC_X, NET_W, True, ENCODER_COLOUR, "Encoder"),
        straight_arrow((ENC_X + NET_W + 10, mid_y), (BAR_X - 10, mid_y), **arrow),
        bar,
        straight_arrow((BAR_X + BAR_W + 10, mid_y), (DEC_X - 10, mid_y), **arrow),
        _trapezoid(DEC_X, NET_W, False, DECODER_COLOUR, "Decoder"),
        straight_arrow((DEC_X + NET_W + 8, mid_y), (OUT_X - 10, mid_y), **arrow),
        digit_grid(recon, GRID_COLS, OUT_X, grid_y, TILE, GAP),
        cluster,
        label(bar_cx + 20, sc_y + 52, "聚类", 26, anchor="start", fill=ACCENT, weight="bold"),
        scatter,
    )


# ---------------------------------------------------------------- latent grid

LAT_COLS, LAT_ROWS, LAT_TILE, LAT_GAP = 12, 7, 54, 6


def _latent_grid(model: vae.TrainedVAE, x: np.ndarray) -> bytes:
    """Decode an evenly spaced lattice spanning where the encoder puts the digits.

    The lattice covers the central 98% of the posterior means on each axis
    rather than a range of the N(0, I) prior, so no row or column is spent on
    empty latent space; the top row is the largest z2, as on a plot.
    """
    mu, _ = vae.encode(model.params, x)
    low, high = np.quantile(mu, 0.01, axis=0), np.quantile(mu, 0.99, axis=0)
    z1 = np.linspace(low[0], high[0], LAT_COLS)
    z2 = np.linspace(high[1], low[1], LAT_ROWS)
    lattice = np.array([(a, b) for b in z2 for a in z1])
    images = vae.decode(model.params, lattice)
    grid_w = LAT_COLS * LAT_TILE + (LAT_COLS - 1) * LAT_GAP
    grid_h = LAT_ROWS * LAT_TILE + (LAT_ROWS - 1) * LAT_GAP
    left, top = 50, 12
    return document(
        "vae-latent-grid", left + grid_w + 12, top + grid_h + 40,
        f"由 VAE 隐空间网格 ({LAT_COLS}×{LAT_ROWS}) 解码生成的手写数字",
        digit_grid(images, LAT_COLS, left, top, LAT_TILE, LAT_GAP),
        _latent_axes((left - 16, top + grid_h + 16), 200),
    )


def _latent_axes(origin: tuple[float, float], length: float) -> Element:
    """An L of two arrows marking the z1 (right) and z2 (up) directions."""
    ox, oy = origin
    axis = dict(colour=MUTED, width=2, head=11)
    return el("g",
              straight_arrow((ox, oy), (ox + length, oy), **axis),
              math_text(ox + length + 8, oy + 7, [it("z"), sub("1", italic=False)], 22, anchor="start", fill=MUTED),
              straight_arrow((ox, oy), (ox, oy - length), **axis),
              math_text(ox, oy - length - 10, [it("z"), sub("2", italic=False)], 22, fill=MUTED))


# ---------------------------------------------------------------- scatter


def _latent_scatter(model: vae.TrainedVAE, x: np.ndarray, y: np.ndarray) -> bytes:
    mu, _ = vae.encode(model.params, x)
    limits = _latent_limits(mu)
    size, left, top = 420, 40, 20
    return document(
        "vae-latent-scatter", left + size + 120, top + size + 40,
        "VAE 隐变量 z 的均值, 按数字类别 0–9 着色",
        scatter_dots(mu, y, (left + 10, top + 10, size - 20, size - 20), limits, radius=2.6),
        class_legend(left + size + 30, top + 40, 20, 0, columns=1),
        _latent_axes((left - 16, top + size + 16), 140),
    )


def render() -> dict[str, bytes]:
    with vae.single_threaded_blas():
        model, x, y = trained_model()
        return dict(zip(OUTPUTS, (_pipeline(model, x, y), _latent_grid(model, x), _latent_scatter(model, x, y))))
