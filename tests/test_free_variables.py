r"""Claims about a free variable whose domain the formula states: evaluated for every value (a scalar)
or every distribution (a random variable under a bare \mathbb{E}), on no model; without a stated
domain the letter stays unknown and the formula is not checked."""
from __future__ import annotations

import re
import warnings

import pytest

from latexeval import evaluate_formula

NOTATION = "dar-5-5"
LOG_BOUND = r"t - 1 - \log t \ge 0, \; \forall t > 0"
JENSEN = r"\mathbb{E}[\log Y] \le \log \mathbb{E}[Y], \; Y > 0"


def verdict(latex: str):
    return evaluate_formula(latex, NOTATION)


def test_a_bound_for_every_positive_t_holds():
    assert verdict(LOG_BOUND).ok is True


def test_a_bound_for_every_t_says_it_was_evaluated_on_values_of_t_and_no_model():
    detail = verdict(LOG_BOUND).detail
    assert "0 < t" in detail and "256 values of t" in detail and "no model" in detail and "gmm" not in detail


def test_the_quantifier_may_come_first():
    assert verdict(r"\forall t > 0, \; t - 1 - \log t \ge 0").ok is True


def test_a_trailing_domain_without_forall_is_read_too():
    assert verdict(r"t - 1 - \log t \ge 0, \; t > 0").ok is True


@pytest.mark.parametrize("wrong", [
    r"t - 1 - \log t \le 0, \; \forall t > 0",   # the bound reversed
    r"t - 1 + \log t \ge 0, \; \forall t > 0",   # the sign of the log
    r"t - 1 - \log t > 0, \; \forall t > 0",     # strict: equality at t = 1
    r"t - 2 - \log t \ge 0, \; \forall t > 0",   # the constant
    r"t - 1 - 2 \log t \ge 0, \; \forall t > 0",  # a coefficient
    r"t - 1 - \log t = 0, \; \forall t > 0",     # = for >=
])
def test_a_wrong_bound_for_every_t_fails(wrong):
    assert verdict(wrong).ok is False


def test_a_failing_bound_names_the_value_of_t_where_it_fails():
    detail = verdict(r"t - 1 - \log t \le 0, \; \forall t > 0").detail
    assert "at t = " in detail


def test_a_bound_that_needs_a_domain_it_does_not_state_fails():
    assert verdict(r"t - 1 - \log t \ge 0, \; \forall t < 0").ok is False  # \log t of a negative t


def test_a_log_of_a_negative_number_fails_the_formula_without_a_numpy_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the build's output would show it
        assert verdict(r"t - 1 - \log t \ge 0, \; \forall t < 0").ok is False


def test_a_bound_on_a_bounded_domain_is_tried_inside_it_only():
    assert verdict(r"\log t \le 0, \; 0 < t \le 1").ok is True


def test_a_bound_on_a_bounded_domain_fails_outside_what_holds():
    assert verdict(r"\log t \le 0, \; 0 < t \le 2").ok is False


def test_a_letter_without_a_stated_domain_is_not_checked_and_says_how_to_state_one():
    result = verdict(r"t - 1 - \log t \ge 0")
    assert result.ok is None and "\\forall t > 0" in result.not_evaluable


def test_a_domain_that_is_empty_is_not_evaluable():
    assert verdict(r"t \ge 0, \; t > 1, \; t < 0").ok is None


def test_jensen_for_every_positive_random_variable_holds():
    assert verdict(JENSEN).ok is True


def test_jensen_says_it_was_evaluated_on_random_distributions():
    detail = verdict(JENSEN).detail
    assert "every random variable 0 < Y" in detail and "24 random distributions" in detail and "no model" in detail


@pytest.mark.parametrize("wrong", [
    r"\mathbb{E}[\log Y] \ge \log \mathbb{E}[Y], \; Y > 0",   # the bound reversed
    r"\mathbb{E}[\log Y] < \log \mathbb{E}[Y], \; Y > 0",     # strict: equality for a constant Y
    r"\mathbb{E}[\log Y] = \log \mathbb{E}[Y], \; Y > 0",     # = for <=
    r"\log \mathbb{E}[Y] \le \mathbb{E}[\log Y], \; Y > 0",   # the sides swapped
    r"\mathbb{E}[\log Y] \le \log \mathbb{E}[Y] - 1, \; Y > 0",  # a term added
])
def test_a_wrong_jensen_fails(wrong):
    assert verdict(wrong).ok is False


