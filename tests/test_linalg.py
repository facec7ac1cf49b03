r"""Vectors, matrices and random vectors in the evaluator: one fact per test, on a notation of the test's own.

The notation is written to a temporary file in the format of docs/notations.md and read by
latexeval.linnotation, so each test also exercises the format a lecturer writes.
"""
from __future__ import annotations

import textwrap

import pytest

from latexeval.linapi import evaluate_formula
from latexeval.errors import NotationError
from latexeval.linnotation import load_file

BASICS = r"""
vocabulary: linear-algebra
instances: 6
sizes:
  n: {from: 2, to: 5}
  d: {from: 2, to: 4}
  K: {from: 1, to: 4}
  h: {from: 2, to: 6, even: true}
indices:
  i: [1, n]
  k: [0, K]
symbols:
  '\bm{x}': {vector: n}
  '\bm{y}': {vector: n}
  '\bm{u}': {vector: n, properties: [unit-norm]}
  '\bm{p}': {vector: n, properties: [probability]}
  '\bm{s}': {vector: n}
  A: {matrix: n}
  B: {matrix: n}
  X: {matrix: [n, d]}
  '\bm{w}': {vector: d}
  S: {matrix: n, properties: [symmetric, positive-definite]}
  Q: {matrix: n, properties: [orthogonal]}
  R: {matrix: n, properties: [rotation]}
  G: {matrix: h, properties: [block-rotation]}
  H: {matrix: n, properties: [orthogonal, symmetric]}
  P: {matrix: n, properties: [stochastic]}
  '\hat{A}': {matrix: n, properties: [normalised-adjacency]}
  '\lambda': {scalar: [0.1, 2]}
  '\xi': {scalar: [0.2, 0.6]}
  '\bm{z}': {vector: n, distribution: gaussian, mean: '\bm{y}', covariance: S}
  '\bm{z}_2': {like: '\bm{z}'}
  '\bm{\epsilon}': {vector: n, distribution: zero-mean}
  g: {scalar: [0, 1], distribution: gaussian, mean: 0, covariance: '\xi^2'}
"""


@pytest.fixture(scope="module")
def basics(tmp_path_factory):
    path = tmp_path_factory.mktemp("notation") / "basics.yaml"
    path.write_text(BASICS, encoding="utf-8")
    return load_file(path)


def verdict(latex: str, nt) -> bool | None:
    return evaluate_formula(latex, nt).ok


def holds(latex: str, nt) -> bool:
    return verdict(latex, nt) is True


def fails(latex: str, nt) -> bool:
    return verdict(latex, nt) is False


# --------------------------------------------------------------------------- #
# products, transposes, inverses


def test_transpose_of_a_product_reverses_it(basics):
    assert holds(r"(AB)^T = B^T A^T", basics)


def test_transpose_written_with_top_is_the_same(basics):
    assert holds(r"(AB)^\top = B^\top A^\top", basics)


def test_transpose_of_a_product_in_the_same_order_fails(basics):
    assert fails(r"(AB)^T = A^T B^T", basics)


def test_inverse_of_a_product_reverses_it(basics):
    assert holds(r"(AB)^{-1} = B^{-1} A^{-1}", basics)


def test_identity_is_neutral(basics):
    assert holds(r"A I = A", basics)


def test_a_product_of_misfitting_shapes_does_not_hold(basics):
    assert fails(r"\bm{x} A \bm{y} = \bm{x}^T A \bm{y}", basics)


# --------------------------------------------------------------------------- #
# inner and outer products, norms, trace, det, entrywise


def test_inner_product_is_a_transpose_product(basics):
    assert holds(r"\langle \bm{x}, \bm{y} \rangle = \bm{y}^T \bm{x}", basics)


def test_inner_product_is_not_the_outer_product(basics):
    assert fails(r"\langle \bm{x}, \bm{y} \rangle = \bm{x} \bm{y}^T", basics)


def test_trace_of_an_outer_product_is_the_inner_product(basics):
    assert holds(r"\operatorname{tr}(\bm{x} \bm{y}^T) = \langle \bm{x}, \bm{y}\rangle", basics)


def test_squared_norm_is_the_inner_product_with_itself(basics):
    assert holds(r"\|\bm{x}\|_2^2 = \bm{x}^T \bm{x}", basics)


def test_norm_without_its_square_is_not_the_inner_product(basics):
    assert fails(r"\|\bm{x}\| = \bm{x}^T \bm{x}", basics)


def test_one_norm_bounds_the_two_norm(basics):
    assert holds(r"\|\bm{x}\|_1 \ge \|\bm{x}\|_2", basics)


