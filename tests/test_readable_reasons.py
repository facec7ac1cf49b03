"""A mark's tooltip says why in the deck's language, and names the slide's letters as the slide shows them."""
from __future__ import annotations

import re
from dataclasses import asdict

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
from latexeval.said import CONSTANT, DEFINES, DISTRIBUTIONS, INSTANCES, LIMIT, MODELS, RANGE, VALUES, Said


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


def _check(strength: str, detail: str, *said: Said, instances=("gmm", "linear-gaussian"), draws: int = 24):
    truth = RowTruth(0, strength == "evaluated" or None, detail, draws=draws, instances=list(instances),
                     said=[asdict(s) for s in said])
    return FormulaCheck(Math("a = b", False, "d.md", 1, 1), strength, detail, truth)


def test_an_evaluated_formula_says_how_in_the_decks_language():
    check = _check("evaluated", "(the evaluator's summary)", Said(CONSTANT, "", "<=>", 24, names=(r"\theta",)),
                   Said(MODELS, "", "=", 24))
    assert formula_reason(check, "zh-CN") == ("对 2 个模型 (gmm, linear-gaussian) 的 24 组随机参数逐一计算本页公式: "
                                              "两边只差一个与 θ 无关的常数, 最优解相同; 两边相等")


def test_an_evaluated_formula_says_how_in_english_too():
    check = _check("evaluated", "(the evaluator's summary)", Said(MODELS, "", "<=", 24))
    assert formula_reason(check, "en") == ("the slide's own formula computed on 2 model(s) (gmm, linear-gaussian) at "
                                           "24 random draws: the left side is nowhere larger than the right")


def test_a_claim_about_free_variables_alone_says_at_how_many_of_their_values():
    check = _check("evaluated", "(summary)", Said(VALUES, "", ">=", values=256, names=("t",)), instances=(), draws=0)
    assert formula_reason(check, "zh-CN") == "对 t 在本页所写范围内的 256 组取值逐一计算本页公式 (无需模型): 左边处处不小于右边"


def test_a_claim_between_numbers_says_it_was_computed():
    check = _check("evaluated", "(summary)", Said(VALUES, "", "="), instances=(), draws=0)
    assert formula_reason(check, "en") == "the slide's own formula computed (numbers only): both sides are equal"


def test_a_claim_about_a_random_variable_says_on_how_many_distributions():
    check = _check("evaluated", "(summary)", Said(DISTRIBUTIONS, "", "<=", 24, names=("Y",)), instances=(), draws=24)
    assert formula_reason(check, "zh-CN") == "对随机变量 Y 的 24 个随机分布逐一计算本页公式 (无需模型): 左边处处不大于右边"


def test_a_formula_of_vectors_says_what_it_defines_and_on_how_many_instances():
    check = _check("evaluated", "(summary)", Said(DEFINES, "", names=("X",)), Said(INSTANCES, "", "in", 24, how="numpy"),
                   instances=(), draws=0)
    assert formula_reason(check, "zh-CN") == "定义 X (取自本页); 对 24 组随机实例逐一计算本页公式 (numpy): 左边属于右边的集合"


def test_a_range_of_the_notations_indices_is_said_to_be_theirs():
    check = _check("evaluated", "(summary)", Said(RANGE, "", names=("i", "j"), how="notation"),
                   Said(INSTANCES, "", "=", 24, how="exact moments"), instances=(), draws=0)
    assert formula_reason(check, "zh-CN") == ("给出 i, j 的取值范围 (即 notation 的下标); "
                                              "对 24 组随机实例逐一计算本页公式 (精确矩): 两边相等")


def test_a_limit_says_at_which_sizes_the_left_side_falls_towards_zero():
    check = _check("evaluated", "(summary)", Said(LIMIT, "", "<=", 4, names=("n", r"\epsilon"), points=(8, 32),
                                                  measured=(0.1, 0.01), rate=1.66), instances=(), draws=0)
    assert formula_reason(check, "zh-CN") == ("n 增大时左边趋于 0, 所以 n 足够大时左边 ≤ 任意 ϵ: 在 n = 8, 32 时, "
                                              "4 组随机实例上左边的平均为 0.1, 0.01 (最慢的一步约按 n^-1.7 下降)")


def test_a_clause_that_says_more_than_its_facts_keeps_the_whole_summary_as_written():
    detail = "= holds for 0 < t at 200 values of t (not at the 56 values beyond |t| = 20 where a side overflows)"
    check = _check("evaluated", detail, Said(VALUES, detail, "=", values=200, names=("t",), plain=False))
    assert formula_reason(check, "zh-CN") == detail


