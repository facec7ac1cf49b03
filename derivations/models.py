"""Fixtures: the latent-variable models every EM/ELBO/VAE step is checked on, as parameter spaces.

The models themselves are latexeval.families (the evaluator computes on the same code);
here they get their sampling boxes and symbolic instances.

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

from latexeval.families import Categorical, LatentModel, Mixture, Normal, Pair, normalised
from latexeval.families import LinearGaussian as LinearGaussianFamily

from .engine import Fixture, Space, Var, positives, reals


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
        b = {"weight": [g[f"w{k}"] for k in range(1, K + 1)]}
        if "L11" in g:
            n = sum(1 for name in g if name.startswith("L")) // K
            b["L"] = [[g[f"L{i}{k}"] for k in range(1, K + 1)] for i in range(1, n + 1)]
        else:
            b["mean"] = [g[f"mu{k}"] for k in range(1, K + 1)]
            b["variance"] = [g[f"s{k}"] ** 2 for k in range(1, K + 1)]
        return b

    theta = bundle(th)
    N = len(theta["L"]) if "L" in theta else len(v["x"])
    phi = [[v["phi"][f"u{i}{k}"] for k in range(1, K + 1)] for i in range(1, N + 1)]
    x = [v["x"][f"x{i}"] for i in range(1, N + 1)] if "x" in v else None
    prior = [v["prior"][f"c{k}"] for k in range(1, K + 1)] if fixed_prior else None
    return LatentModel(Mixture(ops, K, prior), x, theta, bundle(v["theta_hat"]), {"w": phi}, n_samples=N)


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


def _lg_bundle(g):
    return {"a": g["a"], "b": g["b"], "s2": g["s"] ** 2}


def _linear_gaussian(ops, v):
    n = len(v["x"])
    x = [v["x"][f"x{i}"] for i in range(1, n + 1)]
    phi = {"m": [v["phi"][f"m{i}"] for i in range(1, n + 1)],
           "v": [v["phi"][f"v{i}"] for i in range(1, n + 1)] if "v1" in v["phi"] else None}
    return LatentModel(LinearGaussianFamily(ops), x, _lg_bundle(v["theta"]), _lg_bundle(v["theta_hat"]), phi)


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


def _dist(ops, g):
    if "w1" in g:
        return Categorical(ops, normalised([g[f"w{k}"] for k in range(1, len(g) + 1)]))
    return Normal(ops, g.get("m", 0), g["v"])


def _pair_fixture(name, group):
    space = Space(p=group(), q=group())
    return Fixture(name, lambda ops, v: Pair(ops, _dist(ops, v["p"]), _dist(ops, v["q"])), space, space)


CATEGORICAL_PAIR = _pair_fixture("categorical K=3", lambda: positives("w", 3, 0.05, 20.0))
NORMAL_PAIR = _pair_fixture("normal", lambda: [Var("m", -2.0, 2.0), Var("v", 0.3, 3.0, True)])
ZERO_MEAN_NORMAL_PAIR = _pair_fixture("zero-mean normal", lambda: [Var("v", 0.3, 3.0, True)])
