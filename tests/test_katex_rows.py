"""Rows of a derivation are marked on KaTeX's own render tree, whatever is nested inside them."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from deckbuild.assets import node_binary
from deckbuild.katex import Job, KatexRenderer

NESTED = r"""\begin{align*}
a &= \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix} \\
  &\textcolor{red}{\Leftrightarrow} \begin{cases} x & y \\ z & w \end{cases} \\
  &\le c
\end{align*}"""


@pytest.fixture(scope="module")
def katex():
    renderer = KatexRenderer(node_binary(), ROOT / "node_modules" / "katex")
    yield renderer
    renderer.close()


def marks(rows: list[int], fragments: list[int]) -> str:
    return json.dumps({"last": {str(r): {"classes": ["dv-row"], "attrs": {"data-step": r}} for r in rows},
                       "all": {str(r): {"classes": ["fragment"], "attrs": {"data-fragment-index": i}}
                               for i, r in enumerate(fragments, 1)}})


def test_outer_rows_are_counted_not_the_rows_of_nested_matrices(katex):
    (res,) = katex.render([Job(NESTED, True, marks=marks([1, 2, 3], []))])
    assert res.rows == 3
    assert [int(s) for s in re.findall(r'data-step="(\d)"', res.html)] == [1, 2, 3]


def test_fragment_rows_are_marked_in_every_column_and_never_inside_a_matrix(katex):
    (res,) = katex.render([Job(NESTED, True, marks=marks([], [2, 3]))])
    indices = re.findall(r'class="[^"]*\bfragment\b[^"]*"[^>]*data-fragment-index="(\d)"', res.html)
    # two columns (either side of &) per revealed row, and nothing inside the pmatrix or cases
    assert sorted(indices) == ["1", "1", "2", "2"]
    assert len(re.findall(r'class="fragment"', res.html)) == 4


def test_a_formula_without_an_environment_is_one_row(katex):
    (res,) = katex.render([Job(r"\text{ELBO} \le \log p(x)", True, marks=marks([1], []))])
    assert res.rows == 1 and 'data-step="1"' in res.html


def test_macros_from_front_matter_reach_katex(katex):
    (res,) = katex.render([Job(r"\KL(p \| q)", False, macros=((r"\KL", r"\operatorname{KL}"),))])
    assert res.error is None and "KL" in res.html
    (bare,) = katex.render([Job(r"\KL(p \| q)", False)])
    assert bare.error is not None and "\\KL" in bare.error["message"]