def test_frobenius_norm_squared_is_a_trace(basics):
    assert holds(r"\|A\|_F^2 = \operatorname{tr}(A^T A)", basics)


def test_spectral_norm_is_at_most_the_frobenius_norm(basics):
    assert holds(r"\|A\| \le \|A\|_F", basics)


def test_det_of_a_product(basics):
    assert holds(r"\det(AB) = \det A \det B", basics)


def test_entrywise_product_commutes(basics):
    assert holds(r"A \odot B = B \odot A", basics)


def test_exp_is_entrywise_on_a_vector(basics):
    assert holds(r"\exp(\bm{x}) \odot \exp(\bm{y}) = \exp(\bm{x} + \bm{y})", basics)


def test_cos_and_sin_are_entrywise(basics):
    assert holds(r"\cos(\bm{x}) \odot \cos(\bm{x}) + \sin(\bm{x}) \odot \sin(\bm{x}) = \exp(0 \bm{x})", basics)


# --------------------------------------------------------------------------- #
# powers and sums


def test_matrix_square_is_a_product(basics):
    assert holds(r"A^2 = A A", basics)


def test_geometric_sum_of_matrix_powers(basics):
    assert holds(r"\sum_{k=0}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", basics)


def test_geometric_sum_starting_at_one_fails(basics):
    assert fails(r"\sum_{k=1}^{K} A^k = (I - A)^{-1} (I - A^{K+1})", basics)


def test_sum_without_bounds_runs_over_the_notations_range(basics):
    assert holds(r"\sum_k 1 = K + 1", basics)


def test_a_free_index_means_every_value(basics):
    assert holds(r"\bm{p}_i \ge 0", basics)


def test_entries_count_from_the_first_index(basics):
    assert holds(r"\sum_{i=1}^n \bm{p}_i = 1", basics)


def test_softmax_entries_sum_to_one(basics):
    assert holds(r"\sum_{i=1}^{n} \operatorname{softmax}(\bm{s})_i = 1", basics)


def test_softmax_is_exp_over_its_sum(basics):
    assert holds(r"\operatorname{softmax}(\bm{s})_i = \frac{\exp(\bm{s}_i)}{\sum_{k=1}^{n} \exp(\bm{s}_k)}", basics)


# --------------------------------------------------------------------------- #
# properties of declared matrices and vectors


@pytest.mark.parametrize("fact", [r"Q^T Q = I", r"Q Q^T = I", r"\det R = 1", r"G^T G = I", r"\det G = 1",
                                  r"S = S^T", r"\bm{x}^T S \bm{x} > 0", r"\|\bm{u}\| = 1", r"H^2 = I",
                                  r"\|\hat{A}\|_2 \le 1", r"\hat{A} = \hat{A}^T", r"\sum_{k=1}^{n} P_{ik} = 1"])
def test_each_declared_property_holds_on_the_instances(basics, fact):
    assert holds(fact, basics)


def test_a_general_matrix_is_not_orthogonal(basics):
    assert fails(r"A^T A = I", basics)


# --------------------------------------------------------------------------- #
# argmin / argmax against a numeric optimum


def test_ridge_closed_form_is_the_numeric_argmin(basics):
    assert holds(r"\underset{\bm{w}}{\operatorname{argmin}} \|X \bm{w} - \bm{x}\|^2 + \lambda \|\bm{w}\|^2"
                 r" = (X^T X + \lambda I)^{-1} X^T \bm{x}", basics)


def test_ridge_closed_form_without_the_penalty_is_not_the_argmin(basics):
    assert fails(r"\underset{\bm{w}}{\operatorname{argmin}} \|X \bm{w} - \bm{x}\|^2 + \lambda \|\bm{w}\|^2"
                 r" = (X^T X)^{-1} X^T \bm{x}", basics)


def test_min_is_the_value_of_the_objective(basics):
    assert holds(r"\min_{\bm{w}} \|X \bm{w} - \bm{x}\|^2 \le \|\bm{x}\|^2", basics)


# --------------------------------------------------------------------------- #
# random vectors


def test_expectation_of_a_gaussian_is_its_mean(basics):
    assert holds(r"\mathbb{E}[\bm{z}] = \bm{y}", basics)


def test_expectation_of_a_quadratic_form_is_exact(basics):
    result = evaluate_formula(r"\mathbb{E}[\bm{z}^T A \bm{z}] = \operatorname{tr}(A S) + \bm{y}^T A \bm{y}", basics)
    assert result.ok is True and "exact moments" in result.detail


