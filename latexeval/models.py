"""The model instances formulas are evaluated on; a notation names the ones it uses.

The deck's two readings of "∫ over z" are covered by a Gaussian mixture (z discrete:
the integral is a sum over components; also in two dimensions with full covariances, where
a scalar slip such as an inner product for an outer product changes the value) and the linear-Gaussian model z ~ N(0, 1),
x | z ~ N(az + b, s²), q = N(m, v) (z continuous: quadrature). Three variants state
what a single slide assumes and the rest of the deck does not: mixture weights that
are parameters (the GMM M step learns α, while elsewhere p(z) has no parameter), and
q restricted to N(m_i, 1) (the VAE gap). Two pairs of distributions p, q (categorical,
and zero-mean normals) serve the KL/JS slides, which speak of no model at all.

The densities are the model's own, from the one model library (families.py) the
derivation checks compute on too; Q, ℓ and the ELBO are computed by that code (exact
sums, Gaussian moments), never from a slide's LaTeX, so a row that evaluates a named
quantity is compared with a second derivation of it. So are EM's two steps, the only
optima the evaluator knows (and it certifies each before use, see evaluate.py).
An instance is the family plus what evaluation needs: data, random draws, how a
parameter moves, and `latent_model`, the family bound to one draw for the checks.

Parameters are drawn at random (fixed seeds): θ and θ̂ independently from the same
box, φ per data point.
"""
from __future__ import annotations

import math

import numpy as np

from . import families as F
from .errors import NotApplicable
from .families import NUMPY, normal_log_pdf
from .values import DataVal, LatentVal, MatrixVal, ParamVal, Plate, on_axis, pick

SEED = 20251211


def _uniform(rng, n, lo, hi):
    return rng.uniform(lo, hi, n)


def _log_uniform(rng, n, lo, hi):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


def _random_logs(rng, n, k, spread=10.0):
    """log of a random probability vector of length k, at n draws (entries up to spread² apart)."""
    raw = [_log_uniform(rng, n, 1 / spread, spread) for _ in range(k)]
    return [np.log(w / sum(raw)) for w in raw]


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    """Trapezoid weights: spectrally accurate for the smooth, fast-decaying integrands here."""
    h = grid[1] - grid[0]
    weights = np.full(grid.size, h)
    weights[[0, -1]] = h / 2
    return weights


