r"""Every relation-stating formula of the lecturer's "Connection Bottleneck in Attention", evaluated as written.

The deck file is read from the shared corpus unchanged; latexeval/decks.yaml attaches the
notation `attention` to it. Each formula's verdict is listed here with the reason, and the
test fails if a verdict changes: a row that does not hold as written must keep saying so.
"""
from __future__ import annotations

import pytest

from conftest import CORPUS, need_shared
from deckbuild.diagnostics import Report
from deckbuild.evaluate import attached_notation, free_formulas_in_context
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck
from latexeval import evaluate_formula

FILE = "Attention Connection Bottleneck.md"

# snippet of the formula -> (verdict, a phrase its detail or reason holds)
EXPECTED = {
    r"\bm{q} = W_Q\bm{x}": (True, "defines A_{i j}, S_{i j}"),  # definitions; the claim W_K x ∈ R^d holds
    r"X = [\bm{x}_0": (True, "defines X (taken from the slide); in holds"),  # the theorem's setting: n tokens of ℝ^d
    r"X^* = [\bm{x}_0": (True, "defines X^{*} (taken from the slide); in holds"),  # n + 1 of them
    r"S_{n-1, j} \approx": (None, "a condition the slide assumes"),  # assumption 2 of the theorem, approximate
    r"n \in \mathbb{N}_+": (True, "in holds"),  # the theorem's n, a size of the notation
    r"\|\bm{x}_{n-1}^{(L)}": (True, "→ 0 as n grows"),  # the theorem's conclusion, as a limit on a network
    r"\textcircled{\small 3} <": (None, "a ranking of the labels ③ < ① ≈ ④ < ②"),  # task difficulty: a figure
    r"A_{ij} = \frac{\exp(S_{ij})}{\sum_j \exp(S_{ij})}, \quad" "\nS_{ij} = \\textcolor{blue}{\\langle \\bm{q}_i, "
    r"\bm{k}_j \rangle} / \sqrt{d}.": (None, "defines A_{i j}, S_{i j}"),
    r"(R_{i, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j)": (False, "relation 1 (=): does not hold"),
    r"\theta_i = b^{-2i / d}": (None, "defines \\theta_{i}"),
    r"\theta_i = b^{-2i / d} \xrightarrow": (None, "an arrow labelled 'b ↑' to the words 'long-context ability ↑'"),
    r"\mathbb{E}[\bm{\epsilon}] = 0": (True, "exact moments"),
    r"\frac{1}{2\sigma^2} \bigg(": (False, "relation 1 (=): = holds"),
}


@pytest.fixture(scope="module")
def results():
    path = need_shared(CORPUS) / FILE
    report = Report()
    deck = parse_deck(read_deck(str(path), "attention", path.read_text(encoding="utf-8"), report), report)
    notation = attached_notation(deck)
    assert notation == "attention"
    return [(math.tex, evaluate_formula(math.tex, notation, slide=slide, context=context))
            for math, (slide, context) in free_formulas_in_context(deck)]


def _find(results, snippet: str):
    """The shortest formula of the deck that holds the snippet (spacing aside)."""
    want = " ".join(snippet.split())
    found = sorted(((tex, r) for tex, r in results if want in " ".join(tex.split())), key=lambda x: len(x[0]))
    assert found, f"no formula of the deck holds {snippet!r}"
    return found[0][1]


@pytest.mark.slow
@pytest.mark.parametrize("snippet", list(EXPECTED))
def test_each_relation_of_the_attention_deck_has_its_verdict(results, snippet):
    verdict, phrase = EXPECTED[snippet]
    result = _find(results, snippet)
    assert result.ok is verdict, result.detail
    assert phrase in (result.not_evaluable or "") + result.detail


def test_the_rope_identity_holds_from_the_second_form_on(results):
    result = _find(results, r"(R_{i, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j)")
    assert "relation 2 (=): = holds" in result.detail


def test_the_rope_low_frequency_sum_is_only_a_requirement_on_the_base(results):
    result = _find(results, r"\frac{1}{2\sigma^2} \bigg(")
    assert "relation 2 (>): does not hold" in result.detail


SAID_NOT_CLAIMED = [r"S_{n-1, j} \approx", r"\textcircled{\small 3} <", r"\theta_i = b^{-2i / d} \xrightarrow"]


@pytest.mark.parametrize("snippet", SAID_NOT_CLAIMED)
def test_what_the_deck_assumes_or_says_in_words_is_not_shown_as_checked(results, snippet):
    result = _find(results, snippet)
    assert (result.ok, result.not_evaluable) == (None, None) and "holds" not in result.detail


def test_every_other_formula_of_the_deck_states_no_relation(results):
    listed = [_find(results, s) for s in EXPECTED]
    rest = [(tex, r) for tex, r in results if all(r is not x for x in listed)]
    assert rest and [(tex, r.detail) for tex, r in rest if r.ok is not None or r.not_evaluable] == []


def test_the_deck_file_names_no_notation():
    text = (need_shared(CORPUS) / FILE).read_text(encoding="utf-8")
    assert "notation" not in text.split("---")[1]


@pytest.fixture(scope="module")
def strengths():
    """How the build counts each formula of the deck: what `check` prints and the course index shows."""
    from deckbuild.cache import Cache
    from deckbuild.evaluate import EvaluationCache, evaluate_deck

    path = need_shared(CORPUS) / FILE
    report = Report()
    deck = parse_deck(read_deck(str(path), "attention", path.read_text(encoding="utf-8"), report), report)
    truth = evaluate_deck(deck, EvaluationCache(Cache(None)), Report())
    return [(check.math.tex, check.strength) for check in truth.formulas]


def _strength_of(strengths, snippet: str) -> str:
    want = " ".join(snippet.split())
    found = sorted(((tex, s) for tex, s in strengths if want in " ".join(tex.split())), key=lambda x: len(x[0]))
    assert found, f"no counted formula holds {snippet!r}"
    return found[0][1]


def test_a_definition_the_slide_makes_counts_as_a_definition(strengths):
    assert _strength_of(strengths, r"\theta_i = b^{-2i / d}") == "definition"


def test_the_theorems_hypothesis_counts_as_assumed_neither_a_definition_nor_evaluated(strengths):
    assert _strength_of(strengths, r"S_{n-1, j} \approx") == "assumed"


def test_a_formula_that_defines_and_claims_counts_as_evaluated(strengths):
    assert _strength_of(strengths, r"X = [\bm{x}_0") == "evaluated"


def test_what_the_deck_says_in_words_is_not_counted_as_a_relation(strengths):
    assert not any(r"\textcircled{\small 3} <" in tex for tex, _ in strengths)


def test_every_relation_stating_formula_of_the_deck_is_counted(strengths):
    counted = {s: [tex for tex, k in strengths if k == s] for s in ("evaluated", "definition", "assumed", "failing", "not checked")}
    assert (len(counted["failing"]), counted["not checked"]) == (2, [])
    assert len(strengths) == len(EXPECTED) - len([s for s in SAID_NOT_CLAIMED if "textcircled" in s])
