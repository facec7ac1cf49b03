"""The lecture's models, written once for any arithmetic backend: numpy here, SymPy in derivations/.

The evaluator (latexeval/models.py: a slide's own LaTeX on random draws) and the
derivation checks (derivations/: SymPy proofs, numeric cross-checks) compute on
this one code, so a check and an evaluation of the same row cannot silently mean
two different models. Every method uses only +, -, *, / and what the backend
`ops` offers (log, exp, sqrt, pi, pick, logsumexp, normal_expect), which is why a
method reads like the formula on the slide.

Families (parameters as dicts, the names the notations' `field:` entries use):
- `Mixture`: z in {0..K-1}, p(z) = α (fixed, or θ["weight"]), x | z = k ~ N(μ_k, σ²_k)
  with θ = {"mean": [μ_k], "variance": [σ²_k]} (a "table" θ["L"][i][k] of likelihoods of
  sample i instead: any discrete latent model, the symbolic instance of the proofs);
- `FullCovarianceMixture`: the same in d >= 2 dimensions, x | z = k ~ N(μ_k, Σ_k) with full
  covariances (numpy only), so an M step that squares (x - μ)^T (x - μ) instead of forming
  (x - μ)(x - μ)^T is a different model, not the same number;
- `LinearGaussian`: z ~ N(0, 1), x | z ~ N(az + b, s²) with θ = {"a", "b", "s2"}, whose
  evidence, posterior, expected log-joint and ELBO have closed forms;
- `Categorical`, `Normal`: the distributions themselves, with their KL.

`LatentModel` binds a family to data x_1..x_N and parameters (θ, θ̂, φ): the object
the checks in derivations/ compute on, and what an evaluator instance hands out
(`models.Instance.latent_model`) so a check can be evaluated on the evaluator's draws.
"""
from __future__ import annotations

import copy
import math

import numpy as np


class NumpyOps:
    """numpy arithmetic; expectations need a rule (derivations/ adds Gauss-Hermite quadrature)."""

    symbolic = False
    log = staticmethod(np.log)
    exp = staticmethod(np.exp)
    sqrt = staticmethod(np.sqrt)
    pi = math.pi

    @staticmethod
    def pick(seq, index):
        """seq[index] for an int index, elementwise for an array of indices (broadcasting)."""
        if isinstance(index, (int, np.integer)):
            return seq[int(index)]
        return np.choose(np.asarray(index), [np.asarray(s, dtype=float) for s in seq])

    @staticmethod
    def logsumexp(terms):
        return np.logaddexp.reduce(np.broadcast_arrays(*terms), axis=0)

    def normal_expect(self, mean, var, f):
        raise NotImplementedError("this backend has no quadrature rule for Gaussian expectations")


NUMPY = NumpyOps()


def normalised(ws):
    total = sum(ws)
    return [w / total for w in ws]


# --------------------------------------------------------------------------- #
# distributions


class Categorical:
    def __init__(self, ops, probs):
        self.ops, self.probs = ops, list(probs)

    def pdf(self, k):
        return self.ops.pick(self.probs, k)

    def log_pdf(self, k):
        return self.ops.log(self.pdf(k))

    def expect(self, f):
        return sum(p * f(k) for k, p in enumerate(self.probs))

    def kl(self, other: "Categorical"):
        return sum(p * self.ops.log(p / q) for p, q in zip(self.probs, other.probs))


class Normal:
    def __init__(self, ops, mean, var):
        self.ops, self.mean, self.var = ops, mean, var

    def pdf(self, z):
        o = self.ops
        return o.exp(-((z - self.mean) ** 2) / (2 * self.var)) / o.sqrt(2 * o.pi * self.var)

    def log_pdf(self, z):
        o = self.ops
        return -((z - self.mean) ** 2) / (2 * self.var) - o.log(2 * o.pi * self.var) / 2

    def expect(self, f):
        return self.ops.normal_expect(self.mean, self.var, f)

    def kl(self, other: "Normal"):
        o = self.ops
        return (o.log(other.var / self.var) + (self.var + (self.mean - other.mean) ** 2) / other.var - 1) / 2