def test_expectation_of_a_quadratic_form_without_the_trace_fails(basics):
    assert fails(r"\mathbb{E}[\bm{z}^T A \bm{z}] = \bm{y}^T A \bm{y}", basics)


def test_identically_distributed_symbols_are_independent(basics):
    assert holds(r"\mathbb{E}_{\bm{z}, \bm{z}_2}[\bm{z}^T \bm{z}_2] = \|\bm{y}\|^2", basics)


def test_zero_mean_noise_has_zero_mean_whatever_its_distribution(basics):
    assert holds(r"\mathbb{E}[\bm{\epsilon}] = 0", basics)


def test_noise_adds_nothing_to_a_product_with_an_independent_vector(basics):
    assert holds(r"\mathbb{E}_{\bm{z}, \bm{\epsilon}}[\bm{z}^T A (\bm{z} + \bm{\epsilon})] = "
                 r"\mathbb{E}_{\bm{z}}[\bm{z}^T A \bm{z}]", basics)


def test_a_nonlinear_expectation_of_noise_with_only_moments_is_not_evaluable(basics):
    result = evaluate_formula(r"\mathbb{E}[\|\bm{\epsilon}\|] \ge 0", basics)
    assert result.ok is None and "distribution" in result.not_evaluable


def test_monte_carlo_decides_an_inequality_with_a_margin(basics):
    result = evaluate_formula(r"\mathbb{E}[\exp(g)] > 1", basics)
    assert result.ok is True and "Monte Carlo" in result.detail


def test_monte_carlo_rejects_an_equality_far_outside_its_bound(basics):
    result = evaluate_formula(r"\mathbb{E}[\exp(g)] = 1", basics)
    assert result.ok is False and "Monte Carlo" in result.detail


def test_monte_carlo_never_passes_an_equality_on_noise(basics):
    result = evaluate_formula(r"\mathbb{E}[\exp(g)] = \exp(\xi^2 / 2)", basics)
    assert result.ok is None and "Monte Carlo" in result.not_evaluable


def test_expectation_over_a_symbol_that_is_not_random_is_not_evaluable(basics):
    result = evaluate_formula(r"\mathbb{E}_{\bm{x}}[\bm{x}] = \bm{x}", basics)
    assert result.ok is None and "random" in result.not_evaluable


# --------------------------------------------------------------------------- #
# definitions on the slide, matrices written with dots


def test_a_definition_in_the_formula_is_used_by_its_relation(basics):
    assert holds(r"\bm{v} := A \bm{x}, \quad \bm{v}^T \bm{y} = \bm{x}^T A^T \bm{y}", basics)


def test_a_definition_is_not_checked(basics):
    result = evaluate_formula(r"\bm{v} := A \bm{x}", basics)
    assert result.ok is None and "defines v" in result.detail


def test_definitions_come_from_the_context(basics):
    result = evaluate_formula(r"M^T M = I", basics, context=[r"M := Q^T"])
    assert result.ok is True


def test_block_diagonal_matrix_with_dots_is_read_as_its_pattern(basics):
    rotation = (r"T_{t} := \left[\begin{array}{ccccc} \cos(t \xi) & -\sin(t \xi) & 0 & \cdots & 0 \\ "
                r"\sin(t \xi) & \cos(t \xi) & 0 & \cdots & 0 \\ 0 & 0 & \cos(t \xi) & \cdots & 0 \\ "
                r"\vdots & \vdots & \vdots & \ddots & \vdots \\ 0 & 0 & 0 & \cdots & 1 \end{array}\right]")
    result = evaluate_formula(r"\det T_{2} = 1", basics, context=[rotation])
    assert result.ok is None and "block-diagonal" in result.not_evaluable  # a 1 x 1 last block breaks the pattern


def test_an_unknown_symbol_is_named(basics):
    result = evaluate_formula(r"Z^T = Z", basics)
    assert result.ok is None and "the symbol Z" in result.not_evaluable


def test_prose_without_a_relation_states_nothing(basics):
    assert evaluate_formula(r"\textcircled{\small 1} \rightarrow |j - i|", basics).detail == "states no relation"


# --------------------------------------------------------------------------- #
# what a slide states besides relations: lists, labels, arrows to words, assumed conditions

