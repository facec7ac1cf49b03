"""Why a relation holds, as facts a presentation can word in its own language.

The evaluator's summary is an English sentence ("= holds at 24 draws on gmm,
linear-gaussian"). A deck in Chinese shows its readers why a formula is checked
in Chinese, and reading the English back with patterns breaks silently whenever
the sentence changes. So each clause of a summary also comes as a `Said`: what
kind of check it was and its counts, with the sentence beside it. A clause whose
sentence says more than its fields (values left out where the floats cannot
tell) is marked not `plain`: a presentation shows its sentence as written.
"""
from __future__ import annotations

from dataclasses import dataclass

MODELS = "models"  # a relation evaluated on the notation's model instances, `draws` random parameters each
CONSTANT = "constant"  # <=>: lhs - rhs constant in `names` (the same maximiser), on the model instances
VALUES = "values"  # a claim about free variables alone: `values` points of `names` in their stated domains
DISTRIBUTIONS = "distributions"  # ... and random variables `names`: `draws` random distributions
INSTANCES = "instances"  # a relation between vectors and matrices: `draws` random instances, computed `how`
DEFINES = "defines"  # names the formula introduces (taken from the slide)
RANGE = "range"  # the range of indices `names` the formula states; `how` "notation" when the notation has them
LIMIT = "limit"  # f ≤ any small `names[1]` for large enough `names[0]`: f's mean over `draws` instances is
# `measured` at the sizes `points`, falling at its slowest step like names[0]^-`rate` (all 0: rate 0)


@dataclass(frozen=True)
class Said:
    kind: str
    text: str  # the evaluator's own sentence of this clause
    rel: str = ""  # the relation it is about ("=", "<=", "<=>", "->")
    draws: int = 0
    values: int = 0  # values of the free variables at which it was computed (0: none)
    names: tuple[str, ...] = ()
    how: str = ""
    plain: bool = True  # False: `text` says more than these fields
    points: tuple[float, ...] = ()
    measured: tuple[float, ...] = ()
    rate: float = 0.0


def facts_of(verdict) -> tuple[Said, ...]:
    """A verdict's clauses; one that comes with none (a limit, a bound) is its sentence, to show as written."""
    return verdict.said or (Said("", verdict.detail, plain=False),)