def test_a_summary_without_clauses_is_kept_as_written():
    assert formula_reason(_check("evaluated", "= holds at 24 draws on gmm"), "zh-CN") == "= holds at 24 draws on gmm"


def test_a_failing_formula_keeps_the_values_it_fails_at():
    detail = "row 1: relation 1 (=): does not hold: lhs = 6.78, rhs = 5.97 at i=0, j=1"
    assert formula_reason(_check("failing", detail), "zh-CN") == detail


def test_a_summary_with_a_clause_of_a_kind_not_worded_is_kept_as_written():
    detail = "= holds at 24 draws on gmm; → 0 as n grows"
    check = _check("evaluated", detail, Said(MODELS, "", "=", 24), Said("", "→ 0 as n grows", plain=False))
    assert formula_reason(check, "zh-CN") == detail


def test_a_formula_of_a_deck_without_notation_says_why_it_is_not_checked_in_the_decks_language():
    check = FormulaCheck(Math("a = b", False, "d.md", 1, 1), "not checked", NO_NOTATION)
    assert formula_reason(check, "zh-CN").startswith("本讲没有指定 notation")


def test_a_formula_failing_on_a_model_says_where_in_the_decks_language():
    check = _check("failing", "row 1: =: categorical-pair: lhs = 9.34142, rhs = -9.34142 at draw 6")
    check.truth.failure = {"draw": 6, "lhs": 9.341424591, "rhs": -9.341424591, "instance": "categorical-pair",
                           "relation": "="}
    assert formula_reason(check, "zh-CN") == ("在模型 categorical-pair 的第 6 组随机参数上: "
                                              "左边 = 9.34142, 右边 = -9.34142, = 不成立")


def test_a_formula_failing_at_values_of_its_free_variables_says_where_in_the_decks_language():
    check = _check("failing", "row 1: =: for a real: lhs = 1, rhs = 2 at a = 0.5")
    check.truth.failure = {"draw": 1, "lhs": 1.0, "rhs": 2.0, "at": "a = 0.5", "relation": "="}
    assert formula_reason(check, "zh-CN") == "在 a = 0.5 处: 左边 = 1, 右边 = 2, = 不成立"


def test_a_failing_relation_of_a_chain_is_named_by_its_place():
    check = _check("failing", "row 1: <=: gmm: lhs = 2, rhs = 1 at draw 3")
    check.truth.failure = {"draw": 3, "lhs": 2.0, "rhs": 1.0, "instance": "gmm", "relation": "<=", "place": 2}
    assert formula_reason(check, "zh-CN") == "在模型 gmm 的第 3 组随机参数上: 左边 = 2, 右边 = 1, 第 2 个关系 ≤ 不成立"


def test_a_formula_of_vectors_failing_on_a_random_instance_says_where_in_the_decks_language():
    check = _check("failing", "row 1: =: does not hold: lhs = 6.78, rhs = 5.97 at i=0, j=1 (d=8, n=4)")
    check.truth.failure = {"lhs": "6.78", "rhs": "5.97", "at": "i=0, j=1", "sizes": "d=8, n=4", "relation": "="}
    assert formula_reason(check, "zh-CN") == "在一组随机实例 (d=8, n=4) 中 i=0, j=1 处: 左边 = 6.78, 右边 = 5.97, = 不成立"


def test_an_evaluated_formula_over_free_variables_says_at_how_many_of_their_values():
    check = _check("evaluated", "(summary)", Said(MODELS, "", "=", 24, 81))
    assert "24 组随机参数和自由变量的 81 组取值逐一计算" in formula_reason(check, "zh-CN")


# the wording above is made from the evaluator's clauses: these tie it to the clauses the evaluator really gives
KL = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{p(z)}{q(z)} \mathrm{d} z"
KL_UPSIDE_DOWN = r"\text{KL}(p\|q) = \int_z p(z) \log \frac{q(z)}{p(z)} \mathrm{d} z"
SQUARE = r"(a + b)^2 = a^2 + 2ab + b^2, \quad a, b \in \mathbb{R}"
WRONG_SQUARE = r"(a + b)^2 = a^2 + b^2, \quad a, b \in \mathbb{R}"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    text = f"---\ntitle: T\n---\n\n<slide-section>\n\n## KL\n\n定义: ${KL}$\n\n错误: ${KL_UPSIDE_DOWN}$\n\n平方: ${SQUARE}$\n\n错的平方: ${WRONG_SQUARE}$\n\n</slide-section>\n"
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    truth = evaluate_deck(deck, EvaluationCache(Cache(tmp_path_factory.mktemp("cache"))), Report())
    return {c.math.tex: c for c in truth.formulas}