class MultivariateNormal:
    """N(μ, Σ) in d dimensions; μ as d entries, Σ as d×d entries, each a number or a batch of draws.

    numpy only: the log-determinant and the solve are taken per draw (np.linalg broadcasts; in d = 2 by
    cofactors). A draw whose Σ has no positive determinant has no density: NaN in that draw."""

    def __init__(self, mean, cov):
        self.mean, self.cov = list(mean), [list(row) for row in cov]

    def log_pdf(self, x):
        diff = [np.asarray(xa, dtype=float) - np.asarray(ma, dtype=float) for xa, ma in zip(x, self.mean)]
        if len(diff) == 2:
            return self._log_pdf_2d(*diff)
        shape = np.broadcast_shapes(*(np.shape(e) for e in diff), *(np.shape(c) for row in self.cov for c in row))
        d = np.stack([np.broadcast_to(e, shape) for e in diff], axis=-1)
        cov = np.stack([np.stack([np.broadcast_to(c, shape) for c in row], axis=-1) for row in self.cov], axis=-2)
        sign, logdet = np.linalg.slogdet(cov)
        none = ~(sign > 0)  # a singular or indefinite "covariance" (a formula's, say): solved as I, then NaN
        cov = np.where(none[..., None, None], np.eye(len(diff)), cov)
        quad = np.einsum("...i,...i->...", d, np.linalg.solve(cov, d[..., None])[..., 0])
        return np.where(none, np.nan, -(quad + logdet + len(diff) * math.log(2 * math.pi)) / 2)

    def _log_pdf_2d(self, u, v):
        """d = 2 by cofactors: per draw, a 2×2 determinant and inverse are a few products, where building the
        stacked (…, 2, 2) arrays np.linalg needs costs most of the time of a full-covariance row. A draw whose
        covariance has no positive determinant has no density (NaN), as with slogdet's sign."""
        (a, b), (c, e) = ([np.asarray(entry, dtype=float) for entry in row] for row in self.cov)
        det = a * e - b * c
        with np.errstate(divide="ignore", invalid="ignore"):
            quad = (u * (e * u - b * v) + v * (a * v - c * u)) / det
            value = -(quad + np.log(det) + 2 * math.log(2 * math.pi)) / 2
        return np.where(det > 0, value, np.nan)

    def pdf(self, x):
        return np.exp(self.log_pdf(x))


def normal_log_pdf(x, mean, var, ops=NUMPY):
    return Normal(ops, mean, var).log_pdf(x)


# --------------------------------------------------------------------------- #
# families: densities as functions of a data value x, a latent value z and θ


