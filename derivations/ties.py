"""A step's two expressions on the evaluator's own draws: what ties a check to its slide row by value.

A step of a derivation names no text of its slide. The build evaluates the row's own
LaTeX on the notation's model instances (latexeval); here the check's two expressions
are computed on the very same instances and draws (`latexeval.relations.draw_sets`:
fixed seeds, the same parameter values). The build then compares the four arrays: a
check whose sides equal the row's sides proves that row, whatever way the row is
written; a check of another formula (a row whose meaning changed) does not.

An instance the expressions cannot be computed on (a mixture step on a pair of
distributions) is left out; which instances remain is for the build to judge.
"""
from __future__ import annotations

import numpy as np

from . import engine as E


def values_on_draws(outcome: E.Outcome) -> dict | None:
    """{instance: {"draws": key, "lhs": [...], "rhs": [...]}}, or None for a check without two expressions."""
    if outcome.sides is None:
        return None
    from latexeval.relations import draw_sets

    lhs, rhs = outcome.sides
    out = {}
    for name, key, draws in draw_sets(outcome.wrt):
        try:
            model = _model(name, draws)
            with np.errstate(all="ignore"):
                a, b = _flat(lhs(model)), _flat(rhs(model))
        except Exception:  # noqa: BLE001 - expressions of another family: not on this instance
            continue
        n = max(a.size, b.size)
        if a.size not in (1, n) or b.size not in (1, n):
            continue
        out[name] = {"draws": key, "lhs": _finite(np.broadcast_to(a, n)), "rhs": _finite(np.broadcast_to(b, n))}
    return out


def _model(name: str, draws: dict):
    from latexeval.relations import instance

    return instance(name).bound_model(_points_first(draws), E.numeric_ops())


def _points_first(value):
    """Draws as the engine's numeric models hold parameters: one point per row, the quadrature's
    axes after it (engine.AXES), so a nested expectation never runs along the draws."""
    if isinstance(value, dict):
        return {k: _points_first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_points_first(v) for v in value]
    return np.reshape(value, (-1,) + (1,) * E.AXES)


def _finite(values: np.ndarray) -> list:
    """The values, None where the check's own arithmetic over- or underflowed (not comparable there)."""
    return [float(v) if np.isfinite(v) else None for v in values]


def _flat(value) -> np.ndarray:
    return np.asarray(value, dtype=float).reshape(-1)