def test_the_evaluators_summary_of_a_formula_that_holds_is_worded_in_the_decks_language(evaluated):
    assert formula_reason(evaluated[KL], "zh-CN") == (
        f"对 2 个模型 (categorical-pair, normal-pair) 的 {DRAWS} 组随机参数逐一计算本页公式: 两边相等")


def test_the_evaluators_failure_on_a_model_is_worded_in_the_decks_language(evaluated):
    assert formula_reason(evaluated[KL_UPSIDE_DOWN], "zh-CN").startswith("在模型 categorical-pair 的第 ")


def test_the_evaluators_clause_for_free_variables_alone_is_worded_in_the_decks_language(evaluated):
    assert re.fullmatch(r"对 a, b 在本页所写范围内的 \d+ 组取值逐一计算本页公式 \(无需模型\): 两边相等",
                        formula_reason(evaluated[SQUARE], "zh-CN"))


LET_X = r"X = [\bm{x}_0, \ldots, \bm{x}_{n-1}] \in \mathbb{R}^{n \times d}"


def test_the_evaluators_clauses_for_vectors_are_worded_in_the_decks_language(tmp_path):
    text = (f"---\ntitle: T\nnotation: attention\n---\n\n<slide-section>\n\n## 'Over-Squashing' in Large Language "
            f"Models\n\nLet ${LET_X}$ be a sequence.\n\n</slide-section>\n")
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    (check,) = evaluate_deck(deck, EvaluationCache(Cache(tmp_path)), Report()).formulas
    draws = check.truth.said[-1]["draws"]
    assert formula_reason(check, "zh-CN") == f"定义 X (取自本页); 对 {draws} 组随机实例逐一计算本页公式 (numpy): 左边属于右边的集合"


def test_the_evaluators_failure_at_values_of_free_variables_is_worded_in_the_decks_language(evaluated):
    assert re.fullmatch(r"在 a = \S+, b = \S+ 处: 左边 = \S+, 右边 = \S+, = 不成立", formula_reason(evaluated[WRONG_SQUARE], "zh-CN"))


def _vector_formula(tmp_path, tex: str):
    text = f"---\ntitle: T\nnotation: attention\n---\n\n<slide-section>\n\n## RoPE 的低频\n\n错误: ${tex}$\n\n</slide-section>\n"
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    (check,) = evaluate_deck(deck, EvaluationCache(Cache(tmp_path)), Report()).formulas
    return check


def test_the_evaluators_failure_on_vectors_is_worded_in_the_decks_language(tmp_path):
    check = _vector_formula(tmp_path, r"\bm{q}^T \bm{k} = \bm{k}^T \bm{q} + 1")
    assert re.fullmatch(r"在一组随机实例 \(d=\d+, L=\d+, n=\d+\)(?: 中 .+ 处)?: 左边 = \S+, 右边 = \S+, = 不成立",
                        formula_reason(check, "zh-CN"))


def test_the_failing_relation_of_a_chain_of_vectors_is_named_by_its_place(tmp_path):
    check = _vector_formula(tmp_path, r"\bm{q}^T \bm{k} = \bm{k}^T \bm{q} = \bm{q}^T \bm{q}")
    assert formula_reason(check, "zh-CN").endswith("第 2 个关系 = 不成立")


def test_the_evaluators_limit_is_worded_in_the_decks_language(tmp_path):
    limit = r"\|\bm{x}_{n-1}^{(L)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \le \epsilon"
    text = (f"---\ntitle: T\nnotation: attention\n---\n\n<slide-section>\n\n## 'Over-Squashing' in Large Language "
            f"Models\n\nLet ${LET_X}$ and $X^* = [\\bm{{x}}_0, \\ldots, \\bm{{x}}_{{n-1}}, \\bm{{x}}_{{n-1}}] \\in "
            f"\\mathbb{{R}}^{{(n + 1) \\times d}}$.\n\nThen: $${limit}.$$\n\n</slide-section>\n")
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    *_, check = evaluate_deck(deck, EvaluationCache(Cache(tmp_path)), Report()).formulas
    assert formula_reason(check, "zh-CN").startswith("n 增大时左边趋于 0, 所以 n 足够大时左边 ≤ 任意 ϵ: 在 n = 8, 32, 128, 512 时")
