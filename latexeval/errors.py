"""The two ways a formula can fail to get a value, kept apart on purpose.

NotEvaluable is about the formula: a construct the evaluator does not understand.
It must reach the author (with where it is), and the row is not verified.
Undefined is about the formula too, but it is understood and names something that
does not exist (x_0, x_{N+1}, a 2×1 vector plus a 1×2 one): the row is wrong.
NotationError is about a notation file, not a formula: where in the file, and how to put it right.
NotApplicable is about a model instance: the formula is understood but speaks of
something the instance does not have (mixture weights on the linear-Gaussian
model); another instance may still evaluate it.
"""
from __future__ import annotations


class NotEvaluable(Exception):
    def __init__(self, construct: str, pos: tuple[int, int] | None = None):
        super().__init__(construct)
        self.construct = construct
        self.pos = pos
        self.side: str | None = None  # "lhs" or "rhs" of the relation being checked, when known

    def __str__(self) -> str:
        return f"not evaluable: {self.construct}"


class NotApplicable(Exception):
    """The model instance has no meaning for a symbol of the formula."""


class Undefined(Exception):
    """The formula is understood but names something that does not exist (x_0, x_{N+1}): a wrong row."""


class NotationError(Exception):
    """A mistake in a notation file: where, what, and how to put it right."""

    def __init__(self, path: str, line: int, message: str, hint: str):
        super().__init__(message)
        self.path, self.line, self.message, self.hint = path, line, message, hint

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: error: {self.message}\n  hint: {self.hint}"