SEQUENCES = r"""
vocabulary: linear-algebra
instances: 6
sizes:
  n: {from: 2, to: 6}
  d: {from: 7, to: 9}
indices:
  i: [0, 'n']
symbols:
  '\bm{x}_i': {vector: d}
slides:
  'Theorem':
    conditions:
      - 'S_{n-1, j} \approx S_{n, j}^*'
  'Collapse':
    symbols:
      '\bm{x}_i': {vector: d, properties: [nonnegative]}
      '\bm{x}_i^{(L)}': {attention: X, layers: 2}
      '{\bm{x}_i^*}^{(L)}': {attention: 'X^*', layers: 2}
    limit: {large: n, small: '\epsilon'}
"""
REPEATED = [r"X = [\bm{x}_0, \ldots, \bm{x}_{n-1}]", r"X^* = [\bm{x}_0, \ldots, \bm{x}_{n-1}, \bm{x}_{n-1}]"]
APPENDED = [REPEATED[0], r"X^* = [\bm{x}_0, \ldots, \bm{x}_{n-1}, \bm{x}_0]"]


def collapse(latex: str, nt, context=REPEATED):
    return evaluate_formula(latex, nt, slide="Collapse", context=context)


@pytest.fixture(scope="module")
def sequences(tmp_path_factory):
    path = tmp_path_factory.mktemp("notation") / "sequences.yaml"
    path.write_text(SEQUENCES, encoding="utf-8")
    return load_file(path)


def test_a_list_of_n_vectors_of_d_is_an_n_by_d_matrix(sequences):
    assert holds(r"[\bm{x}_0, \ldots, \bm{x}_{n-1}] \in \mathbb{R}^{n \times d}", sequences)


def test_a_list_with_one_entry_more_is_not_n_by_d(sequences):
    assert fails(r"[\bm{x}_0, \ldots, \bm{x}_{n-1}, \bm{x}_{n-1}] \in \mathbb{R}^{n \times d}", sequences)


def test_a_list_with_one_entry_more_is_n_plus_one_by_d(sequences):
    assert holds(r"[\bm{x}_0, \ldots, \bm{x}_{n-1}, \bm{x}_{n-1}] \in \mathbb{R}^{(n + 1) \times d}", sequences)


def test_a_list_may_stand_for_its_columns(sequences):
    assert holds(r"[\bm{x}_0, \ldots, \bm{x}_{n-1}] \in \mathbb{R}^{d \times n}", sequences)


def test_a_list_of_the_wrong_dimension_fails(sequences):
    assert fails(r"[\bm{x}_0, \ldots, \bm{x}_{n-1}] \in \mathbb{R}^{n \times n}", sequences)


def test_a_list_that_defines_a_matrix_claims_its_shape(sequences):
    result = evaluate_formula(r"X = [\bm{x}_0, \ldots, \bm{x}_{n-1}] \in \mathbb{R}^{n \times d}", sequences)
    assert result.ok is True and "defines X" in result.detail


def test_a_starred_definition_is_a_symbol_of_its_own(sequences):
    assert holds(r"a = n, \quad a^* = n + 1, \quad a^* - a = 1", sequences)


def test_a_starred_definition_does_not_replace_the_plain_one(sequences):
    assert fails(r"a = n, \quad a^* = n + 1, \quad a^* - a = 0", sequences)


def test_a_list_in_arithmetic_is_not_evaluable(sequences):
    result = evaluate_formula(r"X = [\bm{x}_0, \bm{x}_1], \quad X^T X = X^T X", sequences)
    assert result.ok is None and "rows or columns?" in result.not_evaluable


def test_a_ranking_of_labels_states_no_relation_between_quantities(sequences):
    result = evaluate_formula(r"\textcircled{\small 3} < \textcircled{\small 1} \approx \textcircled{\small 2}",
                              sequences)
    assert (result.ok, result.not_evaluable) == (None, None)
    assert "a ranking of the labels ③ < ① ≈ ②" in result.detail


def test_a_label_in_arithmetic_is_not_evaluable(sequences):
    result = evaluate_formula(r"\textcircled{\small 1} + 1 = 2", sequences)
    assert result.ok is None and "the label ①" in result.not_evaluable


def test_an_arrow_to_words_after_a_definition_only_defines(sequences):
    result = evaluate_formula(r"\theta_i = d^{-2i / n} \xrightarrow{d \uparrow} \text{long-context ability} \uparrow",
                              sequences)
    assert (result.ok, result.not_evaluable) == (None, None)
    assert "defines \\theta_{i}" in result.detail and "an arrow labelled 'd ↑' to the words" in result.detail


def test_an_arrow_after_a_false_relation_does_not_hide_it(sequences):
    result = evaluate_formula(r"n + 1 = n \xrightarrow{n \uparrow} \text{more}", sequences)
    assert result.ok is False


def test_a_labelled_arrow_between_quantities_is_not_evaluable(sequences):
    result = evaluate_formula(r"\bm{x}_0 = \bm{x}_0 \xrightarrow{n \to 0} \bm{x}_1", sequences)
    assert result.ok is None and "an arrow with a label" in result.not_evaluable


