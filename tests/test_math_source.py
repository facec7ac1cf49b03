"""What KaTeX receives is exactly what the author wrote, whatever Markdown is around it."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckbuild.diagnostics import Report
from deckbuild.katex import Job
from deckbuild.mathscan import scan_math
from deckbuild.parse import parse_deck
from deckbuild.render import Media, SlideRenderer, typeset
from deckbuild.source import read_deck

# LaTeX-like text full of characters Markdown would otherwise interpret.
_TEX_ATOMS = ["x", "y_i", "a^2", "\\alpha", "\\|", "|", "\\{", "\\}", "*", "**", "_", "__", "\\\\", "<", ">", "&",
              "\\frac{a}{b}", "\\sum_{i=1}^N", "\\text{KL}", "\\bm{z}", " ", "[", "](x)", "`", "#", "~", "\\vert",
              "\\underbrace{x}_{y}", "\\begin{align*} a &= b \\\\ &\\le c \\end{align*}", "<b>", "!", "-", "+", "1."]
_WORDS = ["word", "**bold**", "_it_", "文本", "a|b", "- ", "1. ", "> ", "# ", "x_y", "<span>s</span>", "&amp;", "\\$5"]

tex = st.lists(st.sampled_from(_TEX_ATOMS), min_size=1, max_size=8).map("".join).map(lambda s: s.strip() or "x") \
    .filter(lambda s: not s.endswith("\\") and not s.startswith("\\\\"))


class RecordingRenderer:
    """Stands in for KaTeX and remembers every job it is given."""

    def __init__(self):
        self.jobs: list[Job] = []

    def render(self, jobs, cache=None):
        from deckbuild.katex import Result

        self.jobs.extend(jobs)
        return [Result(html="<span class='katex'></span>") for _ in jobs]


def _received(markdown: str) -> list[tuple[str, bool]]:
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", f"<slide-section>\n{markdown}\n</slide-section>\n", report), report)
    rec = RecordingRenderer()
    maths = typeset(deck, {}, rec, report)
    html = SlideRenderer(deck, maths, {}, Media(Path("."), {}), report).slides()[0].body
    assert html.count("<span class='katex'>") == len(rec.jobs), "a formula was lost or duplicated in the page"
    assert "qqx" not in html, "a placeholder token leaked into the page"
    return [(j.tex, j.display) for j in rec.jobs]


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), tex, st.sampled_from(["inline", "display", "block", "item"])),
                min_size=1, max_size=6))
def test_katex_receives_the_formula_as_written(parts):
    lines, expected = [], []
    for words, formula, kind in parts:
        if kind == "inline":
            lines.append(f"{words} ${formula}$ {words}")
        elif kind == "display":
            lines.append(f"{words} $${formula}$$")
        elif kind == "block":
            lines.append(f"\n$$\n{formula}\n$$\n")
            formula = f"\n{formula}\n"
        else:
            lines.append(f"- {words}\n\n    $$\n    {formula}\n    $$\n")
            formula = f"\n    {formula}\n    "
        expected.append((formula, kind != "inline"))
    assert _received("\n\n".join(lines)) == expected


def test_escaped_dollar_is_not_math():
    assert _received("costs \\$5 and \\$6") == []


def test_dollars_in_code_are_not_math():
    assert _received("`$x$` and\n\n```\n$$y$$\n```\n\n<code>$z$</code>") == []


def test_inline_math_needs_no_space_after_the_opening_dollar():
    spans, problems = scan_math("price $ 5 and $x$")
    assert [s.tex for s in spans] == ["x"] and problems and problems[0].severity == "warning"


def test_inline_math_does_not_cross_a_blank_line():
    spans, _ = scan_math("$a\n\nb$")
    assert spans == []


def test_bar_in_table_cell_math_does_not_split_the_cell():
    rec = _received("| a | b |\n|---|---|\n| $p(z|x)$ | $q(z\\vert x)$ |")
    assert rec == [("p(z|x)", False), ("q(z\\vert x)", False)]


def test_backslash_parentheses_are_inline_math():
    spans, problems = scan_math(r"a \(x_1 * y\) b")
    assert [(s.tex, s.display) for s in spans] == [("x_1 * y", False)] and not problems


def test_backslash_brackets_are_display_math():
    spans, _ = scan_math("text\n\\[\n\\sum_i a_i\n\\]\n")
    assert [(s.tex, s.display, s.block) for s in spans] == [("\n\\sum_i a_i\n", True, True)]


def test_an_escaped_backslash_before_a_parenthesis_is_not_math():
    assert scan_math(r"a \\(b) c")[0] == []


def test_unclosed_backslash_parenthesis_is_an_error():
    spans, problems = scan_math(r"a \(x + y")
    assert spans == [] and problems[0].severity == "error" and "never closed" in problems[0].message


def test_the_formula_of_a_backslash_delimiter_points_at_its_first_character():
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", "<slide-section>\nab \\(x\\)\n</slide-section>\n", report), report)
    [math] = deck.formulas()
    assert (math.tex, math.line, math.col) == ("x", 2, 6)
