r"""The slide's LaTeX, evaluated: constructs one at a time, then a mutation corpus of DAR-5-5.

Every row of every <slide-derivation> of slides/DAR-5-5.md must evaluate true, each
in the notation and wrt the build will use: the element's own attributes, which the
deck takes from ATTRIBUTES below (a test keeps the two equal).

The corpus edits the real rows of slides/DAR-5-5.md (as deckbuild.rows.split_rows
cuts them): wrong edits must all fail (ok is not True), meaning-preserving rewrites
must pass (at least 90%); both rates are printed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckbuild.rows import split_rows
from latexeval import evaluate_derivation, evaluate_formula, load_notation
from latexeval.katex import shared_parser

ROOT = Path(__file__).resolve().parent.parent
DECK = ROOT / "slides" / "DAR-5-5.md"
NOTATION = "dar-5-5"

# <slide-derivation> attributes the deck needs (its front matter says notation: dar-5-5):
# the GMM M step learns α (gmm-em), the VAE gap restricts q to N(m_i, 1) (vae-unit-q), the KL/JS
# slides speak of two distributions p, q and no model (divergences); the VAE E step is in φ.
ATTRIBUTES = {
    "gmm-m-step": {"notation": "gmm-em"},
    "vae-e-step": {"wrt": "\\phi"},
    "vae-gap": {"notation": "vae-unit-q"},
    "kl-nonnegative": {"notation": "divergences"},
    "kl-asymmetry": {"notation": "divergences"},
    "js-divergence": {"notation": "divergences"},
    "vae-reparameterised-elbo": {"notation": "vae"},
    "vae-kl-closed-form": {"notation": "vae"},
}


def formula(latex: str, notation: str = NOTATION, **kw):
    return evaluate_formula(latex, notation, **kw)


def holds(latex: str, notation: str = NOTATION, **kw) -> bool | None:
    return formula(latex, notation, **kw).ok


def stuck(latex: str, notation: str = NOTATION, **kw) -> str:
    """The construct a formula is not evaluable for; a verdict (ok=…) if it got one."""
    result = formula(latex, notation, **kw)
    return result.not_evaluable or "" if result.ok is None else f"ok={result.ok}"


def mixture_only(latex: str) -> bool:
    """Verified on the Gaussian mixture, and not applicable (not failed) on the linear-Gaussian model."""
    result = formula(latex)
    return result.ok is True and "not on linear-gaussian" in result.detail


# --------------------------------------------------------------------------- #
# the deck as the build reads it


def _deck():
    from deckbuild.diagnostics import Report
    from deckbuild.parse import parse_deck
    from deckbuild.source import read_deck

    report = Report()
    deck = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", DECK.read_text(encoding="utf-8"), report), report)
    linked = {id(link.math) for link in deck.links}
    others = [m.tex for m in deck.formulas() if m.display and id(m) not in linked]
    stated = {link.id: {k: link.element.attrs.get(k) for k in ("notation", "wrt")} for link in deck.links}
    return {link.id: link.math.tex for link in deck.links}, others, stated


DERIVATIONS, FORMULAS, DECK_ATTRIBUTES = _deck()


def evaluate_rows(did: str, tex: str) -> list:
    """A derivation's rows evaluated as the build calls it, with the derivation's attributes."""
    attrs = ATTRIBUTES.get(did, {})
    rows = split_rows(tex)
    return evaluate_derivation([(r.relation, r.latex) for r in rows], attrs.get("notation", NOTATION),
                               wrt=attrs.get("wrt"))


def evaluate_tex(tex: str, derivation: str | None):
    """Every row's ok for a formula: a linked one (derivation is its id) through evaluate_derivation."""
    if derivation:
        return [r.ok for r in evaluate_rows(derivation, tex)]
    return [r.ok for r in formula(tex).rows]


# --------------------------------------------------------------------------- #
# the deck itself


@pytest.mark.parametrize("did", sorted(DERIVATIONS))
def test_every_row_of_each_dar_derivation_evaluates_true(did):
    results = evaluate_rows(did, DERIVATIONS[did])
    assert [r.ok for r in results] == [True] * len(results), [r.detail for r in results]


@pytest.mark.parametrize("did", sorted(DERIVATIONS))
def test_the_deck_states_no_attribute_other_than_the_recommended_one(did):
    stated = {k: v for k, v in DECK_ATTRIBUTES[did].items() if v is not None}
    assert stated.items() <= ATTRIBUTES.get(did, {}).items()


def test_every_recommended_attribute_names_a_derivation_of_the_deck():
    assert set(ATTRIBUTES) <= set(DERIVATIONS)


EVALUATED = ["Q(\\theta, \\theta^{t-1}) :=", "\\theta^t = \\underset", "\\rightarrow", "\\ell(\\bm{x}, \\bm{z}; \\theta) =",
             "Q(\\theta, \\hat{\\theta}) =", "\\text{ELBO:}", "\\max_{\\phi, \\theta}",
             "\\max_{\\textcolor{blue}{\\phi}}", "\\max_{\\textcolor{blue}{\\theta}}"]


@pytest.mark.parametrize("marker", EVALUATED)
def test_each_dar_formula_outside_derivations_that_states_a_relation_evaluates_true(marker):
    (tex,) = [f for f in FORMULAS if marker in f]
    result = formula(tex)
    assert result.ok is True, result.detail


def test_the_dar_formula_without_a_relation_states_nothing():
    (tex,) = [f for f in FORMULAS if "\\underbrace{\\textcolor{blue}" in f]
    assert formula(tex).ok is None and formula(tex).detail == "states no relation"


# --------------------------------------------------------------------------- #
# constructs, one fact each


def test_number_and_arithmetic_follow_precedence():
    assert holds(r"1 + 2 \cdot 3 - 4 = 3")


def test_fraction_divides():
    assert holds(r"\frac{6}{4} = 1.5")


def test_slash_divides_by_the_next_factor():
    assert holds(r"\log p(\bm{x}_1; \theta) / 2 = \frac{1}{2} \log p(\bm{x}_1; \theta)")


def test_power_of_a_number():
    assert holds(r"2^{3} = 8")


def test_power_of_a_bracket():
    assert holds(r"\left(1 + 2\right)^2 = 9")


def test_sum_runs_over_both_bounds():
    assert holds(r"\sum_{k=1}^{3} k = 6")


def test_sum_with_a_wrong_bound_fails():
    assert holds(r"\sum_{k=1}^{3} k = 5") is False


def test_sum_takes_the_rest_of_its_term_only():
    assert holds(r"\sum_{k=1}^{2} k \cdot 2 + 1 = 7")


def test_sum_over_the_data_counts_n_points():
    assert holds(r"\sum_{i=1}^N 1 = N")


def test_product_multiplies_the_range():
    assert holds(r"\prod_{k=1}^{3} k = 6")


def test_log_takes_the_next_factor_only():
    assert holds(r"\log p(\bm{x}_1; \theta) p(\bm{x}_2; \theta) = p(\bm{x}_2; \theta) \log p(\bm{x}_1; \theta)")


def test_log_of_a_product_is_a_sum_of_logs():
    assert holds(r"\log \left(p(\bm{x}_1; \theta) p(\bm{x}_2; \theta)\right) = \log p(\bm{x}_1; \theta) + \log p(\bm{x}_2; \theta)")


def test_log_of_a_quotient_is_a_difference_of_logs():
    assert holds(r"\log \frac{p(\bm{x}_1; \theta)}{p(\bm{x}_1; \hat{\theta})} = \log p(\bm{x}_1; \theta) - \log p(\bm{x}_1; \hat{\theta})")


def test_density_slot_takes_any_parameter_of_its_family():
    assert holds(r"p(\bm{x}_1; \hat{\theta}) = p(\bm{x}_1; \theta)") is False


def test_density_of_the_wrong_family_is_not_evaluable():
    assert "no meaning with these arguments" in stuck(r"p(\bm{x}_1; \phi) = 1")


def test_theta_hat_and_theta_t_minus_one_are_the_same_fixed_parameter():
    assert holds(r"p(\bm{x}_1; \hat{\theta}) = p(\bm{x}_1; \theta^{t-1})")