def test_a_repeated_last_token_leaves_the_last_representation_alike_for_large_n(sequences):
    result = collapse(r"\|\bm{x}_{n-1}^{(L)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \le \epsilon", sequences)
    assert result.ok is True and "→ 0 as n grows" in result.detail


def test_a_different_appended_token_does_not_collapse(sequences):
    result = collapse(r"\|\bm{x}_{n-1}^{(L)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \le \epsilon", sequences, APPENDED)
    assert result.ok is False and "does not fall to 0" in result.detail


def test_the_first_and_the_last_representation_stay_apart(sequences):
    assert collapse(r"\|\bm{x}_{0}^{(L)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \le \epsilon", sequences).ok is False


def test_a_representation_alone_does_not_fall_to_zero(sequences):
    assert collapse(r"\|\bm{x}_{n-1}^{(L)}\|_1 \le \epsilon", sequences).ok is False


def test_causal_attention_leaves_a_shared_prefix_alike_exactly(sequences):
    assert collapse(r"\bm{x}_{n-1}^{(L)} = {\bm{x}_{n-1}^{*}}^{(L)}", sequences).ok is True


def test_causal_attention_sees_the_appended_token_at_its_own_position_only(sequences):
    assert collapse(r"\bm{x}_{n-1}^{(L)} = {\bm{x}_{n}^{*}}^{(L)}", sequences).ok is False


def test_the_small_symbol_of_a_limit_is_read_only_as_a_bound(sequences):
    result = collapse(r"\|\bm{x}_{n-1}^{(L)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \ge \epsilon", sequences)
    assert result.ok is None and "only 'f \\le \\epsilon' is read" in result.not_evaluable


def test_a_layer_superscript_is_a_name_not_a_power(sequences):
    result = evaluate_formula(r"\|\bm{x}_{0}^{(L)}\|_1 = \|\bm{x}_{0}^{(L)}\|_1", sequences)
    assert result.ok is None and "it is no power" in result.not_evaluable


def test_a_layer_superscript_in_left_right_parentheses_is_the_same_name(sequences):
    assert collapse(r"\|\bm{x}_{n-1}^{\left(L\right)} - {\bm{x}_{n}^{*}}^{(L)} \|_1 \le \epsilon", sequences).ok is True


def test_positive_naturals_hold_a_size(sequences):
    assert holds(r"n \in \mathbb{N}_+", sequences)


def test_naturals_with_another_subscript_are_not_evaluable(sequences):
    result = evaluate_formula(r"n \in \mathbb{N}_-", sequences)
    assert result.ok is None and "\\mathbb{N}_{-}" in result.not_evaluable


def test_a_condition_of_the_notation_is_assumed_on_its_slide(sequences):
    result = evaluate_formula(r"S_{n-1,j}\approx S_{n, j}^*", sequences, slide="Theorem")
    assert (result.ok, result.not_evaluable) == (None, None) and "a condition the slide assumes" in result.detail


def test_a_condition_is_assumed_on_its_slide_only(sequences):
    result = evaluate_formula(r"S_{n-1, j} \approx S_{n, j}^*", sequences, slide="Another")
    assert result.ok is None and "\\approx" in result.not_evaluable


def test_a_changed_condition_is_no_longer_assumed(sequences):
    result = evaluate_formula(r"S_{n-1, j} \approx S_{n+1, j}^*", sequences, slide="Theorem")
    assert result.ok is None and "\\approx" in result.not_evaluable


# --------------------------------------------------------------------------- #
# mistakes in a notation file: file:line: error, with a hint


def notation_error(tmp_path, body: str) -> NotationError:
    path = tmp_path / "broken.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(NotationError) as caught:
        load_file(path, shown="broken.yaml")
    return caught.value


def test_unknown_property_is_a_line_error_with_a_suggestion(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          A: {matrix: n, properties: [symetric]}
        """)
    assert str(err).startswith("broken.yaml:4: error: symbol 'A': unknown property 'symetric'")
    assert "symmetric" in err.hint


def test_bad_shape_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: [n, n, n]}
        """)
    assert (err.line, "bad shape") == (4, err.message[err.message.index("bad"):][:9])


def test_a_shape_of_an_undeclared_size_names_it(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: m}
        """)
    assert err.line == 4 and "'m' is not a declared size" in err.message


def test_a_property_of_the_wrong_kind_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: n, properties: [symmetric]}
        """)
    assert err.line == 4 and "property of a matrix" in err.message


