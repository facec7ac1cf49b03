"""Shared model fixtures: the latent-variable models every EM/ELBO/VAE step is checked on.

Two families cover the lecture's two readings of "integrate over z":
- a discrete latent (the GMM case: the integral is a sum over components).  Its
  symbolic instance uses a free table of positive joint weights, so a symbolic
  proof holds for *every* discrete latent model, not just Gaussian mixtures; its
  numeric instance is a real 1-D Gaussian mixture so "theta moves" means moving
  weights, means and scales;
- a linear-Gaussian model z ~ N(0,1), x|z ~ N(az+b, s^2), whose evidence,
  posterior, ELBO and KL have closed forms derived independently of the
  integrals on the slides, so an "=" step is checked against a second derivation.
"""

from __future__ import annotations

import copy

from .engine import Categorical, Fixture, Normal, Space, Var, positives, reals


def _normalised(ws):
    total = sum(ws)
    return [w / total for w in ws]


class LatentModel:
    """p(x_i, z; theta) = p(z; theta) p(x_i | z; theta) for samples i = 0..N-1.

    Parameter bundles: ``theta`` (the model), ``theta_hat`` (where EM takes its
    posterior) and ``phi`` (the variational q).
    """

    def __init__(self, ops, n_samples, theta, theta_hat=None, phi=None):
        self.ops, self.N = ops, n_samples
        self.theta, self.theta_hat, self.phi = theta, theta_hat, phi
        self._q_override = None

    @property
    def samples(self) -> range:
        return range(self.N)

    def joint(self, i, z, th):
        return self.prior(th).pdf(z) * self.lik(i, z, th)

    def log_joint(self, i, z, th):
        return self.ops.log(self.joint(i, z, th))

    def log_lik(self, i, z, th):
        return self.ops.log(self.lik(i, z, th))

    def log_evidence(self, th, samples=None):
        return sum(self.ops.log(self.marginal(i, th)) for i in (self.samples if samples is None else samples))

    def q(self, i):
        return self._q_override(i) if self._q_override else self.variational(i)

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


class DiscreteLatent(LatentModel):
    """z in {0..K-1} with prior weights alpha (learnable: part of theta, as in a GMM; or fixed)."""

    def __init__(self, ops, K, n_samples, theta, theta_hat=None, phi=None, x=None, prior_weights=None):
        super().__init__(ops, n_samples, theta, theta_hat, phi)
        self.K, self.x, self.prior_weights = K, x, prior_weights

    def prior(self, th):
        return Categorical(self.ops, _normalised(self.prior_weights or th["w"]))

    def lik(self, i, k, th):
        if "L" in th:
            return th["L"][i][k]
        return Normal(self.ops, th["mu"][k], th["s"][k] ** 2).pdf(self.x[i])

    def marginal(self, i, th):
        return self.prior(th).expect(lambda k: self.lik(i, k, th))

    def posterior(self, i, th):
        evidence = self.marginal(i, th)
        return Categorical(self.ops, [self.joint(i, k, th) / evidence for k in range(self.K)])

    def variational(self, i):
        return Categorical(self.ops, _normalised(self.phi[i]))

    def elbo(self, th=None):
        """For a discrete z the ELBO's "closed form" is its defining finite sum; the independent
        second derivation is the linear-Gaussian one."""
        th = self.theta if th is None else th
        o = self.ops
        return sum(
            sum(qk * (o.log(self.joint(i, k, th)) - o.log(qk)) for k, qk in enumerate(self.q(i).probs))
            for i in self.samples
        )


class LinearGaussian(LatentModel):
    """z ~ N(0, 1), x | z ~ N(a z + b, s^2); q(z | x_i; phi) = N(m_i, v_i) (v_i = 1 if phi has no v)."""

    def __init__(self, ops, x, theta, theta_hat=None, phi=None):
        super().__init__(ops, len(x), theta, theta_hat, phi)
        self.x = x

    def prior(self, th):
        return Normal(self.ops, 0, 1)

    def lik(self, i, z, th):
        return Normal(self.ops, th["a"] * z + th["b"], th["s"] ** 2).pdf(self.x[i])

    def marginal(self, i, th):
        return Normal(self.ops, th["b"], th["a"] ** 2 + th["s"] ** 2).pdf(self.x[i])

    def posterior(self, i, th):
        a, b, s = th["a"], th["b"], th["s"]
        return Normal(self.ops, a * (self.x[i] - b) / (a**2 + s**2), s**2 / (a**2 + s**2))

    def variational(self, i):
        var = self.phi["v"][i] if self.phi.get("v") else 1
        return Normal(self.ops, self.phi["m"][i], var)

    def elbo(self, th=None):
        """E_q[log p(x|z)] + E_q[log p(z)] + H[q], from Gaussian moments (not from the slide's integral)."""
        th = self.theta if th is None else th
        a, b, s = th["a"], th["b"], th["s"]
        o = self.ops
        total = 0
        for i in self.samples:
            q = self.q(i)
            m, v = q.mean, q.var
            total += (
                -o.log(2 * o.pi * s**2) / 2
                - ((self.x[i] - b - a * m) ** 2 + a**2 * v) / (2 * s**2)
                - o.log(2 * o.pi) / 2
                - (m**2 + v) / 2
                + o.log(2 * o.pi * o.exp(1) * v) / 2
            )
        return total


# --------------------------------------------------------------------------- #
# spaces and fixtures