class Instance:
    """What the notation's patterns call; subclasses say what the model is."""

    name = ""
    N = 0
    K = 0
    DISCRETE = False  # a discrete latent (values 1..K) or a continuous one (quadrature on GRID)
    LATENT_DIMENSION: int | None = None  # J of a continuous latent z in R^J
    GRID = np.linspace(-10.0, 10.0, 81)
    # ∫ over x: every data density here stays within a few units of 0; the narrowest (a mixture
    # component of variance 0.002, standard deviation 0.045) still spans several nodes
    X_GRID = np.linspace(-25.0, 25.0, 4001)
    # how each parameter field moves when an optimum is certified: real, positive (log scale),
    # simplex (weights, renormalised), log-simplex (log-weights), fixed (not a free coordinate)
    FIELDS: dict[str, str] = {}

    def __init__(self, x: np.ndarray):
        self.x = np.asarray(x, dtype=float)
        self.N = len(self.x)
        self.weights = _trapezoid(self.GRID)
        self.x_weights = _trapezoid(self.X_GRID)

    def count(self, what: str) -> int:
        if what == "data":
            return self.N
        if what == "latent dimension" and self.LATENT_DIMENSION is not None:
            return self.LATENT_DIMENSION
        raise NotApplicable(f"{self.name} has no {what}")

    def identity(self):
        """I of the latent space, where it is one-dimensional (the only continuous latent here)."""
        if self.LATENT_DIMENSION != 1:
            raise NotApplicable(f"{self.name} has no continuous latent space for I to act on")
        return 1.0

    def data_point(self, i: int) -> DataVal:
        return DataVal(self.x[i], i)

    def all_data(self, axis: int) -> DataVal:
        return DataVal(on_axis(self.x, axis), on_axis(np.arange(self.N), axis))

    def data_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X_GRID, self.x_weights

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        if self.DISCRETE:
            return np.arange(self.K), np.ones(self.K)
        return self.GRID, self.weights

    def latent_on_axis(self, nodes: np.ndarray, axis: int) -> LatentVal:
        """The latent at quadrature nodes (or component numbers) laid along an axis."""
        return LatentVal(on_axis(nodes, axis))

    def latent_value(self, k: int) -> LatentVal:
        """z = k: value k (1-based) of a discrete latent."""
        if not self.DISCRETE:
            raise NotApplicable(f"{self.name} has a continuous latent: z = {k} names no component")
        if not 1 <= k <= self.K:
            raise NotApplicable(f"z = {k}: {self.name} has values 1..{self.K}")
        return LatentVal(k - 1)

    def component(self, field: str, k: int, params: dict | None):
        raise NotApplicable(f"{self.name} has no mixture components")

    def field(self, name: str, params: dict):
        if name not in params:
            raise NotApplicable(f"{self.name} has no parameter {name}")
        return params[name]

    @staticmethod
    def _fitted(x: DataVal):
        """φ holds one q per data point: at an x that is not one (an integration node) q has no value."""
        if x.index is None:
            raise NotApplicable("q(z | x; φ) is fitted to the data points, not to every x")
        return x.index

    # the model's densities, as logs; argument order is the pattern's
    def log_joint(self, x: DataVal, z: LatentVal, th: dict):
        return self.log_prior(z) + self.log_likelihood(x, z, th)

    def log_posterior(self, z: LatentVal, x: DataVal, th: dict):
        return self.log_joint(x, z, th) - self.log_marginal(x, th)

    def log_gaussian(self, x: DataVal, mean, var):
        return normal_log_pdf(x.value, mean, var)

    def log_normal(self, z: LatentVal, mean, var):
        """N(mean, var) as a distribution of the latent."""
        if self.DISCRETE:
            raise NotApplicable(f"{self.name} has a discrete latent: a normal density has no value on it")
        return normal_log_pdf(z.value, mean, var)

    # named quantities, by the model's own computation
    def complete_loglik(self, x: DataVal, z, th: dict):
        """ℓ(x, z; θ) = Σ_i log p(x_i, z_i; θ) for the whole data set and a plate of latents."""
        if not isinstance(z, Plate) or len(z.parts) != self.N or np.ndim(x.index) == 0:
            raise NotApplicable("ℓ takes the whole data set and one latent per data point")
        return sum(self.log_joint(self.data_point(i), z.parts[i], th) for i in range(self.N))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def latent_model(self, theta: dict, theta_hat: dict | None = None, phi: dict | None = None, ops=NUMPY):
        """The family on this instance's data at drawn parameters (the evaluator's draws), as the
        checks in derivations/ compute on it: T.q_function(M) is then Q at the evaluator's draw."""
        family = self.family if ops is NUMPY else self.family_for(ops)
        return F.LatentModel(family, list(self.x), theta, theta_hat, self.variational_bundle(phi))

    def variational_bundle(self, phi: dict | None):
        return phi

    def bound_model(self, draws: dict, ops=NUMPY):
        """The family bound to one set of draws (relations.draw_sets: θ, θ̂, φ vectorised over the draws),
        the object a check's expressions in derivations/ take, so they are computed where the slide is."""
        return self.latent_model(draws["theta"], draws.get("theta_hat"), draws.get("phi"), ops)

    # optima: EM's two steps
    def optima(self, family: str, given: list[ParamVal]) -> list[dict]:
        """Optima the model's own code computes, from the parameters the objective depends on:
        q = the posterior at a model parameter (E step), θ maximising Q(·, θ̂) or the ELBO at a
        given q (M step)."""
        if family == "variational":
            return [self.e_step(g.values) for g in given if g.family == "model"]
        if family == "model":
            return [self.m_step(self.posterior_stats(g)) for g in given if g.family in ("model", "variational")]
        return []

    def moves(self, values: dict, delta: float) -> list[dict]:
        """The parameter moved by ±delta along each free coordinate, staying in its family."""
        out = []
        for field, value in values.items():
            kind = self.FIELDS[field]  # a field missing here would go unchecked: a KeyError instead
            if kind == "fixed":
                continue
            for path in _leaf_paths(value):
                if kind == "covariance" and path[-2] > path[-1]:
                    continue  # moved with its mirror entry: a covariance stays symmetric
                out.extend({**values, field: _moved(value, path, kind, step)} for step in (delta, -delta))
        return out


