r"""Probability-space terms in the log domain: a mixture with a narrow component puts densities of
e^-800 in the tails, whose logs are numbers while their sums in floats are 0 (and log 0 = -inf).

A correct formula must hold there, and a wrong one must still fail."""
from __future__ import annotations

import math

import numpy as np

from latexeval import evaluate_formula
from latexeval.values import Density, add, integrate

ENTROPY = r"\int_{\bm{x}} p(\bm{x}; \theta) \log p(\bm{x}; \theta) \mathrm{d} \bm{x}"


def holds(latex: str) -> bool | None:
    return evaluate_formula(latex, "dar-5-5").ok


def test_a_sum_of_densities_keeps_its_log_where_the_values_underflow():
    total = add(Density(np.array(-1000.0)), Density(np.array(-1000.0)))
    assert isinstance(total, Density) and math.isclose(total.log, -1000.0 + math.log(2))


def test_an_integral_of_a_density_keeps_its_log_where_the_values_underflow():
    weights = np.array([0.5, 0.5])
    total = integrate(Density(np.array([[-900.0], [-1000.0]])), weights, 0)
    assert isinstance(total, Density) and np.isclose(total.log[0, 0], -900.0 + math.log(0.5), rtol=1e-12)


def test_the_mixture_sum_written_out_holds_across_the_data_space_tails():
    rhs = r"\int_{\bm{x}} p(\bm{x}; \theta) \log \sum_{k=1}^K \alpha_k \varphi(\bm{x}; \bm{\mu}_k, \bm{\Sigma}_k) \mathrm{d} \bm{x}"
    assert holds(f"{ENTROPY} = {rhs}") is True


def test_the_marginal_integral_written_out_holds_across_the_data_space_tails():
    rhs = (r"\int_{\bm{x}} p(\bm{x}; \theta) \log \int_{\bm{z}} p(\bm{x}|\bm{z}; \theta) p(\bm{z}) \mathrm{d} \bm{z}"
           r" \mathrm{d} \bm{x}")
    assert holds(f"{ENTROPY} = {rhs}") is True


def test_the_mixture_sum_with_its_weights_dropped_still_fails_in_the_tails():
    rhs = r"\int_{\bm{x}} p(\bm{x}; \theta) \log \sum_{k=1}^K \varphi(\bm{x}; \bm{\mu}_k, \bm{\Sigma}_k) \mathrm{d} \bm{x}"
    assert holds(f"{ENTROPY} = {rhs}") is False


def test_a_product_of_densities_is_the_sum_of_their_logs():
    assert holds(r"\sum_{i=1}^N \log p(\bm{x}_i; \theta) = \log \prod_{i=1}^N p(\bm{x}_i; \theta)") is True
