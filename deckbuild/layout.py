"""Layout lint: slides whose content runs off the 1100 × 700 frame, into their references or under the controls.

Only a real browser knows how tall a derivation typeset by KaTeX in the
self-hosted fonts is, so each built deck is opened in headless Chromium at the
slide size, every slide is shown with all its fragments, and the ink on it (text
boxes, images, inline SVG, clipped by any overflow-hiding ancestor) is measured
against the slide frame and the top of the pinned `.slide-ref`. Presenting
mode is used rather than the print view, so the numbers are what the audience
sees. The measurements are plain numbers; the judgement (what to report, which
`<slide-scale>` factor would make it fit) is Python, testable without a browser.

`python build.py check --layout` style use: `main(argv)` builds the decks into
a temporary folder and prints one warning per overflowing slide.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .options import add_site_options
from . import browser as chromium_browser
from . import elements
from .diagnostics import BuildError, Diagnostic, printed
from .options import Options
from .pipeline import build

TOLERANCE = 1.0  # px: sub-pixel rounding of glyph boxes is not an overflow
MIN_FACTOR = 0.3  # the smallest <slide-scale factor> elements.py accepts
FACTOR_STEP = 0.05
READY_TIMEOUT_MS = 30_000

# Transitions would leave a slide (or a fade-up fragment) mid-move when it is measured.
_NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; }"

_MEASURE = """async () => {
  const settle = async () => {
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    do { await document.fonts.ready; } while (document.fonts.status !== 'loaded');
  };
  const config = Reveal.getConfig();
  const frameEl = Reveal.getSlidesElement();
  const clipCache = new Map();
  const ELEMENT_KINDS = __ELEMENT_KINDS__;  // [CSS class, kind] from the element declarations

  // The part of the page an element can paint into: overflow-hiding ancestors cut it.
  function clipOf(el, slide) {
    if (!el || el === slide) return null;
    if (clipCache.has(el)) return clipCache.get(el);
    let clip = clipOf(el.parentElement, slide);
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
      const r = el.getBoundingClientRect();
      clip = Object.assign({left: -1e9, top: -1e9, right: 1e9, bottom: 1e9}, clip || {});
      if (style.overflowX !== 'visible') { clip.left = Math.max(clip.left, r.left); clip.right = Math.min(clip.right, r.right); }
      if (style.overflowY !== 'visible') { clip.top = Math.max(clip.top, r.top); clip.bottom = Math.min(clip.bottom, r.bottom); }
    }
    clipCache.set(el, clip);
    return clip;
  }

  function clipped(r, clip) {
    if (!clip) return r;
    const c = {left: Math.max(r.left, clip.left), top: Math.max(r.top, clip.top),
               right: Math.min(r.right, clip.right), bottom: Math.min(r.bottom, clip.bottom)};
    return c.right > c.left && c.bottom > c.top ? c : null;
  }

  // Ink of a slide: text boxes, images and SVGs, each tagged with its top-level block.
  function ink(slide) {
    const out = [];
    const add = (el, rects) => {
      if (el.closest('aside.notes, .katex-mathml, script, style')) return;
      const clip = clipOf(el, slide);
      let block = el;
      while (block.parentElement && block.parentElement !== slide) block = block.parentElement;
      for (const r of rects) {
        if (r.width <= 0 && r.height <= 0) continue;
        const c = clipped(r, clip);
        if (c) out.push({block, ref: !!el.closest('.slide-ref'), r: c});
      }
    };
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim()) continue;
      range.selectNodeContents(node);
      add(node.parentElement, range.getClientRects());
    }
    for (const el of slide.querySelectorAll('img, svg, canvas, video, iframe, hr')) {
      if (el.parentElement.closest('svg')) continue;
      add(el, [el.getBoundingClientRect()]);
    }
    // Marks drawn by CSS (the ✓ after a derivation row, a derivation's status badge) are ink too.
    for (const el of slide.querySelectorAll('.dv-row > :last-child, .slide-derivation')) {
      for (const which of ['::before', '::after']) {
        const r = pseudoRect(el, which);
        if (r) out.push({block: topBlock(el, slide), ref: false, mark: true, r});
      }
    }
    return out;
  }

  function topBlock(el, slide) {
    let block = el;
    while (block.parentElement && block.parentElement !== slide) block = block.parentElement;
    return block;
  }

  // The box of an absolutely positioned ::before/::after, from its used size and offsets.
  function pseudoRect(el, which) {
    const st = getComputedStyle(el, which);
    if (!st.content || st.content === 'none' || st.content === 'normal' || st.display === 'none'
        || st.position !== 'absolute') return null;
    const host = el.getBoundingClientRect();
    const k = host.width / (el.offsetWidth || 1) || 1;
    const n = v => parseFloat(v) || 0;
    const w = (n(st.width) + n(st.paddingLeft) + n(st.paddingRight)) * k;
    const h = (n(st.height) + n(st.paddingTop) + n(st.paddingBottom)) * k;
    if (w <= 0 || h <= 0) return null;
    const left = st.left !== 'auto' ? host.left + (n(st.left) + n(st.marginLeft)) * k
                                    : host.right - (n(st.right) + n(st.marginRight)) * k - w;
    let top = st.top !== 'auto' ? host.top + (n(st.top) + n(st.marginTop)) * k
                                : host.bottom - (n(st.bottom) + n(st.marginBottom)) * k - h;
    const shift = (st.translate || '').split(' ')[1] || '';
    top += shift.endsWith('%') ? n(shift) / 100 * h : n(shift) * k;
    return {left, top, right: left + w, bottom: top + h, width: w, height: h};
  }

  // Reveal's own controls over the slide: at margin 0 they sit on the frame's bottom-right corner.
  function chrome() {
    const found = [];
    for (const [name, sel] of [['the slide number', '.reveal > .slide-number'], ['the navigation arrows', '.reveal > .controls'],
                               ['the fullscreen button', '.pk-fullscreen']]) {
      const el = document.querySelector(sel);
      if (!el || getComputedStyle(el).display === 'none') continue;
      const parts = sel.endsWith('.controls') ? el.querySelectorAll('button') : [el];
      for (const part of parts) {
        const r = part.getBoundingClientRect();
        if (r.width > 0 && r.height > 0 && getComputedStyle(part).display !== 'none') found.push({name, r});
      }
    }
    return found;
  }

  function describe(block) {
    const tex = block.querySelector('.katex-mathml annotation');
    const text = (tex ? tex.textContent : block.textContent).replace(/\\s+/g, ' ').trim();
    const cls = block.classList;
    // A block whose only content is a derivation (a fragment around it) is a derivation too.
    const element = ELEMENT_KINDS.find(([c, k]) => cls.contains(c) || k === 'derivation' && block.querySelector(':scope > .' + c));
    const kind = element ? element[1] : cls.contains('math-display') ? 'formula'
      : /^(UL|OL)$/.test(block.tagName) ? 'list'
      : block.tagName === 'TABLE' ? 'table' : /^H[1-6]$/.test(block.tagName) ? 'title'
      : block.tagName === 'P' ? 'paragraph' : 'block';
    const scale = parseFloat(getComputedStyle(block).getPropertyValue('--scale')) || 1;
    return {kind, text: text.length > 50 ? text.slice(0, 50).trim() + '…' : text,
            scale: cls.contains('slide-scale') ? scale : 1};
  }

  const results = [];
  const slides = Reveal.getHorizontalSlides();  // getSlides() leaves out the uncounted appendix
  for (let i = 0; i < slides.length; i++) {
    const slide = slides[i];
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v);
    slide.querySelectorAll('.fragment').forEach(f => f.classList.add('visible'));
    await settle();
    clipCache.clear();
    const frame = frameEl.getBoundingClientRect();
    const scale = frame.width / (frameEl.offsetWidth || config.width);
    const px = v => v / scale;
    const blocks = new Map();
    let refTop = null, refLeft = null, refRight = null;
    const ref = slide.querySelector('.slide-ref');
    if (ref) {
      const r = ref.getBoundingClientRect();
      refTop = px(r.top - frame.top); refLeft = px(r.left - frame.left); refRight = px(r.right - frame.left);
    }
    const controls = chrome();
    for (const {block, ref: inRef, mark, r} of ink(slide)) {
      const b = blocks.get(block) || {top: Infinity, bottom: -Infinity, left: Infinity, right: -Infinity,
                                      refOverlap: -Infinity, under: [], marksRight: -Infinity};
      for (const c of controls) {
        if (r.left < c.r.right - 1 && r.right > c.r.left + 1 && r.top < c.r.bottom - 1 && r.bottom > c.r.top + 1
            && !b.under.includes(c.name)) b.under.push(c.name);
      }
      blocks.set(block, b);
      if (inRef) continue;
      const top = px(r.top - frame.top), bottom = px(r.bottom - frame.top);
      const left = px(r.left - frame.left), right = px(r.right - frame.left);
      b.top = Math.min(b.top, top); b.bottom = Math.max(b.bottom, bottom);
      b.left = Math.min(b.left, left); b.right = Math.max(b.right, right);
      if (mark) b.marksRight = Math.max(b.marksRight, right);
      if (refTop !== null && right > refLeft && left < refRight) b.refOverlap = Math.max(b.refOverlap, bottom - refTop);
      blocks.set(block, b);
    }
    results.push({
      number: i + 1,
      line: parseInt(slide.dataset.sourceLine || '1', 10),
      width: config.width, height: config.height, refTop,
      blocks: [...blocks].filter(([, b]) => Number.isFinite(b.top)).map(([el, b]) => Object.assign(describe(el), b,
        {refOverlap: Number.isFinite(b.refOverlap) ? b.refOverlap : null,
         marksRight: Number.isFinite(b.marksRight) ? b.marksRight : null})),
      under: [...blocks].filter(([, b]) => b.under.length).map(([el, b]) => Object.assign(describe(el), {under: b.under})),
    });
  }
  return results;
}"""


@dataclass
class Block:
    """A top-level element of a slide and the extent of its ink, in slide px."""

    kind: str  # formula, derivation, list, table, image, columns, slide-scale, title, paragraph, …
    text: str  # its first characters (TeX source for a formula), to name it in a hint
    top: float
    bottom: float
    left: float
    right: float
    scale: float = 1.0  # its current <slide-scale> factor, if it is one
    ref_overlap: float | None = None  # how far its ink runs below the top of the references
    marks_right: float | None = None  # right edge of its derivation marks (✓, badges), if it has any


@dataclass
class SlideBox:
    number: int
    line: int
    width: float
    height: float
    ref_top: float | None
    blocks: list[Block]
    under: list[Covered] = field(default_factory=list)  # content beneath the slide number or a control

    @classmethod
    def from_json(cls, data: dict) -> SlideBox:
        blocks = [Block(b["kind"], b["text"], b["top"], b["bottom"], b["left"], b["right"], b["scale"], b["refOverlap"],
                        b.get("marksRight")) for b in data["blocks"]]
        under = [Covered(u["kind"], u["text"], tuple(u["under"])) for u in data.get("under", [])]
        return cls(data["number"], data["line"], data["width"], data["height"], data["refTop"], blocks, under)


@dataclass
class Covered:
    """A block whose ink lies under something Reveal or the presenter tools draw over the slide."""

    kind: str
    text: str
    controls: tuple[str, ...]  # "the slide number", "the navigation arrows", "the fullscreen button"


@dataclass
class Overflow:
    bottom: float  # px below the frame's bottom edge
    refs: float  # px into the references
    right: float  # px beyond the frame's right edge

    @property
    def vertical(self) -> float:
        return max(self.bottom, self.refs)

    def any(self) -> bool:
        return self.vertical > TOLERANCE or self.right > TOLERANCE


def overflow_of(box: SlideBox) -> Overflow:
    bottoms = [b.bottom for b in box.blocks]
    rights = [b.right for b in box.blocks]
    overlaps = [b.ref_overlap for b in box.blocks if b.ref_overlap is not None]
    return Overflow(bottom=max(bottoms, default=0) - box.height, refs=max(overlaps, default=-math.inf),
                    right=max(rights, default=0) - box.width)


def suggested_factor(block: Block, over: Overflow) -> float:
    """The <slide-scale> factor for `block` that would take back the overflow, rounded down to 0.05.

    <slide-scale> scales font size, so the block's height and width shrink in
    proportion; text that overflows on the right starts at the block's left edge.
    """
    needs = [1.0]
    height, width = block.bottom - block.top, block.right - block.left
    if over.vertical > TOLERANCE and height > 0:
        needs.append((height - over.vertical) / height)
    if over.right > TOLERANCE and width > 0:
        needs.append((width - over.right) / width)
    factor = block.scale * min(needs)
    return math.floor(factor / FACTOR_STEP + 1e-9) * FACTOR_STEP


def largest_block(box: SlideBox, over: Overflow) -> Block | None:
    """The block to scale: the tallest for vertical overflow, the one reaching furthest right otherwise."""
    candidates = [b for b in box.blocks if b.kind != "title"] or box.blocks
    if not candidates:
        return None
    if over.vertical > TOLERANCE:
        return max(candidates, key=lambda b: b.bottom - b.top)
    return max(candidates, key=lambda b: b.right)


def diagnose(path: str, box: SlideBox) -> list[Diagnostic]:
    """What is wrong with one slide's layout: overflow past the frame, content under the slide's controls."""
    found = []
    over = overflow_of(box)
    if over.any():
        found.append(Diagnostic(path, box.line, 1, "warning",
                                f"slide {box.number} overflows the slide by {_amount(over)}{_marks_note(box, over)}",
                                _hint(box, over)))
    for covered in box.under:
        name = f"the {covered.kind}" + (f" '{covered.text}'" if covered.text else "")
        found.append(Diagnostic(path, box.line, 1, "warning",
                                f"slide {box.number}: {name} lies under {' and '.join(covered.controls)}",
                                "the slide number and the arrows sit in the bottom-right corner, the fullscreen button "
                                "top right: shorten or scale the block (<slide-scale>) so it ends before them"))
    return found


def _marks_note(box: SlideBox, over: Overflow) -> str:
    """Name the derivation marks when they are what runs off the right edge."""
    if over.right <= TOLERANCE:
        return ""
    marks = [b.marks_right for b in box.blocks if b.marks_right is not None]
    if marks and max(marks) - box.width > TOLERANCE and max(marks) >= max(b.right for b in box.blocks) - TOLERANCE:
        return " (the derivation's check marks)"
    return ""


def _amount(over: Overflow) -> str:
    parts = []
    if over.vertical > TOLERANCE:
        where = "into its references" if over.refs >= over.bottom else "at the bottom"
        parts.append(f"{math.ceil(over.vertical)} px {where}")
    if over.right > TOLERANCE:
        parts.append(f"{math.ceil(over.right)} px on the right")
    return " and ".join(parts)


def _hint(box: SlideBox, over: Overflow) -> str:
    block = largest_block(box, over)
    if block is None:
        return "shorten the slide or split it in two"
    factor = suggested_factor(block, over)
    name = f"the {block.kind}" + (f" '{block.text}'" if block.text else "")
    if factor < MIN_FACTOR:
        return f"split the slide: even <slide-scale factor=\"{MIN_FACTOR}\"> around {name} would not make it fit"
    if block.kind == "image":
        return f"make {name} about {factor:.0%} of its size (<slide-img size=…>), or split the slide"
    if block.kind == "slide-scale":
        return f"lower the factor of {name} to <slide-scale factor=\"{factor:.2f}\">, or split the slide"
    return f"wrap {name} in <slide-scale factor=\"{factor:.2f}\">…</slide-scale>, or split the slide"


# ---------------------------------------------------------------- browser


def measure_deck(browser, url: str) -> list[SlideBox]:
    """Every slide of the deck at `url`, laid out at the configured slide size."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page()
    try:
        # margin=0 makes the slide frame the whole viewport: scale 1, slide px = CSS px.
        page.goto(f"{url}?margin=0&transition=none&viewDistance=1000&hash=false")
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=READY_TIMEOUT_MS)
        size = page.evaluate("[Reveal.getConfig().width, Reveal.getConfig().height]")
        page.set_viewport_size({"width": int(size[0]), "height": int(size[1])})
        page.add_style_tag(content=_NO_MOTION)
        measure = _MEASURE.replace("__ELEMENT_KINDS__", json.dumps(elements.layout_kinds()))
        return [SlideBox.from_json(s) for s in page.evaluate(measure)]
    except PlaywrightTimeout as exc:
        raise BuildError(f"{url}: the deck did not become ready within {READY_TIMEOUT_MS // 1000} s") from exc
    finally:
        page.close()