def test_a_non_square_symmetric_matrix_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3, d: 2}
        symbols:
          A: {matrix: [n, d], properties: [symmetric]}
        """)
    assert err.line == 4 and "square" in err.message


def test_a_block_rotation_of_odd_size_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          R: {matrix: n, properties: [block-rotation]}
        """)
    assert err.line == 4 and "even" in err.message


def test_an_unknown_entry_is_a_line_error_with_a_suggestion(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbol:
          A: {matrix: n}
        """)
    assert err.line == 3 and "'symbols'" in err.hint


def test_like_of_an_undeclared_symbol_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          '\\bm{k}': {like: '\\bm{q}'}
        """)
    assert err.line == 4 and "not a random symbol" in err.message


def test_unreadable_latex_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          '\\frac{': {vector: n}
        """)
    assert err.line == 4 and "KaTeX" in err.message


def test_broken_yaml_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, "vocabulary: linear-algebra\nsizes: {n: 3\nsymbols: {}\n")
    assert str(err).startswith("broken.yaml:") and "not valid YAML" in err.message


def test_a_size_without_bounds_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes:
          n: {from: 2}
        """)
    assert err.line == 3 and "size 'n'" in err.message


def test_a_symbol_given_twice_is_an_error_at_the_second(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: n}
          x: {matrix: n}
        """)
    assert err.line == 5 and "'x' is given twice" in err.message and "line 4" in err.message


def test_abbreviations_that_are_not_a_mapping_are_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        abbreviations: ['R_m']
        """)
    assert err.line == 3 and "'abbreviations' should map" in err.message


def test_a_dimension_of_zero_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: 0}
        """)
    assert err.line == 4 and "a whole number from 1" in err.message


def test_a_range_written_high_to_low_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        symbols:
          a: {scalar: [2, 1]}
        """)
    assert err.line == 3 and "runs from 2 down to 1" in err.message


def test_a_log_uniform_range_from_zero_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        symbols:
          b: {scalar: [0, 100], log: true}
        """)
    assert err.line == 3 and "log-uniform range starts above 0" in err.message


def test_an_undeclared_letter_in_an_index_bound_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        indices:
          i: [0, 'm - 1']
        """)
    assert err.line == 4 and "index 'i': 'm' is not a declared size" in err.message


def test_a_mean_of_the_wrong_size_blames_the_notation_not_the_formula(tmp_path):
    path = tmp_path / "means.yaml"
    path.write_text("vocabulary: linear-algebra\nsizes: {n: 3, d: 2}\nsymbols:\n  y: {vector: d}\n"
                    "  x: {vector: n, distribution: gaussian, mean: 'y'}\n", encoding="utf-8")
    result = evaluate_formula(r"\mathbb{E}[\bm{x}] = \mathbb{E}[\bm{x}]", load_file(path))
    assert result.ok is None and "the mean of x in the notation" in result.not_evaluable


def test_a_covariance_of_the_wrong_size_blames_the_notation(tmp_path):
    path = tmp_path / "covariances.yaml"
    path.write_text("vocabulary: linear-algebra\nsizes: {n: 3, d: 2}\nsymbols:\n  B: {matrix: d}\n"
                    "  x: {vector: n, distribution: gaussian, covariance: 'B'}\n", encoding="utf-8")
    result = evaluate_formula(r"\mathbb{E}[\bm{x}] = \mathbb{E}[\bm{x}]", load_file(path))
    assert result.ok is None and "the covariance of x in the notation" in result.not_evaluable


def test_an_attention_output_without_an_index_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          '\\bm{y}^{(L)}': {attention: X}
        """)
    assert err.line == 4 and "an attention output is a family" in err.message


def test_layers_of_something_else_than_attention_are_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        symbols:
          x: {vector: n, layers: 2}
        """)
    assert err.line == 4 and "'layers' belongs to an attention output" in err.message


def test_a_limit_of_an_undeclared_size_is_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        limit: {large: m, small: '\\epsilon'}
        """)
    assert err.line == 3 and "'m' is not a declared size" in err.message


def test_conditions_that_are_not_a_list_are_a_line_error(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        conditions: 'a \\approx b'
        """)
    assert err.line == 3 and "'conditions' should list" in err.message


def test_an_unreadable_condition_is_an_error_at_its_line(tmp_path):
    err = notation_error(tmp_path, """\
        vocabulary: linear-algebra
        sizes: {n: 3}
        conditions:
          - 'a \\approx b'
          - '\\frac{a'
        """)
    assert err.line == 5 and "KaTeX cannot read the condition" in err.message


# --------------------------------------------------------------------------- #
# through the build: a deck attached to a notation, and a broken notation


