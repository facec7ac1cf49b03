"""Numeric GMM fixture: synthetic 2-D data, EM written here, sklearn as an independent referee.

The slides' EM claims (closed-form M-step, monotone log-likelihood) are about
full-covariance mixtures in d dimensions, which the 1-D symbolic instance cannot
show; this module checks them on real numbers.  sklearn.mixture.GaussianMixture,
started from the same parameters with no covariance regularisation, must follow
the same trajectory: if our E or M step were wrong, the two would part.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class GMM:
    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, d)
    covs: np.ndarray  # (K, d, d)


def log_gauss(X: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """log phi(x; mu, Sigma) for each row of X, via a Cholesky factor."""
    chol = np.linalg.cholesky(cov)
    sol = np.linalg.solve(chol, (X - mean).T)
    d = X.shape[1]
    return -0.5 * np.sum(sol**2, axis=0) - np.sum(np.log(np.diag(chol))) - 0.5 * d * math.log(2 * math.pi)


def log_joint(X: np.ndarray, th: GMM) -> np.ndarray:
    """log p(x_i, z = k; theta) = log alpha_k + log phi(x_i; mu_k, Sigma_k), shape (N, K)."""
    return np.stack([math.log(w) + log_gauss(X, m, c) for w, m, c in zip(th.weights, th.means, th.covs)], axis=1)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=1, keepdims=True)))[:, 0]


def log_likelihood_per_point(X: np.ndarray, th: GMM) -> np.ndarray:
    """log p(x_i; theta) = log sum_k alpha_k phi(x_i; mu_k, Sigma_k)."""
    return _logsumexp(log_joint(X, th))


def log_likelihood(X: np.ndarray, th: GMM) -> float:
    return float(np.sum(log_likelihood_per_point(X, th)))


def responsibilities(X: np.ndarray, th: GMM) -> np.ndarray:
    """E-step: z_hat_ik = p(z = k | x_i; theta)."""
    lj = log_joint(X, th)
    return np.exp(lj - _logsumexp(lj)[:, None])


def m_step(X: np.ndarray, resp: np.ndarray) -> GMM:
    """The slide's closed form: alpha_k = N_k / N, mu_k = weighted mean, Sigma_k = weighted scatter."""
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k] for k in range(len(nk))])
    return GMM(nk / X.shape[0], means, covs)


def q_value(X: np.ndarray, th: GMM, resp: np.ndarray) -> float:
    """Q(theta, theta_hat) with resp = p(z|x; theta_hat)."""
    return float(np.sum(resp * log_joint(X, th)))


def em(X: np.ndarray, th0: GMM, iterations: int, m_step=m_step) -> list[GMM]:
    thetas = [th0]
    for _ in range(iterations):
        thetas.append(m_step(X, responsibilities(X, thetas[-1])))
    return thetas


def kl_categorical(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * np.log(p / q)))


def kl_gauss(m1, s1, m2, s2) -> float:
    """KL(N(m1, S1) || N(m2, S2)) in d dimensions."""
    d = len(m1)
    inv2 = np.linalg.inv(s2)
    diff = m2 - m1
    _, ld1 = np.linalg.slogdet(s1)
    _, ld2 = np.linalg.slogdet(s2)
    return 0.5 * float(np.trace(inv2 @ s1) + diff @ inv2 @ diff - d + ld2 - ld1)


@lru_cache(maxsize=None)
def data(n: int = 240, seed: int = 7) -> np.ndarray:
    """Three overlapping 2-D clusters: overlap keeps EM from converging in two steps."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [2.5, 1.0], [0.5, 2.5]])
    covs = np.array([[[1.0, 0.4], [0.4, 0.6]], [[0.5, -0.2], [-0.2, 0.8]], [[0.7, 0.0], [0.0, 0.4]]])
    z = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    return np.stack([rng.multivariate_normal(means[k], covs[k]) for k in z])


def random_spd(rng: np.random.Generator, d: int, lo: float = 0.3, hi: float = 2.0) -> np.ndarray:
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return q @ np.diag(rng.uniform(lo, hi, d)) @ q.T


def random_gmm(rng: np.random.Generator, X: np.ndarray, K: int) -> GMM:
    w = rng.uniform(0.5, 2.0, K)
    means = X[rng.choice(len(X), K, replace=False)] + 0.1 * rng.standard_normal((K, X.shape[1]))
    return GMM(w / w.sum(), means, np.stack([random_spd(rng, X.shape[1]) for _ in range(K)]))


@lru_cache(maxsize=None)
def sklearn_agreement(iterations: int = 25, seed: int = 3) -> tuple[float, float, int]:
    """(max parameter difference, max log-likelihood difference, iterations) between our EM
    and sklearn's from the same start; sklearn's lower_bounds_ are per-sample log-likelihoods."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    X = data()
    th0 = random_gmm(np.random.default_rng(seed), X, 3)
    ours = em(X, th0, iterations)
    gm = GaussianMixture(3, covariance_type="full", reg_covar=0.0, tol=0.0, max_iter=iterations,
                         weights_init=th0.weights, means_init=th0.means,
                         precisions_init=np.linalg.inv(th0.covs), init_params="random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    last = ours[-1]
    dparam = max(np.abs(gm.weights_ - last.weights).max(), np.abs(gm.means_ - last.means).max(),
                 np.abs(gm.covariances_ - last.covs).max())
    ll_ours = np.array([log_likelihood(X, th) for th in ours[:-1]]) / len(X)
    dll = float(np.abs(np.asarray(gm.lower_bounds_) - ll_ours).max())
    return float(dparam), dll, iterations
