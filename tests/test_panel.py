"""The verification panel's words: the deck's language, one line on what was checked, tolerant of missing data."""
from __future__ import annotations

from deckbuild.diagnostics import Report
from deckbuild.language import CHINESE, ENGLISH, deck_language, phrase, text_language
from deckbuild.panel import draw_counts, how_checked
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck

THETA = '<span class="katex">θ</span>'


def _deck(front: str, body: str):
    text = f"---\n{front}\n---\n\n<slide-section>\n{body}\n</slide-section>\n"
    return parse_deck(read_deck("slides/d.md", "d", text, Report()), Report())


def test_a_chinese_deck_is_read_as_chinese():
    assert deck_language(_deck('title: "DAR"', "## 知识回顾\n\n- 部分观测条件下密度函数估计问题")) == CHINESE


def test_an_english_deck_is_read_as_english():
    assert deck_language(_deck('title: "Attention"', "## Recap\n\n- attention is a soft lookup")) == ENGLISH


def test_the_front_matter_language_wins():
    assert deck_language(_deck('title: "T"\nlang: zh-CN', "## Recap\n\n- English words only")) == CHINESE


def test_english_terms_in_a_chinese_deck_keep_it_chinese():
    assert text_language("EM 算法 (Expectation Maximization Algorithm): 最大化似然下界") == CHINESE


def test_a_phrase_falls_back_to_english_for_another_language():
    assert phrase("fr", "panel.title") == "Checks on this slide"


def test_a_symbolic_equality_checked_on_models_says_both_in_one_line():
    step = {"status": "verified", "method": "symbolic + numeric",
            "evaluation": "holds: = holds at 12 draws on gmm, linear-gaussian"}
    assert how_checked(step, "=", THETA, CHINESE) == "SymPy 化简差为 0; 对 2 个模型的 12 组随机参数逐一计算本页公式, 两边相等"


def test_an_equivalence_names_its_variable_typeset():
    step = {"status": "verified", "method": "numeric",
            "evaluation": "holds: <=> (lhs - rhs constant in \\theta) at 6 x 4 draws on gmm, linear-gaussian"}
    line = how_checked(step, "<=>", THETA, CHINESE)
    assert line == f"对 2 个模型的 24 组随机参数逐一计算本页公式, 两边只差一个与 {THETA} 无关的常数, 最优解相同"


def test_a_greater_or_equal_row_is_described_as_such_not_by_the_checkers_words():
    step = {"status": "verified", "method": "symbolic + numeric search",
            "detail": "<= holds (smallest relative slack found 2.85e-22)",
            "evaluation": "holds: >= holds at 12 draws on linear-gaussian-unit-q"}
    line = how_checked(step, ">=", THETA, ENGLISH)
    assert "nowhere smaller than the right" in line and "<=" not in line and "slack" not in line


def test_structured_counts_are_used_when_the_data_has_them():
    assert draw_counts({"draws": 24, "models": ["gmm", "linear-gaussian"]}) == (24, 2)


def test_a_step_with_only_its_status_still_gets_a_line():
    assert how_checked({"status": "unverified"}, "=", THETA, ENGLISH) == "both sides are equal"


def test_a_stale_row_says_it_must_be_re_derived():
    assert "re-derive" in how_checked({"status": "stale"}, "=", THETA, ENGLISH)


def test_a_failing_row_gives_its_explanation():
    step = {"status": "failing", "explanation": {"text": "the sides differ by 0.3 at the first draw"}, "detail": "x"}
    assert how_checked(step, "=", THETA, ENGLISH) == "the check does not pass: the sides differ by 0.3 at the first draw"


def test_a_proved_strength_is_shown_as_a_symbolic_check():
    assert how_checked({"status": "verified", "strength": "proved"}, "=", THETA, CHINESE).startswith("SymPy 化简差为 0")


def test_a_proved_row_says_its_check_is_tied_to_it_by_value():
    assert "逐值相等" in how_checked({"status": "verified", "strength": "proved"}, "=", THETA, CHINESE)


def test_an_evaluated_row_claims_no_tie():
    step = {"status": "verified", "strength": "evaluated", "draws": 24, "models": ["gmm"]}
    assert "逐值" not in how_checked(step, "=", THETA, CHINESE) and "SymPy" not in how_checked(step, "=", THETA, CHINESE)


def test_values_in_a_failure_explanation_are_escaped():
    assert "&lt;b&gt;" in how_checked({"status": "failing", "explanation": {"text": "<b>"}}, "=", THETA, ENGLISH)
