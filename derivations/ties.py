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

from functools import lru_cache

import numpy as np

from . import engine as E


def values_on_draws(outcome: E.Outcome) -> dict | None:
    """{instance: {"draws": key, "lhs": [...], "rhs": [...]}}, or None for a check without two expressions."""
    if outcome.sides is None:
        return None
    lhs, rhs = outcome.sides
    out = {}
    for name, key in _draw_sets(outcome.wrt):
        try:
            a, b = _values(lhs, name, key), _values(rhs, name, key)
        except Exception:  # noqa: BLE001 - expressions of another family: not on this instance
            continue
        n = max(a.size, b.size)
        if a.size not in (1, n) or b.size not in (1, n):
            continue
        out[name] = {"draws": key, "lhs": _finite(np.broadcast_to(a, n)), "rhs": _finite(np.broadcast_to(b, n))}
    return out


_DRAWS: dict[tuple[str, str], dict] = {}  # (instance, draws key) -> the draws, as draw_sets made them


@lru_cache(maxsize=None)
def _draw_sets(wrt: str | None) -> tuple[tuple[str, str], ...]:
    """The evaluator's instances and draws (fixed seeds: the same in every call), drawn once per run."""
    from latexeval.relations import draw_sets

    sets = draw_sets(wrt)
    _DRAWS.update(((name, key), draws) for name, key, draws in sets)
    return tuple((name, key) for name, key, _ in sets)


@lru_cache(maxsize=None)
def _values(side, name: str, key: str) -> np.ndarray:
    """One side of a step on one instance's draws, computed once per run: the side of one step (Q, the
    Bayes rewrite) is a side of the next step too. A side is a function of the model alone, and a wrong
    variant's fresh lambda is a key of its own."""
    with np.errstate(all="ignore"):
        values = _flat(side(_model(name, key)))
    values.setflags(write=False)
    return values


@lru_cache(maxsize=None)
def _model(name: str, key: str):
    from latexeval.relations import instance

    return instance(name).bound_model(_points_first(_DRAWS[(name, key)]), E.numeric_ops())


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