def test_integral_over_a_latent_integrates_its_density_to_one():
    assert holds(r"\int_{\bm{z}} p(\bm{z}|\bm{x}_1; \theta) \mathrm{d} \bm{z} = 1")


def test_integral_over_a_discrete_latent_is_a_sum_over_components():
    assert mixture_only(r"\int_{\bm{z}} p(\bm{z}) \mathrm{d} \bm{z} = \sum_{k=1}^K \alpha_k")


def test_integral_marginalises_the_joint():
    assert holds(r"\int_{\bm{z}} p(\bm{x}_1, \bm{z}; \theta) \mathrm{d} \bm{z} = p(\bm{x}_1; \theta)")


def test_integral_accepts_a_plain_d():
    assert holds(r"\int_{z} p(z) \, d z = 1")


def test_integral_over_the_data_integrates_the_data_density_to_one():
    assert holds(r"\int_{\bm{x}} p(\bm{x}; \theta) \mathrm{d} \bm{x} = 1")


def test_integral_over_the_data_is_over_the_whole_line():
    assert holds(r"\int_{\bm{x}} p(\bm{x}; \theta) \bm{x} \mathrm{d} \bm{x} = \sum_{k=1}^K \alpha_k \bm{\mu}_k")


def test_q_at_an_x_that_is_no_data_point_is_not_evaluable():
    assert "no model instance" in stuck(r"\int_{\bm{x}} q(\bm{z}|\bm{x}; \phi) \mathrm{d} \bm{x} = 1")


def test_integral_over_a_parameter_is_not_evaluable():
    assert stuck(r"\int_{\theta} p(\bm{x}_1; \theta) \mathrm{d} \theta = 1").startswith("\\int over \\theta")


def test_expectation_under_a_written_distribution():
    assert holds(r"\underset{\bm{z} \sim p(\bm{z}|\bm{x}_1; \theta)}{\mathbb{E}} \left[\log \frac{p(\bm{x}_1, \bm{z}; \theta)}"
                 r"{p(\bm{z}|\bm{x}_1; \theta)}\right] = \log p(\bm{x}_1; \theta)")


def test_expectation_under_a_placeholder_distribution():
    assert holds(r"\underset{\bm{z} \sim p(\cdot)}{\mathbb{E}} [1] = 1")


def test_expectation_subscript_form_equals_underset_form():
    assert holds(r"\mathbb{E}_{\bm{z} \sim q(\bm{z}|\bm{x}_1; \phi)}[\log p(\bm{z})] = "
                 r"\underset{\bm{z} \sim q(\bm{z}|\bm{x}_1; \phi)}{\mathbb{E}}[\log p(\bm{z})]")


def test_expectation_abbreviation_q_reads_the_data_point_of_the_enclosing_sum():
    assert holds(r"\sum_{j=1}^N \mathbb{E}_q [\log p(\bm{x}_j | \bm{z}; \theta)] = \sum_{j=1}^N \int_{\bm{z}} "
                 r"q(\bm{z}|\bm{x}_j; \phi) \log p(\bm{x}_j | \bm{z}; \theta) \mathrm{d} \bm{z}")


def test_expectation_over_the_latent_vector_is_q():
    assert holds(r"Q(\theta, \hat{\theta}) = \mathbb{E}_{\bm{z}} \left[\ell(\bm{x}, \bm{z}; \theta)\right]")


def test_expectation_without_a_distribution_is_not_evaluable():
    assert "without the distribution" in stuck(r"\mathbb{E}[\log p(\bm{x}_1; \theta)] = 1")


def test_kl_of_a_density_with_itself_is_zero():
    assert holds(r"\text{KL}(p(\bm{z}|\bm{x}_1; \theta) \| p(\bm{z}|\bm{x}_1; \theta)) = 0")


def test_kl_is_nonnegative_at_every_draw():
    assert holds(r"\text{KL}(q(\bm{z}|\bm{x}_1; \phi) \| p(\bm{z}|\bm{x}_1; \theta)) \ge 0")


def test_kl_argument_order_matters():
    assert holds(r"\text{KL}(q(\bm{z}|\bm{x}_1; \phi) \| p(\bm{z})) = \text{KL}(p(\bm{z}) \| q(\bm{z}|\bm{x}_1; \phi))") is False


def test_kl_written_with_operatorname_and_vert_is_the_same():
    assert holds(r"\operatorname{KL}(q(\bm{z}|\bm{x}_1; \phi) \Vert p(\bm{z})) = \text{KL}(q(\bm{z}|\bm{x}_1; \phi) \| p(\bm{z}))")


def test_kl_of_something_that_is_not_a_density_of_z_is_not_evaluable():
    assert "not a density of z" in stuck(r"\text{KL}(p(\bm{x}_1; \theta) \| p(\bm{x}_2; \theta)) = 0")


def test_big_braces_group_like_parentheses():
    assert holds(r"2 \Big\{ 1 + 2 \Big\} = 6")


def test_left_right_brackets_group():
    assert holds(r"2 \left[ 1 + 2 \right] = 6")


def test_textcolor_does_not_change_the_value():
    assert holds(r"\textcolor{red}{p(\bm{x}_1; \theta)} = p(\bm{x}_1; \theta)")


def test_textcolor_around_a_relation_keeps_the_relation():
    assert holds(r"p(\bm{x}_1; \theta) \textcolor{red}{\le} 2 p(\bm{x}_1; \theta)")


def test_underbrace_label_does_not_change_the_value():
    assert holds(r"\underbrace{p(\bm{x}_1; \theta)}_{\text{边际似然}} = p(\bm{x}_1; \theta)")


def test_bold_does_not_change_the_symbol():
    assert holds(r"p(\bm{x}_1; \theta) = p(x_1; \theta) = p(\mathbf{x}_1; \theta) = p(\boldsymbol{x}_1; \theta)")


def test_spacing_does_not_change_the_value():
    assert holds(r"p(\bm{x}_1;\,\theta) \quad = \; p(\bm{x}_1 ; \theta)")


def test_trailing_full_stop_is_prose():
    assert holds(r"\sum_{k=1}^{3} k = 6.")


def test_a_lone_relation_is_a_word_not_a_statement():
    assert formula(r"\Leftrightarrow").detail == "states no relation"


def test_a_lone_operator_is_a_word_not_a_statement():
    assert formula(r"-").detail == formula(r"\log").detail == "states no relation"


def test_a_relation_with_nothing_before_it_is_not_evaluable():
    assert stuck(r"\ge 0") == "a relation with nothing before it"


def test_commas_separate_statements_and_each_is_checked():
    assert holds(r"1 = 1, \: 2 = 3") is False


def test_free_data_variable_means_every_data_point():
    assert holds(r"p(\bm{x}; \theta) = p(\bm{x}_1; \theta)") is False


def test_free_latent_variable_means_every_value_of_z():
    assert holds(r"p(\bm{x}_1, \bm{z}; \theta) = p(\bm{z}|\bm{x}_1; \theta) p(\bm{x}_1; \theta)")


def test_index_outside_the_data_fails_the_row():
    result = formula(r"\sum_{i=0}^N \log p(\bm{x}_i; \theta) = 0")
    assert result.ok is False and "does not exist" in result.detail


def test_equal_fails_on_a_wrong_value():
    assert holds(r"p(\bm{z}) = 2 p(\bm{z})") is False


def test_equivalent_holds_when_the_difference_is_constant_in_theta():
    assert holds(r"\log p(\bm{x}_1; \theta) \Leftrightarrow \log p(\bm{x}_1; \theta) + \log p(\bm{x}_2; \hat{\theta})")


def test_equivalent_fails_when_the_difference_moves_with_theta():
    assert holds(r"\log p(\bm{x}_1; \theta) \Leftrightarrow 2 \log p(\bm{x}_1; \theta)") is False


def test_equivalent_is_in_the_parameter_the_derivation_names():
    lhs_rhs = r"\text{ELBO}(\phi, \theta) \Leftrightarrow -\sum_{i=1}^N \text{KL}(q(\bm{z}|\bm{x}_i; \phi) \| p(\bm{z}|\bm{x}_i; \theta))"
    assert (holds(lhs_rhs, wrt="\\phi"), holds(lhs_rhs)) == (True, False)


