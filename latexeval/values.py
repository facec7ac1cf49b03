"""What a sub-formula evaluates to, and the arithmetic between such values.

Every number is an array over parameter draws (the last axis), so one walk of the
tree evaluates a row at all draws at once. An integration variable, a free data
point or a plate of latents gets an axis of its own in front of the draw axis;
axes are never removed (integration keeps them at size 1), so a value computed
deep inside nested integrals broadcasts correctly against one computed outside.

Densities are held as their logarithm: p(z|x; θ̂) underflows to 0 in the tails
where log p(z|x; θ̂) is a perfectly good number, and 0 · log(0/0) would poison an
integral that is mathematically fine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NotEvaluable
from .families import NumpyOps


@dataclass(frozen=True)
class Density:
    """A positive quantity (a density, a ratio of densities), held as its log."""

    log: object


@dataclass(frozen=True)
class DataVal:
    """A data point x_i (index 0-based), or every data point along an axis (a free x)."""

    value: object
    index: object


@dataclass(frozen=True)
class LatentVal:
    """A value of z: quadrature nodes or component numbers, along an axis."""

    value: object


@dataclass(frozen=True)
class Plate:
    """z = (z_1, …, z_N), one latent per data point, each on its own axis."""

    parts: tuple[LatentVal, ...]


@dataclass(frozen=True)
class ParamVal:
    """A parameter bundle (θ, θ̂, φ) at every draw; `family` says which pattern slots accept it."""

    family: str
    values: dict


@dataclass(frozen=True)
class VectorVal:
    """A column's entries (or a parameter's components), compared entry by entry."""

    parts: tuple


def on_axis(values: np.ndarray, axis: int) -> np.ndarray:
    """1-D values laid along allocated axis `axis` (axis 0 stands just before the draw axis)."""
    return np.asarray(values).reshape((-1,) + (1,) * (axis + 1))


def integrate(integrand, weights: np.ndarray, axis: int) -> np.ndarray:
    """Quadrature (or a plain sum, for a discrete latent) along an axis, keeping it at size 1."""
    w = on_axis(weights, axis)
    terms = real(integrand) * w
    # A node where the weight and the density both vanish may hold 0 * inf; it contributes nothing.
    terms = np.where(np.isnan(terms) & (np.broadcast_to(w, terms.shape) == 0), 0.0, terms)
    return np.sum(terms, axis=-(axis + 2), keepdims=True)


pick = NumpyOps.pick  # seq[index], elementwise for an array of indices


# --------------------------------------------------------------------------- #
# arithmetic


def real(v):
    """The number a value stands for (a density leaves the log domain here)."""
    if isinstance(v, Density):
        return np.exp(v.log)
    if isinstance(v, DataVal):
        return v.value
    if isinstance(v, (int, float, np.ndarray, np.floating, np.integer)):
        return v
    raise NotEvaluable(f"{_kind(v)} used as a number")


def _kind(v) -> str:
    return {LatentVal: "the latent variable", Plate: "the latent vector", ParamVal: "a parameter",
            VectorVal: "a vector"}.get(type(v), type(v).__name__)


def add(a, b):
    return real(a) + real(b)


def neg(a):
    return -real(a)


def mul(a, b):
    if isinstance(a, Density) and isinstance(b, Density):
        return Density(a.log + b.log)
    return real(a) * real(b)


def div(a, b):
    if isinstance(a, Density) and isinstance(b, Density):
        return Density(a.log - b.log)
    if isinstance(b, Density):
        return real(a) * np.exp(-b.log)
    return real(a) / real(b)


def power(a, b):
    if isinstance(a, Density):
        return Density(a.log * real(b))
    return np.power(real(a), real(b))


def log(a):
    if isinstance(a, Density):
        return a.log
    return np.log(real(a))


def exp(a):
    return Density(real(a))


def sqrt(a):
    return power(a, 0.5)


def transpose(a):
    """Every instance is one-dimensional: a vector is a number, its own transpose."""
    return real(a)


def diag(a):
    """diag(σ²), the covariance of a diagonal Gaussian: of a one-dimensional latent, σ² itself."""
    return a


def as_density(v) -> Density:
    """A density, or a positive number standing for one ((p + q) / 2 of two densities)."""
    return v if isinstance(v, Density) else Density(np.log(real(v)))


FUNCTIONS = {"log": log, "exp": exp, "sqrt": sqrt, "transpose": transpose, "diag": diag}
