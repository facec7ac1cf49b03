"""Gaussian mixtures: the density is normalised, EM's closed-form M-step is Q's maximiser,
and EM never lowers the log-likelihood ("收敛性 ✅" in the summary table).

Symbolic instances are 1-D with K = 2 (SymPy proves the identities for all
parameter values); the numeric ones are 2-D full-covariance mixtures, where the
claims are really used, with sklearn as an independent referee for EM.
"""

from __future__ import annotations

from dataclasses import replace

from functools import lru_cache

import numpy as np
import sympy as sp

from . import engine as E
from . import gmm_em as G
from . import terms as T
from .engine import Categorical, Fixture, Normal, Space, positives, reals
from .models import DISCRETE, LINEAR_GAUSSIAN
from .registry import derivation

# --------------------------------------------------------------------------- #
# gmm-normalised

NORM = derivation("gmm-normalised", "高斯混合是一个密度")


@lru_cache(maxsize=None)
def _symbolic_mixture(K: int = 2):
    """x, alpha_k = w_k / sum(w), phi_k(x) of a 1-D mixture."""
    x = sp.Symbol("x", real=True)
    w = [sp.Symbol(f"w{k}", positive=True) for k in range(K)]
    alpha = [wk / sum(w) for wk in w]
    comps = [Normal(E.SYM, sp.Symbol(f"mu{k}", real=True), sp.Symbol(f"s{k}", positive=True) ** 2).pdf(x)
             for k in range(K)]
    return x, alpha, comps


@lru_cache(maxsize=None)
def _grid_integrals(n_mixtures: int = 12, K: int = 3, n: int = 240):
    """Trapezoid integrals over a wide 2-D box of random full-covariance mixtures: for each
    mixture, (alphas, integral of the mixture, integral of each component).  For smooth
    fast-decaying integrands the trapezoid rule converges geometrically, so 1e-9 is honest."""
    rng = np.random.default_rng(E.SEED)
    out = []
    for _ in range(n_mixtures):
        w = rng.uniform(0.2, 5.0, K)
        th = G.GMM(w / w.sum(), rng.uniform(-2, 2, (K, 2)), np.stack([G.random_spd(rng, 2) for _ in range(K)]))
        lo, hi = th.means.min() - 12, th.means.max() + 12
        ax = np.linspace(lo, hi, n)
        X = np.stack(np.meshgrid(ax, ax), axis=-1).reshape(-1, 2)
        dens = np.exp(np.stack([G.log_gauss(X, m, c) for m, c in zip(th.means, th.covs)]))  # (K, n*n)
        h2 = (ax[1] - ax[0]) ** 2
        comp = dens.reshape(K, n, n).sum(axis=(1, 2)) * h2
        mix = np.exp(G.log_likelihood_per_point(X, th)).sum() * h2  # EM's own density
        out.append((th, mix, comp))
    return out


def _grid_check(claim, detail):
    rows = _grid_integrals()
    err = max(abs(claim(th, mix, comp)) for th, mix, comp in rows)
    return E.numeric(err < 1e-9, len(rows), 1e-9, f"{detail}: worst error {err:.2g} on 2-D grids")


def _symbolic_integral(f):
    x = _symbolic_mixture()[0]
    return sp.integrate(f, (x, -sp.oo, sp.oo))


@NORM.step(1, "=", "integral of the mixture is the weighted sum of component integrals")
def mixture_integral_is_linear():
    """Linearity of the integral needs no proof; what is checked is that the density EM
    actually uses (log-sum-exp of the log-joints) integrates like the weighted components."""
    return _grid_check(lambda th, mix, comp: mix - th.weights @ comp,
                       "EM's mixture density vs weighted component integrals")


def _component_integral_check(drop_normaliser=False):
    x, _, comps = _symbolic_mixture()
    if drop_normaliser:  # phi times its normalising constant sqrt(2 pi) sigma (2 pi sqrt(det) in 2-D)
        comps = [c * sp.sqrt(2 * sp.pi) * sp.Symbol(f"s{k}", positive=True) for k, c in enumerate(comps)]
    sym = all(_symbolic_integral(c) == 1 for c in comps)

    def error(th, mix, comp):
        if drop_normaliser:
            comp = comp * 2 * np.pi * np.sqrt(np.linalg.det(th.covs))
        return np.abs(comp - 1).max()

    num = _grid_check(error, "component integrals vs 1")
    return E.combine(E.Outcome(sym, "symbolic", 0, 0.0, "" if sym else "a component does not integrate to 1"), num)


