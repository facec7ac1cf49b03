"""The two model instances every formula is evaluated on.

Between them they cover the deck's two readings of "∫ over z": a Gaussian mixture
(z discrete: the integral is a sum over components) and the linear-Gaussian model
z ~ N(0, 1), x | z ~ N(az + b, s²), q = N(m, v) (z continuous: quadrature).

The densities are the model's own; Q, ℓ and the ELBO are computed here by the
model's own code (exact sums, Gaussian moments), never from a slide's LaTeX, so a
row that evaluates a named quantity is compared with a second derivation of it.

Parameters are drawn at random (fixed seeds): θ and θ̂ independently from the same
box, φ per data point. The prior p(z) has no parameter — the deck writes p(z)
without θ — so the mixture weights α are a constant of the instance.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import NotApplicable
from .values import DataVal, LatentVal, Plate, on_axis, pick

SEED = 20251211
LOG_2PI = math.log(2 * math.pi)


def normal_log_pdf(x, mean, var):
    return -0.5 * (LOG_2PI + np.log(var)) - (x - mean) ** 2 / (2 * var)


def _uniform(rng, n, lo, hi):
    return rng.uniform(lo, hi, n)


def _log_uniform(rng, n, lo, hi):
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


class Instance:
    """What the notation's patterns call; subclasses say what the model is."""

    name = ""
    N = 0

    def __init__(self, x: np.ndarray):
        self.x = np.asarray(x, dtype=float)
        self.N = len(self.x)

    def count(self, what: str) -> int:
        if what == "data":
            return self.N
        raise NotApplicable(f"{self.name} has no {what}")

    def data_point(self, i: int) -> DataVal:
        return DataVal(self.x[i], i)

    def all_data(self, axis: int) -> DataVal:
        return DataVal(on_axis(self.x, axis), on_axis(np.arange(self.N), axis))

    def component(self, field: str, k: int, params: dict | None):
        raise NotApplicable(f"{self.name} has no mixture components")

    def latent_value(self, k: int) -> LatentVal:
        """z = k: component k (1-based) of a discrete latent."""
        raise NotApplicable(f"{self.name} has a continuous latent: z = {k} names no component")

    # the model's densities, as logs; argument order is the pattern's
    def log_joint(self, x: DataVal, z: LatentVal, th: dict):
        return self.log_prior(z) + self.log_likelihood(x, z, th)

    def log_posterior(self, z: LatentVal, x: DataVal, th: dict):
        return self.log_joint(x, z, th) - self.log_marginal(x, th)

    def log_gaussian(self, x: DataVal, mean, var):
        return normal_log_pdf(x.value, mean, var)

    # named quantities, by the model's own computation
    def complete_loglik(self, x: DataVal, z, th: dict):
        """ℓ(x, z; θ) = Σ_i log p(x_i, z_i; θ) for the whole data set and a plate of latents."""
        if not isinstance(z, Plate) or len(z.parts) != self.N or np.ndim(x.index) == 0:
            raise NotApplicable("ℓ takes the whole data set and one latent per data point")
        return sum(self.log_joint(self.data_point(i), z.parts[i], th) for i in range(self.N))

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        raise NotImplementedError


class GaussianMixture(Instance):
    """1-D mixture of K Gaussians, weights α fixed; θ = (μ_k, σ²_k); q(z|x_i; φ) = Categorical(w_i)."""

    name = "gmm"
    K = 3
    ALPHA = (0.5, 0.3, 0.2)

    def __init__(self, n_data: int = 4):
        rng = np.random.default_rng([SEED, 1])
        comp = rng.choice(self.K, size=n_data, p=self.ALPHA)
        super().__init__(np.array([-1.5, 0.5, 2.0])[comp] + 0.6 * rng.standard_normal(n_data))
        self.log_alpha = [math.log(a) for a in self.ALPHA]

    def count(self, what: str) -> int:
        return self.K if what == "components" else super().count(what)

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(self.K), np.ones(self.K)

    def latent_value(self, k: int) -> LatentVal:
        if not 1 <= k <= self.K:
            raise NotApplicable(f"z = {k}: the mixture has components 1..{self.K}")
        return LatentVal(k - 1)

    def component(self, field: str, k: int, params: dict | None):
        if field == "weight":
            return self.ALPHA[k]
        return params[field][k]

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        if family == "model":
            return {"mean": [_uniform(rng, n, -2.0, 2.0) for _ in range(self.K)],
                    "variance": [_log_uniform(rng, n, 0.3, 3.0) for _ in range(self.K)]}
        raw = [[_log_uniform(rng, n, 0.1, 10.0) for _ in range(self.K)] for _ in range(self.N)]
        return {"log_w": [[np.log(w / sum(row)) for w in row] for row in raw]}

    def log_prior(self, z: LatentVal):
        return pick(self.log_alpha, z.value)

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return normal_log_pdf(x.value, pick(th["mean"], z.value), pick(th["variance"], z.value))

    def log_marginal(self, x: DataVal, th: dict):
        return np.logaddexp.reduce(np.broadcast_arrays(*self._log_joints(x.value, th)), axis=0)

    def log_variational(self, z: LatentVal, x: DataVal, ph: dict):
        per_k = [pick([row[k] for row in ph["log_w"]], x.index) for k in range(self.K)]
        return pick(per_k, z.value)

    def _log_joints(self, x, th):
        return [la + normal_log_pdf(x, m, v) for la, m, v in zip(self.log_alpha, th["mean"], th["variance"])]

    def expected_complete_loglik(self, th: dict, th_hat: dict):
        """Q(θ, θ̂) = Σ_i Σ_k r_ik(θ̂) log(α_k N(x_i; μ_k, σ²_k)): EM's E step for a mixture."""
        total = 0.0
        for x in self.x:
            hat = self._log_joints(x, th_hat)
            norm = np.logaddexp.reduce(hat, axis=0)
            total = total + sum(np.exp(h - norm) * lj for h, lj in zip(hat, self._log_joints(x, th)))
        return total

    def elbo(self, ph: dict, th: dict):
        """Σ_i Σ_k q_ik (log p(x_i, k; θ) - log q_ik)."""
        total = 0.0
        for i, x in enumerate(self.x):
            for log_q, lj in zip(ph["log_w"][i], self._log_joints(x, th)):
                total = total + np.exp(log_q) * (lj - log_q)
        return total


