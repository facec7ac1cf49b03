"""ELBO <= sum_i log p(x_i; theta) by Jensen's inequality (the homework "通过 Jensen's
inequality 直接证明").

The Jensen step's certificate is Jensen's gap itself: for concave log,
log E[r] - E[log r] = E[G(r / E[r])] with G(t) = t - 1 - log t >= 0, so the proof
needs nothing beyond the Gibbs lemma.
"""

from __future__ import annotations

from . import engine as E
from . import terms as T
from .models import DISCRETE, LINEAR_GAUSSIAN
from .registry import derivation

LATENT = (DISCRETE, LINEAR_GAUSSIAN)


def _ratio(M, i):
    """r_i(z) = p(x_i, z; theta) / q(z | x_i; phi)"""
    return lambda z: M.joint(i, z, M.theta) / M.q(i).pdf(z)


def jensen_upper(M, divide_by_q=True):
    """sum_i log E_q[p(x_i, z; theta) / q(z | x_i; phi)]"""
    def inner(i):
        r = _ratio(M, i) if divide_by_q else (lambda z: M.joint(i, z, M.theta))
        return M.q(i).expect(r)

    return sum(M.ops.log(inner(i)) for i in M.samples)


def evidence_integral(M):
    """sum_i log int p(x_i, z; theta) dz, the integral taken against the prior: int p(z) p(x_i|z) dz."""
    return sum(M.ops.log(M.prior(M.theta).expect(lambda z, i=i: M.lik(i, z, M.theta))) for i in M.samples)


def jensen_gap(M):
    """log E_q[r_i] - E_q[log r_i] = E_q[G(r_i / E_q[r_i])] for each sample."""
    terms = []
    for i in M.samples:
        mean = M.q(i).expect(_ratio(M, i))
        terms.append(E.expected_gibbs(M.q(i), lambda z, i=i, mean=mean: _ratio(M, i)(z) / mean))
    return terms


J = derivation("elbo-jensen", "ELBO ≤ 对数似然: Jensen's inequality")


@J.step(1, "=", "the ELBO integral is an expectation under q")
def elbo_is_expectation_under_q():
    """int q f dz and E_q[f] are the same number; what is checked is the integral against
    the model's independently derived closed-form ELBO."""
    return E.equal(T.elbo, T.elbo_integral, LATENT)


@J.step(2, "<=", "Jensen: E[log Y] <= log E[Y] for concave log")
def jensen_for_log():
    return E.bound(T.elbo_integral, jensen_upper, "<=", jensen_gap, LATENT)


@J.step(3, "=", "q cancels: E_q[p/q] is the integral of the joint")
def q_cancels_inside_expectation():
    return E.equal(jensen_upper, evidence_integral, LATENT)


@J.step(4, "=", "integrating z out of the joint gives the evidence")
def marginalising_gives_evidence():
    return E.equal(evidence_integral, T.log_evidence, LATENT)


@J.wrong(2, ">= for <=")
def _jensen_reversed():
    return E.bound(T.elbo_integral, jensen_upper, ">=", jensen_gap, LATENT)


@J.wrong(3, "E_q[p(x_i, z)] without dividing by q")
def _q_not_divided():
    return E.equal(lambda M: jensen_upper(M, divide_by_q=False), evidence_integral, LATENT)


@J.wrong(4, "sum over i stops at N-1")
def _evidence_misses_a_sample():
    return E.equal(evidence_integral, lambda M: T.log_evidence(M, M.samples[:-1]), LATENT)


# --------------------------------------------------------------------------- #
HW = derivation("elbo-bound", "课后扩展: ELBO ≤ Σ log p(x_i; θ)")


@HW.step(1, "<=", "the ELBO is a lower bound of the log-likelihood")
def elbo_below_log_likelihood():
    """The slack is sum_i KL(q || p(z|x_i; theta)): the elbo-kl identity plus KL >= 0."""
    return E.bound(T.elbo, T.log_evidence, "<=", T.kl_to_posterior_certificate, LATENT)


@HW.wrong(1, ">= for <=")
def _elbo_above():
    return E.bound(T.elbo, T.log_evidence, ">=", T.kl_to_posterior_certificate, LATENT)