def _leaf_paths(value, prefix: tuple[int, ...] = ()):
    if isinstance(value, list):
        for j, item in enumerate(value):
            yield from _leaf_paths(item, prefix + (j,))
    else:
        yield prefix


def _moved(value, path: tuple[int, ...], kind: str, step: float):
    """A copy of a (nested list of) draw arrays with one entry moved; a (log-)simplex is renormalised,
    a covariance entry (k, a, b) moves with (k, b, a)."""
    if kind == "covariance":
        once = _moved(value, path, "real", step)
        mirror = path[:-2] + (path[-1], path[-2])
        return once if mirror == path else _moved(once, mirror, "real", step)
    if not path:
        return value + step if kind == "real" else value * math.exp(step)
    group = list(value)
    j = path[0]
    if len(path) > 1:
        group[j] = _moved(group[j], path[1:], kind, step)
        return group
    group[j] = group[j] + step if kind in ("real", "log-simplex") else group[j] * math.exp(step)
    if kind == "simplex":
        total = sum(group)
        return [g / total for g in group]
    if kind == "log-simplex":
        norm = np.logaddexp.reduce(np.broadcast_arrays(*group), axis=0)
        return [g - norm for g in group]
    return group


class VectorData:
    """Data points in R^D (the class's D >= 2): each a column (values.MatrixVal); no quadrature over the data
    space."""

    def data_point(self, i: int) -> DataVal:
        return DataVal(MatrixVal.column(self.x[i]), i)

    def all_data(self, axis: int) -> DataVal:
        return DataVal(MatrixVal.column([on_axis(self.x[:, a], axis) for a in range(self.D)]),
                       on_axis(np.arange(self.N), axis))

    def data_nodes(self):
        raise NotApplicable(f"{self.name}: an integral over the {self.D}-dimensional data space")


