r"""The GMM M step in two dimensions with full covariances: vectors and matrices are values.

On a one-dimensional mixture (x_i - μ)^T (x_i - μ) and (x_i - μ)(x_i - μ)^T are the same
number, so the slide's covariance row cannot tell them apart there; on the instance
gmm-full-covariance (x_i ∈ R², Σ_k full) one is a number and the other a 2×2 matrix.
"""
from __future__ import annotations

import numpy as np
import pytest

from latexeval import evaluate_derivation, evaluate_formula
from latexeval import families as F
from latexeval.models import GaussianMixtureFullCovariance
from latexeval.relations import _draws, instance
from latexeval.values import ParamVal

NAME = "gmm-full-covariance"
HEAD = (r"\begin{pmatrix} \alpha_k^t \\ \bm{\mu}_k^t \\ \bm{\Sigma}_k^t \end{pmatrix} "
        r"&= \underset{\theta}{\text{argmax}} \: Q(\theta, \theta^{t-1})")
WEIGHT = r"\frac{1}{N} \sum_{i=1}^N \hat{z}_{ik}"
MEAN = r"\frac{\sum_{i=1}^N \hat{z}_{ik} \bm{x}_i}{\sum_{i=1}^N \hat{z}_{ik}}"
OUTER = r"(\bm{x}_i - \bm{\mu}_k^t)(\bm{x}_i - \bm{\mu}_k^t)^T"
SIGMA = rf"\frac{{\sum_{{i=1}}^N \hat{{z}}_{{ik}} {OUTER}}}{{\sum_{{i=1}}^N \hat{{z}}_{{ik}}}}"


def m_step_row(weight: str = WEIGHT, mean: str = MEAN, sigma: str = SIGMA):
    """The slide's second row, evaluated after its first (argmax Q), in the slide's notation."""
    column = rf"&= \begin{{pmatrix}} {weight} \\ {mean} \\ {sigma} \end{{pmatrix}}"
    return evaluate_derivation([("=", HEAD), ("=", column)], "gmm-em")[1]


def test_the_m_step_notation_evaluates_on_a_two_dimensional_mixture():
    assert NAME in m_step_row().instances


def test_the_m_step_with_the_outer_product_holds():
    assert m_step_row().ok is True


def test_the_m_step_with_an_inner_product_for_the_outer_product_fails():
    row = m_step_row(sigma=SIGMA.replace(OUTER, r"(\bm{x}_i - \bm{\mu}_k^t)^T(\bm{x}_i - \bm{\mu}_k^t)"))
    assert row.ok is False and NAME in row.detail


def test_the_m_step_with_the_transpose_dropped_fails():
    row = m_step_row(sigma=SIGMA.replace(OUTER, r"(\bm{x}_i - \bm{\mu}_k^t)(\bm{x}_i - \bm{\mu}_k^t)"))
    assert row.ok is False and NAME in row.detail


def test_the_m_step_mean_as_a_row_vector_fails():
    row = m_step_row(mean=MEAN.replace(r"\bm{x}_i}", r"\bm{x}_i^T}"))
    assert row.ok is False and NAME in row.detail


def test_the_m_step_covariance_around_the_old_mean_fails():
    row = m_step_row(sigma=SIGMA.replace(r"\bm{\mu}_k^t", r"\bm{\mu}_k"))
    assert row.ok is False


def test_the_m_step_covariance_with_the_outer_product_reversed_holds():
    """(μ - x)(μ - x)^T is the same matrix: a rewrite, not a wrong row."""
    row = m_step_row(sigma=SIGMA.replace(OUTER, r"(\bm{\mu}_k^t - \bm{x}_i)(\bm{\mu}_k^t - \bm{x}_i)^T"))
    assert row.ok is True


def test_a_number_plus_a_vector_fails():
    result = evaluate_formula(r"\bm{x}_1 + 1 = \bm{x}_1", "gmm-em")
    assert result.ok is False


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the 1-D mixture's variance 0 divides by zero: still a failure
def test_a_singular_covariance_in_a_formula_fails_without_an_exception():
    result = evaluate_formula(r"\varphi(\bm{x}_1; \bm{\mu}_1, 0 \bm{\Sigma}_1) > 0", "gmm-em")
    assert result.ok is False


