"""Expectations over random vectors: exact where the moments decide them, else Monte Carlo with a bound.

A random symbol is declared with a mean and a covariance (latexeval/linnotation.py);
different symbols are independent. An expectation whose argument is a polynomial of
degree at most two in the random entries (q^T R (q + ε), ‖x‖², ⟨q, k⟩) depends on those
two moments only, and is computed exactly by second differences at the sigma points
μ ± √Σ e_k — whatever the distribution, so it also holds for "zero-mean noise" of which
nothing else is known. Whether the argument is such a polynomial is tested, not assumed:
its third differences along random lines must vanish.

Anything else needs the whole distribution: for Gaussian symbols it is estimated by
Monte Carlo and carries a 99.9% error bound (Uncertain), which the relation checks use to
decide — "holds" only when the bound supports it, otherwise "undecided". For a
zero-mean symbol with no distribution it is not evaluable.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NotEvaluable

MC_SAMPLES = 40_000
Z_999 = 3.29  # two-sided 99.9% normal quantile
CUBIC_RTOL = 1e-7


@dataclass(frozen=True)
class RandomVector:
    """One random symbol at one instance: its moments, and whether it is Gaussian (else only the moments)."""

    key: str
    mean: np.ndarray  # (n, 1)
    cov: np.ndarray  # (n, n)
    gaussian: bool


@dataclass(frozen=True)
class Uncertain:
    """A Monte Carlo estimate: value ± bound (99.9%), both batched like any value."""

    value: object
    bound: object
    samples: int


def _sqrt_cov(cov: np.ndarray) -> np.ndarray:
    w, u = np.linalg.eigh((cov + cov.T) / 2)
    return u * np.sqrt(np.clip(w, 0, None))


def _stack(variables: list[RandomVector]):
    mean = np.concatenate([v.mean[:, 0] for v in variables])
    n = len(mean)
    root = np.zeros((n, n))
    at = 0
    for v in variables:
        k = len(v.mean)
        root[at:at + k, at:at + k] = _sqrt_cov(v.cov)
        at += k
    return mean, root


def _split(points: np.ndarray, variables: list[RandomVector]) -> dict[str, np.ndarray]:
    """Stacked points (S, D) -> each symbol's batch of columns (S, n, 1)."""
    out, at = {}, 0
    for v in variables:
        k = len(v.mean)
        out[v.key] = points[:, at:at + k, None]
        at += k
    return out


def _flat(value, count: int) -> np.ndarray:
    value = getattr(value, "scale", value)
    arr = np.asarray(value, dtype=float)
    return np.broadcast_to(arr, (count,) + arr.shape[1:]) if arr.ndim else np.full((count,), float(arr))


LINE = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])  # unevenly spaced: |t| or t^4 cannot pass for a parabola


def is_quadratic(f, variables: list[RandomVector], rng) -> bool:
    """f restricted to three random lines (off the mean) is a parabola: a degree-2 fit leaves no residual."""
    mean, root = _stack(variables)
    lines = [(mean + root @ rng.standard_normal(len(mean)), root @ rng.standard_normal(len(mean))) for _ in range(3)]
    points = np.array([base + t * v for base, v in lines for t in LINE])
    g = _flat(f(_split(points, variables)), len(points)).reshape(3, len(LINE), -1)
    if not np.all(np.isfinite(g)):
        return False
    design = np.vander(LINE, 3)
    fit = design @ np.linalg.lstsq(design, g.transpose(1, 0, 2).reshape(len(LINE), -1), rcond=None)[0]
    residual = g.transpose(1, 0, 2).reshape(len(LINE), -1) - fit
    return bool(np.all(np.abs(residual) <= CUBIC_RTOL * (1 + np.abs(g).max())))


def expectation(f, variables: list[RandomVector], rng):
    """E f over the variables (independent): exact from the moments, or an Uncertain Monte Carlo estimate."""
    mean, root = _stack(variables)
    if is_quadratic(f, variables, rng):
        cols = root.T
        points = np.concatenate([mean[None], mean + cols, mean - cols])
        g = _flat(f(_split(points, variables)), len(points))
        d = len(cols)
        centre = g[0]
        return centre[None] + 0.5 * np.sum(g[1:d + 1] + g[d + 1:] - 2 * centre, axis=0)[None]
    non_gaussian = [v.key for v in variables if not v.gaussian]
    if non_gaussian:
        raise NotEvaluable(f"an expectation beyond second moments of {', '.join(non_gaussian)}, whose distribution "
                           "the notation leaves open (only its mean and covariance)")
    points = mean + rng.standard_normal((MC_SAMPLES, len(mean))) @ root.T
    g = _flat(f(_split(points, variables)), MC_SAMPLES)
    if not np.all(np.isfinite(g)):
        raise NotEvaluable("an expectation of something not finite at some samples")
    value = g.mean(axis=0)
    bound = Z_999 * g.std(axis=0, ddof=1) / np.sqrt(MC_SAMPLES)
    return Uncertain(value[None], bound[None], MC_SAMPLES)


# --------------------------------------------------------------------------- #
# arithmetic on estimates: only what keeps the bound exact (sums, exact scale factors)


def parts(v):
    """(value, bound) of any value: an exact one has bound 0."""
    if isinstance(v, Uncertain):
        return v.value, v.bound, v.samples
    return v, 0.0, 0


def linear(op: str, a, b=None):
    """a + b, a - b, -a, a * c, a / c with an exact scalar c, propagating bounds; NotEvaluable otherwise."""
    va, ba, na = parts(a)
    vb, bb, nb = parts(b) if b is not None else (None, 0.0, 0)
    n = max(na, nb)
    if op == "add":
        return Uncertain(va + vb, np.abs(ba) + np.abs(bb), n)
    if op == "neg":
        return Uncertain(-va, ba, n)
    scalar_b = not isinstance(b, Uncertain) and np.ndim(vb) <= 1
    scalar_a = not isinstance(a, Uncertain) and np.ndim(va) <= 1
    if op == "mul" and (scalar_a or scalar_b):
        c = va if scalar_a else vb
        est, bound = (vb, bb) if scalar_a else (va, ba)
        c = np.asarray(c, dtype=float)
        shaped = c.reshape(c.shape + (1,) * (np.ndim(est) - c.ndim)) if c.ndim else c
        return Uncertain(est * shaped, bound * np.abs(shaped), n)
    if op == "div" and scalar_b:
        return linear("mul", a, 1.0 / np.asarray(vb, dtype=float))
    raise NotEvaluable("a Monte Carlo estimate inside a non-linear expression (its error bound would not carry)")