class GaussianMixture(Instance):
    """1-D mixture of K Gaussians, weights α fixed; θ = (μ_k, σ²_k); q(z|x_i; φ) = Categorical(w_i).

    The prior p(z) has no parameter — the deck writes p(z) without θ — so α is a constant.
    """

    name = "gmm"
    K = 3
    ALPHA = (0.5, 0.3, 0.2)
    DISCRETE = True
    LEARNED_WEIGHTS = False
    FIELDS = {"mean": "real", "variance": "positive", "weight": "simplex", "log_w": "log-simplex"}

    def __init__(self, n_data: int = 4):
        rng = np.random.default_rng([SEED, 1])
        comp = rng.choice(self.K, size=n_data, p=self.ALPHA)
        super().__init__(np.array([-1.5, 0.5, 2.0])[comp] + 0.6 * rng.standard_normal(n_data))
        self.family = self.family_for(NUMPY)

    def family_for(self, ops) -> F.Mixture:
        return F.Mixture(ops, self.K, None if self.LEARNED_WEIGHTS else self.ALPHA)

    def variational_bundle(self, phi: dict | None):
        return None if phi is None else {"w": [[np.exp(lw) for lw in row] for row in phi["log_w"]]}

    def count(self, what: str) -> int:
        return self.K if what == "components" else super().count(what)

    def component(self, field: str, k: int, params: dict | None):
        if field == "weight" and not self.LEARNED_WEIGHTS:
            return self.ALPHA[k]
        return params[field][k]

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        """Means near the data (at a random distance) and variances down to 0.002, so that draws put
        narrow components on data points: densities there exceed 1 (log p(x_i; θ) > 0) as a fitted
        mixture's do, at one point or at most of them."""
        if family == "model":
            near = [self.x[rng.integers(0, self.N, n)] for _ in range(self.K)]
            th = {"mean": [x + rng.standard_normal(n) * _log_uniform(rng, n, 0.01, 1.0) for x in near],
                  "variance": [_log_uniform(rng, n, 0.002, 3.0) for _ in range(self.K)]}
            if self.LEARNED_WEIGHTS:
                th["weight"] = [np.exp(lw) for lw in _random_logs(rng, n, self.K)]
            return th
        return {"log_w": [_random_logs(rng, n, self.K) for _ in range(self.N)]}

    def dense_at_data(self, th: dict, where: np.ndarray) -> dict:
        """θ with component 1 on data point (m mod N) at the m-th draw of `where`, narrow enough that the density
        there exceeds 1, and the other components wide (no posterior one-hot in floats: an optimum over q is
        certified by moving q, which exact 0s and 1s cannot tell apart). Where q is put at the posterior
        (relations.TIGHT), every x_i then has log p(x_i; θ) > 0 at some draw, and a bound that drops it fails."""
        rng = np.random.default_rng([SEED, 5])
        n = len(where)
        on = np.zeros(np.shape(th["variance"][0]), dtype=bool)
        on[where] = True
        point = np.zeros(on.shape)
        point[where] = self.x[np.arange(n) % self.N] + 0.01 * rng.standard_normal(n)
        out = {**th, "mean": list(th["mean"]), "variance": list(th["variance"])}
        out["mean"][0] = np.where(on, point, th["mean"][0])
        narrow, wide = np.zeros(on.shape), np.ones(on.shape)
        # variance from 0.005: density 1.4 or more at the point, and still above 1e-300 at the farthest
        # other data point, so no probability underflows to 0 (where a check's arithmetic takes 0 log 0)
        narrow[where] = _log_uniform(rng, n, 0.005, 0.02)
        out["variance"][0] = np.where(on, narrow, th["variance"][0])
        for k in range(1, self.K):
            wide[where] = _log_uniform(rng, n, 0.3, 3.0)
            out["variance"][k] = np.where(on, wide, th["variance"][k])
        return out

    def log_prior(self, z: LatentVal):
        if self.LEARNED_WEIGHTS:
            raise NotApplicable("the mixture weights are parameters here: p(z) without θ has no value")
        return self.family.log_prior(z.value, {})

    def log_joint(self, x: DataVal, z: LatentVal, th: dict):
        return self.family.log_prior(z.value, th) + self.family.log_likelihood(x.value, z.value, th)

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return self.family.log_likelihood(x.value, z.value, th)

    def log_marginal(self, x: DataVal, th: dict):
        return self.family.log_marginal(x.value, th)

    def log_variational(self, z: LatentVal, x: DataVal, ph: dict):
        index = self._fitted(x)
        per_k = [pick([row[k] for row in ph["log_w"]], index) for k in range(self.K)]
        return pick(per_k, z.value)

    def _log_responsibilities(self, th: dict) -> list[list]:
        """log p(z = k | x_i; θ) for every i, k."""
        return [self.family.log_responsibilities(x, th) for x in self.x]

    def expected_complete_loglik(self, th: dict, th_hat: dict):
        return self.family.expected_complete_loglik(self.x, th, th_hat)

    def elbo(self, ph: dict, th: dict):
        return self.family.elbo(self.x, ph["log_w"], th)

    def posterior_stats(self, given: ParamVal) -> list[list]:
        """Responsibilities r_ik: the posterior at a model parameter, or a given q."""
        logs = self._log_responsibilities(given.values) if given.family == "model" else given.values["log_w"]
        return [[np.exp(lr) for lr in row] for row in logs]

    def e_step(self, th: dict) -> dict:
        return {"log_w": self._log_responsibilities(th)}

    def m_step(self, r: list[list]) -> dict:
        return self.family.m_step(self.x, r)


class GaussianMixtureLearnedWeights(GaussianMixture):
    """The mixture of the GMM M-step slide: α_k is part of θ (and p(z) then has no value without θ)."""

    name = "gmm-learned-weights"
    LEARNED_WEIGHTS = True


