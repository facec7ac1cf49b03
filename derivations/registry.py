"""Derivations, their steps and their wrong variants, and how the build runs them.

A step names no text of its slide row: the build ties a step to its row by value
(the check's two sides, evaluated on the evaluator's draws, must equal the row's
two sides), so a rewrite of the row that keeps its meaning keeps its proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

#: The relation codes a step can carry: those the build's row grammar (deckbuild/rows.py) reads
#: from a slide row, and latexeval checks.
RELATIONS = ("=", "<=>", "<=", ">=")


@dataclass(frozen=True)
class Step:
    index: int
    relation: str
    name: str
    check: Callable


@dataclass(frozen=True)
class Variant:
    """A deliberately wrong version of a step that the engine must reject."""

    step_index: int
    description: str
    check: Callable


@dataclass(frozen=True)
class StepResult:
    index: int
    ok: bool
    method: str
    points: int
    tolerance: float
    check: str
    detail: str
    seconds: float = 0.0
    values: dict | None = None  # {instance: {"lhs": [...], "rhs": [...]}}: the check's sides on the evaluator's draws


@dataclass
class Derivation:
    id: str
    title: str
    steps: list[Step] = field(default_factory=list)
    wrong_variants: list[Variant] = field(default_factory=list)

    def step(self, index: int, relation: str, name: str):
        """Register the decorated function as the check of slide row `index`."""
        if relation not in RELATIONS:
            raise ValueError(f"{self.id} row {index}: unknown relation {relation!r}")

        def register(fn: Callable) -> Callable:
            if any(s.index == index for s in self.steps):
                raise ValueError(f"{self.id}: row {index} registered twice")
            self.steps.append(Step(index, relation, name, fn))
            self.steps.sort(key=lambda s: s.index)
            return fn

        return register

    def wrong(self, step_index: int, description: str):
        """Register the decorated function as a wrong variant of row `step_index`."""

        def register(fn: Callable) -> Callable:
            self.wrong_variants.append(Variant(step_index, description, fn))
            return fn

        return register

    def step_at(self, index: int) -> Step:
        return next(s for s in self.steps if s.index == index)


_REGISTRY: dict[str, Derivation] = {}


def derivation(id: str, title: str) -> Derivation:
    if id in _REGISTRY:
        raise ValueError(f"derivation {id!r} declared twice")
    d = _REGISTRY[id] = Derivation(id, title)
    return d


def registered() -> dict[str, Derivation]:
    return dict(_REGISTRY)


def qualified_name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def execute(index: int, fn: Callable) -> StepResult:
    """Run one check; a failing or crashing check is a result, never an exception."""
    start = time.perf_counter()
    values = None
    try:
        out = fn()
        ok, method, points, tol, detail = out.ok, out.method, out.points, out.tolerance, out.detail
        if ok:
            from .ties import values_on_draws

            values = values_on_draws(out)
    except Exception as exc:  # noqa: BLE001 - the build must get a result for every step
        ok, method, points, tol, detail = False, "error", 0, 0.0, f"{type(exc).__name__}: {exc}"
    return StepResult(index, bool(ok), method, int(points), float(tol), qualified_name(fn), detail,
                      time.perf_counter() - start, values)