@pytest.fixture
def notation_folder(tmp_path, monkeypatch):
    """A latexeval folder of the test's own, so a notation can be written (and broken) without touching the repo."""
    import deckbuild.evaluate
    import latexeval.notation

    folder = tmp_path / "latexeval" / "notations"
    folder.mkdir(parents=True)
    monkeypatch.setattr(latexeval.notation, "FOLDER", folder)
    monkeypatch.setattr(deckbuild.evaluate, "_LATEXEVAL", tmp_path / "latexeval")
    latexeval.notation.load.cache_clear()
    yield folder
    latexeval.notation.load.cache_clear()


def test_a_mistake_in_a_notation_is_a_build_error_at_its_line(tmp_path, notation_folder):
    from conftest import build_into, write_deck

    (notation_folder / "broken.yaml").write_text("vocabulary: linear-algebra\nsizes: {n: 3}\nsymbols:\n"
                                                 "  A: {matrix: n, properties: [orthonormal]}\n", encoding="utf-8")
    write_deck(tmp_path / "slides", "a.md", "<slide-section>\n\n$$A^T A = I$$\n\n</slide-section>\n",
               front='title: "T"\ndate: "2025-01-01"\nnotation: broken')
    result = build_into(tmp_path, tmp_path / "slides")
    (err,) = [d for d in result.report.errors]
    assert (err.path, err.line) == ("latexeval/notations/broken.yaml", 4)
    assert "unknown property 'orthonormal'" in err.message and "orthogonal" in err.hint


@pytest.mark.parametrize("text, line, says", [
    ('instances: [linear-gaussian]\nparameters:\n  "\\\\theta": {draw: model}\n', 1, "'family' is missing"),
    ("instances: [linear-gaussian\n", 2, "not valid YAML"),
    ("instances: [no-such-instance]\n", 1, "'no-such-instance' is not a model instance"),
    ("instances: 5\n", 1, "5 is not a model instance"),
])
def test_a_mistake_in_a_model_notation_is_a_build_error_not_a_traceback(tmp_path, notation_folder, text, line, says):
    from conftest import build_into, write_deck

    (notation_folder / "broken.yaml").write_text(text, encoding="utf-8")
    write_deck(tmp_path / "slides", "a.md", "<slide-section>\n\n$$\\log 2 < 1$$\n\n</slide-section>\n",
               front='title: "T"\ndate: "2025-01-01"\nnotation: broken')
    result = build_into(tmp_path, tmp_path / "slides")
    (err,) = result.report.errors
    assert (err.path, err.line) == ("latexeval/notations/broken.yaml", line) and says in err.message and err.hint


def test_decks_yaml_attaches_a_notation_to_a_deck_by_its_file_name(tmp_path, notation_folder):
    from conftest import build_into, write_deck

    (notation_folder / "small.yaml").write_text("vocabulary: linear-algebra\nsizes: {n: 3}\nsymbols:\n"
                                                "  A: {matrix: n}\n", encoding="utf-8")
    (notation_folder.parent / "decks.yaml").write_text('"a.md": small\n', encoding="utf-8")
    write_deck(tmp_path / "slides", "a.md", "<slide-section>\n\n$$A^T = A$$\n\n</slide-section>\n")
    result = build_into(tmp_path, tmp_path / "slides")
    (warning,) = [d for d in result.report.warnings if "does not hold" in d.message]
    assert warning.path.endswith("a.md")


R_DEFINED = r"\bm{r} := \frac{\bm{x}}{\|\bm{x}\|} - \frac{\bm{y}}{\|\bm{y}\|}"
R_NORM = r"\|\bm{r}\|^2 = 2 - 2 \frac{\langle \bm{x}, \bm{y} \rangle}{\|\bm{x}\| \|\bm{y}\|}"


def test_a_definition_on_an_earlier_slide_is_used_by_the_build(tmp_path, notation_folder):
    from conftest import build_into, write_deck

    (notation_folder / "small.yaml").write_text("vocabulary: linear-algebra\nsizes: {n: 3}\nsymbols:\n"
                                                "  '\\bm{x}': {vector: n}\n  '\\bm{y}': {vector: n}\n",
                                                encoding="utf-8")
    body = (f"<slide-section>\n\n$${R_DEFINED}$$\n\n</slide-section>\n\n"
            f"<slide-section>\n\n$${R_NORM}$$\n\n$${R_NORM.replace('= 2 - 2', '= 2 - ')}$$\n\n</slide-section>\n")
    write_deck(tmp_path / "slides", "a.md", body, front='title: "T"\ndate: "2025-01-01"\nnotation: small')
    result = build_into(tmp_path, tmp_path / "slides")
    flagged = [d for d in result.report.warnings if d.path.endswith("a.md")]
    assert [(d.excerpt, "does not hold" in d.message) for d in flagged] == [(R_NORM.replace("= 2 - 2", "= 2 - "), True)]


