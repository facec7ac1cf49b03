r"""The mutation corpus of the vocabulary of vectors and matrices: every wrong edit caught, every rewrite accepted.

Wrong variants are made by latexeval.mutate (the generator `check --mutants` uses for every deck),
so the corpus also shows that the generator produces them. A variant counts as caught only when the
evaluator says it does not hold; "not evaluable" would not be a catch. The RoPE rows are
evaluated with the definitions of the deck's own slides (R_{i,θ}, θ_i), as the build does.
"""
from __future__ import annotations

import pytest

from conftest import CORPUS, need_shared
from deckbuild.diagnostics import Report
from deckbuild.evaluate import free_formulas_in_context
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck
from latexeval import evaluate_formula
from latexeval.linapi import evaluate_formula as evaluate_linear
from latexeval.linnotation import load_file
from latexeval.mutate import variants
from test_linalg import BASICS

ROPE = r"(R_{i, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j) = \bm{q}_i^T R_{j-i} \bm{k}_j"
LOW = (r"\frac{1}{2\sigma^2} \bigg( \mathbb{E}_{\bm{q}, \bm{\epsilon}} \Big [ \bm{q}^T R_{m, \theta} "
       r"(\bm{q} + \bm{\epsilon})\Big] -\mathbb{E}_{\bm{q}, \bm{k}} \Big [ \bm{q}^T R_{m, \theta} \bm{k}\Big] \bigg)"
       r" = \sum_{i=0}^{d / 2 - 1} \cos(m \theta_i), \quad \forall m = 0,1,2,\ldots, L-1.")
SOFTMAX = r"\operatorname{softmax}(\bm{s})_i = \frac{\exp(\bm{s}_i)}{\sum_{k=1}^{n} \exp(\bm{s}_k)}"
ATTENTION = r"\sum_{j=0}^{L-1} A_{ij} = 1, \quad A_{ij} = \frac{\exp(S_{ij})}{\sum_j \exp(S_{ij})}"

# (where, the true formula, the operator, the wrong variant the generator must produce)
WRONG = [
    ("deck", ROPE, "dropped transpose", r"(R_{i, \theta} \bm{q}_i) (R_{j, \theta} \bm{k}_j) = \bm{q}_i^T R_{j-i} \bm{k}_j"),
    ("deck", ROPE, "dropped transpose", r"(R_{i, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j) = \bm{q}_i R_{j-i} \bm{k}_j"),
    ("deck", ROPE, "index swap", r"(R_{i, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j) = \bm{q}_i^T R_{i-j} \bm{k}_j"),
    ("deck", ROPE, "index swap", r"(R_{j, \theta} \bm{q}_i)^T (R_{j, \theta} \bm{k}_j) = \bm{q}_i^T R_{j-i} \bm{k}_j"),
    ("deck", LOW, "lower bound shift", LOW.replace(r"\sum_{i=0}", r"\sum_{i=1}")),
    ("deck", LOW, "dropped square", LOW.replace(r"{2\sigma^2}", r"{2\sigma}")),
    ("deck", LOW, "index swap", LOW.replace(r"\cos(m \theta_i)", r"\cos(m \theta_j)")),
    ("deck", ATTENTION, "index swap", ATTENTION.replace(r"\sum_j", r"\sum_i")),
    ("basics", r"\langle \bm{x}, A \bm{y} \rangle = \bm{x}^T A \bm{y}", "inner → outer product",
     r"(\bm{x}) (A \bm{y})^T = \bm{x}^T A \bm{y}"),
    ("basics", r"\|\bm{x}\|_2^2 = \bm{x}^T \bm{x}", "dropped square", r"\|\bm{x}\|_2 = \bm{x}^T \bm{x}"),
    ("basics", r"\|A\|_F^2 = \operatorname{tr}(A^T A)", "dropped square", r"\|A\|_F = \operatorname{tr}(A^T A)"),
    ("basics", r"\|A\|_F^2 = \operatorname{tr}(A^T A)", "dropped transpose", r"\|A\|_F^2 = \operatorname{tr}(A A)"),
    ("basics", SOFTMAX, "lower bound shift", None),  # a sum from 1 over entries counted from 1: no 0 to move
    ("basics", r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", "lower bound shift",
     r"\sum_{k=1}^{K} A^k = (I - A)^{-1} (I - A^{K+1})"),
    ("basics", r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", "dropped power",
     r"\sum_{k=0}^{K} A^k = (I - A) (I - A^{K+1})"),
    ("basics", r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", "dropped power",
     r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A)"),
    ("basics", r"(AB)^T = B^T A^T", "dropped transpose", r"(AB)^T = B A^T"),
    ("basics", r"\mathbb{E}[\bm{z}^T A \bm{z}] = \operatorname{tr}(A S) + \bm{y}^T A \bm{y}", "dropped transpose",
     r"\mathbb{E}[\bm{z}^T A \bm{z}] = \operatorname{tr}(A S) + \bm{y} A \bm{y}"),
    ("basics", r"\underset{\bm{w}}{\operatorname{argmin}} \|X \bm{w} - \bm{x}\|^2 + \lambda \|\bm{w}\|^2 = "
     r"(X^T X + \lambda I)^{-1} X^T \bm{x}", "dropped square",
     r"\underset{\bm{w}}{\operatorname{argmin}} \|X \bm{w} - \bm{x}\|^2 + \lambda \|\bm{w}\| = "
     r"(X^T X + \lambda I)^{-1} X^T \bm{x}"),
]
WRONG = [w for w in WRONG if w[3] is not None]