class Mixture:
    """A discrete latent: p(z = k) = α_k, p(x | z = k; θ) = N(x; μ_k, σ²_k) (or a free table)."""

    discrete = True

    def __init__(self, ops, K: int, alpha=None):
        self.ops, self.K = ops, K
        self.alpha = None if alpha is None else list(alpha)  # None: the weights are θ["weight"]

    def weights(self, th: dict) -> list:
        return normalised(self.alpha if self.alpha is not None else th["weight"])

    def prior(self, th: dict) -> Categorical:
        return Categorical(self.ops, self.weights(th))

    def log_prior(self, z, th: dict):
        return self.prior(th).log_pdf(z)

    def component(self, th: dict, k) -> Normal:
        o = self.ops
        return Normal(o, o.pick(th["mean"], k), o.pick(th["variance"], k))

    def likelihood(self, x, z, th: dict):
        return self.component(th, z).pdf(x)

    def log_likelihood(self, x, z, th: dict):
        return self.component(th, z).log_pdf(x)

    def log_joints(self, x, th: dict) -> list:
        """log α_k N(x; μ_k, σ²_k) for k = 0..K-1."""
        return [self.ops.log(a) + self.log_likelihood(x, k, th) for k, a in enumerate(self.weights(th))]

    def log_marginal(self, x, th: dict):
        return self.ops.logsumexp(self.log_joints(x, th))

    def marginal(self, x, th: dict):
        return self.prior(th).expect(lambda k: self.likelihood(x, k, th))

    def posterior(self, x, th: dict) -> Categorical:
        """Responsibilities, from logs: a narrow component far from x has likelihood 0 in floats."""
        return Categorical(self.ops, [self.ops.exp(lr) for lr in self.log_responsibilities(x, th)])

    def variational(self, ph: dict, i: int) -> Categorical:
        """q(z | x_i; φ): φ["w"][i] are positive weights, normalised here."""
        return Categorical(self.ops, normalised(ph["w"][i]))

    def log_responsibilities(self, x, th: dict) -> list:
        """log p(z = k | x; θ) for every k."""
        joints = self.log_joints(x, th)
        norm = self.ops.logsumexp(joints)
        return [lj - norm for lj in joints]

    def expected_complete_loglik(self, xs, th: dict, th_hat: dict):
        """Q(θ, θ̂) = Σ_i Σ_k r_ik(θ̂) log(α_k N(x_i; μ_k, σ²_k)): EM's E step for a mixture."""
        o, total = self.ops, 0
        for x in xs:
            total = total + sum(o.exp(lr) * lj for lr, lj in zip(self.log_responsibilities(x, th_hat),
                                                                  self.log_joints(x, th)))
        return total

    def elbo(self, xs, log_q: list, th: dict):
        """Σ_i Σ_k q_ik (log p(x_i, k; θ) - log q_ik), q given by its logs per data point."""
        o, total = self.ops, 0
        for x, row in zip(xs, log_q):
            total = total + sum(o.exp(lq) * (lj - lq) for lq, lj in zip(row, self.log_joints(x, th)))
        return total

    def m_step(self, xs, r: list) -> dict:
        """N_k = Σ_i r_ik; μ_k, σ²_k the r-weighted mean and variance; α_k = N_k / N if learned."""
        nk = [sum(row[k] for row in r) for k in range(self.K)]
        mean = [sum(row[k] * x for row, x in zip(r, xs)) / nk[k] for k in range(self.K)]
        var = [sum(row[k] * (x - mean[k]) ** 2 for row, x in zip(r, xs)) / nk[k] for k in range(self.K)]
        th = {"mean": mean, "variance": var}
        if self.alpha is None:
            th["weight"] = [n / len(xs) for n in nk]
        return th


class FullCovarianceMixture(Mixture):
    """A mixture of K Gaussians in d dimensions with full covariances: θ = {"weight", "mean": [μ_k as d
    entries], "variance": [Σ_k as d×d entries]}; x is a sequence of d coordinates."""

    def __init__(self, ops, K: int, d: int, alpha=None):
        super().__init__(ops, K, alpha)
        self.d = d

    def component(self, th: dict, k) -> MultivariateNormal:
        pick, d = self.ops.pick, range(self.d)
        mean = [pick([m[a] for m in th["mean"]], k) for a in d]
        cov = [[pick([c[a][b] for c in th["variance"]], k) for b in d] for a in d]
        return MultivariateNormal(mean, cov)

    def expected_complete_loglik(self, xs, th: dict, th_hat: dict):
        """Q(θ, θ̂) as in Mixture, with every data point at once (one factorisation per component)."""
        stacked = [np.asarray([x[a] for x in xs], dtype=float)[:, None] for a in range(self.d)]
        terms = zip(self.log_responsibilities(stacked, th_hat), self.log_joints(stacked, th))
        return sum(np.sum(np.exp(lr) * lj, axis=0) for lr, lj in terms)

    def m_step(self, xs, r: list) -> dict:
        """N_k = Σ_i r_ik; μ_k the r-weighted mean; Σ_k the r-weighted sum of OUTER products
        (x_i - μ_k)(x_i - μ_k)^T over N_k; α_k = N_k / N if learned."""
        d = range(self.d)
        nk = [sum(row[k] for row in r) for k in range(self.K)]
        mean = [[sum(row[k] * x[a] for row, x in zip(r, xs)) / nk[k] for a in d] for k in range(self.K)]
        def entry(k, a, b):  # computed once for (a, b) and (b, a): Σ_k is exactly symmetric
            a, b = min(a, b), max(a, b)
            return sum(row[k] * (x[a] - mean[k][a]) * (x[b] - mean[k][b]) for row, x in zip(r, xs)) / nk[k]

        cov = [[[entry(k, a, b) for b in d] for a in d] for k in range(self.K)]
        th = {"mean": mean, "variance": cov}
        if self.alpha is None:
            th["weight"] = [n / len(xs) for n in nk]
        return th


