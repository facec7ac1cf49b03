"""Layout lint: overflowing slides are reported at their source line, with a <slide-scale> factor that works."""
from __future__ import annotations

import os
import re

import pytest

from conftest import build_into, in_thread, write_deck
from deckbuild import layout
from deckbuild.browser import find_chromium
from deckbuild.diagnostics import BuildError

ROWS = " \\\\\n".join(f"f_{{{k}}}(x) &= \\sum_{{j=1}}^{{{k}}} \\frac{{x^j}}{{j!}}" for k in range(1, 8))
DERIVATION = f"$$\n\\begin{{align*}}\n{ROWS}\n\\end{{align*}}\n$$"
WIDE = " + ".join(f"\\alpha_{{{k}}} x^{{{k}}}" for k in range(1, 16))
SHORT = """<slide-section>
## Short

- one line
- another line {+}
</slide-section>
"""
LONG = f"""{SHORT}
<slide-section>
## Long derivation

{{derivation}}

<slide-ref>
  [1] Kingma & Welling. Auto-Encoding Variational Bayes. ICLR, 2014.
</slide-ref>
</slide-section>

<slide-section>
## Tall picture

<svg width="300" height="900"></svg>
</slide-section>

<slide-section>
## Wide formula

$${WIDE}$$
</slide-section>
"""
FIRST_LINE = 5  # write_deck puts the body after four lines of front matter


@pytest.fixture(scope="module")
def browser_ok():
    try:
        find_chromium()
    except BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(exc.message)
        pytest.skip(exc.message)


def lint(browser, tmp, body: str) -> tuple[list, str]:
    """Build one deck from `body` and lint it in the run's browser; (diagnostics, the deck's text)."""
    path = write_deck(tmp / "slides", "deck.md", body)
    result = build_into(tmp, tmp / "slides")
    assert not result.report.errors, [d.format() for d in result.report.errors]
    return layout.lint_layout(tmp / "_site", [("deck", "slides/deck.md")], browser), path.read_text(encoding="utf-8")


def line_of(text: str, heading: str) -> int:
    """Source line of the <slide-section> that holds `heading`."""
    lines = text.splitlines()
    at = lines.index(heading)
    return max(i for i in range(at) if lines[i].strip() == "<slide-section>") + 1


def amount(d) -> int:
    return int(re.search(r"by (\d+) px", d.message).group(1))


@pytest.fixture(scope="module")
def long_deck(browser, tmp_path_factory) -> tuple[list, str]:
    """The deck of three overflowing slides, built and linted once for the tests that read its findings."""
    return lint(browser, tmp_path_factory.mktemp("long"), LONG.replace("{derivation}", DERIVATION))


@pytest.mark.slow
def test_short_deck_reports_nothing(browser, tmp_path):
    found, _ = lint(browser, tmp_path, SHORT)
    assert found == []


@pytest.mark.slow
def test_overflowing_slides_are_reported_at_their_line_with_a_plausible_amount(long_deck):
    found, text = long_deck
    by_line = {d.line: d for d in found}
    assert sorted(by_line) == [line_of(text, h) for h in ("## Long derivation", "## Tall picture", "## Wide formula")]
    assert all(d.path == "slides/deck.md" and d.severity == "warning" for d in found)

    long, tall, wide = (by_line[line_of(text, h)] for h in ("## Long derivation", "## Tall picture", "## Wide formula"))
    assert long.message.startswith("slide 2 overflows the slide by ") and "into its references" in long.message
    assert 150 < amount(long) < 700, long.format()
    assert re.search(r'wrap the formula \'\\begin\{align\*\}.*<slide-scale factor="0\.\d+">', long.hint), long.hint
    # the svg starts below the title (~110 px) and is 900 px tall: ~310 px below a 700 px slide
    assert tall.message.startswith("slide 3 ") and tall.message.endswith("at the bottom")
    assert 280 < amount(tall) < 340, tall.format()
    assert wide.message.startswith("slide 4 ") and wide.message.endswith("on the right")
    assert 300 < amount(wide) < 1500, wide.format()


@pytest.mark.slow
def test_the_suggested_factor_makes_the_slide_fit(long_deck, browser, tmp_path):
    found, text = long_deck
    [long] = [d for d in found if d.line == line_of(text, "## Long derivation")]
    factor = re.search(r'factor="([\d.]+)"', long.hint).group(1)
    scaled = f'<slide-scale factor="{factor}">\n\n{DERIVATION}\n\n</slide-scale>'
    found, text = lint(browser, tmp_path, LONG.replace("{derivation}", scaled))
    assert line_of(text, "## Long derivation") not in {d.line for d in found}, [d.format() for d in found]


# A derivation row as KaTeX's worker marks it, wider than the slide even at the smallest automatic fit.
EDGES = """<slide-section>
## Marks at the edge

<div class="slide-derivation" data-status="verified"><span class="katex"><span class="vlist"><span class="dv-row"
data-step="1" data-status="verified"><span style="white-space: nowrap">""" + "wide row " * 40 + """</span></span></span></span></div>
</slide-section>

<slide-section>
## Crowded corner

<div style="position: absolute; right: 40px; bottom: 10px; font-size: 20px">text in the corner</div>
</slide-section>
"""


