"""A mark's tooltip says why in the deck's language, and names the slide's letters as the slide shows them."""
from __future__ import annotations

import pytest

from deckbuild.cache import Cache
from deckbuild.diagnostics import Report
from deckbuild.evaluate import NO_NOTATION, EvaluationCache, FormulaCheck, RowTruth, evaluate_deck
from deckbuild.model import Math
from deckbuild.panel import formula_reason
from deckbuild.parse import parse_deck
from deckbuild.render import readable
from deckbuild.source import read_deck
from latexeval.relations import DRAWS


def test_a_greek_letter_is_shown_as_itself():
    assert readable(r"<=> (lhs - rhs constant in \phi, \theta)") == "<=> (lhs - rhs constant in ϕ, θ)"


def test_a_hatted_letter_carries_its_hat():
    assert readable(r"at \hat{\theta} = 2") == "at θ\u0302 = 2"


def test_a_bold_letter_is_the_letter():
    assert readable(r"lhs = 1 at \bm{x} = 3") == "lhs = 1 at x = 3"


def test_a_command_that_only_begins_like_a_letter_is_left_alone():
    assert readable(r"\thetas") == r"\thetas"


def test_a_hat_over_several_letters_is_left_as_written():
    assert readable(r"\hat{ab}") == r"\hat{ab}"


def test_a_blackboard_letter_and_a_power_in_digits_are_shown_as_written_on_a_slide():
    assert readable(r"\mathbb{R}^{1000}: a space of vectors; defines X^{*}") == "ℝ¹⁰⁰⁰: a space of vectors; defines X*"


def test_a_relation_command_in_a_reason_is_its_symbol():
    assert readable(r"x \in \mathbb{N}, n \times d, t \le 1") == "x ∈ ℕ, n × d, t ≤ 1"


def test_a_command_that_only_begins_like_a_symbol_is_left_alone():
    assert readable(r"\left( \infty") == r"\left( ∞"


def _check(strength: str, detail: str, instances=("gmm", "linear-gaussian"), draws: int = 24):
    truth = RowTruth(0, strength == "evaluated" or None, detail, draws=draws, instances=list(instances))
    return FormulaCheck(Math("a = b", False, "d.md", 1, 1), strength, detail, truth)


def test_an_evaluated_formula_says_how_in_the_decks_language():
    check = _check("evaluated", r"<=> (lhs - rhs constant in \theta) at 6 x 4 draws on gmm, linear-gaussian; "
                                "= holds at 24 draws on gmm, linear-gaussian")
    assert formula_reason(check, "zh-CN") == ("对 2 个模型 (gmm, linear-gaussian) 的 24 组随机参数逐一计算本页公式: "
                                              "两边只差一个与 θ 无关的常数, 最优解相同; 两边相等")


def test_an_evaluated_formula_says_how_in_english_too():
    check = _check("evaluated", "<= holds at 24 draws on gmm, linear-gaussian")
    assert formula_reason(check, "en") == ("the slide's own formula computed on 2 model(s) (gmm, linear-gaussian) at "
                                           "24 random draws: the left side is nowhere larger than the right")


def test_a_failing_formula_keeps_the_values_it_fails_at():
    detail = "row 1: relation 1 (=): does not hold: lhs = 6.78, rhs = 5.97 at i=0, j=1"
    assert formula_reason(_check("failing", detail), "zh-CN") == detail


def test_a_summary_that_says_more_than_where_it_holds_is_kept_as_written():
    detail = "= holds at 24 draws on gmm; → 0 as n grows"
    assert formula_reason(_check("evaluated", detail), "zh-CN") == detail


def test_a_formula_of_a_deck_without_notation_says_why_it_is_not_checked_in_the_decks_language():
    check = FormulaCheck(Math("a = b", False, "d.md", 1, 1), "not checked", NO_NOTATION)
    assert formula_reason(check, "zh-CN").startswith("本讲没有指定 notation")


def test_a_formula_failing_on_a_model_says_where_in_the_decks_language():
    check = _check("failing", "row 1: =: categorical-pair: lhs = 9.34142, rhs = -9.34142 at draw 6")
    check.truth.failure = {"draw": 6, "lhs": 9.341424591, "rhs": -9.341424591, "instance": "categorical-pair",
                           "relation": "="}
    assert formula_reason(check, "zh-CN") == ("在模型 categorical-pair 的第 6 组随机参数上: "
                                              "左边 = 9.34142, 右边 = -9.34142, = 不成立")


def test_an_evaluated_formula_over_free_variables_says_at_how_many_of_their_values():
    check = _check("evaluated", "= holds at 24 draws at 81 values of the free variables on gmm, linear-gaussian")
    assert "24 组随机参数和自由变量的 81 组取值逐一计算" in formula_reason(check, "zh-CN")


# the wording above is read off the evaluator's own summary: these hold only while the two agree
KL = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{p(z)}{q(z)} \mathrm{d} z"
KL_UPSIDE_DOWN = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{q(z)}{p(z)} \mathrm{d} z"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    text = f"---\ntitle: T\n---\n\n<slide-section>\n\n## KL\n\n定义: ${KL}$\n\n错误: ${KL_UPSIDE_DOWN}$\n\n</slide-section>\n"
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    truth = evaluate_deck(deck, EvaluationCache(Cache(tmp_path_factory.mktemp("cache"))), Report())
    return {c.math.tex: c for c in truth.formulas}


def test_the_evaluators_summary_of_a_formula_that_holds_is_worded_in_the_decks_language(evaluated):
    assert formula_reason(evaluated[KL], "zh-CN") == (
        f"对 2 个模型 (categorical-pair, normal-pair) 的 {DRAWS} 组随机参数逐一计算本页公式: 两边相等")


def test_the_evaluators_failure_on_a_model_is_worded_in_the_decks_language(evaluated):
    assert formula_reason(evaluated[KL_UPSIDE_DOWN], "zh-CN").startswith("在模型 categorical-pair 的第 ")