class LinearGaussian:
    """z ~ N(0, 1), x | z ~ N(az + b, s²): evidence N(b, a² + s²), posterior in closed form."""

    discrete = False

    def __init__(self, ops):
        self.ops = ops

    def prior(self, th: dict) -> Normal:
        return Normal(self.ops, 0, 1)

    def log_prior(self, z, th: dict):
        return self.prior(th).log_pdf(z)

    def component(self, th: dict, z) -> Normal:
        return Normal(self.ops, th["a"] * z + th["b"], th["s2"])

    def likelihood(self, x, z, th: dict):
        return self.component(th, z).pdf(x)

    def log_likelihood(self, x, z, th: dict):
        return self.component(th, z).log_pdf(x)

    def evidence(self, th: dict) -> Normal:
        return Normal(self.ops, th["b"], th["a"] ** 2 + th["s2"])

    def marginal(self, x, th: dict):
        return self.evidence(th).pdf(x)

    def log_marginal(self, x, th: dict):
        return self.evidence(th).log_pdf(x)

    def posterior(self, x, th: dict) -> Normal:
        a, b, s2 = th["a"], th["b"], th["s2"]
        return Normal(self.ops, a * (x - b) / (a**2 + s2), s2 / (a**2 + s2))

    def variational(self, ph: dict, i: int) -> Normal:
        """q(z | x_i; φ) = N(m_i, v_i), or N(m_i, 1) when φ has no variances."""
        return Normal(self.ops, ph["m"][i], ph["v"][i] if ph.get("v") is not None else 1)

    def expected_log_joint(self, x, th: dict, mean, var):
        """E[log N(z; 0, 1) + log N(x; az + b, s²)] for z ~ N(mean, var), by Gaussian moments."""
        o = self.ops
        a, b, s2 = th["a"], th["b"], th["s2"]
        prior = -o.log(2 * o.pi) / 2 - (mean**2 + var) / 2
        lik = -o.log(2 * o.pi * s2) / 2 - ((x - b - a * mean) ** 2 + a**2 * var) / (2 * s2)
        return prior + lik

    def expected_complete_loglik(self, xs, th: dict, th_hat: dict):
        total = 0
        for x in xs:
            post = self.posterior(x, th_hat)
            total = total + self.expected_log_joint(x, th, post.mean, post.var)
        return total

    def elbo(self, xs, means, variances, th: dict):
        """E_q[log p(x_i, z; θ)] + H[q] summed over i (the entropy of N(m, v) is log(2πe v)/2)."""
        o, total = self.ops, 0
        for x, m, v in zip(xs, means, variances):
            total = total + self.expected_log_joint(x, th, m, v) + o.log(2 * o.pi * o.exp(1) * v) / 2
        return total

    def m_step(self, xs, moments: list) -> dict:
        """Least squares of x on z with E z and E z² in place of z and z²; s² the expected residual."""
        n = len(xs)
        m = [mi for mi, _ in moments]
        s_zz, s_z = sum(mi**2 + vi for mi, vi in moments), sum(m)
        s_xz, s_x = sum(x * mi for x, mi in zip(xs, m)), sum(xs)
        a = (n * s_xz - s_x * s_z) / (n * s_zz - s_z**2)
        b = (s_x - a * s_z) / n
        s2 = sum((x - a * mi - b) ** 2 + a**2 * vi for x, (mi, vi) in zip(xs, moments)) / n
        return {"a": a, "b": b, "s2": s2}