class GaussianMixtureFullCovariance(VectorData, GaussianMixtureLearnedWeights):
    """The GMM M-step slide in two dimensions: x_i ∈ R², θ = (α_k, μ_k, Σ_k) with full covariances.

    A data point, μ_k and Σ_k are vectors and matrices (values.MatrixVal), so a row that writes
    (x_i - μ_k)^T (x_i - μ_k) where (x_i - μ_k)(x_i - μ_k)^T belongs compares a number with a 2×2
    matrix, and a dropped transpose a row with a column. Integrals over the data space (a grid
    in two dimensions) are left to the one-dimensional mixture.
    """

    name = "gmm-full-covariance"
    D = 2
    FIELDS = {"mean": "real", "variance": "covariance", "weight": "simplex", "log_w": "log-simplex"}

    def __init__(self, n_data: int = 10):
        rng = np.random.default_rng([SEED, 3])
        centres = np.array([[-1.5, 0.5], [0.5, -1.0], [2.0, 1.5]])
        comp = rng.choice(self.K, size=n_data, p=self.ALPHA)
        Instance.__init__(self, centres[comp] + 0.6 * rng.standard_normal((n_data, self.D)))
        self.family = self.family_for(NUMPY)

    def family_for(self, ops) -> F.FullCovarianceMixture:
        return F.FullCovarianceMixture(ops, self.K, self.D)

    def dense_at_data(self, th: dict, where: np.ndarray) -> dict:
        """Unchanged: densities above 1 are the one-dimensional mixture's to show (see draw)."""
        return th

    def component(self, field: str, k: int, params: dict | None):
        value = params[field][k]
        if field == "mean":
            return MatrixVal.column(value)
        if field == "variance":
            return MatrixVal(tuple(tuple(row) for row in value))
        return value

    @staticmethod
    def _coords(x: DataVal) -> list:
        return [e for e in x.value.entries()]

    def log_joint(self, x: DataVal, z: LatentVal, th: dict):
        return self.family.log_prior(z.value, th) + self.family.log_likelihood(self._coords(x), z.value, th)

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return self.family.log_likelihood(self._coords(x), z.value, th)

    def log_marginal(self, x: DataVal, th: dict):
        return self.family.log_marginal(self._coords(x), th)

    def log_gaussian(self, x: DataVal, mean, var):
        if not (isinstance(mean, MatrixVal) and isinstance(var, MatrixVal)
                and mean.shape == (self.D, 1) and var.shape == (self.D, self.D)):
            raise NotApplicable(f"{self.name}: φ(x; μ, Σ) takes a 2-vector and a 2×2 covariance")
        return F.MultivariateNormal(mean.entries(), var.rows).log_pdf(self._coords(x))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        """Means near data points, covariances L L^T with random correlation and scales from 0.7 to 2 and
        weights at most 9 times apart,
        so that every component takes a share of several points and its M step stays well conditioned
        (densities above 1 are the one-dimensional mixture's to show); weights random."""
        if family != "model":
            return super().draw(family, n, rng)
        near = [self.x[rng.integers(0, self.N, n)] for _ in range(self.K)]
        mean = [[x[:, a] + rng.standard_normal(n) * _log_uniform(rng, n, 0.01, 1.0) for a in range(self.D)]
                for x in near]
        covs = []
        for _ in range(self.K):
            l11, l22 = _log_uniform(rng, n, 0.7, 2.0), _log_uniform(rng, n, 0.7, 2.0)
            l21 = rng.standard_normal(n) * 0.7
            covs.append([[l11**2, l11 * l21], [l11 * l21, l21**2 + l22**2]])
        return {"mean": mean, "variance": covs, "weight": [np.exp(lw) for lw in _random_logs(rng, n, self.K, 3.0)]}