def _posterior_and_m_step():
    model = instance(NAME)
    draws = _draws(NAME, (("theta", "model"), ("theta_hat", "model")), frozenset())
    r = model.posterior_stats(ParamVal("model", draws["theta_hat"]))
    return model, draws["theta_hat"], r, model.m_step(r)


def test_the_families_covariance_is_numpys_weighted_covariance():
    model, _, r, theta = _posterior_and_m_step()
    for draw in (0, 7):
        for k in range(model.K):
            weights = np.array([r[i][k][draw] for i in range(model.N)])
            expected = np.cov(model.x.T, aweights=weights, bias=True)
            got = np.array([[theta["variance"][k][a][b][draw] for b in range(2)] for a in range(2)])
            np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_the_families_m_step_maximises_q_under_symmetric_moves():
    model, theta_hat, _, theta = _posterior_and_m_step()
    best = model.expected_complete_loglik(theta, theta_hat)
    gains = [model.expected_complete_loglik(moved, theta_hat) - best for moved in model.moves(theta, 1e-4)]
    assert np.all(np.isfinite(gains)) and np.max(gains) < 0


def test_a_covariance_move_keeps_it_symmetric():
    model, _, _, theta = _posterior_and_m_step()
    for moved in model.moves(theta, 1e-4):
        for cov in moved["variance"]:
            np.testing.assert_array_equal(cov[0][1], cov[1][0])


@pytest.mark.parametrize("k", range(GaussianMixtureFullCovariance.K))
def test_drawn_covariances_are_positive_definite_with_correlation(k):
    draws = _draws(NAME, (("theta", "model"),), frozenset())["theta"]
    (s11, s12), (_, s22) = draws["variance"][k]
    assert np.all(s11 * s22 - s12**2 > 0) and np.ptp(s12 / np.sqrt(s11 * s22)) > 0.5


def test_q_with_every_data_point_at_once_is_q_point_by_point():
    model = instance(NAME)
    draws = _draws(NAME, (("theta", "model"), ("theta_hat", "model")), frozenset())
    at_once = model.expected_complete_loglik(draws["theta"], draws["theta_hat"])
    by_point = F.Mixture.expected_complete_loglik(model.family, model.x, draws["theta"], draws["theta_hat"])
    np.testing.assert_allclose(at_once, by_point, rtol=1e-12)


def _batch_of_covariances(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 2, 2))
    return a @ a.transpose(0, 2, 1) + 0.05 * np.eye(2)


def test_the_two_dimensional_density_is_scipys_normal_density_draw_by_draw():
    from scipy.stats import multivariate_normal

    cov = _batch_of_covariances(seed=5, n=40)
    rng = np.random.default_rng(6)
    x, mean = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
    density = F.MultivariateNormal([mean[:, 0], mean[:, 1]], [[cov[:, 0, 0], cov[:, 0, 1]], [cov[:, 1, 0], cov[:, 1, 1]]])
    expected = [multivariate_normal(mean[j], cov[j]).logpdf(x[j]) for j in range(40)]
    np.testing.assert_allclose(density.log_pdf([x[:, 0], x[:, 1]]), expected, rtol=1e-12)


def test_a_two_dimensional_covariance_without_a_positive_determinant_has_no_density_in_that_draw_only():
    cov = _batch_of_covariances(seed=7, n=3)
    cov[1] = [[1.0, 2.0], [2.0, 1.0]]  # determinant -3
    cov[2] = [[1.0, 1.0], [1.0, 1.0]]  # singular
    entries = [[cov[:, 0, 0], cov[:, 0, 1]], [cov[:, 1, 0], cov[:, 1, 1]]]
    values = F.MultivariateNormal([0.0, 0.0], entries).log_pdf([np.zeros(3), np.ones(3)])
    assert np.isfinite(values[0]) and np.isnan(values[1]) and np.isnan(values[2])


def test_a_three_dimensional_covariance_that_is_singular_has_no_density_in_that_draw_only():
    rng = np.random.default_rng(8)
    a = rng.normal(size=(3, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + 0.05 * np.eye(3)
    cov[1] = np.ones((3, 3))
    entries = [[cov[:, i, j] for j in range(3)] for i in range(3)]
    values = F.MultivariateNormal([0.0, 0.0, 0.0], entries).log_pdf([np.zeros(3), np.ones(3), np.zeros(3)])
    assert np.isfinite(values[0]) and np.isnan(values[1]) and np.isfinite(values[2])