@NORM.step(2, "=", "each Gaussian component integrates to 1")
def components_integrate_to_one():
    return _component_integral_check()


def _weights_sum_check(drop_last=False):
    _, alpha, _ = _symbolic_mixture()
    used = alpha[:-1] if drop_last else alpha
    sym = E.vanishes(sum(used) - 1)
    err = max(abs(th.weights[: len(th.weights) - drop_last].sum() - 1) for th, _, _ in _grid_integrals())
    return E.combine(E.Outcome(sym, "symbolic", 0, 0.0, "" if sym else "sum of alpha_k is not 1"),
                     E.numeric(err < 1e-12, len(_grid_integrals()), 1e-12, f"|sum alpha - 1| <= {err:.2g}"))


@NORM.step(3, "=", "mixture weights sum to 1")
def weights_sum_to_one():
    return _weights_sum_check()


@NORM.wrong(2, "phi without its 1/sqrt(2 pi sigma^2) normaliser")
def _unnormalised_component():
    return _component_integral_check(drop_normaliser=True)


@NORM.wrong(3, "sum over k stops at K-1")
def _weights_miss_one():
    return _weights_sum_check(drop_last=True)


# --------------------------------------------------------------------------- #
# gmm-m-step


class WeightsPart:
    """The alpha-part of Q: sum_k N_k log alpha_k with N_k = sum_i z_hat_ik.

    Q(theta, theta_hat) = sum_k N_k log alpha_k + sum_k sum_i z_hat_ik log phi(x_i; mu_k, Sigma_k)
    separates, so the M-step is proved part by part; the whole of Q is checked in 2-D."""

    def __init__(self, ops, v):
        self.ops = ops
        self.nk = list(v["counts"].values())
        w = list(v["theta"].values())
        self.alpha = [wk / sum(w) for wk in w]

    def objective(self, alpha):
        return sum(n * self.ops.log(a) for n, a in zip(self.nk, alpha))

    def closed_form(self, variant=None):
        """alpha_k = N_k / N (N = sum_k N_k because E-step rows sum to 1)."""
        K = len(self.nk)
        return [1 / K] * K if variant == "uniform alpha" else [n / sum(self.nk) for n in self.nk]

    def certificate(self, variant=None):
        """objective(alpha*) - objective(alpha) = N KL(alpha* || alpha)."""
        o = self.ops
        return [E.kl_term(Categorical(o, self.closed_form(variant)), Categorical(o, self.alpha), sum(self.nk))]


class ComponentPart:
    """One component's part of Q: sum_i r_i log phi(x_i; mu, v) (1-D)."""

    def __init__(self, ops, v):
        self.ops = ops
        self.x = list(v["x"].values())
        self.r = list(v["resp"].values())
        self.mu, self.var = v["theta"]["mu"], v["theta"]["v"]

    def objective(self, mu, var):
        return sum(r * Normal(self.ops, mu, var).log_pdf(x) for r, x in zip(self.r, self.x))

    def closed_form(self, variant=None):
        """mu = weighted mean, v = weighted scatter around the new mean, both over N_k."""
        nk = sum(self.r)
        if variant == "unweighted mean":
            mu = sum(self.x) / len(self.x)
        else:
            mu = sum(r * x for r, x in zip(self.r, self.x)) / nk
        denom = len(self.x) if variant == "divide by N" else nk
        return mu, sum(r * (x - mu) ** 2 for r, x in zip(self.r, self.x)) / denom

    def certificate(self, variant=None):
        """objective(mu*, v*) - objective(mu, v) = N_k KL(N(mu*, v*) || N(mu, v)): the M-step
        matches the weighted moments, and a Gaussian log-density is linear in (x, x^2)."""
        mu, var = self.closed_form(variant)
        o = self.ops
        return [E.kl_term(Normal(o, mu, var), Normal(o, self.mu, self.var), sum(self.r))]


_N, _K = 3, 3
WEIGHTS_PART = Fixture("M-step weights", WeightsPart, *[Space(
    counts=positives("n", _K, 0.1, 10.0), theta=positives("w", _K, 0.2, 5.0))] * 2)
COMPONENT_PART = Fixture("M-step Gaussian component", ComponentPart, *[Space(
    x=reals("x", _N, -3.0, 3.0), resp=positives("r", _N, 0.05, 1.0),
    theta=[E.Var("mu", -3.0, 3.0), E.Var("v", 0.2, 4.0, True)])] * 2)