# --------------------------------------------------------------------------- #
# a family bound to data and parameters


class LatentModel:
    """p(x_i, z; θ) = p(z; θ) p(x_i | z; θ) for samples i = 0..N-1 of a family.

    Parameter bundles: ``theta`` (the model), ``theta_hat`` (where EM takes its posterior)
    and ``phi`` (the variational q: {"w": [[weights of q_i]]} for a discrete latent,
    {"m": [m_i], "v": [v_i] or None} (v_i = 1) for a continuous one).
    """

    def __init__(self, family, x, theta, theta_hat=None, phi=None, n_samples: int | None = None):
        self.family, self.ops = family, family.ops
        self.x = x
        self.N = len(x) if n_samples is None else n_samples
        self.theta, self.theta_hat, self.phi = theta, theta_hat, phi
        self._q_override = None

    @property
    def samples(self) -> range:
        return range(self.N)

    @property
    def K(self) -> int:
        """The number of values of a discrete latent."""
        return self.family.K

    def prior(self, th):
        return self.family.prior(th)

    def lik(self, i, z, th):
        if "L" in th:  # a free table of likelihoods: any discrete latent model
            return th["L"][i][z]
        return self.family.likelihood(self.x[i], z, th)

    def joint(self, i, z, th):
        return self.prior(th).pdf(z) * self.lik(i, z, th)

    def log_joint(self, i, z, th):
        if "L" in th:
            return self.ops.log(self.joint(i, z, th))
        return self.family.log_prior(z, th) + self.family.log_likelihood(self.x[i], z, th)

    def log_lik(self, i, z, th):
        if "L" in th:
            return self.ops.log(self.lik(i, z, th))
        return self.family.log_likelihood(self.x[i], z, th)

    def marginal(self, i, th):
        if "L" in th:
            return self.prior(th).expect(lambda k: self.lik(i, k, th))
        return self.family.marginal(self.x[i], th)

    def log_evidence(self, th, samples=None):
        """Σ_i log p(x_i; θ); in numbers from the family's log marginal (a logsumexp), which a narrow
        component far from x_i cannot underflow to log 0."""
        chosen = self.samples if samples is None else samples
        if "L" not in th and not self.ops.symbolic:
            return sum(self.family.log_marginal(self.x[i], th) for i in chosen)
        return sum(self.ops.log(self.marginal(i, th)) for i in chosen)

    def posterior(self, i, th):
        if "L" in th:
            evidence = self.marginal(i, th)
            return Categorical(self.ops, [self.joint(i, k, th) / evidence for k in range(self.family.K)])
        return self.family.posterior(self.x[i], th)

    def variational(self, i):
        return self.family.variational(self.phi, i)

    def q(self, i):
        return self._q_override(i) if self._q_override else self.variational(i)

    def elbo(self, th=None):
        """ELBO(φ, θ) by the family's own computation: Gaussian moments for a continuous latent
        (not the slide's integral); the defining finite sum for a discrete one."""
        th = self.theta if th is None else th
        o = self.ops
        if not self.family.discrete:
            qs = [self.q(i) for i in self.samples]
            return self.family.elbo(self.x, [q.mean for q in qs], [q.var for q in qs], th)
        return sum(sum(qk * (self.log_joint(i, k, th) - o.log(qk)) for k, qk in enumerate(self.q(i).probs))
                   for i in self.samples)

    def with_params(self, theta=None, theta_hat=None) -> "LatentModel":
        """The same model and data at other parameters (e.g. theta_hat := theta)."""
        other = copy.copy(self)
        other.theta = self.theta if theta is None else theta
        other.theta_hat = self.theta_hat if theta_hat is None else theta_hat
        return other

    def with_q(self, make) -> "LatentModel":
        """The same model with q(z|x_i) replaced, e.g. by the exact posterior."""
        other = copy.copy(self)
        other._q_override = make
        return other


class Pair:
    """Two distributions p, q of one variable (the divergence slides speak of no model)."""

    def __init__(self, ops, p, q):
        self.ops, self.p, self.q = ops, p, q