def test_equivalent_in_a_fixed_parameter_is_not_evaluable():
    assert "optimised parameter" in stuck(r"p(\bm{z}) \Leftrightarrow p(\bm{z})", wrt="\\hat{\\theta}")


def test_le_must_hold_at_every_draw():
    assert holds(r"\text{ELBO}(\phi, \theta) \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_ge_for_le_fails():
    assert holds(r"\text{ELBO}(\phi, \theta) \ge \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is False


def test_arrow_is_checked_where_its_left_side_means_something():
    assert mixture_only(r"\sum_{k=1}^K \alpha_k \varphi(\bm{x}; \bm{\mu}_k, \bm{\Sigma}_k) \rightarrow p(\bm{x}; \theta)")


def test_definition_with_colon_equals_is_checked_against_the_notation():
    assert holds(r"Q(\theta, \hat{\theta}) := \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is False


def test_labelled_quantity_is_read_as_its_definition():
    assert holds(r"\text{ELBO:} \quad \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is False


def test_max_alone_is_equivalent_to_the_notation_objective():
    assert holds(r"\max_{\theta} \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is False


def test_argmax_is_compared_through_its_objective():
    assert holds(r"\theta^t = \underset{\theta}{\text{argmax}} \: \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is False


def test_max_as_a_value_is_the_objective_at_the_certified_optimum():
    assert holds(r"\max_{\phi} \text{ELBO}(\phi, \theta) = \sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_a_min_read_after_its_max_is_certified_anew_when_optima_are_shared():
    """`check --mutants` shares certified optima between relations (latexeval.optima_shared): max and min of one
    objective are two optima, never one entry (their keys once ignored max/min)."""
    from latexeval import optima_shared

    with optima_shared():
        assert holds(r"\max_{\phi} \text{ELBO}(\phi, \theta) = \sum_{i=1}^N \log p(\bm{x}_i; \theta)")
        assert not holds(r"\min_{\phi} \text{ELBO}(\phi, \theta) = \sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_a_restricted_q_family_cannot_reach_the_evidence():
    assert holds(r"\max_{\phi} \text{ELBO}(\phi, \theta) = \sum_{i=1}^N \log p(\bm{x}_i; \theta)", "vae-unit-q") is False


def test_maximiser_symbol_is_computed_and_em_never_decreases_the_likelihood():
    assert holds(r"\sum_{i=1}^N \log p(\bm{x}_i; \theta^t) \ge \sum_{i=1}^N \log p(\bm{x}_i; \theta^{t-1})")


def test_maximiser_symbol_beats_every_drawn_parameter_on_its_objective():
    assert holds(r"Q(\theta^t, \theta^{t-1}) \ge Q(\theta, \theta^{t-1})")


def test_optimum_that_no_closed_form_step_attains_is_not_evaluable():
    latex = r"\max_{\phi} \sum_{i=1}^N \text{KL}(q(\bm{z}|\bm{x}_i; \phi) \| p(\bm{z}|\bm{x}_i; \theta)) = 0"
    assert "none of the model's closed-form optima" in stuck(latex)


def test_a_candidate_slightly_off_the_optimum_is_refused(monkeypatch):
    from latexeval.models import Instance

    exact = Instance.optima
    monkeypatch.setattr(Instance, "optima", lambda self, family, given: [
        self.moves(c, 1e-3)[0] for c in exact(self, family, given)])
    latex = r"\sum_{i=1}^N \log p(\bm{x}_i; \theta^t) \ge \sum_{i=1}^N \log p(\bm{x}_i; \theta^{t-1})"
    assert "none of the model's closed-form optima (1 tried)" in stuck(latex)


def test_optimum_without_a_candidate_is_not_evaluable():
    assert "0 tried" in stuck(r"\max_{\theta} \sum_{i=1}^N \log p(\bm{x}_i; \theta) = 0")


def test_optimum_over_a_fixed_parameter_is_not_evaluable():
    assert "not an optimised parameter" in stuck(r"\max_{\hat{\theta}} Q(\theta, \hat{\theta}) = 0")


def test_optimum_of_something_with_free_variables_is_not_evaluable():
    latex = r"\max_{\phi} \log \frac{q(\bm{z}|\bm{x}_1; \phi)}{p(\bm{z}|\bm{x}_1; \theta)} = 0"
    assert "one number per draw" in stuck(latex)


def test_argmax_over_a_distribution_is_that_distribution_at_the_optimum():
    assert holds(r"\underset{q}{\text{argmax}} \: \text{ELBO}(q, \theta) = p(\bm{z}|\bm{x}_i; \theta)")


def test_declared_optimal_distribution_takes_arguments():
    assert holds(r"q^*(\bm{z}|\bm{x}_2) = p(\bm{z}|\bm{x}_2; \theta)")


def test_argmin_where_the_model_only_knows_a_maximum_is_not_evaluable():
    assert "none of the model's" in stuck(r"\underset{q}{\text{argmin}} \: \text{ELBO}(q, \theta) = p(\bm{z}|\bm{x}_i; \theta)")


def test_component_with_a_superscript_belongs_to_that_parameter():
    assert mixture_only(r"\bm{\mu}_k^t = \frac{\sum_{i=1}^N \hat{z}_{ik} \bm{x}_i}{\sum_{i=1}^N \hat{z}_{ik}}")


def test_free_component_index_means_every_component():
    assert holds(r"\alpha_k^t = \frac{1}{N} \sum_{i=1}^N \hat{z}_{ik}", "gmm-em")
    assert holds(r"\alpha_k^t = \frac{1}{N} \sum_{i=1}^N \hat{z}_{i1}", "gmm-em") is False


def test_fixed_weights_are_not_what_the_m_step_learns():
    assert holds(r"\alpha_k = \frac{1}{N} \sum_{i=1}^N \hat{z}_{ik}") is False


def test_indexed_abbreviation_puts_the_slide_indices_for_its_letters():
    assert mixture_only(r"\sum_{k=1}^K \hat{z}_{2k} = 1")


def test_indexed_abbreviation_with_too_few_indices_is_not_evaluable():
    assert "declares 2 indices" in stuck(r"\sum_{k=1}^K \hat{z}_{k} = 1")


def test_free_data_index_means_every_data_point():
    assert mixture_only(r"\hat{z}_{ik} = p(z = k|\bm{x}_i; \theta^{t-1})")


def test_a_free_data_index_may_have_another_letter():
    assert mixture_only(r"\hat{z}_{jk} = p(z = k|\bm{x}_j; \theta^{t-1})")


def test_a_free_component_index_may_have_another_letter():
    assert mixture_only(r"P(z = l) = \alpha_l")


def test_two_free_indices_of_one_role_are_not_read_as_one():
    assert "the symbol j" in stuck(r"\hat{z}_{jk} = p(z = k|\bm{x}_i; \theta^{t-1})")


def test_one_letter_is_renamed_across_a_chain_not_link_by_link():
    assert "the symbol j" in stuck(r"q^*(\bm{z}|\bm{x}_j) = \underset{q}{\text{argmax}} \: \text{ELBO}(q, \theta) = "
                                   r"p(\bm{z}|\bm{x}_i; \theta)")


def test_a_renamed_free_index_still_fails_a_wrong_row():
    assert holds(r"\hat{z}_{jk} = p(z = k|\bm{x}_j; \theta)") is False


def test_the_elbo_is_below_the_log_likelihood_also_where_q_is_the_posterior():
    assert holds(r"\text{ELBO} \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_an_elbo_bound_that_leaves_a_data_point_out_fails_where_q_is_the_posterior():
    assert holds(r"\text{ELBO} \le \sum_{i=1}^{N-1} \log p(\bm{x}_i; \theta)") is False


EM_BOUND = (r"\sum_{i=1}^N \int_{\bm{z}} p(\bm{z}|\bm{x}_i; \hat{\theta}) \log \frac{p(\bm{x}_i, \bm{z}; \theta)}"
            r"{p(\bm{z}|\bm{x}_i; \hat{\theta})} \mathrm{d} \bm{z} \le ")


def test_em_s_bound_is_below_the_log_likelihood_also_where_theta_hat_is_theta():
    assert holds(EM_BOUND + r"\sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_an_em_bound_that_leaves_a_data_point_out_fails_where_theta_hat_is_theta():
    assert holds(EM_BOUND + r"\sum_{i=2}^N \log p(\bm{x}_i; \theta)") is False


M_STEP = r"\begin{pmatrix} \alpha_k^t \\ \bm{\mu}_k^t \\ \bm{\Sigma}_k^t \end{pmatrix} = \underset{\theta}{\text{argmax}} \: "


def test_an_argmax_stands_for_the_model_s_certified_optimum():
    assert holds(M_STEP + r"Q(\theta, \theta^{t-1})", "gmm-em")


def test_an_argmax_of_an_objective_that_does_not_depend_on_its_variable_fails():
    result = formula(M_STEP + r"Q(\hat{\theta}, \theta^{t-1})", "gmm-em")
    assert result.ok is False and "does not depend on" in result.detail


def test_a_max_over_one_variable_twice_is_not_evaluable():
    assert stuck(r"\max_{\theta, \theta} \text{ELBO}(\phi, \theta)") == "max over \\theta twice"


def test_a_braced_product_under_log_is_read_as_the_next_factor_only():
    assert holds(r"\log {p(\bm{x}_1; \theta) p(\bm{x}_2; \theta)} = \log p(\bm{x}_1; \theta) + "
                 r"\log p(\bm{x}_2; \theta)") is False


def test_column_vectors_are_equal_entry_by_entry():
    assert holds(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix} = \begin{bmatrix} \frac{2}{2} \\ 1 + 1 \end{bmatrix}")
    assert holds(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix} = \begin{pmatrix} 1 \\ 3 \end{pmatrix}") is False


def test_vectors_of_different_lengths_or_a_vector_and_a_number_differ():
    assert holds(r"\begin{pmatrix} 1 \\ 2 \end{pmatrix} = \begin{pmatrix} 1 \\ 2 \\ 3 \end{pmatrix}") is False
    assert holds(r"\begin{pmatrix} 1 \end{pmatrix} = 1") is False


def test_parameter_is_the_column_of_its_components_in_declared_order():
    assert mixture_only(r"\begin{pmatrix} \bm{\mu}_k^t \\ \bm{\Sigma}_k^t \end{pmatrix} = \theta^t")
    assert holds(r"\begin{pmatrix} \bm{\Sigma}_k^t \\ \bm{\mu}_k^t \end{pmatrix} = \theta^t") is False


def test_parameter_as_a_value_without_a_component_index_is_not_evaluable():
    assert "a parameter as a value" in stuck(r"\theta = \hat{\theta}")


def test_transpose_of_a_one_dimensional_vector_is_itself():
    assert holds(r"(\bm{x}_1 - 1)(\bm{x}_1 - 1)^T = (\bm{x}_1 - 1)^2")
    assert holds(r"\bm{x}_1^\top = \bm{x}_1")


def test_parameter_fields_are_the_linear_gaussian_parameters():
    result = formula(r"p(\bm{x}_1; \theta) = \varphi(\bm{x}_1; b, a^2 + s^2)")
    assert result.ok is True and "not on gmm" in result.detail


def test_distribution_written_without_its_variable_is_a_density_of_z():
    result = formula(r"p(\bm{z}) = \mathcal{N}(0, 1)")
    assert result.ok is True and "not on gmm" in result.detail


def test_base_notation_is_extended_not_copied():
    em, deck = load_notation("gmm-em"), load_notation(NOTATION)
    assert em.patterns.keys() == deck.patterns.keys() and em.components["\\alpha"].of is not None
    assert deck.components["\\alpha"].of is None


def test_divergences_are_checked_on_two_pairs_of_distributions():
    result = formula(r"\text{JS}(p \| q) = \text{JS}(q \| p)", "divergences")
    assert result.ok is True and "categorical-pair, normal-pair" in result.detail


def test_js_is_half_the_kl_to_the_midpoint_twice():
    assert holds(r"\text{JS}(p \| q) = \frac{1}{2} \text{KL}(p \| m) + \frac{1}{2} \text{KL}(q \| m)", "divergences")
    assert holds(r"\text{JS}(p \| q) = \frac{1}{2} \text{KL}(p \| q) + \frac{1}{2} \text{KL}(q \| p)", "divergences") is False


def test_js_of_something_that_is_not_a_density_of_z_is_not_evaluable():
    assert "not a density of z" in stuck(r"\text{JS}(2 \| q) = 0", "divergences")


def test_row_may_define_a_symbol_the_notation_does_not_know():
    latex = r"\frac{1}{2} (t - 1) = \frac{\sigma_1^2 - \sigma_2^2}{2 \sigma_2^2}, \quad t = \frac{\sigma_1^2}{\sigma_2^2}"
    assert holds(latex, "divergences")
    assert holds(latex.replace(r"t = \frac{\sigma_1^2}", r"t = \frac{\sigma_2^2}"), "divergences") is False


def test_trailing_statement_about_a_known_symbol_is_checked_not_defined():
    assert holds(r"p = \mathcal{N}(0, \sigma_1^2), \: q = \mathcal{N}(1, \sigma_2^2)", "divergences") is False


def test_substitution_bar_replaces_the_parameter():
    assert holds(r"\left. \sum_{i=1}^N \int_{\bm{z}} p(\bm{z}|\bm{x}_i; \hat{\theta}) \log \frac{p(\bm{x}_i, \bm{z}; \theta)}"
                 r"{p(\bm{z}|\bm{x}_i; \hat{\theta})} \mathrm{d} \bm{z} \right|_{\hat{\theta} = \theta} = "
                 r"\sum_{i=1}^N \log p(\bm{x}_i; \theta)")


def test_latent_equal_to_a_component_in_an_argument():
    assert mixture_only(r"p(\bm{x}_1; \theta) = \sum_{k=1}^K p(\bm{x}_1|z = k; \theta) P(z = k)")


def test_density_given_the_latent_vector_takes_its_own_data_points_latent():
    # E_z binds z = (z_1..z_N); x_i depends on z through z_i alone
    assert holds(r"Q(\theta, \hat{\theta}) = \mathbb{E}_{\bm{z}} \left[ \sum_{i=1}^N \log p(\bm{x}_i|\bm{z};\theta)"
                 r" + \sum_{i=1}^N \log p(\bm{z}_i) \right]") is True


def test_density_given_the_latent_vector_dropping_the_prior_fails():
    assert holds(r"Q(\theta, \hat{\theta}) = \mathbb{E}_{\bm{z}} \left[ \sum_{i=1}^N \log p(\bm{x}_i|\bm{z};\theta)"
                 r" \right]") is False


def test_density_of_a_free_x_given_the_latent_vector_is_not_evaluable():
    assert "the whole latent vector" in stuck(r"\mathbb{E}_{\bm{z}} \left[ \log p(\bm{x}|\bm{z};\theta)\right] = 1")


def test_mixture_symbols_are_not_applicable_on_the_linear_gaussian_model():
    result = formula(r"\sum_{k=1}^K \alpha_k = 1")
    assert result.ok is True and "linear-gaussian has no components" in result.detail


def test_unknown_symbol_is_not_evaluable_with_its_offset():
    result = formula(r"p(\bm{x}_1; \theta) = \omega")
    assert (result.ok, result.not_evaluable, result.offset) == (None, "the symbol \\omega", 22)


def test_unknown_katex_construct_is_not_evaluable():
    assert "index" in stuck(r"\sqrt[3]{8} = 2")


def test_environment_inside_a_row_is_not_evaluable():
    assert stuck(r"\begin{pmatrix} 1 & 2 \end{pmatrix} = 1").startswith("an environment")
    assert stuck(r"\begin{cases} 1 \\ 2 \end{cases} = 1").startswith("an environment")


def test_unsupported_relation_is_not_evaluable():
    assert stuck(r"p(\bm{z}) \approx 1") == "the relation \\approx"


def test_formula_katex_rejects_is_not_evaluable():
    assert formula(r"\frac{1}{").ok is None


def test_row_relation_must_agree_with_what_katex_reads():
    (row,) = evaluate_derivation([("=", r"1 &\le 2")], NOTATION)
    assert row.ok is None and "KaTeX reads <=" in row.not_evaluable


def test_row_offset_points_into_the_row_latex():
    latex = r"1 &= \omega"
    (row,) = evaluate_derivation([("=", latex)], NOTATION)
    assert latex[row.offset:].startswith("\\omega")


def test_row_continuing_an_unreadable_row_says_so():
    rows = evaluate_derivation([("=", r"1 &= \omega"), ("=", r"&= 1")], NOTATION)
    assert rows[1].ok is None and "the row before" in rows[1].not_evaluable


def test_align_star_formula_is_evaluated_row_by_row():
    result = formula("\\begin{align*} 1 &= \\frac{2}{2} \\\\ &= 3 \\end{align*}")
    assert [r.ok for r in result.rows] == [True, False]


def test_deck_macros_reach_katex():
    assert holds(r"\KL(p(\bm{z}) \| p(\bm{z})) = 0", macros={"\\KL": "\\operatorname{KL}"})


def test_notation_patterns_are_read_by_katex():
    nt = load_notation(NOTATION)
    assert {"p", "q", "Q", "\\ell", "\\text{ELBO}", "\\varphi", "P", "\\mathcal{N}"} <= set(nt.patterns)


def test_node_starts_once_for_many_formulas():
    parser = shared_parser()
    parser.close()  # stopped (as after a build): the next formula starts it again, once
    before = parser.started
    for k in range(5):
        formula(f"{k} + 17 = {k} + 17")
    assert parser.started - before == 1


SPACING = [r"\,", r"\;", r"\:", r"\quad ", r"\!", r"\ "]
ANCHORS = [r"\log", r"\sum", r"\int", r"\mathrm{d}", r"\text{KL}", r"\frac", "="]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(DERIVATIONS)), st.data())
def test_spacing_anywhere_before_an_operator_never_changes_a_verdict(did, data):
    tex = DERIVATIONS[did]
    spots = [k for anchor in ANCHORS for k in range(len(tex)) if tex.startswith(anchor, k)]
    chosen = data.draw(st.lists(st.sampled_from(spots), max_size=4, unique=True))
    for k in sorted(chosen, reverse=True):
        tex = tex[:k] + data.draw(st.sampled_from(SPACING)) + tex[k:]
    assert all(ok is True for ok in evaluate_tex(tex, did))


# --------------------------------------------------------------------------- #
# mutation corpus


@dataclass(frozen=True)
class Edit:
    target: str  # a derivation id, or a snippet of one display formula
    row: int  # the row (of split_rows) the edit applies to
    old: str | tuple[str, ...]  # every occurrence in that row is replaced (several strings: in turn)
    new: str | tuple[str, ...]
    why: str

    def on(self, text: str) -> str:
        olds, news = (self.old, self.new) if isinstance(self.old, tuple) else ((self.old,), (self.new,))
        for old, new in zip(olds, news):
            assert old in text, f"{self.why}: {old!r} not in {text!r}"
            text = text.replace(old, new)
        return text


def apply(edit: Edit) -> tuple[str, str | None]:
    """The edited formula, and the id of the derivation it is (None: another display formula)."""
    if edit.target not in DERIVATIONS:  # a one-row formula (split_rows rejects its ':=')
        (tex,) = [f for f in FORMULAS if edit.target in f]
        return edit.on(tex), None
    tex = DERIVATIONS[edit.target]
    row = split_rows(tex)[edit.row - 1]
    return tex[:row.offset] + edit.on(row.latex) + tex[row.offset + len(row.latex):], edit.target


Q, B = "em-q-decomposition", "em-to-vae-bound"
POST_HAT = r"p(\bm{z}|\bm{x}_i; \hat{\theta})"
KL_HAT = r"\text{KL}(p(\bm{z}|\bm{x}_i; \hat{\theta}) \| p(\bm{z}|\bm{x}_i; \theta))"
KL_SWAPPED = r"\text{KL}(p(\bm{z}|\bm{x}_i; \theta) \| p(\bm{z}|\bm{x}_i; \hat{\theta}))"
ELBO_LE, ARGMAX = "elbo-bound", "em-argmax-elbo"
NORM, MSTEP, MONO, POST, GAP = "gmm-normalised", "gmm-m-step", "em-monotone", "vae-posterior", "vae-gap"
KLN, KLA, JS = "kl-nonnegative", "kl-asymmetry", "js-divergence"
KL_MONO = r"\text{KL}(p(\bm{z}|\bm{x}_i; \theta^{t-1}) \| p(\bm{z}|\bm{x}_i; \theta^t))"
ZHAT_SUM = r"\sum_{i=1}^N \hat{z}_{ik}"

WRONG = [
    Edit(Q, 1, POST_HAT + r" \log", r"p(\bm{z}|\bm{x}_i; \theta) \log", "θ̂ -> θ in the posterior weight"),
    Edit(Q, 1, r"\sum_{i=1}^N \int", r"\sum_{i=1}^{N-1} \int", "sum stops at N-1"),
    Edit(Q, 1, r"\log p(\bm{x}_i, \bm{z}; \theta)", r"\log p(\bm{x}, \bm{z}; \theta)", "missing index on x"),
    Edit(Q, 1, r"Q(\theta, \hat{\theta})", r"Q(\hat{\theta}, \theta)", "Q's arguments swapped"),
    Edit(Q, 2, r"\textcolor{red}{\Leftrightarrow}", "=", "'=' for '<=>': the entropy term is not zero"),
    Edit(Q, 2, r"{\textcolor{red}{" + POST_HAT + "}}", r"{\textcolor{red}{p(\bm{z}|\bm{x}_i; \theta)}}",
         "θ̂ -> θ in the denominator"),
    Edit(Q, 3, r"p(\bm{x}_i; \theta)}", r"p(\bm{x}_i; \hat{\theta})}", "Bayes with the evidence at θ̂"),
    Edit(Q, 3, r"p(\bm{z}| \bm{x}_i; \theta) p(\bm{x}_i; \theta)", r"p(\bm{z}) p(\bm{x}_i; \theta)",
         "prior for posterior in Bayes' rule"),
    Edit(Q, 4, r"\log p(\bm{x}_i; \theta) + ", "", "dropped term log p(x_i; θ)"),
    Edit(Q, 4, r"+ \log \frac", r"- \log \frac", "sign of the log-ratio"),
    Edit(Q, 5, r"- \text{KL}", r"+ \text{KL}", "+KL for -KL"),
    Edit(Q, 5, KL_HAT, KL_SWAPPED, "KL arguments swapped"),
    Edit(Q, 5, r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})", "evidence at θ̂"),
    Edit(Q, 5, r"\sum_{i=1}^N", r"\sum_{i=2}^N", "sum starts at 2"),
    Edit(B, 1, r"&\Leftrightarrow", "&=", "'=' for '<=>'"),
    Edit(B, 1, r"\frac{p(\bm{x}_i, \bm{z}; \theta)}", r"\frac{p(\bm{x}_i, \bm{z}; \hat{\theta})}", "θ -> θ̂ in the joint"),
    Edit(B, 2, KL_HAT, KL_SWAPPED, "GAP with swapped KL"),
    Edit(B, 2, r"\| p(\bm{z}|\bm{x}_i; \theta))", r"\| p(\bm{z}|\bm{x}; \theta))", "missing index in the KL"),
    Edit(B, 2, r"}_{\text{边际似然}} - ", r"}_{\text{边际似然}} + ", "+GAP for -GAP"),
    Edit("gmm-density", 1, r"\bm{\Sigma}_k), \:", r"\bm{\Sigma}_1), \:", "one covariance for every component"),
    Edit("gmm-density", 1, r"\alpha_k \varphi", r"\alpha_1 \varphi", "one weight for every component"),
    Edit(ELBO_LE, 1, r"\le", r"\ge", "≥ for ≤"),
    Edit(ELBO_LE, 1, r"\text{ELBO} \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)",
         r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) \le \text{ELBO}", "sides of ≤ swapped"),
    Edit("Q(\\theta, \\theta^{t-1}) :=", 1, r"p(\bm{z}|\bm{x}_i; \theta^{t-1})", r"p(\bm{z}|\bm{x}_i; \theta)",
         "E step under p(z|x; θ) instead of θ^{t-1}"),
    Edit("Q(\\theta, \\hat{\\theta}) =", 1, r"Q(\theta, \hat{\theta})", r"Q(\hat{\theta}, \theta)", "Q's arguments swapped"),
    Edit("\\rightarrow", 1, r"p(\bm{x}|\bm{z}; \theta) p(\bm{z})", r"p(\bm{z}|\bm{x}; \theta) p(\bm{z})",
         "posterior for likelihood in the marginal"),
    Edit("\\ell(\\bm{x}, \\bm{z}; \\theta) =", 1, r"\bm{z}_i", r"\bm{z}_1", "one latent for every data point"),
    Edit(ARGMAX, 1, r"\frac{p(\bm{x}_i, \bm{z}; \theta)}", r"\frac{p(\bm{x}_i, \bm{z}; \theta^{t-1})}",
         "M step objective with the joint at θ^{t-1}"),
    Edit("\\text{ELBO:}", 1, r"\log \frac{p(\bm{x}_i, \bm{z}; \theta)}{\textcolor{blue}{q(\bm{z}|\bm{x}_i; \phi)}}",
         r"\log \frac{\textcolor{blue}{q(\bm{z}|\bm{x}_i; \phi)}}{p(\bm{x}_i, \bm{z}; \theta)}", "fraction upside down"),
    Edit("\\max_{\\textcolor{blue}{\\phi}}", 1,
         r"\text{KL} (q(\bm{z}|\bm{x}_i; \textcolor{blue}{\phi}) \| p(\bm{z}|\bm{x}_i; \theta))",
         r"\text{KL} (p(\bm{z}|\bm{x}_i; \theta) \| q(\bm{z}|\bm{x}_i; \textcolor{blue}{\phi}))", "E step with swapped KL"),
    Edit("\\max_{\\textcolor{blue}{\\theta}}", 1, r"\log p(\bm{x}_i| \bm{z}; \textcolor{blue}{\theta})",
         r"\log p(\bm{z}| \bm{x}_i; \textcolor{blue}{\theta})", "M step with the posterior for the likelihood"),
    # the appendix
    Edit(NORM, 1, r"\sum_{k=1}^K \alpha_k \int", r"\sum_{k=1}^K \int", "mixture weights dropped"),
    Edit(NORM, 1, r"\int_{\bm{x}} p(\bm{x}; \theta) \mathrm{d}", r"\int_{\bm{x}} p(\bm{x}; \theta)^2 \mathrm{d}",
         "the density squared"),
    Edit(NORM, 2, r"\alpha_k", r"\alpha_k^2", "α_k² for α_k"),
    Edit(MSTEP, 1, r"(\bm{x}_i - \bm{\mu}_k^t)(\bm{x}_i - \bm{\mu}_k^t)^T", r"(\bm{x}_i - \bm{\mu}_k^t)^2",
         "a square for the outer product (x - μ)(x - μ)^T: the same number only in one dimension"),
    Edit(MSTEP, 1, r"\frac{1}{N}", r"\frac{1}{K}", "weights normalised by K"),
    Edit(MSTEP, 1, r"\hat{z}_{ik} \bm{x}_i}", r"\bm{x}_i}", "unweighted mean"),
    Edit(MSTEP, 1, r"\alpha_k^t \\ \bm{\mu}_k^t", r"\bm{\mu}_k^t \\ \alpha_k^t", "α and μ swapped in the column"),
    Edit(MSTEP, 1, r"Q(\theta, \theta^{t-1})", r"Q(\theta^{t-1}, \theta)", "argmax of Q in its second argument"),
    Edit(MSTEP, 1, r"^T}{" + ZHAT_SUM + "}", r"^T}{N}", "variance divided by N"),
    Edit(MONO, 1, KL_MONO, r"\text{KL}(p(\bm{z}|\bm{x}_i; \theta^t) \| p(\bm{z}|\bm{x}_i; \theta^{t-1}))",
         "KL between successive posteriors reversed"),
    Edit(MONO, 1, r"+ \sum_{i=1}^N \text{KL}", r"- \sum_{i=1}^N \text{KL}", "-KL for +KL"),
    Edit(MONO, 1, r"- Q(\theta^{t-1}, \theta^{t-1})", r"- Q(\theta^{t}, \theta^{t})", "Q at θ^t twice"),
    Edit(MONO, 2, r"\ge 0", r"\le 0", "EM decreases the likelihood"),
    Edit(POST, 1, r"= p(\bm{z}|\bm{x}_i; \theta)", r"= p(\bm{z})", "the prior as the optimal q"),
    Edit(POST, 1, r"\text{argmax}", r"\text{argmin}", "argmin of the ELBO"),
    Edit(POST, 1, r"\text{ELBO}(q, \theta)", r"\text{ELBO}(q, \theta^{t-1})", "ELBO at θ^{t-1}, posterior at θ"),
    Edit(GAP, 1, r"\max_{\phi}", r"\min_{\phi}", "min of the ELBO"),
    Edit(GAP, 1, r"- \max_{\phi}", r"+ \max_{\phi}", "+ELBO for -ELBO"),
    Edit(GAP, 2, r"\frac{a^2}{s^2} - \log", r"\frac{s^2}{a^2} - \log", "s²/a² for a²/s²"),
    Edit(GAP, 2, r"\frac{N}{2}", r"\frac{N}{4}", "N/4 for N/2"),
    Edit(GAP, 3, r"\ge 0", r"\le 0", "GAP_VAE <= 0"),
    Edit(KLN, 1, r"- 1 - \log", r"+ 1 - \log", "t + 1 - log t"),
    Edit(KLN, 1, r"\log \frac{p(\bm{z})}{q(\bm{z})} \mathrm{d}", r"\log \frac{q(\bm{z})}{p(\bm{z})} \mathrm{d}",
         "log(q/p) for log(p/q)"),
    Edit(KLN, 2, r"\ge 0", r"\le 0", "KL <= 0"),
    Edit(KLA, 1, r"p(\bm{z}) + q(\bm{z})", r"p(\bm{z}) - q(\bm{z})", "(p - q) for (p + q)"),
    Edit(KLA, 2, r"- 2 \log t", r"+ 2 \log t", "+2 log t for -2 log t"),
    Edit(KLA, 2, r"t = \frac{\sigma_1^2}{\sigma_2^2}", r"t = \frac{\sigma_2^2}{\sigma_1^2}", "t inverted"),
    Edit(JS, 1, r"= \text{JS}(p \| q)", r"= \text{KL}(p \| q)", "KL for JS"),
    Edit(JS, 2, r"\text{KL}(q \| m) + \frac{1}{2} \text{KL}(p \| m)", r"\text{KL}(m \| q) + \frac{1}{2} \text{KL}(m \| p)",
         "KL to the midpoint reversed"),
    Edit(JS, 3, r"\log 2", r"\frac{1}{2} \log 2", "JS <= log(2)/2"),
]

REWRITES = [
    Edit(Q, 1, ("_i", "{i=1}"), ("_j", "{j=1}"), "summation index i -> j"),
    Edit(Q, 2, r"\log \frac{p(\bm{x}_i, \bm{z}; \theta)}{\textcolor{red}{" + POST_HAT + "}}",
         r"\left(\log p(\bm{x}_i, \bm{z}; \theta) - \log " + POST_HAT + r"\right)", "log(a/b) as log a - log b"),
    Edit(Q, 2, r"\textcolor{red}", r"\textcolor{blue}", "another colour"),
    Edit(Q, 2, r"\textcolor{red}{\Leftrightarrow}", r"\iff", "\\iff for \\Leftrightarrow, colour dropped"),
    Edit(Q, 1, POST_HAT + r" \log", r"\textcolor{blue}{" + POST_HAT + r"} \log", "a colour added"),
    Edit(Q, 1, r"\mathrm{d} \bm{z}", r"\, \mathrm{d}\boldsymbol{z}", "spacing and \\boldsymbol"),
    Edit(Q, 1, r"\hat{\theta}", r"\hat\theta", "accent without braces"),
    Edit(Q, 1, r"\int_{\bm{z}} " + POST_HAT + r" \log p(\bm{x}_i, \bm{z}; \theta) \mathrm{d} \bm{z}",
         r"\underset{\bm{z} \sim p(\cdot|\bm{x}_i; \hat{\theta})}{\mathbb{E}} \left[\log p(\bm{x}_i, \bm{z}; \theta)\right]",
         "the integral as an expectation under p(·|x_i; θ̂)"),
    Edit(Q, 3, r"p(\bm{z}| \bm{x}_i; \theta) p(\bm{x}_i; \theta)", r"p(\bm{x}_i; \theta) \, p(\bm{z}| \bm{x}_i; \theta)",
         "factors commuted"),
    Edit(Q, 3, r"\bm{x}", r"\mathbf{x}", "\\mathbf for \\bm"),
    Edit(Q, 4, (r"\left(", r"\right)"), (r"\Big(", r"\Big)"), "\\Big( \\Big) for \\left( \\right)"),
    Edit(Q, 4, r"\log \frac{p(\bm{z}| \bm{x}_i; \theta) }{" + POST_HAT + "}",
         r"\log p(\bm{z}| \bm{x}_i; \theta) - \log " + POST_HAT, "log of a ratio as a difference"),
    Edit(Q, 4, r"\log p(\bm{x}_i; \theta) + \log \frac{p(\bm{z}| \bm{x}_i; \theta) }{" + POST_HAT + "}",
         r"\log \frac{p(\bm{z}| \bm{x}_i; \theta) }{" + POST_HAT + r"} + \log p(\bm{x}_i; \theta)", "terms commuted"),
    Edit(Q, 5, ("_i", "{i=1}"), ("_n", "{n=1}"), "summation index i -> n"),
    Edit(Q, 5, (r"\Big\{", r"\Big\}"), (r"\left[", r"\right]"), "\\left[ \\right] for \\Big\\{ \\Big\\}"),
    Edit(Q, 5, r"\text{KL}", r"\operatorname{KL}", "\\operatorname{KL}"),
    Edit(Q, 5, r" \| ", r" \Vert ", "\\Vert for \\|"),
    Edit(Q, 5, r"\Big\{\log p(\bm{x}_i; \theta) - " + KL_HAT + r" \Big\}",
         r"\log p(\bm{x}_i; \theta) - \sum_{i=1}^N " + KL_HAT, "sum distributed over the difference"),
    Edit(Q, 5, r"\log p(\bm{x}_i; \theta) - " + KL_HAT, r"- " + KL_HAT + r" + \log p(\bm{x}_i; \theta)",
         "terms reordered, leading minus"),
    Edit(B, 2, r"\underbrace{\log p(\bm{x}_i; \theta)}_{\text{边际似然}}", r"\log p(\bm{x}_i; \theta)", "underbrace dropped"),
    Edit(B, 2, r"_{\text{GAP, } \ge 0}", r"_{\text{the gap}}", "underbrace label changed"),
    Edit(B, 1, r"\log \frac{p(\bm{x}_i, \bm{z}; \theta)}{" + POST_HAT + "}",
         r"\Big(\log p(\bm{x}_i, \bm{z}; \theta) - \log " + POST_HAT + r"\Big)", "log(a/b) as (log a - log b)"),
    Edit("gmm-density", 1, r"\bm{\mu_k}", r"\bm{\mu}_k", "subscript outside the bold"),
    Edit("gmm-density", 1, r"\alpha_k \varphi(\bm{x}; \bm{\mu_k}, \bm{\Sigma}_k)",
         r"\varphi(\bm{x}; \bm{\mu_k}, \bm{\Sigma}_k) \cdot \alpha_k", "factors commuted with \\cdot"),
    Edit(ELBO_LE, 1, r"\le", r"\leq", "\\leq for \\le"),
    Edit(ELBO_LE, 1, r"\text{ELBO}", r"\text{ELBO}(\phi, \theta)", "ELBO with its arguments"),
    Edit("Q(\\theta, \\theta^{t-1}) :=", 1, r"\theta^{t-1}", r"\hat{\theta}", "θ^{t-1} written θ̂"),
    Edit("Q(\\theta, \\theta^{t-1}) :=", 1, r"\underset{\bm{z}_i \sim p(\bm{z}|\bm{x}_i; \theta^{t-1})}{\mathbb{E}}",
         r"\mathbb{E}_{\bm{z}_i \sim p(\bm{z}|\bm{x}_i; \theta^{t-1})}", "distribution as a subscript of E"),
    Edit("\\max_{\\textcolor{blue}{\\theta}}", 1, r"\mathbb{E}_q",
         r"\mathbb{E}_{\bm{z} \sim q(\bm{z}|\bm{x}_i; \phi)}", "E_q written out"),
    Edit(Q, 5, r"\sum_{i=1}^N", r"\sum\limits_{i=1}^{N}", "\\limits and braced bound"),
    Edit(Q, 5, r"\log p", r"\ln p", "\\ln for \\log"),
    Edit(Q, 4, r"\mathrm{d} \bm{z}", r"\text{d}\bm{z}", "\\text{d} for \\mathrm{d}"),
    Edit(Q, 1, r"\int_{\bm{z}} " + POST_HAT + r" \log p(\bm{x}_i, \bm{z}; \theta) \mathrm{d} \bm{z}",
         r"\int_{\bm{z}} \mathrm{d} \bm{z} \, " + POST_HAT + r" \log p(\bm{x}_i, \bm{z}; \theta)",
         "the differential written first"),
    Edit(Q, 5, r"- " + KL_HAT, r"- \int_{\bm{z}} " + POST_HAT + r" \log \frac{" + POST_HAT +
         r"}{p(\bm{z}|\bm{x}_i; \theta)} \mathrm{d} \bm{z}", "KL written as its integral"),
    Edit(Q, 3, r"\hat{\theta}", r"\theta^{t-1}", "θ̂ written θ^{t-1}"),
    Edit(B, 1, r"\Leftrightarrow", r"\Longleftrightarrow", "\\Longleftrightarrow"),
    Edit(B, 2, KL_HAT, r"\text{KL}\left(" + POST_HAT + r" \,\middle\|\, p(\bm{z}|\bm{x}_i; \theta)\right)",
         "\\left( \\middle\\| \\right)"),
    Edit("gmm-density", 1, r"\sum_{k=1}^K \alpha_k = 1", r"1 = \sum_{k=1}^K \alpha_k", "sides of = swapped"),
    Edit(ELBO_LE, 1, r"\text{ELBO} \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)",
         r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) \ge \text{ELBO}", "≤ read from the other side"),
    # the appendix
    Edit(NORM, 1, r"\mathrm{d} \bm{x}", r"\text{d}\bm{x}", "\\text{d} for \\mathrm{d}"),
    Edit(NORM, 1, r"\sum_{k=1}^K \alpha_k \int_{\bm{x}} \varphi(\bm{x}; \bm{\mu}_k, \bm{\Sigma}_k) \mathrm{d} \bm{x}",
         r"\int_{\bm{x}} \sum_{k=1}^K \alpha_k \varphi(\bm{x}; \bm{\mu}_k, \bm{\Sigma}_k) \mathrm{d} \bm{x}",
         "sum taken inside the integral"),
    Edit(MSTEP, 1, ("{pmatrix}",), ("{bmatrix}",), "bmatrix for pmatrix"),
    Edit(MSTEP, 1, r"\frac{1}{N} " + ZHAT_SUM, r"\frac{" + ZHAT_SUM + "}{N}", "1/N moved into the fraction"),
    Edit(MSTEP, 1, ("_{ik}", "{i=1}", r"\bm{x}_i"), ("_{jk}", "{j=1}", r"\bm{x}_j"), "data index i -> j"),
    Edit(MSTEP, 1, r"^T}", r"^\top}", "\\top for T"),
    Edit(MONO, 1, r"\theta^t", r"\theta^{t}", "braced superscript"),
    Edit(MONO, 1, r"\sum_{i=1}^N \log p(\bm{x}_i; \theta^t) - \sum_{i=1}^N \log p(\bm{x}_i; \theta^{t-1})",
         r"\sum_{i=1}^N \log \frac{p(\bm{x}_i; \theta^t)}{p(\bm{x}_i; \theta^{t-1})}", "difference of logs as a log-ratio"),
    Edit(POST, 1, r"\underset{q}{\text{argmax}} \:", r"\mathop{\text{argmax}}\limits_{q}", "\\mathop with \\limits"),
    Edit(POST, 1, r"= p(\bm{z}|\bm{x}_i; \theta)", r"= \frac{p(\bm{x}_i, \bm{z}; \theta)}{p(\bm{x}_i; \theta)}",
         "the posterior by Bayes' rule"),
    Edit(GAP, 1, r"\min_{\phi} \sum_{i=1}^N", r"\sum_{i=1}^N \min_{\phi}", "min taken term by term"),
    Edit(GAP, 2, (r"\frac{a^2}{s^2}",), (r"\left(\frac{a}{s}\right)^2",), "(a/s)² for a²/s²"),
    Edit(GAP, 3, r"\ge", r"\geq", "\\geq for \\ge"),
    Edit(KLN, 1, r"\log \frac{p(\bm{z})}{q(\bm{z})} \mathrm{d}", r"\left(-\log \frac{q(\bm{z})}{p(\bm{z})}\right) \mathrm{d}",
         "log(p/q) as -log(q/p)"),
    Edit(KLN, 1, (r"\int_{\bm{z}}", r"\mathrm{d} \bm{z}"), (r"\int_z", r"\, dz"), "unbold z, plain d"),
    Edit(KLA, 2, r"\frac{1}{2} \left(t - \frac{1}{t} - 2 \log t\right)", r"\frac{t}{2} - \frac{1}{2t} - \log t",
         "bracket expanded"),
    Edit(KLA, 2, r"t = \frac{\sigma_1^2}{\sigma_2^2}", r"t = \sigma_1^2 / \sigma_2^2", "slash for the fraction"),
    Edit(JS, 1, r"\frac{1}{2} \text{KL}(p \| m) + \frac{1}{2} \text{KL}(q \| m)",
         r"\frac{\text{KL}(p \| m) + \text{KL}(q \| m)}{2}", "one fraction"),
    Edit(JS, 3, r"\log 2", r"\ln 2", "\\ln for \\log"),
    Edit(JS, 2, r"\text{JS}", r"\operatorname{JS}", "\\operatorname{JS}"),
]


def _verdict(edit: Edit) -> list:
    tex, derivation = apply(edit)
    return evaluate_tex(tex, derivation)


APPENDIX = {NORM, MSTEP, MONO, POST, GAP, KLN, KLA, JS}


def test_mutation_corpus_is_large_enough():
    assert len(WRONG) >= 20 and len(REWRITES) >= 20
    assert {e.target for e in WRONG} >= APPENDIX and {e.target for e in REWRITES} >= APPENDIX


@pytest.mark.slow
def test_mutation_corpus_catches_every_wrong_edit_and_accepts_the_rewrites(capsys):
    wrong = [(e, _verdict(e)) for e in WRONG]
    missed = [e.why for e, oks in wrong if all(ok is True for ok in oks)]
    failed_outright = sum(1 for _, oks in wrong if any(ok is False for ok in oks))
    rejected = [(e.why, oks) for e, oks in ((e, _verdict(e)) for e in REWRITES) if not all(ok is True for ok in oks)]
    caught_rate = 1 - len(missed) / len(WRONG)
    accepted_rate = 1 - len(rejected) / len(REWRITES)
    with capsys.disabled():
        print(f"\nlatexeval mutation corpus: {len(WRONG) - len(missed)}/{len(WRONG)} wrong edits caught "
              f"({caught_rate:.0%}; {failed_outright} fail outright, the rest are not evaluable), "
              f"{len(REWRITES) - len(rejected)}/{len(REWRITES)} rewrites accepted ({accepted_rate:.0%})")
    assert missed == []
    assert accepted_rate >= 0.9, rejected


def test_a_formula_over_the_size_limit_is_not_evaluable_as_too_large():
    result = formula("x = x" + " + 0" * 6000)
    assert result.ok is None and result.not_evaluable.startswith("too large")


def test_a_row_over_the_size_limit_is_not_evaluable_and_the_others_are_evaluated():
    rows = evaluate_derivation([("=", "1 = 1"), ("=", "&= 1" + " + 0" * 6000)], NOTATION)
    assert rows[0].ok is True and rows[1].not_evaluable.startswith("too large")


def test_a_formula_over_the_time_limit_is_not_evaluable_as_too_slow(monkeypatch):
    from latexeval import limits

    monkeypatch.setattr(limits, "TIME_LIMIT", 0.0)
    result = formula(r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) = \sum_{i=1}^N \log p(\bm{x}_i; \theta) + 0")
    assert result.ok is None and result.not_evaluable.startswith("too slow")


def test_nested_integrals_over_the_value_limit_are_not_evaluable_as_too_large(monkeypatch):
    from latexeval import limits

    monkeypatch.setattr(limits, "MAX_VALUES", 1000)
    result = formula(r"\int_{\bm{z}} \int_{\bm{x}} p(\bm{x}, \bm{z}; \theta) \mathrm{d}\bm{x} \mathrm{d}\bm{z} = 1")
    assert result.ok is None and result.not_evaluable.startswith("too large")



# --------------------------------------------------------------------------- #
# models that tell right from wrong: densities above 1, rows true only by accident


def test_a_mixture_density_exceeds_one_at_a_data_point_at_some_draw():
    assert holds(r"p(\bm{x}_i; \theta) \le 1") is False


def test_log_likelihood_of_a_point_is_not_always_negative():
    assert holds(r"\log p(\bm{x}_i; \theta) \le 0") is False


def test_a_bound_with_the_sum_dropped_fails():
    assert holds(r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) \le \log p(\bm{x}_i; \theta)") is False


def test_a_sum_over_i_equal_to_a_term_of_a_free_i_is_not_verified_even_where_it_holds():
    """Σ_i KL_i = N KL_i holds on a model whose gap is the same at every data point; which i is meant is open."""
    result = formula(r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) - \max_{\phi} \text{ELBO}(\phi, \theta) = \min_{\phi} "
                     r"\sum_{j=1}^N \text{KL}(q(\bm{z}|\bm{x}_i; \phi) \| p(\bm{z}|\bm{x}_i; \theta))", "vae-unit-q")
    assert result.ok is None and "i both summed over and free" in result.not_evaluable


def test_a_bound_that_drops_the_second_data_point_fails_where_its_density_exceeds_one():
    assert holds(r"\text{ELBO} \le \sum_{i=1}^N \log p(\bm{x}_i; \theta) - \log p(\bm{x}_2; \theta)") is False


def test_the_bound_per_data_point_holds():
    assert holds(r"\log p(\bm{x}_i; \theta) - \text{KL}(p(\bm{z}|\bm{x}_i; \hat{\theta}) \| p(\bm{z}|\bm{x}_i; \theta))"
                 r" \le \log p(\bm{x}_i; \theta)") is True


def test_the_elbo_bound_with_its_sum_holds():
    assert holds(r"\text{ELBO}(\phi, \theta) \le \sum_{i=1}^N \log p(\bm{x}_i; \theta)") is True


def test_rows_before_the_one_asked_for_are_read_but_not_checked():
    from latexeval import evaluate_derivation

    rows = [("=", r"Q(\theta, \hat{\theta}) &= 0"), ("=", r"&= 0")]  # the first is false, the second continues it
    first, second = evaluate_derivation(rows, NOTATION, check_from=2)
    assert (first.ok, second.ok) == (None, True) and "not checked" in first.detail
    assert evaluate_derivation(rows, NOTATION)[0].ok is False
