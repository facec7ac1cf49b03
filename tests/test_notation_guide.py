"""The worked example of docs/notations.md evaluates as the guide says: its slide with its notation, as written."""
from __future__ import annotations

import re

import pytest

from conftest import ROOT
from latexeval.linapi import evaluate_formula
from latexeval.linnotation import load_file

GUIDE = ROOT / "docs" / "notations.md"


def _example() -> tuple[str, str]:
    text = GUIDE.read_text(encoding="utf-8")
    example = text[text.index("## 8. Worked example"):]
    slide = re.search(r"```markdown\n(.*?)```", example, re.S).group(1)
    notation = re.search(r"```yaml\n(.*?)```", example, re.S).group(1)
    return slide, notation


def _formulas(slide: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in re.finditer(r"\$\$(.+?)\$\$|\$(.+?)\$", slide, re.S)]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    slide, notation = _example()
    path = tmp_path_factory.mktemp("guide") / "least-squares.yaml"
    path.write_text(notation, encoding="utf-8")
    return load_file(path), _formulas(slide)


def test_the_guide_links_from_the_readme():
    assert "docs/notations.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_worked_example_has_its_slide_formulas():
    slide, _ = _example()
    assert len(_formulas(slide)) == 9


CLAIMS = [0, 1, 2, 3, 5, 7, 8]  # the others: the model y = Xw* + ε (a definition) and "n - d" in prose


@pytest.mark.parametrize("k", CLAIMS)
def test_each_relation_of_the_worked_example_holds(example, k):
    nt, formulas = example
    result = evaluate_formula(formulas[k], nt, context=formulas)
    assert result.ok is True, (formulas[k], result.detail)


@pytest.mark.parametrize("k, said", [(4, "defines y"), (6, "states no relation")])
def test_the_rest_of_the_worked_example_claims_nothing(example, k, said):
    nt, formulas = example
    result = evaluate_formula(formulas[k], nt, context=formulas)
    assert (result.ok, result.not_evaluable, said in result.detail) == (None, None, True)


@pytest.mark.parametrize("old, new", [(r"X^T (\bm{y}", r"X (\bm{y}"), (r"(n - d) \sigma^2", r"n \sigma^2"),
                                      (r"+ \lambda I)^{-1}", r")^{-1}"), (r"P^2 = P", r"P^2 = I")])
def test_a_wrong_edit_of_the_worked_example_does_not_hold(example, old, new):
    nt, formulas = example
    (tex,) = [f for f in formulas if old in f]
    assert evaluate_formula(tex.replace(old, new), nt, context=formulas).ok is False