def test_the_expectation_of_a_product_is_not_the_product_of_the_expectations():
    # it holds for independent X and Y, which the formula does not state
    assert verdict(r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X, Y \in \mathbb{R}").ok is False


def test_the_expectation_of_a_sum_is_the_sum_of_the_expectations_of_dependent_variables():
    assert verdict(r"\mathbb{E}[X + Y] = \mathbb{E}[X] + \mathbb{E}[Y], \quad X, Y \in \mathbb{R}").ok is True


def test_the_cauchy_schwarz_inequality_holds_for_every_pair_of_random_variables():
    assert verdict(r"\mathbb{E}[XY]^2 \le \mathbb{E}[X^2]\mathbb{E}[Y^2], \quad X, Y \in \mathbb{R}").ok is True


def test_the_cauchy_schwarz_inequality_reversed_fails():
    assert verdict(r"\mathbb{E}[XY]^2 \ge \mathbb{E}[X^2]\mathbb{E}[Y^2], \quad X, Y \in \mathbb{R}").ok is False


def test_a_square_expanded_as_if_the_variables_were_independent_fails():
    assert verdict(r"\mathbb{E}[(X+Y)^2] = \mathbb{E}[X^2] + 2\mathbb{E}[X]\mathbb{E}[Y] + \mathbb{E}[Y^2], "
                   r"\quad X, Y \in \mathbb{R}").ok is False


def test_a_claim_over_random_variables_fails_at_a_distribution_it_shows():
    detail = verdict(r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X, Y \in \mathbb{R}").detail
    assert "dependent" in detail and "X = " in detail and "Y = " in detail and "with probabilities" in detail


def test_the_expectation_of_a_product_of_variables_stated_independent_is_the_product_of_their_expectations():
    assert verdict(r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X \perp Y").ok is True


def test_independence_written_as_a_double_perp_reads_the_same():
    assert verdict(r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X \perp\!\!\!\perp Y").ok is True


def test_the_variance_of_a_sum_of_independent_variables_expands_without_the_cross_term():
    assert verdict(r"\mathbb{E}[(X+Y)^2] = \mathbb{E}[X^2] + 2\mathbb{E}[X]\mathbb{E}[Y] + \mathbb{E}[Y^2], "
                   r"\quad X \perp Y").ok is True


def test_independence_does_not_make_a_square_lose_its_cross_term():
    assert verdict(r"\mathbb{E}[(X+Y)^2] = \mathbb{E}[X^2] + \mathbb{E}[Y^2], \quad X \perp Y").ok is False


def test_independence_does_not_make_a_ratio_of_expectations_the_expectation_of_the_ratio():
    assert verdict(r"\mathbb{E}[X/Y] = \mathbb{E}[X]/\mathbb{E}[Y], \quad X, Y > 0, \; X \perp Y").ok is False


def test_three_variables_stated_independent_in_one_chain_are_mutually_independent():
    assert verdict(r"\mathbb{E}[XYZ] = \mathbb{E}[X]\mathbb{E}[Y]\mathbb{E}[Z], \quad X \perp Y \perp Z").ok is True


def test_independence_of_only_some_of_the_random_variables_is_not_read():
    found = verdict(r"\mathbb{E}[XYZ] = \mathbb{E}[X]\mathbb{E}[Y]\mathbb{E}[Z], \quad X, Y, Z \in \mathbb{R}, \; "
                    r"X \perp Y")
    assert found.ok is None and "but not of Z" in found.detail


def test_pairwise_independence_is_not_read_as_mutual_independence():
    # E[XYZ] = E[X]E[Y]E[Z] needs mutual independence: pairwise independent X, Y, Z can break it
    found = verdict(r"\mathbb{E}[XYZ] = \mathbb{E}[X]\mathbb{E}[Y]\mathbb{E}[Z], \quad X \perp Y, \; Y \perp Z, \; "
                    r"X \perp Z")
    assert found.ok is None and "stated in parts" in found.detail


def test_two_variables_stated_independent_among_others_stated_so_are_independent():
    assert verdict(r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X \perp Y, \; Y \perp Z").ok is True


def test_a_claim_over_independent_variables_fails_at_each_variables_own_distribution():
    detail = verdict(r"\mathbb{E}[XY] = \mathbb{E}[X] + \mathbb{E}[Y], \quad X \perp Y").detail
    assert "independent as stated" in detail and "; independent)" in detail and "X = " in detail


def test_a_statement_of_independence_alone_is_no_claim():
    found = verdict(r"X \perp Y")
    assert found.ok is None and found.not_evaluable is None


def test_a_claim_over_a_random_variable_fails_at_the_distribution_of_the_smallest_values():
    detail = verdict(r"\mathbb{E}[\log Y] \ge \log \mathbb{E}[Y], \; Y > 0").detail
    values = [float(v) for v in detail.split("(Y = ")[1].split(";")[0].split(", ")]
    assert max(values) < 10


def test_the_variance_is_not_negative_for_every_random_variable():
    assert verdict(r"\mathbb{E}[Y^2] \ge \mathbb{E}[Y]^2, \; Y > 0").ok is True


def test_the_square_of_an_expectation_is_not_the_expectation_of_the_square():
    assert verdict(r"\mathbb{E}[Y^2] \le \mathbb{E}[Y]^2, \; Y > 0").ok is False


def test_a_bare_expectation_without_a_random_variable_with_a_domain_is_not_checked():
    result = verdict(r"\mathbb{E}[\log Y] \le \log \mathbb{E}[Y]")
    assert result.ok is None and "Y > 0" in result.not_evaluable


def test_a_random_variable_outside_an_expectation_is_not_evaluable():
    assert verdict(r"\mathbb{E}[Y] \ge Y, \; Y > 0").ok is None


def test_a_bound_on_a_letter_the_notation_knows_is_a_claim_on_the_models_not_a_domain():
    detail = verdict(r"N \ge 1, \; N > 0").detail  # N: the number of data points
    assert "no model" not in detail and "gmm" in detail


def test_every_formula_of_the_lecture_that_states_a_relation_is_checked():
    from conftest import ROOT
    from deckbuild.cache import Cache
    from deckbuild.diagnostics import Report
    from deckbuild.evaluate import NOT_CHECKED, EvaluationCache, evaluate_deck
    from deckbuild.parse import parse_deck
    from deckbuild.source import read_deck

    report = Report()
    text = (ROOT / "slides" / "DAR-5-5.md").read_text(encoding="utf-8")
    deck = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", text, report), report)
    truth = evaluate_deck(deck, EvaluationCache(Cache(None)), report)
    unchecked = [(f.math.tex, f.reason) for f in truth.formulas if f.strength == NOT_CHECKED]
    unchecked += [(lid, r.not_evaluable) for lid, rows in truth.rows.items() for r in rows if r.not_evaluable]
    assert unchecked == []


# A name defined after the claim (", w = t^2 + 1") and again in the same formula: the second is a claim about it.
def test_a_second_definition_of_a_name_that_disagrees_with_the_first_fails():
    assert verdict(r"w \ge 1, \; w = t^2 + 1, \; w = t^2 - 5, \; \forall t > 0").ok is False


def test_a_wrong_first_definition_of_a_name_is_not_hidden_by_a_second():
    assert verdict(r"w \ge 1, \; w = t^2 - 5, \; w = t^2 + 1, \; \forall t > 0").ok is False


def test_a_second_definition_of_a_name_that_rewrites_the_first_holds():
    assert verdict(r"w \ge 1, \; w = t^2 + 1, \; w = 1 + t^2, \; \forall t > 0").ok is True


# The notation of a deck that names none (general.yaml): only the formula's own free variables, numbers, e and π.
def general(latex: str):
    return evaluate_formula(latex, "general")


def test_a_power_on_a_function_name_is_a_power_of_its_value():
    assert general(r"\log^2 t = (\log t)^2, \; \forall t > 0").ok is True


def test_a_power_on_a_function_name_is_not_dropped():
    assert general(r"\log^2 t = \log t, \; \forall t > 0").ok is False


def test_a_log_with_a_base_divides_by_the_log_of_the_base():
    assert general(r"\log_2 t = \frac{\log t}{\log 2}, \; \forall t > 0").ok is True


def test_a_log_with_a_base_is_not_the_natural_log():
    assert general(r"\log_2 t = \log t, \; \forall t > 0").ok is False


def test_an_inverse_written_as_a_power_on_the_name_is_not_guessed():
    assert general(r"\sin^{-1} t = 1, \; \forall t > 0").ok is None


def test_sine_squared_and_cosine_squared_add_to_one():
    assert general(r"\sin^2 t + \cos^2 t = 1, \; \forall t \in \mathbb{R}").ok is True


@pytest.mark.parametrize("wrong", [r"\sin^2 t - \cos^2 t = 1", r"\sin^2 t + \cos t = 1", r"\sin t + \cos t = 1"])
def test_a_wrong_trigonometric_identity_fails(wrong):
    assert general(wrong + r", \; \forall t \in \mathbb{R}").ok is False


def test_e_is_eulers_number_and_pi_is_pi():
    assert general(r"e^{\log t} = t, \; \forall t > 0").ok is True and general(r"3 < \pi < 3.2").ok is True


def test_a_relation_between_numbers_is_evaluated_and_a_false_one_fails():
    assert general(r"\log 2 < 1").ok is True and general(r"\pi < 3").ok is False


def test_a_domain_may_be_the_real_line():
    assert general(r"e^{x} \ge 1 + x, \; \forall x \in \mathbb{R}").ok is True


def test_the_real_line_includes_negative_values():
    assert general(r"e^{x} \ge 1, \; \forall x \in \mathbb{R}").ok is False


@pytest.mark.parametrize("positive", [r"\mathbb{R}_+", r"\mathbb{R}^+", r"\mathbb{R}_{>0}"])
def test_the_positive_reals_are_a_domain(positive):
    assert general(rf"\log x \le x - 1, \; x \in {positive}").ok is True


def test_the_positive_reals_leave_zero_out_and_the_nonnegative_reals_take_it_in():
    assert general(r"x > 0, \; \forall x \in \mathbb{R}_+").ok is True
    assert general(r"x > 0, \; \forall x \in \mathbb{R}_{\ge 0}").ok is False


def test_a_vector_space_is_not_a_free_variables_domain():
    assert general(r"x^2 \ge 0, \; x \in \mathbb{R}^d").ok is None


def test_one_bound_for_a_list_of_letters_bounds_each():
    assert general(r"\frac{a + b}{2} \ge \sqrt{ab}, \; \forall a, b > 0").ok is True
    assert general(r"(x + y)^2 \le 2 x^2 + 2 y^2, \; x, y \in \mathbb{R}").ok is True


def test_a_list_of_letters_is_tried_on_every_pair_of_values():
    assert general(r"\frac{a + b}{2} \le \sqrt{ab}, \; \forall a, b > 0").ok is False
    assert general(r"a \ge b, \; \forall a, b > 0").ok is False


def test_a_side_that_overflows_the_floats_far_out_is_left_out_and_said():
    result = general(r"\exp(t) \ge 1 + t, \; \forall t > 0")
    assert result.ok is True and "overflows the floats" in result.detail


def test_a_side_that_is_infinite_near_the_origin_fails():
    assert general(r"\frac{1}{(t - 1)^2} > 0, \; \forall t > 0").ok is False  # at t = 1, one of the values


def test_a_side_that_is_undefined_far_out_fails():
    assert general(r"\sqrt{50 - t} \ge 0, \; \forall t > 0").ok is False  # a NaN is never left out


def test_a_failure_of_two_letters_names_the_value_of_each_where_it_fails():
    detail = general(r"a \ge b, \; \forall a, b > 0").detail
    found = re.search(r"lhs = (\S+), rhs = (\S+) at a = (\S+), b = (\S+)$", detail)
    assert found and found.group(1) == found.group(3).rstrip(",") and found.group(2) == found.group(4)


def test_bars_are_the_absolute_value_in_a_deck_of_no_model():
    assert general(r"|a + b| \le |a| + |b|, \; \forall a, b \in \mathbb{R}").ok is True
    assert general(r"\sqrt{x^2} = \left| x \right|, \; \forall x \in \mathbb{R}").ok is True


@pytest.mark.parametrize("wrong", [r"|a + b| \ge |a| + |b|", r"|a - b| = |a| - |b|", r"|a| = a"])
def test_a_wrong_claim_about_absolute_values_fails(wrong):
    assert general(wrong + r", \; \forall a, b \in \mathbb{R}").ok is False


def test_a_derivative_in_a_free_variable_is_evaluated():
    assert general(r"\frac{\mathrm{d}}{\mathrm{d} x} \log(1 + e^{x}) = \frac{1}{1 + e^{-x}}, \; \forall x \in \mathbb{R}").ok
    assert general(r"\frac{\partial}{\partial w} \frac{1}{2} (y - w x)^2 = -(y - w x) x, \; \forall w, x, y \in \mathbb{R}").ok


@pytest.mark.parametrize("wrong", [
    r"\frac{\mathrm{d}}{\mathrm{d} x} x^2 = x, \; \forall x \in \mathbb{R}",                      # the factor 2
    r"\frac{\partial}{\partial w} \frac{1}{2} (y - w x)^2 = (y - w x) x, \; \forall w, x, y \in \mathbb{R}",  # a sign
    r"\frac{\mathrm{d}}{\mathrm{d} t} t^3 = 3 t^2 + 0.001, \; \forall t > 0",                    # a small offset
    r"\frac{\mathrm{d}}{\mathrm{d} t} \log(1 - t) = \frac{1}{1 - t}, \; 0 < t < 1",               # a sign, near t = 1
])
def test_a_wrong_derivative_fails(wrong):
    assert general(wrong).ok is False


@pytest.mark.parametrize("right", [
    r"\frac{\mathrm{d}}{\mathrm{d} t} \log t = \frac{1}{t}, \; \forall t > 0",          # near 0, where 1/t is large
    r"\frac{\mathrm{d}}{\mathrm{d} t} \log(1 - t) = -\frac{1}{1 - t}, \; 0 < t < 1",     # near the bound 1
    r"\frac{\mathrm{d}}{\mathrm{d} t} \sin t = \cos t, \; \forall t \in \mathbb{R}",     # far out, where sin turns fast
    r"\frac{\mathrm{d}}{\mathrm{d} t} e^{t} = e^{t}, \; \forall t \in \mathbb{R}",       # overflowing far out
])
def test_a_right_derivative_holds_where_differences_are_delicate(right):
    assert general(right).ok is True


def test_a_derivative_at_a_closed_end_of_its_domain_is_not_guessed():
    assert general(r"\frac{\mathrm{d}}{\mathrm{d} t} t^{1.5} = 1.5 t^{0.5}, \; \forall t \ge 0").ok is None


def test_a_derivative_in_a_letter_without_a_domain_is_not_checked():
    assert general(r"\frac{\mathrm{d}}{\mathrm{d} x} x^2 = 2 x").ok is None


def test_the_larger_of_two_numbers_is_their_max():
    assert general(r"\max(a, b) = \frac{a + b + |a - b|}{2}, \; \forall a, b \in \mathbb{R}").ok is True
    assert general(r"\log(e^{a} + e^{b}) \ge \max(a, b), \; \forall a, b \in \mathbb{R}").ok is True


@pytest.mark.parametrize("wrong", [r"\max(a, b) = \frac{a + b - |a - b|}{2}", r"\min(a, b) \ge \frac{a + b}{2}"])
def test_a_wrong_claim_about_max_and_min_fails(wrong):
    assert general(wrong + r", \; \forall a, b \in \mathbb{R}").ok is False


def test_a_sum_up_to_a_free_integer_is_evaluated_at_each_of_its_values():
    assert general(r"\sum_{k=1}^{n} k^2 = \frac{n (n + 1) (2n + 1)}{6}, \; \forall n \in \mathbb{N}").ok is True
    assert general(r"\prod_{k=1}^{n} \frac{k + 1}{k} = n + 1, \; \forall n \in \mathbb{N}_+").ok is True


@pytest.mark.parametrize("wrong", [
    r"\sum_{k=1}^{n} k = \frac{n (n - 1)}{2}, \; \forall n \in \mathbb{N}",
    r"\sum_{k=1}^{n} k^2 = \frac{n (n + 1) (2n - 1)}{6}, \; \forall n \in \mathbb{N}",
    r"\sum_{k=0}^{n} 2^k = 2^{n + 1}, \; \forall n \in \mathbb{N}",
])
def test_a_wrong_closed_form_of_a_sum_fails(wrong):
    assert general(wrong).ok is False


def test_the_natural_numbers_hold_zero_and_the_positive_ones_do_not():
    assert general(r"n^2 > n - 1, \; \forall n \in \mathbb{N}").ok is True
    assert general(r"\frac{1}{n} \le 1, \; \forall n \in \mathbb{N}").ok is False  # n = 0
    assert general(r"\frac{1}{n} \le 1, \; \forall n \in \mathbb{N}_+").ok is True


def test_the_integers_take_negative_values_too():
    assert general(r"(-1)^{2n} = 1, \; \forall n \in \mathbb{Z}").ok is True
    assert general(r"2^n \ge 1, \; \forall n \in \mathbb{Z}").ok is False


def test_a_claim_that_fails_only_for_large_n_fails():
    assert general(r"2^n \le 100 n, \; \forall n \in \mathbb{N}_+").ok is False  # from n = 10 on


def test_a_power_of_a_summation_index_is_the_index_squared_not_a_free_letter():
    assert general(r"\sum_{k=1}^{3} k^2 = 14").ok is True


@pytest.mark.parametrize("named", [r"\bm{e} = \bm{0}", r"\pi = 0.3", r"e = -1"])
def test_a_letter_e_or_pi_given_a_value_is_not_a_false_claim_about_the_constant(named):
    assert general(named).ok is None  # an embedding e = 0, a mixing weight π = 0.3: never ✗ on the slide


def test_a_slide_may_define_pi_after_its_claim():
    assert general(r"x^2 \ge \pi, \; \forall x > 2, \; \pi = 0.3").ok is True
    assert general(r"x^2 \ge \pi, \; \forall x > 1, \; \pi = 3").ok is False


def test_a_slide_may_take_e_as_a_free_variable():
    assert general(r"e \ge 1, \; \forall e \in \mathbb{R}").ok is False  # every e, not Euler's number


def test_an_integer_domain_with_no_integer_in_it_is_not_evaluable_not_false():
    assert general(r"n \ge 0, \; 1.2 < n < 1.8, \; \forall n \in \mathbb{N}").ok is None


def test_a_bounded_integer_domain_says_how_few_values_it_was_evaluated_at():
    assert "at 5 values of n" in general(r"n^2 \ge n, \; n \le 5, \; \forall n \in \mathbb{N}_+").detail


def test_the_integers_reach_far_out_on_the_negative_side_too():
    assert general(r"n \ge -30, \; \forall n \in \mathbb{Z}").ok is False  # beyond the 48 nearest 0


def test_a_quantifier_after_a_space_and_no_comma_is_read():
    assert general(r"t - 1 - \log t \ge 0 \quad \forall t > 0").ok is True


def test_a_wrong_bound_with_its_quantifier_after_a_space_fails():
    assert general(r"t - 1 - \log t \le 0 \qquad \forall t > 0").ok is False


def test_a_failure_is_shown_at_the_simplest_value_where_it_clearly_fails():
    detail = general(r"\sum_{k=1}^n k = \frac{n(n+3)}{2}, \; \forall n \in \mathbb{N}").detail
    assert "at n = 1" in detail and "lhs = 1, rhs = 2" in detail


def test_the_factorial_of_a_natural_number_is_read():
    assert general(r"n! = n (n - 1)!, \; \forall n \in \mathbb{N}_+").ok is True


@pytest.mark.parametrize("wrong", [
    r"n! = (n + 1)!, \; \forall n \in \mathbb{N}_+",
    r"n! \ge 2^{n}, \; \forall n \in \mathbb{N}_+",   # false at n = 1, 2, 3
    r"2n! = (2n)!, \; \forall n \in \mathbb{N}_+",    # 2n! is 2 (n!)
])
def test_a_wrong_claim_about_factorials_fails(wrong):
    assert general(wrong).ok is False


def test_the_factorial_of_a_letter_that_may_not_be_whole_is_not_read():
    result = general(r"n! \ge 2^{n-1}, \; \forall n > 0")
    assert result.ok is None and "natural number" in result.not_evaluable


def test_a_factorial_too_large_for_the_floats_is_left_out_and_said():
    result = general(r"n! \ge 2^{n-1}, \; \forall n \in \mathbb{N}_+")
    assert result.ok is True and "overflows" in result.detail


def test_a_binomial_coefficient_is_n_choose_k():
    assert general(r"\binom{n}{2} = \frac{n(n-1)}{2}, \; \forall n \in \mathbb{N}").ok is True


def test_a_binomial_coefficient_past_its_top_is_zero():
    assert general(r"\sum_{k=0}^{n+2} \binom{n}{k} = 2^n, \; \forall n \in \mathbb{N}").ok is True


@pytest.mark.parametrize("wrong", [
    r"\binom{n}{2} = \frac{n(n+1)}{2}, \; \forall n \in \mathbb{N}",
    r"\sum_{k=0}^{n} {n \choose k} = 2^{n+1}, \; \forall n \in \mathbb{N}",
    r"\dbinom{n}{1} = n + 1, \; \forall n \in \mathbb{N}",
])
def test_a_wrong_claim_about_binomial_coefficients_fails(wrong):
    assert general(wrong).ok is False


def test_floor_and_ceiling_bracket_a_number():
    assert general(r"\lfloor x \rfloor \le x \le \lceil x \rceil, \; \forall x \in \mathbb{R}").ok is True


@pytest.mark.parametrize("wrong", [
    r"\lceil x \rceil \le x, \; \forall x \in \mathbb{R}",
    r"x < \lfloor x \rfloor + 1 \le x, \; \forall x \in \mathbb{R}",
])
def test_a_wrong_claim_about_floor_and_ceiling_fails(wrong):
    assert general(wrong).ok is False


def test_a_definite_integral_between_numbers_is_evaluated():
    assert general(r"\int_0^1 x^2 \, \mathrm{d}x = \frac{1}{3}").ok is True


def test_a_wrong_definite_integral_between_numbers_fails():
    assert general(r"\int_0^1 x^2 \, \mathrm{d}x = \frac{1}{2}").ok is False


def test_an_integral_up_to_a_free_variable_is_evaluated_at_each_of_its_values():
    assert general(r"\int_0^t s \, \mathrm{d}s = \frac{t^2}{2}, \; \forall t > 0").ok is True


def test_a_wrong_integral_up_to_a_free_variable_fails():
    assert general(r"\int_0^t s \, \mathrm{d}s = \frac{t^2}{3}, \; \forall t > 0").ok is False


def test_an_integral_to_infinity_is_evaluated_for_every_rate():
    assert general(r"\int_0^{\infty} e^{-\lambda x} \, \mathrm{d}x = \frac{1}{\lambda}, \; \forall \lambda > 0").ok


def test_the_gaussian_integral_over_the_line_holds_and_a_wrong_constant_fails():
    assert general(r"\int_{-\infty}^{\infty} e^{-x^2/2} \, \mathrm{d}x = \sqrt{2\pi}").ok is True
    assert general(r"\int_{-\infty}^{\infty} e^{-x^2} \, \mathrm{d}x = \sqrt{2\pi}").ok is False


def test_an_integrable_singularity_at_an_end_at_zero_is_integrated():
    assert general(r"\int_0^1 \frac{1}{\sqrt{x}} \, \mathrm{d}x = 2").ok is True
    assert general(r"\int_0^1 \log x \, \mathrm{d}x = -1").ok is True


@pytest.mark.parametrize("unsettled", [
    r"\int_{-1}^{1} |x| \, \mathrm{d}x = 1",              # a kink inside: the two steps disagree
    r"\int_0^1 \frac{1}{x} \, \mathrm{d}x = 1",            # divergent
    r"\int_1^{\infty} x^{-1.5} \, \mathrm{d}x = 2",        # decays too slowly for the cut at infinity
    r"\int_1^2 (x - 1)^{-0.9} \, \mathrm{d}x = 10",        # a singularity the floats cannot approach
    # true, but at μ = 500 the peak lies between nodes 50 apart: 0 there, never "fails"
    r"\int_{-\infty}^{\infty} \frac{1}{\sqrt{2\pi}} e^{-\frac{(x - \mu)^2}{2}} \, \mathrm{d}x = 1, \; \forall \mu \in \mathbb{R}",
])
def test_an_integral_the_quadrature_cannot_vouch_for_is_not_read_rather_than_compared(unsettled):
    result = general(unsettled)
    assert result.ok is None and "\\int_a^b" in result.not_evaluable


def test_an_integral_over_an_interval_of_no_width_is_zero():
    assert general(r"\int_0^t s \, \mathrm{d}s = \frac{t^2}{2}, \; \forall t \ge 0").ok is True


def test_hyperbolic_identities_hold_where_the_floats_can_tell():
    result = general(r"\cosh^2 x - \sinh^2 x = 1, \; \forall x \in \mathbb{R}")
    assert result.ok is True and "cancel beyond the floats' precision" in result.detail


@pytest.mark.parametrize("wrong", [
    r"\cosh^2 x + \sinh^2 x = 1, \; \forall x \in \mathbb{R}",
    r"\frac{\mathrm{d}}{\mathrm{d}x} \cosh x = -\sinh x, \; \forall x \in \mathbb{R}",
    r"\sinh(2x) = \sinh x \cosh x, \; \forall x \in \mathbb{R}",
])
def test_a_wrong_hyperbolic_identity_fails(wrong):
    assert general(wrong).ok is False


def test_terms_that_overflow_into_infinity_minus_infinity_far_out_are_left_out_not_failed():
    written_out = (r"\frac{e^x - e^{-x}}{2} \cdot \frac{e^x - e^{-x}}{2} - \frac{e^x + e^{-x}}{2} \cdot "
                   r"\frac{e^x + e^{-x}}{2} = -1, \; \forall x \in \mathbb{R}")
    result = general(written_out)
    assert result.ok is True and "overflows the floats" in result.detail


def test_a_not_a_number_made_of_finite_terms_still_fails():
    assert general(r"\log(e^{x} - 2 e^{x}) = x, \; \forall x \in \mathbb{R}").ok is False


def test_a_derivative_of_a_derivative_is_taken_where_the_outer_one_moves_its_variable():
    assert general(r"\frac{\mathrm{d}}{\mathrm{d}x} \frac{\mathrm{d}}{\mathrm{d}x} x^3 = 0, \; \forall x \in \mathbb{R}").ok is False


def test_a_second_derivative_is_read():
    assert general(r"\frac{\mathrm{d}^2}{\mathrm{d}x^2} x^3 = 6x, \; \forall x \in \mathbb{R}").ok is True


def test_a_wrong_second_derivative_fails():
    assert general(r"\frac{\mathrm{d}^2}{\mathrm{d}x^2} x^3 = 3x, \; \forall x \in \mathbb{R}").ok is False


def test_a_mixed_partial_derivative_is_read():
    assert general(r"\frac{\partial^2}{\partial x \, \partial y} x^2 y^2 = 4xy, \; \forall x, y \in \mathbb{R}").ok


def test_a_second_derivative_leaves_out_where_its_differences_drown_in_rounding():
    detail = general(r"\frac{\mathrm{d}^2}{\mathrm{d}x^2} x^3 = 6x, \; \forall x \in \mathbb{R}").detail
    assert "cancel beyond the floats' precision" in detail


def test_a_derivative_whose_orders_do_not_add_up_is_not_read():
    result = general(r"\frac{\partial^2}{\partial x} x^2 = 2, \; \forall x \in \mathbb{R}")
    assert result.ok is None and "order 2" in result.not_evaluable


def test_a_domain_in_parentheses_after_the_claim_is_read():
    assert general(r"(a+b)^2 = a^2 + 2ab + b^2 \quad (a, b \in \mathbb{R})").ok is True
    assert general(r"t - 1 - \log t \ge 0 \quad (t > 0)").ok is True


def test_a_wrong_claim_with_its_domain_in_parentheses_fails():
    assert general(r"(a+b)^2 = a^2 + ab + b^2 \quad (a, b \in \mathbb{R})").ok is False


@pytest.mark.parametrize("wrong", [r"10^2 = 0", r"\frac{1}{12^2} = \frac{1}{4}", r"0.5^2 = 5"])
def test_a_power_on_a_number_of_several_digits_is_on_the_whole_number(wrong):
    assert general(wrong).ok is False  # KaTeX puts it on the last digit: 1 · 0² = 0 passed
    assert general(r"12^2 = 144").ok is True and general(r"0.5^2 = 0.25").ok is True


def test_a_power_after_a_functions_parentheses_is_on_its_value():
    assert general(r"\sin(x)^2 + \cos(x)^2 = 1, \; \forall x \in \mathbb{R}").ok is True
    assert general(r"\log(x)^2 = 2 \log x, \; \forall x > 0").ok is False  # (\log x)^2, not \log x^2


def test_an_integral_of_nothing_but_its_differential_is_of_one():
    assert general(r"\int_0^t \mathrm{d}x = t, \; \forall t > 0").ok is True


def test_a_division_by_zero_between_numbers_fails_without_an_exception():
    assert general(r"\frac{1}{0} = 5").ok is False


def test_a_number_beyond_the_floats_between_numbers_is_not_read_rather_than_failed():
    result = general(r"171! = 171 \cdot 170!")
    assert result.ok is None and "floats cannot tell" in result.not_evaluable


def test_a_quotient_of_overflowed_terms_is_left_out_not_failed():
    assert general(r"\frac{(n+1)!}{n!} = n + 1, \; \forall n \in \mathbb{N}").ok is True


def test_a_strict_bound_holds_where_a_side_is_tiny_but_no_rounding_of_the_other():
    assert general(r"e^{-x} > 0, \; \forall x \in \mathbb{R}").ok is True
    assert general(r"\frac{1}{n!} > 0, \; \forall n \in \mathbb{N}").ok is True


def test_a_strict_bound_still_fails_where_the_sides_are_equal():
    assert general(r"e^x > 1 + x, \; \forall x \in \mathbb{R}").ok is False  # equal at x = 0


def test_a_true_derivative_that_turns_fast_far_out_holds_where_its_differences_settle():
    result = general(r"\frac{\partial}{\partial y} \sin(xy) = x \cos(xy), \; \forall x, y \in \mathbb{R}")
    assert result.ok is True and "a derivative's differences do not settle" in result.detail


def test_a_derivative_too_fast_for_the_step_everywhere_is_not_read_rather_than_failed():
    result = general(r"\frac{\mathrm{d}}{\mathrm{d}x} \sin(100x) = 100 \cos(100x), \; \forall x \in \mathbb{R}")
    assert result.ok is None and "derivatives do not settle" in result.not_evaluable


def test_a_wrong_derivative_still_fails_where_its_differences_settle():
    assert general(r"\frac{\mathrm{d}}{\mathrm{d}x} \sin(x^2) = x \cos(x^2), \; \forall x \in \mathbb{R}").ok is False


def test_a_claim_broken_by_more_than_its_rounding_could_make_fails_where_the_floats_cannot_tell_equality():
    assert general(r"\cosh^2 x - \sinh^2 x = 2, \; \forall x > 10").ok is False
    assert general(r"\frac{\mathrm{d}^2}{\mathrm{d}x^2} x^4 = 11 x^2, \; \forall x > 7").ok is False


def test_a_sign_after_a_multiplication_sign_is_the_next_factors():
    assert general(r"2 \times -3 = -6").ok is True
    assert general(r"x \cdot -y = x - y, \; \forall x, y \in \mathbb{R}").ok is False  # it was read as x - y


def test_a_multiplication_sign_with_nothing_after_it_is_not_read():
    assert general(r"2 \cdot = 2").ok is None


def test_a_quantified_letter_is_not_given_a_value_by_a_later_statement():
    assert general(r"\sin x = 2x, \; x = 0, \; \forall x > 0").ok is False  # x = 0 is a claim, not x's value


def test_a_function_without_parentheses_takes_the_numbers_and_letters_after_it():
    assert general(r"\sin 2x = 2 \sin x \cos x, \; \forall x \in \mathbb{R}").ok is True
    assert general(r"\log 2\pi\sigma^2 = \log 2 + \log \pi + 2 \log \sigma, \; \forall \sigma > 0").ok is True
    assert general(r"\sin 2x = x \sin 2, \; \forall x \in \mathbb{R}").ok is False


def test_a_log_of_a_factorial_is_of_the_factorial():
    assert general(r"\log n! \le n \log n, \; \forall n \in \mathbb{N}_+").ok is True


def test_a_quad_between_two_claims_of_one_row_separates_them():
    assert general(r"x^2 \ge 0 \quad x^3 \ge 0, \; \forall x \in \mathbb{R}").ok is False  # x³ ≥ 0 was hidden
    assert general(r"1 + 1 = 2 \quad 2 + 2 = 4").ok is True


def test_a_quad_after_a_label_is_only_space():
    row = (r"\text{ELBO:} \quad \sum_{i=1}^N \int_{\bm{z}} q(\bm{z}|\bm{x}_i; \phi) \log \frac{p(\bm{x}_i, \bm{z}; "
           r"\theta)}{q(\bm{z}|\bm{x}_i; \phi)} \mathrm{d} \bm{z}")
    spaced, plain = verdict(row), verdict(row.replace(r"\quad ", ""))
    assert (spaced.ok, spaced.not_evaluable, spaced.defines) == (plain.ok, plain.not_evaluable, plain.defines)
    assert "empty expression" not in (spaced.not_evaluable or "")  # split at the \quad, the label stood alone


@pytest.mark.parametrize("wrong", [
    r"(x - 2)(x - 3) \ge 0, \; \forall x \in \mathbb{R}",   # negative only between 2 and 3
    r"(x - 10)(x - 12) \ge 0, \; \forall x \in \mathbb{R}",
    r"(t - 3)(t - 10) \ge 0, \; \forall t > 0",
    r"(n - 50)(n - 58) \ge 0, \; \forall n \in \mathbb{N}",
])
def test_a_claim_false_only_on_a_short_stretch_at_moderate_values_fails(wrong):
    assert general(wrong).ok is False


def test_a_power_that_underflows_far_out_is_left_out_not_failed():
    result = general(r"e^{-x} > 0, \; \forall x \in \mathbb{R}")
    assert result.ok is True and "underflows" in result.detail


def test_an_alternating_sum_that_cancels_beyond_the_floats_is_left_out_where_it_does():
    result = general(r"\sum_{k=0}^{n} (-1)^k \binom{n}{k} = 0, \; \forall n \in \mathbb{N}_+")
    assert result.ok is True and "cancel beyond the floats' precision" in result.detail
    assert general(r"\sum_{k=0}^{n} (-1)^k \binom{n}{k} = 1, \; \forall n \in \mathbb{N}_+").ok is False


def test_a_sum_up_to_a_letter_that_may_not_be_whole_says_so():
    result = general(r"\sum_{k=0}^{n} (-1)^k k = 0, \; \forall n \ge 2")
    assert result.ok is None and "not whole" in result.not_evaluable and "\\mathbb{N}" in result.not_evaluable


@pytest.mark.parametrize("claim", [
    r"x > 1 \iff x^2 > 1, \; \forall x > 0",   # true, and its first link alone (x > 1) is false at x = 0
    r"x > 1 \iff x^2 > 1, \; \forall x \in \mathbb{R}",   # false (x = -2), but not for the reason a chain gives
    r"x = 2 \Leftrightarrow x^2 = 4, \; \forall x > 0",
])
def test_an_equivalence_of_two_relations_is_not_read_as_a_chain(claim):
    result = verdict(claim)
    assert result.ok is None and "equivalence of two relations" in result.not_evaluable