class LinearGaussian(Instance):
    """z ~ N(0, 1), x | z ~ N(az + b, s²); q(z | x_i; φ) = N(m_i, v_i)."""

    name = "linear-gaussian"
    LATENT_DIMENSION = 1
    Q_VARIANCE: float | None = None  # q = N(m_i, Q_VARIANCE) when set
    FIELDS = {"a": "real", "b": "real", "s2": "positive", "m": "real", "v": "positive"}

    def __init__(self, n_data: int = 2):
        rng = np.random.default_rng([SEED, 2])
        z = rng.standard_normal(n_data)
        super().__init__(1.0 * z + 0.3 + 0.8 * rng.standard_normal(n_data))
        self.family = self.family_for(NUMPY)

    @staticmethod
    def family_for(ops) -> F.LinearGaussian:
        return F.LinearGaussian(ops)

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        if family == "model":
            return {"a": _uniform(rng, n, -1.5, 1.5), "b": _uniform(rng, n, -1.0, 1.0),
                    "s2": _uniform(rng, n, 0.6, 1.5) ** 2}
        means = [_uniform(rng, n, -1.5, 1.5) for _ in range(self.N)]
        if self.Q_VARIANCE is not None:
            return {"m": means, "v": [np.full(n, self.Q_VARIANCE) for _ in range(self.N)]}
        return {"m": means, "v": [_log_uniform(rng, n, 0.3, 1.2) for _ in range(self.N)]}

    def field(self, name: str, params: dict):
        """s is the noise's standard deviation, as the GAP slide writes it (s² is drawn)."""
        return np.sqrt(params["s2"]) if name == "s" and "s2" in params else super().field(name, params)

    def log_prior(self, z: LatentVal):
        return self.family.log_prior(z.value, {})

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return self.family.log_likelihood(x.value, z.value, th)

    def log_marginal(self, x: DataVal, th: dict):
        return self.family.log_marginal(x.value, th)

    def log_posterior(self, z: LatentVal, x: DataVal, th: dict):
        return self.family.posterior(x.value, th).log_pdf(z.value)

    def log_variational(self, z: LatentVal, x: DataVal, ph: dict):
        return normal_log_pdf(z.value, self.encoder_mean(x, ph), self.encoder_std(x, ph) ** 2)

    def encoder_mean(self, x: DataVal, ph: dict):
        """μ_φ(x_i): the mean the encoder gives q(z | x_i; φ) (φ holds it per data point)."""
        return pick(ph["m"], self._fitted(x))

    def encoder_std(self, x: DataVal, ph: dict):
        """σ_φ(x_i): the standard deviation of q(z | x_i; φ)."""
        return np.sqrt(pick(ph["v"], self._fitted(x)))

    def _posterior(self, x, th):
        post = self.family.posterior(x, th)
        return post.mean, post.var

    def expected_complete_loglik(self, th: dict, th_hat: dict):
        return self.family.expected_complete_loglik(self.x, th, th_hat)

    def elbo(self, ph: dict, th: dict):
        return self.family.elbo(self.x, ph["m"], ph["v"], th)

    def posterior_stats(self, given: ParamVal) -> list[tuple]:
        """(E z_i, Var z_i): under the posterior at a model parameter, or under a given q."""
        if given.family == "model":
            return [self._posterior(x, given.values) for x in self.x]
        return list(zip(given.values["m"], given.values["v"]))

    def e_step(self, th: dict) -> dict:
        """The closest q of the family: the posterior, or its mean when the variance is fixed."""
        moments = [self._posterior(x, th) for x in self.x]
        fixed = self.Q_VARIANCE
        return {"m": [m for m, _ in moments], "v": [v if fixed is None else np.full_like(v, fixed) for _, v in moments]}

    def m_step(self, moments: list[tuple]) -> dict:
        return self.family.m_step(self.x, moments)


class LinearGaussianUnitQ(LinearGaussian):
    """The VAE of the GAP slide: q(z | x_i; φ) = N(m_i, 1), which cannot reach the posterior."""

    name = "linear-gaussian-unit-q"
    Q_VARIANCE = 1.0
    FIELDS = {**LinearGaussian.FIELDS, "v": "fixed"}


