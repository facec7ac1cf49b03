"""Per-formula limits of the evaluator: a formula too large or too slow to evaluate is reported as such.

Evaluation is a walk of the formula's tree in this process, so a time limit cannot
stop it from outside: the walk asks `tick()` at every node and gives up once the
formula's budget is spent. The budget is this process's CPU time, not the clock's: a machine busy with
other work slows the walk down, not the formula, and must not turn a readable row into "too slow". Memory is bounded the same way: every integral adds an
axis of quadrature nodes, and an axis that would make one value larger than
MAX_VALUES numbers per draw ends the evaluation before numpy allocates it.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import NotEvaluable

TIME_LIMIT = 10.0  # seconds per formula (a whole deck evaluates in well under one)
SIZE_LIMIT = 20_000  # characters of LaTeX per formula
MAX_VALUES = 2_000_000  # numbers per draw in one value: nested integrals multiply their node counts

DEPTH_LIMIT = sys.getrecursionlimit() // 4  # a rough bound: each level of nesting costs several Python frames

_deadline: ContextVar[float | None] = ContextVar("latexeval_deadline", default=None)


class TooLarge(NotEvaluable):
    """The formula, or a value it needs, is over the size limit."""


class TooSlow(NotEvaluable):
    """Evaluating the formula took longer than its time limit."""


@contextmanager
def budget(seconds: float | None = None):
    """Time for one formula (nested budgets keep the earlier deadline)."""
    limit = TIME_LIMIT if seconds is None else seconds
    outer = _deadline.get()
    mine = time.process_time() + limit
    token = _deadline.set(mine if outer is None else min(outer, mine))
    try:
        yield
    finally:
        _deadline.reset(token)


def tick(pos=None) -> None:
    deadline = _deadline.get()
    if deadline is not None and time.process_time() > deadline:
        raise TooSlow("too slow: its evaluation took longer than its time limit", pos)


def check_size(latex: str, limit: int = SIZE_LIMIT) -> None:
    if len(latex) > limit:
        raise TooLarge(f"too large: {len(latex)} characters (at most {limit})")


def check_values(count: int, pos=None) -> None:
    if count > MAX_VALUES:
        raise TooLarge(f"too large: its nested integrals need {count} values per draw at once (at most {MAX_VALUES})",
                       pos)