# (where, a true formula, a rewrite of it that means the same)
REWRITES = [
    ("deck", ROPE, r"\bm{q}_i^\top R_{i, \theta}^\top R_{j, \theta} \bm{k}_j = \bm{q}_i^T R_{j-i, \theta} \bm{k}_j"),
    ("deck", ROPE, r"\langle R_{i, \theta} \bm{q}_i, R_{j, \theta} \bm{k}_j \rangle = \langle \bm{q}_i, R_{j-i} \bm{k}_j "
     r"\rangle"),
    ("deck", LOW, LOW.replace(r"\frac{1}{2\sigma^2} \bigg(", r"\frac{1}{2}\sigma^{-2} \bigg(")),
    ("deck", LOW, LOW.replace(r"\sum_{i=0}^{d / 2 - 1} \cos(m \theta_i)", r"\frac{1}{2} \operatorname{tr}(R_{m, \theta})")),
    ("deck", ATTENTION, r"\sum_{j=0}^{L-1} A_{ij} = 1, \quad A_{ij} = \frac{\exp(S_{ij})}{\sum_{j=0}^{L-1} \exp(S_{ij})}"),
    ("basics", r"\|\bm{x}\|_2^2 = \bm{x}^T \bm{x}", r"\left\| \bm{x} \right\|^2 = \langle \bm{x}, \bm{x} \rangle"),
    ("basics", r"\|A\|_F^2 = \operatorname{tr}(A^T A)", r"\|A\|_F^2 = \operatorname{tr}(A A^\top)"),
    ("basics", SOFTMAX, r"\operatorname{softmax}(\bm{s})_i = \exp(\bm{s}_i) / \sum_{k=1}^{n} \exp(\bm{s}_k)"),
    ("basics", r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", r"\sum_{k=0}^{K} A^k = (I - A^{K+1}) (I - A)^{-1}"),
    ("basics", r"(AB)^T = B^T A^T", r"(A B)^{\top} = B^{\top} A^{\top}"),
    ("basics", r"\langle \bm{x}, A \bm{y} \rangle = \bm{x}^T A \bm{y}", r"\langle A^T \bm{x}, \bm{y} \rangle = "
     r"\bm{y}^T A^T \bm{x}"),
    ("basics", r"\mathbb{E}[\bm{z}^T A \bm{z}] = \operatorname{tr}(A S) + \bm{y}^T A \bm{y}",
     r"\mathbb{E}[\langle \bm{z}, A \bm{z} \rangle] = \operatorname{tr}(S A) + \langle \bm{y}, A \bm{y} \rangle"),
]


@pytest.fixture(scope="module")
def evaluators(tmp_path_factory):
    """Evaluate a formula on the basics notation, or on the deck's notation with its slides' definitions."""
    path = tmp_path_factory.mktemp("notation") / "basics.yaml"
    path.write_text(BASICS, encoding="utf-8")
    basics = load_file(path)
    deck_file = need_shared(CORPUS) / "Attention Connection Bottleneck.md"
    report = Report()
    deck = parse_deck(read_deck(str(deck_file), "attention", deck_file.read_text(encoding="utf-8"), report), report)
    context = {slide: ctx for _, (slide, ctx) in free_formulas_in_context(deck)}
    low = "RoPE 的低频"
    return {
        "basics": lambda tex: evaluate_linear(tex, basics),
        "deck": lambda tex: evaluate_formula(tex, "attention", slide=low if "\\mathbb{E}" in tex else None,
                                             context=context[low]),
    }


def _ok(evaluators, where: str, tex: str):
    return evaluators[where](tex)


def _wrong(latex: str, operator: str | None = None) -> list[str]:
    return [v.latex for v in variants(latex) if v.kind == "wrong" and operator in (None, v.operator)]


@pytest.mark.parametrize("where, true, operator, wrong", WRONG, ids=[f"{k}:{n}" for n, (_, _, k, _) in enumerate(WRONG)])
def test_each_wrong_edit_is_made_by_the_generator_and_does_not_hold(evaluators, where, true, operator, wrong):
    assert wrong in _wrong(true, operator)
    assert _ok(evaluators, where, true).ok is True
    result = _ok(evaluators, where, wrong)
    assert result.ok is False, result.detail


@pytest.mark.parametrize("where, true, rewrite", REWRITES, ids=[str(n) for n in range(len(REWRITES))])
def test_each_rewrite_is_accepted(evaluators, where, true, rewrite):
    result = _ok(evaluators, where, rewrite)
    assert result.ok is True, result.detail


# The generator's edits of vectors, matrices and their indices (it makes the probabilistic ones too).
LINEAR_EDITS = {"dropped transpose", "inner → outer product", "index swap", "index negated", "dropped square",
                "lower bound shift", "dropped power"}


def test_the_corpus_covers_every_edit_of_vectors_and_matrices():
    assert {operator for _, _, operator, _ in WRONG} == LINEAR_EDITS - {"index negated"}


@pytest.mark.slow
def test_generated_mutants_of_the_true_formulas_never_pass_unnoticed(evaluators, capsys):
    """Every variant the generator makes of the corpus's true formulas: caught, not evaluable, or equivalent."""
    seen, caught, stuck, equivalent = 0, 0, 0, []
    for where, true in sorted({(w, t) for w, t, _, _ in WRONG}):
        for latex in [v for op in sorted(LINEAR_EDITS) for v in _wrong(true, op)]:
            seen += 1
            result = _ok(evaluators, where, latex)
            if result.ok is False:
                caught += 1
            elif result.ok is None:
                stuck += 1
            else:
                equivalent.append(latex)
    accepted = sum(1 for w, _, r in REWRITES if _ok(evaluators, w, r).ok is True)
    with capsys.disabled():
        print(f"\nlinear-algebra mutation corpus: {len(WRONG)}/{len(WRONG)} chosen wrong edits do not hold; "
              f"generated variants: {seen}, {caught} do not hold, {stuck} not evaluable, "
              f"{len(equivalent)} still hold (equivalent edits); rewrites accepted {accepted}/{len(REWRITES)}")
    assert caught >= 0.8 * seen, equivalent
    assert accepted == len(REWRITES)


SLIDE_SCOPED = """---
title: "T"
date: "2025-01-01"
notation: attention
---

<slide-section>

## RoPE 的低频

$$
\\mathbb{E}[\\bm{\\epsilon}] = 0
$$

</slide-section>
"""


def test_check_mutants_reads_a_variant_on_its_own_slide():
    """ε is declared on this slide only: a rewrite read without the slide would be 'not evaluable'."""
    from deckbuild.cache import Cache
    from deckbuild.evaluate import EvaluationCache, evaluate_deck
    from deckbuild.mutants import score_deck

    report = Report()
    deck = parse_deck(read_deck("slides/T.md", "t", SLIDE_SCOPED, report), report)
    score = score_deck(deck, evaluate_deck(deck, EvaluationCache(Cache(None)), report), quiet=True)
    assert score["rewrites"] > 0 and score["rejected"] == []
