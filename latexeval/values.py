"""What a sub-formula evaluates to, and the arithmetic between such values.

Every number is an array over parameter draws (the last axis), so one walk of the
tree evaluates a row at all draws at once. An integration variable, a free data
point or a plate of latents gets an axis of its own in front of the draw axis;
axes are never removed (integration keeps them at size 1), so a value computed
deep inside nested integrals broadcasts correctly against one computed outside.

A vector or matrix of a model with d >= 2 (a data point x_i, a mean μ_k, a covariance
Σ_k) is a MatrixVal: a grid of such batched numbers, a vector a column. Its products are
matrix products and its shapes must agree, so (x - μ)^T (x - μ) is 1×1 where
(x - μ)(x - μ)^T is d×d.

Densities are held as their logarithm: p(z|x; θ̂) underflows to 0 in the tails
where log p(z|x; θ̂) is a perfectly good number, and 0 · log(0/0) would poison an
integral that is mathematically fine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import NotEvaluable, Undefined
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
    """A column's entries (or a parameter's components), compared entry by entry; `shapes`, once
    flattened for comparison, the shape of each part (() for a number), which must agree too."""

    parts: tuple
    shapes: tuple = ()


@dataclass(frozen=True)
class MatrixVal:
    """A matrix of batched numbers, rows of entries; a vector is a column (d×1)."""

    rows: tuple[tuple, ...]

    @staticmethod
    def column(entries) -> "MatrixVal":
        return MatrixVal(tuple((e,) for e in entries))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    def entries(self) -> list:
        return [e for row in self.rows for e in row]

    def map(self, f) -> "MatrixVal":
        return MatrixVal(tuple(tuple(f(e) for e in row) for row in self.rows))

    def transposed(self) -> "MatrixVal":
        return MatrixVal(tuple(zip(*self.rows)))


def _scalar(v):
    """A data point that is a vector as that vector; a 1×1 matrix as the number in it
    ((x - μ)^T Σ^{-1} (x - μ) is a number); anything else as it is."""
    if isinstance(v, DataVal) and isinstance(v.value, MatrixVal):
        v = v.value
    return v.rows[0][0] if isinstance(v, MatrixVal) and v.shape == (1, 1) else v


def _shape_text(v) -> str:
    return "{}×{}".format(*v.shape) if isinstance(v, MatrixVal) else "a number"


def _entrywise(a, b, op, what: str):
    a, b = _scalar(a), _scalar(b)
    if not isinstance(a, MatrixVal) and not isinstance(b, MatrixVal):
        return op(a, b)
    if not (isinstance(a, MatrixVal) and isinstance(b, MatrixVal)) or a.shape != b.shape:
        raise Undefined(f"{_shape_text(a)} {what} {_shape_text(b)}: the shapes do not agree")
    return MatrixVal(tuple(tuple(op(x, y) for x, y in zip(ra, rb)) for ra, rb in zip(a.rows, b.rows)))


def _matmul(a: MatrixVal, b: MatrixVal) -> MatrixVal:
    if a.shape[1] != b.shape[0]:
        raise Undefined(f"a {_shape_text(a)} times a {_shape_text(b)}: no matrix product")
    cols = list(zip(*b.rows))
    return MatrixVal(tuple(tuple(_dot(row, col) for col in cols) for row in a.rows))


def _dot(row, col):
    total = mul(row[0], col[0])
    for x, y in zip(row[1:], col[1:]):
        total = add(total, mul(x, y))
    return total


def on_axis(values: np.ndarray, axis: int) -> np.ndarray:
    """1-D values laid along allocated axis `axis` (axis 0 stands just before the draw axis)."""
    return np.asarray(values).reshape((-1,) + (1,) * (axis + 1))


def integrate(integrand, weights: np.ndarray, axis: int):
    """Quadrature (or a plain sum, for a discrete latent) along an axis, keeping it at size 1.

    A density's integral stays a density and is summed in the log domain: ∫ p(x|z) p(z) dz of a
    narrow mixture far from x is e^-800, whose log is a number while the sum of the values is 0."""
    w = on_axis(weights, axis)
    if isinstance(integrand, Density):
        with np.errstate(divide="ignore"):
            logs = integrand.log + np.log(w)
        logs = np.where(np.isnan(logs) & (np.broadcast_to(w, logs.shape) == 0), -np.inf, logs)
        return Density(np.logaddexp.reduce(logs, axis=-(axis + 2), keepdims=True))
    terms = real(integrand) * w
    # A node where the weight and the density both vanish may hold 0 * inf; it contributes nothing.
    terms = np.where(np.isnan(terms) & (np.broadcast_to(w, terms.shape) == 0), 0.0, terms)
    return np.sum(terms, axis=-(axis + 2), keepdims=True)


pick = NumpyOps.pick  # seq[index], elementwise for an array of indices


# --------------------------------------------------------------------------- #
# arithmetic


def real(v):
    """The number a value stands for (a density leaves the log domain here)."""
    v = _scalar(v)
    if isinstance(v, Density):
        return np.exp(v.log)
    if isinstance(v, DataVal):
        return v.value
    if isinstance(v, (int, float, np.ndarray, np.floating, np.integer)):
        return v
    raise NotEvaluable(f"{_kind(v)} used as a number")


def _kind(v) -> str:
    return {LatentVal: "the latent variable", Plate: "the latent vector", ParamVal: "a parameter",
            VectorVal: "a vector", MatrixVal: "a vector or matrix"}.get(type(v), type(v).__name__)


def add(a, b):
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, MatrixVal) or isinstance(b, MatrixVal):
        return _entrywise(a, b, add, "plus")
    if isinstance(a, Density) and isinstance(b, Density):  # Σ_k α_k φ(x; μ_k, Σ_k): in logs, never 0 + 0
        return Density(np.logaddexp(a.log, b.log))
    return real(a) + real(b)


def neg(a):
    a = _scalar(a)
    if isinstance(a, MatrixVal):
        return a.map(neg)
    return -real(a)


def mul(a, b):
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, MatrixVal) and isinstance(b, MatrixVal):
        return _matmul(a, b)
    if isinstance(a, MatrixVal):
        return a.map(lambda e: mul(e, b))
    if isinstance(b, MatrixVal):
        return b.map(lambda e: mul(a, e))
    if isinstance(a, Density) and isinstance(b, Density):
        return Density(a.log + b.log)
    if isinstance(a, Density) != isinstance(b, Density) and np.all(real(b if isinstance(a, Density) else a) > 0):
        return Density(log(a) + log(b))  # α_k φ(x; μ_k, Σ_k): a weight times a density stays in logs
    return real(a) * real(b)


def div(a, b):
    b = _scalar(b)
    if isinstance(b, MatrixVal):
        raise Undefined(f"a division by a {_shape_text(b)} matrix")
    a = _scalar(a)
    if isinstance(a, MatrixVal):
        return a.map(lambda e: div(e, b))
    if isinstance(a, Density) and isinstance(b, Density):
        return Density(a.log - b.log)
    if isinstance(b, Density):
        return real(a) * np.exp(-b.log)
    return np.true_divide(real(a), real(b))  # 1/0 of two plain numbers is ∞ as for arrays, never an exception


def hadamard(a, b):
    """a ⊙ b: entry by entry (vectors of one shape), a plain product of numbers."""
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, MatrixVal) or isinstance(b, MatrixVal):
        return _entrywise(a, b, mul, "⊙")
    return mul(a, b)


def power(a, b):
    a = _scalar(a)
    if isinstance(a, MatrixVal) and a.shape[1] == 1:  # σ²_φ(x) of a vector σ: entry by entry, as the VAE writes it
        return a.map(lambda e: power(e, b))
    if isinstance(a, MatrixVal):
        raise Undefined(f"a power of a {_shape_text(a)} matrix")
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
    """A matrix transposed; a number (a vector of a one-dimensional model) is its own transpose."""
    a = _scalar(a)
    if isinstance(a, MatrixVal):
        return a.transposed()
    return real(a)


def diag(a):
    """diag(σ²), the covariance of a diagonal Gaussian: a vector's entries on a diagonal (of a one-dimensional
    latent, σ² itself)."""
    a = _scalar(a)
    if isinstance(a, MatrixVal):
        if a.shape[1] != 1:
            raise Undefined(f"diag of a {_shape_text(a)} matrix: diag takes a vector")
        entries = a.entries()
        return MatrixVal(tuple(tuple(e if r == c else 0.0 for c in range(len(entries)))
                               for r, e in enumerate(entries)))
    return a


def as_density(v) -> Density:
    """A density, or a positive number standing for one ((p + q) / 2 of two densities)."""
    return v if isinstance(v, Density) else Density(np.log(real(v)))


def flattened(value) -> VectorVal:
    """A column (of numbers, vectors, matrices) or one vector or matrix, as its entries and shapes."""
    parts = value.parts if isinstance(value, VectorVal) else (value,)
    entries, shapes = [], []
    for part in map(_scalar, parts):
        if isinstance(part, MatrixVal):
            entries.extend(real(e) for e in part.entries())
            shapes.append(part.shape)
        else:
            entries.append(real(part))
            shapes.append(())
    return VectorVal(tuple(entries), tuple(shapes))


def _elementary(f):
    """An elementary function of a number, entry by entry of a vector (as σ²_φ(x) is)."""
    def apply(a):
        a = _scalar(a)
        if isinstance(a, MatrixVal) and a.shape[1] == 1:
            return a.map(apply)
        if isinstance(a, MatrixVal):
            raise Undefined(f"{f.__name__} of a {_shape_text(a)} matrix")
        return f(real(a))
    return apply


def factorial(x):
    """n!, of natural numbers only: Γ(x + 1) of any other x is not what n! on a slide says. A letter with no
    stated domain is real, and n! of it is not read (state n ∈ ℕ) rather than false."""
    return np.vectorize(lambda n: _exactly(math.factorial, math.lgamma(n + 1), n), otypes=[float])(_naturals(x, "n!"))


def binomial(n, k):
    """n choose k of natural numbers, 0 when k > n (Σ_k \\binom{n}{k} reaches past n in some sums)."""
    n, k = _naturals(n, "\\binom{n}{k}"), _naturals(k, "\\binom{n}{k}")

    def choose(a: float, b: float) -> float:
        size = math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1) if b <= a else 0.0
        return _exactly(math.comb, size, a, b)
    return np.vectorize(choose, otypes=[float])(n, k)


def _naturals(x, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    whole = np.round(x)
    if not np.all(~np.isfinite(x) | (whole >= 0) & (np.abs(x - whole) <= 1e-9 * np.maximum(1.0, np.abs(x)))):
        raise NotEvaluable(f"{what} of a number that is not a natural number (state its domain: n \\in \\mathbb{{N}})")
    return whole


def _exactly(f, log_size: float, *args: float) -> float:
    """f of whole numbers, in exact integers, as a float: inf past the largest float, told by the log of its
    size before the integer is made (10⁶! has five million digits); NaN stays NaN."""
    if not all(math.isfinite(a) for a in args):
        return math.nan if any(math.isnan(a) for a in args) else math.inf
    if log_size > _LOG_LARGEST:
        return math.inf
    return float(f(*(int(a) for a in args)))


_LOG_LARGEST = math.log(np.finfo(float).max) - 1e-6  # lgamma's rounding: 170! is the largest float factorial


FUNCTIONS = {"log": log, "exp": exp, "sqrt": sqrt, "transpose": transpose, "diag": diag,
             **{name: _elementary(getattr(np, name)) for name in ("sin", "cos", "tan", "tanh", "arctan", "arcsin",
                                                                     "arccos", "sinh", "cosh", "floor", "ceil")},
             "abs": _elementary(np.abs), "factorial": _elementary(factorial)}