@pytest.fixture(scope="module")
def edges_deck(browser, tmp_path_factory) -> tuple[list, str]:
    return lint(browser, tmp_path_factory.mktemp("edges"), EDGES)


@pytest.mark.slow
def test_marks_past_the_right_edge_are_reported(edges_deck):
    found, text = edges_deck
    [marks] = [d for d in found if d.line == line_of(text, "## Marks at the edge")]
    assert marks.message.endswith("on the right (the derivation's check marks)"), marks.message


@pytest.mark.slow
def test_text_under_the_slide_number_is_reported(edges_deck):
    found, text = edges_deck
    [corner] = [d for d in found if d.line == line_of(text, "## Crowded corner")]
    assert corner.message.startswith("slide 2: the block 'text in the corner' lies under the slide number")


@pytest.mark.slow
def test_every_deck_in_slides_is_checked(browser_ok, project_site):
    """Every slide of the lecture decks fits its box: an overflow here is a finding for the lecturer, not a test to loosen.
    The lint starts its own Chromium here, as `check --layout` does."""
    site, result = project_site
    decks = [(d.slug, d.path) for d in result.decks if not d.draft]
    assert [slug for slug, _ in decks] == ["dar-5-5"]
    found = in_thread(layout.lint_layout, site, decks)
    findings = [f"{d.path}:{d.line}: {d.message}" for d in found]
    assert findings == EXPECTED_IN_SLIDES, "\n".join(d.format() for d in found)


# Every slide of the lecture decks fits: the long appendix derivations are wrapped in <slide-scale>.
EXPECTED_IN_SLIDES: list[str] = []


# ---------------------------------------------------------------- the judgement, without a browser


def box(*blocks, ref_top=None) -> layout.SlideBox:
    return layout.SlideBox(number=4, line=40, width=1100, height=700, ref_top=ref_top, blocks=list(blocks))


def test_fitting_slide_is_not_reported():
    assert layout.diagnose("slides/x.md", box(layout.Block("list", "a", 100, 699.5, 48, 1000))) == []


def test_bottom_overflow_suggests_scaling_the_tallest_block():
    title = layout.Block("title", "T", 20, 90, 48, 300)
    small = layout.Block("paragraph", "p", 100, 140, 48, 400)
    big = layout.Block("formula", "\\begin{align*}", 150, 850, 48, 900)
    [d] = layout.diagnose("slides/x.md", box(title, small, big))
    assert d.format().startswith("slides/x.md:40:1: warning: slide 4 overflows the slide by 150 px at the bottom")
    # 700 px tall, 150 px too much: (700 - 150) / 700 = 0.786 -> 0.75
    assert '<slide-scale factor="0.75">' in d.hint and "the formula '\\begin{align*}'" in d.hint


def test_overlap_with_references_counts_and_existing_scale_is_lowered():
    scaled = layout.Block("slide-scale", "x", 100, 600, 48, 900, scale=0.9, ref_overlap=100)
    [d] = layout.diagnose("slides/x.md", box(scaled, ref_top=500))
    assert d.message == "slide 4 overflows the slide by 100 px into its references"
    assert 'lower the factor of the slide-scale' in d.hint and 'factor="0.70"' in d.hint  # 0.9 * 400/500 = 0.72


def test_right_and_hopeless_overflow():
    wide = layout.Block("formula", "x", 100, 200, 48, 1400)
    [d] = layout.diagnose("slides/x.md", box(wide))
    assert d.message == "slide 4 overflows the slide by 300 px on the right"
    assert 'factor="0.75"' in d.hint  # (1352 - 300) / 1352 = 0.778
    huge = layout.Block("list", "x", 100, 3000, 48, 900)
    assert "split the slide" in layout.diagnose("slides/x.md", box(huge))[0].hint


def test_check_marks_past_the_right_edge_are_named():
    derivation = layout.Block("derivation", "x", 100, 300, 48, 1115, marks_right=1115)
    [d] = layout.diagnose("slides/x.md", box(derivation))
    assert d.message == "slide 4 overflows the slide by 15 px on the right (the derivation's check marks)"


def test_text_past_the_edge_is_not_blamed_on_the_marks():
    derivation = layout.Block("derivation", "x", 100, 300, 48, 1130, marks_right=1090)
    [d] = layout.diagnose("slides/x.md", box(derivation))
    assert "check marks" not in d.message


def test_content_under_the_slide_number_is_reported():
    slide = box(layout.Block("list", "a", 100, 690, 48, 1060))
    slide.under = [layout.Covered("list", "last item", ("the slide number",))]
    [d] = layout.diagnose("slides/x.md", slide)
    assert d.message == "slide 4: the list 'last item' lies under the slide number"