class DiagonalGaussianVAE(VectorData, Instance):
    """The VAE slides in more than one dimension: z ~ N(0, I_J), x | z ~ N(A z + b, s² I_D) with J = D = 2,
    and the encoder q(z | x_i; φ) = N(μ_φ(x_i), diag σ²_φ(x_i)) with φ = (m_i, v_i) per data point.

    With a latent of two coordinates a closed-form KL that drops its Σ_j (one coordinate's term for the
    sum), loses its ½, or writes σ for σ², and a reparameterisation with + for ⊙, take other values; on
    the one-dimensional linear-Gaussian model several of them cannot. A value of z is a column (values.
    MatrixVal) of its coordinates at the nodes of a tensor grid, all on one axis. What the VAE slides do
    not need (Q, EM's closed-form steps, integrals over the data space) is not applicable here.
    """

    name = "vae-diagonal"
    LATENT_DIMENSION = 2
    D = 2
    # a tensor grid for the 2-D latent: h = 0.3 resolves the narrowest q (standard deviation 0.55) far below
    # relations.RTOL, and ±9 leaves less than 1e-10 of any density used here outside
    AXIS = np.linspace(-9.0, 9.0, 61)
    FIELDS = {"A": "real", "b": "real", "s2": "positive", "m": "real", "v": "positive"}

    def __init__(self, n_data: int = 3):
        rng = np.random.default_rng([SEED, 4])
        z = rng.standard_normal((n_data, self.LATENT_DIMENSION))
        mix = np.array([[1.0, 0.4], [-0.5, 0.8]])
        super().__init__(z @ mix.T + np.array([0.3, -0.2]) + 0.7 * rng.standard_normal((n_data, self.D)))
        grid = np.meshgrid(self.AXIS, self.AXIS, indexing="ij")
        self.grid = [g.reshape(-1) for g in grid]
        w = _trapezoid(self.AXIS)
        self.weights = np.outer(w, w).reshape(-1)

    def nodes(self):
        return np.arange(self.grid[0].size), self.weights

    def latent_on_axis(self, nodes: np.ndarray, axis: int) -> LatentVal:
        return LatentVal(MatrixVal.column([on_axis(g[nodes], axis) for g in self.grid]))

    def identity(self):
        J = self.LATENT_DIMENSION
        return MatrixVal(tuple(tuple(1.0 if r == c else 0.0 for c in range(J)) for r in range(J)))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        J, D = self.LATENT_DIMENSION, self.D
        if family == "model":
            return {"A": [[_uniform(rng, n, -1.2, 1.2) for _ in range(J)] for _ in range(D)],
                    "b": [_uniform(rng, n, -1.0, 1.0) for _ in range(D)],
                    "s2": _uniform(rng, n, 0.6, 1.5) ** 2}
        return {"m": [[_uniform(rng, n, -1.5, 1.5) for _ in range(J)] for _ in range(self.N)],
                "v": [[_log_uniform(rng, n, 0.3, 1.2) for _ in range(J)] for _ in range(self.N)]}

    @staticmethod
    def _coords(v) -> list:
        value = v.value if isinstance(v, (DataVal, LatentVal)) else v
        if not isinstance(value, MatrixVal) or value.shape[1] != 1:
            raise NotApplicable("vae-diagonal: a value of z or x that is not a vector of its coordinates")
        return value.entries()

    def _decoded(self, z, th: dict) -> list:
        zs = self._coords(z)
        return [sum(th["A"][d][j] * zs[j] for j in range(len(zs))) + th["b"][d] for d in range(self.D)]

    def log_prior(self, z: LatentVal):
        return sum(normal_log_pdf(zj, 0.0, 1.0) for zj in self._coords(z))

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return sum(normal_log_pdf(xd, md, th["s2"]) for xd, md in zip(self._coords(x), self._decoded(z, th)))

    def log_marginal(self, x: DataVal, th: dict):
        """N(x; b, A Aᵀ + s² I)."""
        A, J = th["A"], self.LATENT_DIMENSION
        cov = [[sum(A[r][j] * A[c][j] for j in range(J)) + (th["s2"] if r == c else 0.0) for c in range(self.D)]
               for r in range(self.D)]
        return F.MultivariateNormal(th["b"], cov).log_pdf(self._coords(x))

    def _encoder(self, x: DataVal, ph: dict, what: str) -> list:
        index = self._fitted(x)
        return [pick([row[j] for row in ph[what]], index) for j in range(self.LATENT_DIMENSION)]

    def log_variational(self, z: LatentVal, x: DataVal, ph: dict):
        return sum(normal_log_pdf(zj, m, v) for zj, m, v in
                   zip(self._coords(z), self._encoder(x, ph, "m"), self._encoder(x, ph, "v")))

    def encoder_mean(self, x: DataVal, ph: dict):
        """μ_φ(x_i): q's mean, a vector of J coordinates."""
        return MatrixVal.column(self._encoder(x, ph, "m"))

    def encoder_std(self, x: DataVal, ph: dict):
        """σ_φ(x_i): q's standard deviations, one per coordinate."""
        return MatrixVal.column([np.sqrt(v) for v in self._encoder(x, ph, "v")])

    def log_normal(self, z: LatentVal, mean, var):
        """N(mean, var) of z ∈ R^J: mean a vector (or 0), var a J×J covariance (or a number times I)."""
        J = self.LATENT_DIMENSION
        means = mean.entries() if isinstance(mean, MatrixVal) else [mean] * J
        if isinstance(var, MatrixVal) and var.shape == (J, J):
            cov = [list(row) for row in var.rows]
        elif not isinstance(var, MatrixVal):
            cov = [[var if r == c else 0.0 for c in range(J)] for r in range(J)]
        else:
            raise NotApplicable(f"{self.name}: a normal of z in R^{J} with a {var.shape[0]}×{var.shape[1]} covariance")
        if len(means) != J:
            raise NotApplicable(f"{self.name}: a normal of z in R^{J} with a mean of {len(means)} entries")
        return F.MultivariateNormal(means, cov).log_pdf(self._coords(z))

    def elbo(self, ph: dict, th: dict):
        """Σ_i E_q[log p(x_i | z; θ)] - KL(q_i ‖ N(0, I)), by Gaussian moments (not the slide's integral)."""
        A, J, total = th["A"], self.LATENT_DIMENSION, 0.0
        for i in range(self.N):
            m, v = ph["m"][i], ph["v"][i]
            mean = [sum(A[d][j] * m[j] for j in range(J)) + th["b"][d] for d in range(self.D)]
            spread = sum(A[d][j] ** 2 * v[j] for d in range(self.D) for j in range(J))
            residual = sum((self.x[i, d] - mean[d]) ** 2 for d in range(self.D))
            recon = -self.D * np.log(2 * np.pi * th["s2"]) / 2 - (residual + spread) / (2 * th["s2"])
            kl = sum(m[j] ** 2 + v[j] - np.log(v[j]) - 1 for j in range(J)) / 2
            total = total + recon - kl
        return total

    def optima(self, family: str, given: list[ParamVal]) -> list[dict]:
        raise NotApplicable(f"{self.name}: no closed-form EM step (a diagonal q cannot reach its posterior)")

    def expected_complete_loglik(self, th: dict, th_hat: dict):
        raise NotApplicable(f"{self.name}: Q(θ, θ̂) is the EM slides' quantity, evaluated on the other models")

    def bound_model(self, draws: dict, ops=NUMPY):
        raise NotApplicable(f"{self.name}: the checks in derivations/ compute on the one-dimensional models")