class LinearGaussian(Instance):
    """z ~ N(0, 1), x | z ~ N(az + b, s²); q(z | x_i; φ) = N(m_i, v_i)."""

    name = "linear-gaussian"
    # Trapezoid rule on a uniform grid: spectrally accurate for these smooth, fast-decaying
    # integrands; the narrowest one (posterior variance >= 0.13) still spans several nodes.
    GRID = np.linspace(-10.0, 10.0, 81)

    def __init__(self, n_data: int = 2):
        rng = np.random.default_rng([SEED, 2])
        z = rng.standard_normal(n_data)
        super().__init__(1.0 * z + 0.3 + 0.8 * rng.standard_normal(n_data))
        h = self.GRID[1] - self.GRID[0]
        self.weights = np.full(self.GRID.size, h)
        self.weights[[0, -1]] = h / 2

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        return self.GRID, self.weights

    def draw(self, family: str, n: int, rng: np.random.Generator) -> dict:
        if family == "model":
            return {"a": _uniform(rng, n, -1.5, 1.5), "b": _uniform(rng, n, -1.0, 1.0),
                    "s2": _uniform(rng, n, 0.6, 1.5) ** 2}
        return {"m": [_uniform(rng, n, -1.5, 1.5) for _ in range(self.N)],
                "v": [_log_uniform(rng, n, 0.3, 1.2) for _ in range(self.N)]}

    def log_prior(self, z: LatentVal):
        return normal_log_pdf(z.value, 0.0, 1.0)

    def log_likelihood(self, x: DataVal, z: LatentVal, th: dict):
        return normal_log_pdf(x.value, th["a"] * z.value + th["b"], th["s2"])

    def log_marginal(self, x: DataVal, th: dict):
        return normal_log_pdf(x.value, th["b"], th["a"] ** 2 + th["s2"])

    def log_posterior(self, z: LatentVal, x: DataVal, th: dict):
        mean, var = self._posterior(x.value, th)
        return normal_log_pdf(z.value, mean, var)

    def log_variational(self, z: LatentVal, x: DataVal, ph: dict):
        return normal_log_pdf(z.value, pick(ph["m"], x.index), pick(ph["v"], x.index))

    @staticmethod
    def _posterior(x, th):
        a, b, s2 = th["a"], th["b"], th["s2"]
        return a * (x - b) / (a**2 + s2), s2 / (a**2 + s2)

    def _expected_log_joint(self, x, th, mean, var):
        """E[log N(z; 0, 1) + log N(x; az + b, s²)] for z ~ N(mean, var), by Gaussian moments."""
        a, b, s2 = th["a"], th["b"], th["s2"]
        prior = -0.5 * LOG_2PI - (mean**2 + var) / 2
        lik = -0.5 * (LOG_2PI + np.log(s2)) - ((x - b - a * mean) ** 2 + a**2 * var) / (2 * s2)
        return prior + lik

    def expected_complete_loglik(self, th: dict, th_hat: dict):
        return sum(self._expected_log_joint(x, th, *self._posterior(x, th_hat)) for x in self.x)

    def elbo(self, ph: dict, th: dict):
        """E_q[log p(x_i, z; θ)] + H[q] summed over i (the entropy of N(m, v) is log(2πe v)/2)."""
        return sum(self._expected_log_joint(x, th, m, v) + 0.5 * (LOG_2PI + 1 + np.log(v))
                   for x, m, v in zip(self.x, ph["m"], ph["v"]))


INSTANCES = {cls.name: cls for cls in (GaussianMixture, LinearGaussian)}
