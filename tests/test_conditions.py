"""A formula the sentence around it states as a condition ("当 … 时", "if …") is assumed, not a claim."""
from __future__ import annotations

from deckbuild.cache import Cache
from deckbuild.conditions import condition_cue, joined, shared_cues
from deckbuild.diagnostics import Report
from deckbuild.evaluate import EvaluationCache, evaluate_deck, free_formulas
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck


def test_a_formula_after_dang_is_a_condition():
    assert condition_cue("当 ", " 时, 两者相等") == "当"


def test_a_formula_before_shi_is_a_condition():
    assert condition_cue(" ", " 时完全等价最大似然") == "时"


def test_a_formula_after_jiashe_and_a_colon_is_a_condition():
    assert condition_cue("- 假设 ", ":") == "假设"


def test_a_formula_after_if_is_a_condition():
    assert condition_cue("The bound is tight if ", ".") == "if"


def test_a_formula_after_assume_that_is_a_condition():
    assert condition_cue("Assume that ", ".") == "Assume that"


def test_emphasis_between_the_word_and_the_formula_does_not_hide_the_condition():
    assert condition_cue("**当** ", "") == "当"


def test_a_formula_after_then_is_no_condition():
    assert condition_cue("then ", ".") is None


def test_a_formula_after_suoyi_is_no_condition():
    assert condition_cue("所以 ", "") is None


def test_let_introduces_a_definition_not_a_condition():
    assert condition_cue("Let ", " be two sequences") is None


def test_xiangdang_is_no_condition():
    assert condition_cue("这相当 ", "") is None


def test_if_inside_a_word_is_no_condition():
    assert condition_cue("the motif ", "") is None


def _strengths(text: str) -> dict[str, str]:
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", text, report), report)
    return {check.math.tex: check.strength for check in evaluate_deck(deck, EvaluationCache(Cache(None)),
                                                                         Report()).formulas}


DECK = """---
title: T
---

<slide-section>

## Conditions

当 $a = b$ 时, 结论成立; 所以 $c = d$。

The bound is tight if $q = p$.

</slide-section>
"""


def test_a_condition_in_the_text_counts_as_assumed():
    strengths = _strengths(DECK)
    assert strengths["a = b"] == "assumed" and strengths["q = p"] == "assumed"


def test_a_formula_the_text_states_as_a_consequence_is_still_a_claim():
    assert _strengths(DECK)["c = d"] == "not checked"


def test_a_condition_is_no_claim_for_mutants_to_change():
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", DECK, report), report)
    assert [m.tex for m in free_formulas(deck)] == ["c = d"]


def test_a_formula_the_text_calls_a_condition_is_a_condition():
    assert condition_cue("- ", " 条件很容易满足") == "条件"


def test_a_formula_before_a_conditional_probability_is_no_condition():
    assert condition_cue("", " 条件概率") is None


def test_labels_compared_are_no_claim():
    text = DECK.replace("The bound is tight", "$\\textcircled{1} \\approx \\textcircled{2}$: 两者相当. The bound is tight")
    assert "\\textcircled{1} \\approx \\textcircled{2}" not in _strengths(text)


def test_labels_compared_in_a_condition_are_no_claim_either():
    text = DECK.replace("The bound is tight", "当 $\\textcircled{1} \\approx \\textcircled{2}$ 时两者相当. The bound is tight")
    assert "\\textcircled{1} \\approx \\textcircled{2}" not in _strengths(text)


def test_a_conjunction_alone_joins_two_formulas_into_one_condition():
    assert joined(" 且 ") and joined(" and ") and joined("、")


def test_a_comma_does_not_join_a_condition_to_what_follows():
    assert not joined(", ")


def test_a_conjunction_inside_a_longer_text_does_not_join():
    assert not joined(" 成立, 且 ")


def test_the_second_formula_after_ruo_and_qie_is_a_condition_too():
    assert shared_cues(["若", None], [" 且 "]) == ["若", "若"]


def test_a_trailing_shi_speaks_for_the_formula_joined_before_it():
    assert shared_cues([None, "时"], [" 和 "]) == ["时", "时"]


def test_a_formula_after_a_comma_is_the_consequence_not_the_condition():
    assert shared_cues(["若", None], [", "]) == ["若", None]


JOINED_DECK = DECK.replace("所以 $c = d$。", "所以 $c = d$。\n\n若 $e = f$ 且 $g = h$, 则 $k = m$.")


def test_formulas_joined_in_a_condition_are_both_assumed_in_a_deck():
    strengths = _strengths(JOINED_DECK)
    assert strengths["e = f"] == "assumed" and strengths["g = h"] == "assumed"


def test_the_consequence_of_a_joined_condition_is_still_a_claim():
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", JOINED_DECK, report), report)
    assert [m.tex for m in free_formulas(deck)] == ["c = d", "k = m"]