def _m_step_bound(variant=None):
    """Q(theta) <= Q(closed form) for every theta, part by part."""
    return E.combine(
        E.bound(lambda M: M.objective(M.alpha), lambda M: M.objective(M.closed_form(variant)), "<=",
                lambda M: M.certificate(variant), (WEIGHTS_PART,)),
        E.bound(lambda M: M.objective(M.mu, M.var), lambda M: M.objective(*M.closed_form(variant)), "<=",
                lambda M: M.certificate(variant), (COMPONENT_PART,)),
    )


def m_step_maximises(objective: str = "q", configs: int = 24, moves: int = 32) -> E.Outcome:
    """The 2-D full-covariance M-step output is not beaten by any nearby or random theta.

    objective "q" is Q(theta, theta_hat); "bound" is the posterior-weighted ELBO (Q plus
    a theta-free entropy); "loglik" is the log-likelihood (which one M-step does NOT maximise).
    """
    rng = np.random.default_rng(E.SEED)
    X = G.data()[:60]
    worst, checked = np.inf, 0
    for _ in range(configs):
        prev = G.random_gmm(rng, X, 3)
        resp = G.responsibilities(X, prev)
        entropy = -float(np.sum(resp * np.log(resp)))

        def f(th):
            if objective == "loglik":
                return G.log_likelihood(X, th)
            return G.q_value(X, th, resp) + (entropy if objective == "bound" else 0.0)

        best = G.m_step(X, resp)
        top = f(best)
        for j in range(moves):
            scale = 10.0 ** rng.uniform(-4, 0)
            w = best.weights * np.exp(scale * rng.standard_normal(3))
            shift = scale * rng.standard_normal((3, 2, 2))
            covs = np.stack([c + s @ s.T * 0.5 + (s + s.T) * 0.05 for c, s in zip(best.covs, shift)])
            if np.any(np.linalg.eigvalsh(covs) <= 0):
                continue
            other = G.GMM(w / w.sum(), best.means + scale * rng.standard_normal((3, 2)), covs)
            worst = min(worst, (top - f(other)) / (1 + abs(top)))
            checked += 1
    ok = worst >= -1e-12
    return E.numeric(ok, checked, 1e-12,
                     f"2-D M-step vs {checked} perturbed/random theta: min relative margin {worst:.3g}")


def _m_step_2d_certificate(configs: int = 16) -> E.Outcome:
    """The KL identity behind the symbolic proof, in 2-D with full covariances."""
    rng = np.random.default_rng(E.SEED + 1)
    err = 0.0
    for _ in range(configs):
        X = rng.standard_normal((30, 2)) * rng.uniform(0.5, 2)
        resp = rng.dirichlet(np.ones(3), size=30)
        th = G.random_gmm(rng, X, 3)
        best = G.m_step(X, resp)
        nk = resp.sum(axis=0)
        cert = len(X) * G.kl_categorical(best.weights, th.weights) + sum(
            nk[k] * G.kl_gauss(best.means[k], best.covs[k], th.means[k], th.covs[k]) for k in range(3))
        gap = G.q_value(X, best, resp) - G.q_value(X, th, resp)
        err = max(err, abs(gap - cert) / (1 + abs(gap)))
    return E.numeric(err < 1e-9, configs, 1e-9, f"2-D: Q(theta*) - Q(theta) = sum of KLs to {err:.2g}")


def _sklearn_referee() -> E.Outcome:
    dparam, dll, iters = G.sklearn_agreement()
    ok = dparam < 1e-8 and dll < 1e-10
    return E.numeric(ok, iters, 1e-8,
                     f"sklearn GaussianMixture from the same start, {iters} iterations: "
                     f"parameters within {dparam:.2g}, log-likelihoods within {dll:.2g}", "sklearn")


MSTEP = derivation("gmm-m-step", "GMM 上的 EM: M 步的闭式解")


@MSTEP.step(1, "=", "the closed-form M-step is the global maximiser of Q")
def closed_form_m_step_maximises_q():
    return E.combine(_m_step_bound(), m_step_maximises("q"), _m_step_2d_certificate(), _sklearn_referee())


@MSTEP.wrong(1, "mu_k as the unweighted mean of all x_i")
def _unweighted_mean():
    return _m_step_bound("unweighted mean")