def lint_layout(site_dir: Path, decks: list[tuple[str, str | Path]], browser=None) -> list[Diagnostic]:
    """One warning per slide of the built site whose content overflows; decks are (slug, source path) pairs.
    `browser`: a Playwright Browser already running, else one is started for the call."""
    found: list[Diagnostic] = []
    with chromium_browser.launched(browser) as browser, chromium_browser.serve(site_dir) as origin:
        for slug, source in decks:
            for box in measure_deck(browser, f"{origin}/{slug}/index.html"):
                found.extend(diagnose(Path(source).as_posix(), box))
    return found


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python build.py check --layout",
                                description="Report slides whose content overflows the slide or its references.")
    add_site_options(p, "--slides", "--cache", "--drafts", "--offline")
    return p


def main(argv: list[str] | None = None) -> int:
    """Build into a temporary folder (the site in _site/ is left alone), lint it; 1 when a slide overflows."""
    args = _parser().parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="deckbuild-layout-") as tmp:
            site = Path(tmp) / "_site"
            result = build(Options(slides_dir=args.slides, out_dir=site, cache_dir=args.cache, drafts=args.drafts,
                                   quiet=True, offline=args.offline))
            if result.report.errors:
                for text in printed(result.report.sorted()):
                    print(text, file=sys.stderr)
                return 1
            decks = [(d.slug, d.path) for d in result.decks if args.drafts or not d.draft]
            found = lint_layout(site, decks)
    except BuildError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    for d in found:
        print(d.format(), file=sys.stderr)
    print(f"layout: {len(found)} problem(s) (overflow, content under the slide number or a control) "
          f"in {len(decks)} deck(s)")
    return 1 if found else 0