def _gmm_theta(K):
    return positives("w", K, 0.2, 5.0) + reals("mu", K, -2.0, 2.0) + positives("s", K, 0.5, 2.0)


def _table_theta(N, K):
    return positives("w", K, 0.2, 5.0) + [Var(f"L{i}{k}", 0.01, 1.0, True) for i in range(1, N + 1) for k in range(1, K + 1)]


def _q_table(N, K):
    return [Var(f"u{i}{k}", 0.1, 10.0, True) for i in range(1, N + 1) for k in range(1, K + 1)]


def _discrete(ops, v, fixed_prior: bool):
    th = v["theta"]
    K = sum(1 for name in th if name.startswith("w"))

    def bundle(g):
        b = {"w": [g[f"w{k}"] for k in range(1, K + 1)]}
        if "L11" in g:
            n = sum(1 for name in g if name.startswith("L")) // K
            b["L"] = [[g[f"L{i}{k}"] for k in range(1, K + 1)] for i in range(1, n + 1)]
        else:
            b["mu"] = [g[f"mu{k}"] for k in range(1, K + 1)]
            b["s"] = [g[f"s{k}"] for k in range(1, K + 1)]
        return b

    theta = bundle(th)
    N = len(theta["L"]) if "L" in theta else len(v["x"])
    phi = [[v["phi"][f"u{i}{k}"] for k in range(1, K + 1)] for i in range(1, N + 1)]
    x = [v["x"][f"x{i}"] for i in range(1, N + 1)] if "x" in v else None
    prior = [v["prior"][f"c{k}"] for k in range(1, K + 1)] if fixed_prior else None
    return DiscreteLatent(ops, K, N, theta, bundle(v["theta_hat"]), phi, x, prior)


def _discrete_fixture(name, fixed_prior):
    sym_n, sym_k, num_n, num_k = 2, 2, 3, 3
    extra_sym = {"prior": positives("c", sym_k, 0.2, 5.0)} if fixed_prior else {}
    extra_num = {"prior": positives("c", num_k, 0.2, 5.0)} if fixed_prior else {}
    return Fixture(
        name,
        lambda ops, v: _discrete(ops, v, fixed_prior),
        Space(theta=_table_theta(sym_n, sym_k), theta_hat=_table_theta(sym_n, sym_k),
              phi=_q_table(sym_n, sym_k), **extra_sym),
        Space(x=reals("x", num_n, -3.0, 3.0), theta=_gmm_theta(num_k), theta_hat=_gmm_theta(num_k),
              phi=_q_table(num_n, num_k), **extra_num),
    )


#: EM's setting: the prior weights alpha are part of theta (a GMM).
DISCRETE = _discrete_fixture("discrete latent (GMM)", fixed_prior=False)
#: The VAE's setting: p(z) has no parameters.
DISCRETE_FIXED_PRIOR = _discrete_fixture("discrete latent, fixed p(z)", fixed_prior=True)


def _lg_theta():
    return [Var("a", -1.5, 1.5), Var("b", -1.0, 1.0), Var("s", 0.6, 1.5, True)]


def _linear_gaussian(ops, v):
    n = len(v["x"])
    x = [v["x"][f"x{i}"] for i in range(1, n + 1)]
    phi = {"m": [v["phi"][f"m{i}"] for i in range(1, n + 1)],
           "v": [v["phi"][f"v{i}"] for i in range(1, n + 1)] if "v1" in v["phi"] else None}
    return LinearGaussian(ops, x, v["theta"], v["theta_hat"], phi)


def _lg_fixture(name, unit_variance_q: bool):
    n = 2  # two samples: nested Gaussian expectations over (z_1, z_2) fit the quadrature axes
    phi = reals("m", n, -2.0, 2.0) + ([] if unit_variance_q else positives("v", n, 0.3, 1.5))
    space = Space(x=reals("x", n, -2.0, 2.0), theta=_lg_theta(), theta_hat=_lg_theta(), phi=phi)
    return Fixture(name, _linear_gaussian, space, space)


LINEAR_GAUSSIAN = _lg_fixture("linear-Gaussian", unit_variance_q=False)
#: q restricted to N(m_i, 1): the exact posterior N(mu_i, s^2/(a^2+s^2)) is outside it unless a = 0.
LINEAR_GAUSSIAN_UNIT_Q = _lg_fixture("linear-Gaussian, q = N(m, 1)", unit_variance_q=True)


# --------------------------------------------------------------------------- #
# pairs of distributions (divergences)


class Pair:
    def __init__(self, ops, p, q):
        self.ops, self.p, self.q = ops, p, q


def _dist(ops, g):
    if "w1" in g:
        return Categorical(ops, _normalised([g[f"w{k}"] for k in range(1, len(g) + 1)]))
    return Normal(ops, g.get("m", 0), g["v"])


def _pair_fixture(name, group):
    space = Space(p=group(), q=group())
    return Fixture(name, lambda ops, v: Pair(ops, _dist(ops, v["p"]), _dist(ops, v["q"])), space, space)


CATEGORICAL_PAIR = _pair_fixture("categorical K=3", lambda: positives("w", 3, 0.05, 20.0))
NORMAL_PAIR = _pair_fixture("normal", lambda: [Var("m", -2.0, 2.0), Var("v", 0.3, 3.0, True)])
ZERO_MEAN_NORMAL_PAIR = _pair_fixture("zero-mean normal", lambda: [Var("v", 0.3, 3.0, True)])
