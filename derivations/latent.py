"""Latent-variable models: the GMM is p(x; theta) = int p(x|z; theta) p(z) dz with a discrete z.

"Integrating" against a categorical p(z) is the finite sum (the discrete fixture
computes the marginal through the same expectation operator every EM step uses);
plugging in the GMM's components is checked against scipy's multivariate normal,
an implementation we did not write.

gmm-density is the seed's one-line definition on "知识回顾"; gmm-latent is the
new slide that spells out why it is the discrete case of the general model.
"""

from __future__ import annotations

import numpy as np

from . import engine as E
from . import gmm_em as G
from .models import DISCRETE
from .registry import derivation


def _marginal_through_prior(M):
    """sum_i log int p(x_i|z; theta) p(z) dz, the integral taken by the prior's expectation."""
    return sum(M.ops.log(M.prior(M.theta).expect(lambda z, i=i: M.lik(i, z, M.theta))) for i in M.samples)


def _explicit_sum(M, last=None):
    """sum_i log sum_{k=1}^{last} p(x_i|z = k; theta) P(z = k)"""
    alpha = M.prior(M.theta).probs
    K = len(alpha) if last is None else last
    return sum(M.ops.log(sum(M.lik(i, k, M.theta) * alpha[k] for k in range(K))) for i in M.samples)


def _against_scipy(weighted=True, mixtures: int = 16) -> E.Outcome:
    """sum_k p(x|z=k) P(z=k) as our EM computes it vs sum_k alpha_k phi(x; mu_k, Sigma_k) by scipy."""
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(E.SEED)
    X = G.data()[:50]
    err = 0.0
    for _ in range(mixtures):
        th = G.random_gmm(rng, X, 3)
        ours = np.exp(G.log_joint(X, th)).sum(axis=1)
        coef = th.weights if weighted else np.ones(3)
        ref = sum(c * multivariate_normal(m, S).pdf(X) for c, m, S in zip(coef, th.means, th.covs))
        err = max(err, float(np.max(np.abs(ours - ref) / (1e-300 + np.abs(ref)))))
    return E.numeric(err < 1e-10, mixtures * len(X), 1e-10,
                     f"vs scipy.stats.multivariate_normal: max relative error {err:.2g}", "numeric (scipy)")


GD = derivation("gmm-density", "知识回顾: 高斯混合分布")


@GD.step(1, "=", "the mixture is the latent-variable marginal with alpha_k = P(z = k)")
def gmm_is_alpha_weighted_gaussians():
    return E.combine(E.equal(_marginal_through_prior, _explicit_sum, (DISCRETE,)), _against_scipy())


@GD.wrong(1, "alpha_k dropped (unweighted sum of components)")
def _density_unweighted():
    return _against_scipy(weighted=False)


GL = derivation("gmm-latent", "高斯混合: 离散隐变量下的一般模型")


@GL.step(1, "=", "for a discrete z the integral over z is a sum over components")
def integral_over_discrete_z_is_a_sum():
    return E.equal(_marginal_through_prior, _explicit_sum, (DISCRETE,))


@GL.step(2, "=", "the components are alpha_k-weighted Gaussians")
def components_are_weighted_gaussians():
    return _against_scipy()


@GL.wrong(1, "sum over k stops at K-1")
def _sum_misses_a_component():
    return E.equal(_marginal_through_prior, lambda M: _explicit_sum(M, last=M.K - 1), (DISCRETE,))


@GL.wrong(2, "alpha_k dropped (unweighted sum of components)")
def _unweighted_components():
    return _against_scipy(weighted=False)