@MSTEP.wrong(1, "Sigma_k divided by N instead of N_k")
def _divide_by_n():
    return _m_step_bound("divide by N")


@MSTEP.wrong(1, "alpha_k = 1/K")
def _uniform_alpha():
    return _m_step_bound("uniform alpha")


# --------------------------------------------------------------------------- #
# em-monotone

MONO = derivation("em-monotone", "EM 的收敛性: 对数似然单调不减")


def _likelihood_gain(M):
    return T.log_evidence(M) - M.log_evidence(M.theta_hat)


def _gain_decomposition(M, sign=+1):
    """Q(theta, theta_hat) - Q(theta_hat, theta_hat) + sum_i KL(p(z|x_i; theta_hat) || p(z|x_i; theta))"""
    q_at_hat = T.q_function(M.with_params(theta=M.theta_hat))
    gap = sum(p.kl(q) for p, q in T.gap_terms(M))
    return T.q_function(M) - q_at_hat + sign * gap


def _at_em_update(f):
    """f with theta := EM's update from theta_hat (the slide's theta^t from theta^{t-1}): the M step of the
    model's own code on the posterior at theta_hat."""
    def at(M):
        posts = [M.posterior(i, M.theta_hat) for i in M.samples]
        stats = [p.probs for p in posts] if M.family.discrete else [(p.mean, p.var) for p in posts]
        return f(M.with_params(theta=M.family.m_step(M.x, stats)))

    return at


@MONO.step(1, "=", "likelihood gain = Q gain + KL between successive posteriors")
def likelihood_gain_decomposes():
    """For every theta, so for EM's update theta^t too (stated first: the row's own parameters; numerically on
    the linear-Gaussian model, where an update never empties a component)."""
    numeric = (replace(LINEAR_GAUSSIAN, sym_space=None),)
    return E.combine(E.equal(_at_em_update(_likelihood_gain), _at_em_update(_gain_decomposition), numeric),
                     E.equal(_likelihood_gain, _gain_decomposition, (DISCRETE, LINEAR_GAUSSIAN)))


def _em_runs(direction: str = ">=", m_step=G.m_step, runs: int = 6, iterations: int = 30) -> E.Outcome:
    """EM from several random starts: the log-likelihood gain of every iteration, and both
    parts of its decomposition (Q gain, KL), have the claimed sign."""
    rng = np.random.default_rng(E.SEED)
    X = G.data()
    worst, steps = np.inf, 0
    sign = 1.0 if direction == ">=" else -1.0
    for _ in range(runs):
        thetas = G.em(X, G.random_gmm(rng, X, 3), iterations, m_step=m_step)
        for prev, new in zip(thetas, thetas[1:]):
            resp_prev, resp_new = G.responsibilities(X, prev), G.responsibilities(X, new)
            gain = G.log_likelihood(X, new) - G.log_likelihood(X, prev)
            q_gain = G.q_value(X, new, resp_prev) - G.q_value(X, prev, resp_prev)
            kl = float(np.sum(resp_prev * np.log(resp_prev / resp_new)))
            scale = 1.0 + abs(G.log_likelihood(X, prev))
            worst = min(worst, sign * gain / scale)
            if direction == ">=":
                worst = min(worst, q_gain / scale, kl / scale)
            steps += 1
    ok = worst >= -1e-12
    return E.numeric(ok, steps, 1e-12,
                     f"{runs} EM runs x {iterations} iterations: min relative margin {worst:.3g}",
                     "numeric (EM runs)")


@MONO.step(2, ">=", "EM never decreases the log-likelihood")
def em_log_likelihood_never_decreases():
    return E.combine(_em_runs(), _sklearn_referee())


@MONO.wrong(1, "-KL for +KL")
def _gain_minus_kl():
    return E.equal(_likelihood_gain, lambda M: _gain_decomposition(M, sign=-1), (DISCRETE, LINEAR_GAUSSIAN))


@MONO.wrong(2, "<= for >=")
def _decreasing_claim():
    return _em_runs("<=")


@MONO.wrong(2, "an M-step that is not Q's argmax (means jittered)")
def _jittered_m_step():
    rng = np.random.default_rng(1)

    def sloppy(X, resp):
        th = G.m_step(X, resp)
        return G.GMM(th.weights, th.means + 0.05 * rng.standard_normal(th.means.shape), th.covs)

    return _em_runs(m_step=sloppy)
