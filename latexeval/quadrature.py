"""Definite integrals a slide writes with its bounds (\\int_0^1, \\int_0^\\infty, \\int_{-\\infty}^{\\infty}):
double-exponential (tanh-sinh) quadrature, which integrates an analytic integrand to many digits with a few
hundred nodes, an integrable singularity at an end at 0 included.

Every integral is taken at two step sizes (the coarse nodes are every other fine one, so the integrand is
evaluated once). Where the two disagree, or the terms at the outermost nodes have not died away (an integrand
that grows too fast at an end, or decays too slowly at infinity), the integral is not settled and the formula
is not read: a number the quadrature cannot vouch for is never compared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STEP = 1 / 64  # the fine step in t; the coarse one is twice it (at 1/32 an e^{-x/1000} had not settled)
FAR = 1e15  # an infinite end is cut here: x² at the last node is still a float, e^{-x} there is 0
SETTLED = 1e-9  # the two step sizes agree to this, relatively: a hundredth of the relations' tolerance
LAST_TERMS = 1e-12  # the terms at the outermost nodes are this small, relatively
PEAK = 0.2  # no node carries more of the integral's mass than this: a smooth integrand spreads it (4 % at most
# over every integrand of the tests), a peak narrower than the nodes' spacing puts it on one node or none


class Unsettled(Exception):
    """The quadrature cannot vouch for the integral's value (the reason says why)."""


@dataclass(frozen=True)
class Rule:
    """The fine grid: each node's distance from its end (`reach`, as a fraction of the interval when both ends
    are finite), whether it is measured from the upper end, and its weight without the interval's factor."""

    reach: np.ndarray
    from_upper: np.ndarray
    weights: np.ndarray
    kind: str  # "finite", "above" (lower to ∞), "below" (-∞ to upper), "line"

    def nodes(self, lower, upper, on_axis):
        """The integration variable at every node (on the evaluator's axis) for ends as the evaluator holds them."""
        reach, top = on_axis(self.reach), on_axis(self.from_upper)
        if self.kind == "finite":
            width = upper - lower
            return np.where(top, upper - width * reach, lower + width * reach)
        if self.kind == "above":
            return lower + reach
        if self.kind == "below":
            return upper - reach
        return np.where(top, reach, -reach)

    def factor(self, lower, upper):
        return upper - lower if self.kind == "finite" else 1.0


def rule(lower, upper) -> Rule:
    """The rule for these ends (numbers, or arrays of them at a free variable's values; ±inf for ±∞)."""
    lo_inf, hi_inf = _infinite(lower), _infinite(upper)
    if lo_inf == 0 and hi_inf == 0:
        t = _grid(math.asinh(345 / (math.pi / 2)))  # the distance from an end reaches e^-690: an end at 0 is met
        u = math.pi / 2 * np.sinh(np.abs(t))
        reach = _expit(-2 * u)
        return Rule(reach, t > 0, 2 * reach * _expit(2 * u) * math.pi / 2 * np.cosh(t) * STEP, "finite")
    if lo_inf == -1 and hi_inf == 1:
        t = _grid(math.asinh(math.asinh(FAR) / (math.pi / 2)))
        u = math.pi / 2 * np.sinh(t)
        return Rule(np.abs(np.sinh(u)), t > 0, np.cosh(u) * math.pi / 2 * np.cosh(t) * STEP, "line")
    if lo_inf == 0 and hi_inf == 1 or lo_inf == -1 and hi_inf == 0:
        t = _grid(math.asinh(math.log(FAR) / (math.pi / 2)))
        reach = np.exp(math.pi / 2 * np.sinh(t))
        return Rule(reach, np.zeros(t.shape, dtype=bool), reach * math.pi / 2 * np.cosh(t) * STEP,
                    "above" if hi_inf else "below")
    raise Unsettled("an integral from one infinity to the same one, or from +∞")


def integral(terms: np.ndarray, inside: np.ndarray, far: np.ndarray, empty, axis: int) -> np.ndarray:
    """The sum of weighted `terms` along `axis` (counted from the end, as the evaluator's axes are), kept at size
    1; `inside`: the nodes the floats tell from the ends (the others count nothing); `far`: nodes far out on an
    infinite end; `empty`: where the interval has no width. Unsettled where one node carries the mass or none
    does (a peak between the nodes: a Gaussian of σ = 0.001 at x = 500 is 0 at every one), the coarse grid
    disagrees, or the outermost terms are not negligible."""
    terms = np.where(inside, terms, 0.0)
    if np.isnan(np.where(far, terms, 0.0)).any():
        raise Unsettled("the integrand is not a number far out (an overflow, as e^{x} e^{-2x} has)")
    with np.errstate(invalid="ignore"):
        mass = np.sum(np.abs(terms), axis=axis, keepdims=True)
        peak = np.max(np.abs(terms), axis=axis, keepdims=True)
        if np.any((peak > PEAK * mass) | (mass == 0) & ~np.asarray(empty)):
            raise Unsettled("the integrand is narrower than the nodes are apart somewhere (a peak of a small "
                            "width?)")
    fine = np.sum(terms, axis=axis, keepdims=True)
    coarse = 2 * np.sum(np.take(terms, range(0, terms.shape[axis], 2), axis=axis), axis=axis, keepdims=True)
    size = 1.0 + np.abs(fine)
    with np.errstate(invalid="ignore"):
        if not np.all(np.abs(fine - coarse) <= SETTLED * size):
            raise Unsettled("the quadrature does not settle on its value (a kink or a jump inside?)")
        n = terms.shape[axis]
        first = np.argmax(np.moveaxis(inside, axis, -1), axis=-1)[..., None]
        last = n - 1 - np.argmax(np.moveaxis(inside, axis, -1)[..., ::-1], axis=-1)[..., None]
        moved = np.moveaxis(terms, axis, -1)
        ends = np.maximum(np.abs(np.take_along_axis(moved, first, -1)), np.abs(np.take_along_axis(moved, last, -1)))
        if not np.all(np.moveaxis(ends, -1, axis) <= LAST_TERMS * size):
            raise Unsettled("the integrand does not die away at an end (it grows too fast there, or decays too "
                            "slowly at infinity)")
    return fine


def _grid(reach: float) -> np.ndarray:
    n = math.ceil(reach / STEP / 2) * 2  # even: the coarse grid holds both ends
    return np.arange(-n, n + 1) * STEP


def _expit(v: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-v), without overflow: accurate however small it is."""
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


def _infinite(end) -> int:
    """-1, +1 for an infinite end (the same at every value), 0 for a finite one."""
    values = np.asarray(end, dtype=float)
    if not np.isinf(values).any():
        return 0
    if not np.isinf(values).all() or len(set(np.sign(values).ravel())) != 1:
        raise Unsettled("an end that is infinite at some values only")
    return int(np.sign(values.ravel()[0]))