class CategoricalPair(Instance):
    """Two random distributions p, q over K values: the general case of the divergence slides.

    Probabilities range over six orders of magnitude, so that some pairs are far apart (JS near
    log 2) and a bound stated too tight fails at some draw.
    """

    name = "categorical-pair"
    K = 5
    DISCRETE = True

    def __init__(self):
        super().__init__(np.zeros(0))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        return {"log_p": _random_logs(rng, n, self.K, 1e3), "log_q": _random_logs(rng, n, self.K, 1e3)}

    def log_p(self, z: LatentVal, pair: dict):
        return pick(pair["log_p"], z.value)

    def bound_model(self, draws: dict, ops=NUMPY):
        pair = draws["pair"]
        return F.Pair(ops, *(F.Categorical(ops, [np.exp(lp) for lp in pair[k]]) for k in ("log_p", "log_q")))

    def log_q(self, z: LatentVal, pair: dict):
        return pick(pair["log_q"], z.value)


class NormalPair(Instance):
    """p = N(0, σ_1²), q = N(0, σ_2²): zero-mean, as the asymmetry slide states its example.

    The grid is wider than the linear-Gaussian one: q/p at its ends (e^216 at most) is still a
    float, and the widest density leaves less than 1e-10 of its mass outside.
    """

    name = "normal-pair"
    GRID = np.linspace(-12.0, 12.0, 97)

    def __init__(self):
        super().__init__(np.zeros(0))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        return {"std_p": _uniform(rng, n, 0.55, 1.7), "std_q": _uniform(rng, n, 0.55, 1.7)}

    def log_p(self, z: LatentVal, pair: dict):
        return F.Normal(NUMPY, 0.0, pair["std_p"] ** 2).log_pdf(z.value)

    def bound_model(self, draws: dict, ops=NUMPY):
        pair = draws["pair"]
        return F.Pair(ops, *(F.Normal(ops, 0.0, pair[k] ** 2) for k in ("std_p", "std_q")))

    def log_q(self, z: LatentVal, pair: dict):
        return F.Normal(NUMPY, 0.0, pair["std_q"] ** 2).log_pdf(z.value)


INSTANCES = {cls.name: cls for cls in (GaussianMixture, GaussianMixtureLearnedWeights, GaussianMixtureFullCovariance,
                                       LinearGaussian, LinearGaussianUnitQ, DiagonalGaussianVAE, CategoricalPair,
                                       NormalPair)}