def test_a_derivation_with_a_linear_notation_takes_its_slide_definitions(basics):
    from latexeval.linapi import evaluate_derivation

    rows = [("=", r"\|\bm{r}\|^2 &= \bm{r}^T \bm{r}"), ("=", r"&= 2 - 2 \frac{\bm{x}^T \bm{y}}{\|\bm{x}\| \|\bm{y}\|}"),
            ("=", r"&= 2 - \frac{\bm{x}^T \bm{y}}{\|\bm{x}\| \|\bm{y}\|}")]
    verdicts = [r.ok for r in evaluate_derivation(rows, basics, context=[R_DEFINED])]
    assert verdicts == [True, True, False]


def test_a_broken_decks_yaml_is_a_build_error_at_its_line(tmp_path, notation_folder):
    from conftest import build_into, write_deck

    (notation_folder.parent / "decks.yaml").write_text('"a.md": [small\n', encoding="utf-8")
    write_deck(tmp_path / "slides", "a.md", "<slide-section>\n\n$$x = 1$$\n\n</slide-section>\n")
    result = build_into(tmp_path, tmp_path / "slides")
    (err,) = result.report.errors
    assert err.path == "latexeval/decks.yaml" and "not valid YAML" in err.message


M_AGAIN = (r"M := Q^T", r"M := 2 Q")  # a name the lecture defines again, on a later slide


def test_a_name_defined_again_means_the_new_definition_from_there_on(tmp_path, notation_folder):
    from conftest import build_into, write_deck

    (notation_folder / "small.yaml").write_text("vocabulary: linear-algebra\nsizes: {n: 3}\nsymbols:\n"
                                                "  Q: {matrix: n, properties: [orthogonal]}\n", encoding="utf-8")
    first, again = M_AGAIN
    body = (f"<slide-section>\n\n$${first}$$\n\n$$M^T M = I$$\n\n</slide-section>\n\n"
            f"<slide-section>\n\n$${again}$$\n\n$$M^T M = 4 I$$\n\n$$M^T M = I$$\n\n</slide-section>\n")
    write_deck(tmp_path / "slides", "a.md", body, front='title: "T"\ndate: "2025-01-01"\nnotation: small')
    result = build_into(tmp_path, tmp_path / "slides")
    flagged = [(d.line, d.excerpt) for d in result.report.warnings if "does not hold" in d.message]
    assert flagged == [(21, "M^T M = I")]  # the last: true of the first M, not of the M in effect there
    assert result.decks[0].relations["evaluated"] == 2


@pytest.mark.slow
def test_the_mutants_of_a_derivation_are_read_with_its_slide_definitions(tmp_path, notation_folder, cache_dir):
    from conftest import build_into, write_deck

    (notation_folder / "small.yaml").write_text("vocabulary: linear-algebra\nsizes: {n: 3}\nsymbols:\n"
                                                "  '\\bm{x}': {vector: n}\n  '\\bm{y}': {vector: n}\n",
                                                encoding="utf-8")
    rows = r"\|\bm{r}\|^2 &= \bm{r}^T \bm{r} \\ &= 2 - 2 \frac{\bm{x}^T \bm{y}}{\|\bm{x}\| \|\bm{y}\|}"
    body = (f"<slide-section>\n\n$${R_DEFINED}$$\n\n</slide-section>\n\n<slide-section>\n\n"
            f'<slide-derivation id="r-norm">\n\n$$\n\\begin{{align*}}\n{rows}\n\\end{{align*}}\n$$\n\n'
            "</slide-derivation>\n\n</slide-section>\n")
    write_deck(tmp_path / "slides", "a.md", body, front='title: "T"\ndate: "2025-01-01"\nnotation: small')
    result = build_into(tmp_path, tmp_path / "slides", mutants=True, cache_dir=cache_dir)
    assert not result.report.errors, [d.format() for d in result.report.errors]
    (deck,) = result.decks
    assert deck.steps["verified"] == 2
    score = deck.mutants
    # a rewrite holds where the build reads the row (r defined on the slide before), so it is accepted there
    assert score["rewrites"] > 0 and score["accepted"] == score["rewrites"], score["rejected"]
    assert score["wrong"] > 0 and score["caught"] == score["wrong"], score["slipped"]
