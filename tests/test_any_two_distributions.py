"""KL(p‖q) of two bare letters speaks of any two distributions: read with the divergences notation in every deck."""
from __future__ import annotations

import pytest

from deckbuild.cache import Cache
from deckbuild.diagnostics import Report
from deckbuild.evaluate import EvaluationCache, evaluate_deck
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck

KL = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{p(z)}{q(z)} \mathrm{d} z"
KL_UPSIDE_DOWN = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{q(z)}{p(z)} \mathrm{d} z"
KL_ASYMMETRIC = r"\mathrm{KL}(p \| q) = \mathrm{KL}(q \| p)"


def _deck(front: str) -> str:
    return (f"---\ntitle: T\n{front}---\n\n<slide-section>\n\n## KL\n\n"
            f"Kullback-Leibler: ${KL}$\n\n错误: ${KL_UPSIDE_DOWN}$\n\n对称? ${KL_ASYMMETRIC}$\n\n</slide-section>\n")


@pytest.fixture(scope="module", params=["notation: dar-5-5\n", ""], ids=["a deck's notation", "no notation"])
def strengths(request, tmp_path_factory):
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", _deck(request.param), report), report)
    cache = Cache(tmp_path_factory.mktemp("cache"))
    return {c.math.tex: c.strength for c in evaluate_deck(deck, EvaluationCache(cache), Report()).formulas}


def test_the_definition_of_kl_between_two_bare_distributions_is_evaluated(strengths):
    assert strengths[KL] == "evaluated"


def test_kl_with_its_ratio_upside_down_fails(strengths):
    assert strengths[KL_UPSIDE_DOWN] == "failing"


def test_kl_is_not_symmetric(strengths):
    assert strengths[KL_ASYMMETRIC] == "failing"
