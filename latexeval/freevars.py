r"""Free variables a formula states a domain for: a claim for every value, or for every distribution.

`t - 1 - \log t \ge 0, \; \forall t > 0` claims the inequality for every positive t, a letter
no notation knows; `\mathbb{E}[\log Y] \le \log \mathbb{E}[Y], \; Y > 0` claims Jensen's
inequality for every positive random variable Y (a letter under a bare \mathbb{E}). Both are
read only where the formula states the domain (`\forall t > 0`, or a trailing `t > 0`,
`0 < t \le 1`): a letter whose domain is not stated stays unknown (not evaluable), since it may
be a quantity of the slide's prose with one particular value.

A universally quantified claim is evaluated at values spread over its whole domain (six
orders of magnitude, and the special points 0 and 1 where they belong to it); a claim over
random variables at random joint distributions on a few outcomes, each variable with values of
its own there (so two of them are dependent), one of them a constant (where Jensen's inequality is
an equality). Neither is a proof, and the details say so: what
was evaluated, at how many values.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from .expr import Chain, Div, Member, Neg, Node, Num, Quantified, Sym, free_symbols

VALUES = 64  # values of a free scalar (on an axis of their own), when the claim has several
ALONE = 256  # values of a claim's only free scalar: (x - 2)(x - 3) \ge 0 fails between 2 and 3, which 64 missed


def values_per_axis(scalars: int) -> int:
    """How many values each free scalar takes: more for one alone (64 × 64 pairs are already 4096)."""
    return ALONE if scalars <= 1 else VALUES
SUPPORT = 5  # outcomes of one random joint distribution of a claim's random variables
SPREAD = 1e3  # values from 1/SPREAD to SPREAD away from a bound
SEED = 20251211
_ORDER = {"<": "<", "<=": "<=", ">": "<", ">=": "<="}  # a > b read as b < a


@dataclass(frozen=True)
class Domain:
    """An interval lo < t < hi (or <= where closed); None for an open end at infinity."""

    lo: float | None = None
    hi: float | None = None
    lo_closed: bool = False
    hi_closed: bool = False
    integer: bool = False  # n ∈ ℕ: the integers of the interval only

    def meet(self, other: "Domain") -> "Domain":
        lo, lo_closed = max(((self.lo, self.lo_closed), (other.lo, other.lo_closed)),
                            key=lambda b: (-math.inf if b[0] is None else b[0], not b[1]))
        hi, hi_closed = min(((self.hi, self.hi_closed), (other.hi, other.hi_closed)),
                            key=lambda b: (math.inf if b[0] is None else b[0], b[1]))
        return Domain(lo, hi, lo_closed, hi_closed, self.integer or other.integer)

    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        if self.integer:  # 1.2 < n < 1.8 holds no integer
            return not self.contains(np.arange(math.floor(self.lo), math.ceil(self.hi) + 1, dtype=float)).any()
        return self.lo > self.hi or self.lo == self.hi and not (self.lo_closed and self.hi_closed)

    def text(self, name: str) -> str:
        lo = "" if self.lo is None else f"{self.lo:g} {'≤' if self.lo_closed else '<'} "
        hi = "" if self.hi is None else f" {'≤' if self.hi_closed else '<'} {self.hi:g}"
        if not (lo or hi):
            return f"{name} {'an integer' if self.integer else 'real'}"
        return f"{lo}{name}{hi}" + (", an integer" if self.integer else "")

    def contains(self, values: np.ndarray) -> np.ndarray:
        ok = np.ones(np.shape(values), dtype=bool)
        if self.lo is not None:
            ok &= values >= self.lo if self.lo_closed else values > self.lo
        if self.hi is not None:
            ok &= values <= self.hi if self.hi_closed else values < self.hi
        return ok


def _constant(node: Node) -> float | None:
    if isinstance(node, Sym) and node.key() == "\\infty":
        return math.inf
    if isinstance(node, Num):
        return float(node.value)
    if isinstance(node, Neg):
        inner = _constant(node.arg)
        return None if inner is None else -inner
    if isinstance(node, Div):
        num, den = _constant(node.num), _constant(node.den)
        return None if num is None or den is None or den == 0 else num / den
    return None


def domain_statement(stmt: Node, known) -> tuple[str, Domain] | None:
    """(key, domain) when the statement bounds one letter the notation does not know by numbers
    (`t > 0`, `0 < t \\le 1`, `\\forall t > 0`) or names its set (`x \\in \\mathbb{R}`, `n \\in \\mathbb{N}`),
    else None. `known(sym)`: does the notation know it?"""
    chain = stmt.chain if isinstance(stmt, Quantified) else stmt
    if isinstance(chain, Member):
        if known(chain.letter):
            return None
        return chain.letter.key(), Domain(chain.lo, None, chain.lo_closed, False, chain.integer)
    if not isinstance(chain, Chain) or any(rel not in _ORDER for rel in chain.rels) or None in chain.exprs:
        return None
    consts = [_constant(e) for e in chain.exprs]
    letters = [e for e, c in zip(chain.exprs, consts) if isinstance(e, Sym) and c is None]
    if len(letters) != 1 or consts.count(None) != 1 or known(letters[0]) or letters[0].sub is not None \
            or letters[0].sup is not None:
        return None
    name = letters[0].key()
    where = next(k for k, c in enumerate(consts) if c is None)
    domain = Domain()
    for k, rel in enumerate(chain.rels):
        ascending = rel in ("<", "<=")
        closed = rel in ("<=", ">=")
        if k + 1 == where:  # const rel t
            bound = consts[k]
            domain = domain.meet(Domain(lo=bound, lo_closed=closed) if ascending else Domain(hi=bound, hi_closed=closed))
        elif k == where:  # t rel const
            bound = consts[k + 1]
            domain = domain.meet(Domain(hi=bound, hi_closed=closed) if ascending else Domain(lo=bound, lo_closed=closed))
        else:
            return None  # 0 < 1 < t: a chain of numbers besides the letter
    if domain.lo is not None and math.isinf(domain.lo):  # -∞ < t: no bound (t ∈ ℝ)
        domain = Domain(None, domain.hi, False, domain.hi_closed)
    if domain.hi is not None and math.isinf(domain.hi):
        domain = Domain(domain.lo, None, domain.lo_closed, False)
    return name, domain


def letters(node: Node) -> set[str]:
    """The free symbols of a node, a power (Y^2, t^{-1}) counted as its letter."""
    return {sym.base().key() if sym.sub is None and sym.sup is not None and sym.accent is None else k
            for k, sym in free_symbols(node).items()}


def _rng(name: str, what: str) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(f"{what}:{name}".encode())])


def _spread(rng, n: int) -> np.ndarray:
    """Distances from a bound, log-uniform over 1/SPREAD .. SPREAD, one in each of n equal strata: no gap
    between two values is wider than two strata (random draws alone left gaps of a factor of 2)."""
    return np.exp(-math.log(SPREAD) + 2 * math.log(SPREAD) * _strata(rng, n))


def _strata(rng, n: int) -> np.ndarray:
    """n numbers in [0, 1), one at a random place in each of n equal parts."""
    return (np.arange(n) + rng.uniform(0, 1, n)) / max(n, 1)


def points(name: str, domain: Domain, n: int, what: str = "values") -> np.ndarray:
    """n values spread over the domain (fixed seed per name), the special points 0 and 1 first where inside;
    of an integer domain, its first integers and then ever larger ones."""
    if domain.integer:
        return _integers(domain, n)
    rng = _rng(name, what)
    if domain.lo is not None and domain.hi is not None:
        width = domain.hi - domain.lo
        inner = domain.lo + width * np.concatenate([[0.5], _strata(rng, n - 1)])
        inner[1:3] = [domain.lo + width * 1e-6, domain.hi - width * 1e-6] if n > 3 else inner[1:3]
        values = inner
    elif domain.lo is not None:
        values = domain.lo + _spread(rng, n)
    elif domain.hi is not None:
        values = domain.hi - _spread(rng, n)
    else:  # each side of 0 its own strata
        values = np.concatenate([_spread(rng, n - n // 2), -_spread(rng, n // 2)])
    special = [s for s in (1.0, 0.0) if domain.contains(np.array(s))]
    values[:len(special)] = special[:n]
    return values


def _integers(domain: Domain, n: int) -> np.ndarray:
    """n integers of the domain: the 3n/4 nearest its lower end (or nearest 0, both signs, without one), then
    some up to about a thousand away: a claim that fails only from some n on is found there."""
    near = 3 * n // 4
    far = np.round(np.geomspace(near + 1, 1000, n - near))
    for k in range(1, len(far)):
        far[k] = max(far[k], far[k - 1] + 1)  # distinct
    if domain.lo is None:
        values = np.array([(k + 1) // 2 * (1 if k % 2 else -1) for k in range(near)], dtype=float)  # 0, 1, -1, 2, …
        far = far * np.where(np.arange(len(far)) % 2, -1.0, 1.0)  # far out on both sides
    else:
        first = math.floor(domain.lo) + 1 if not domain.lo_closed or domain.lo % 1 else int(domain.lo)
        values, far = first + np.arange(near, dtype=float), far + first
    values = np.concatenate([values, far])
    if domain.hi is not None:  # fewer integers than n: each of them, some twice (the axis has n places)
        inside = values[domain.contains(values)]
        values = np.resize(inside, n) if inside.size else inside
    return values


def outcome_values(name: str, domain: Domain, draws: int, support: int = SUPPORT) -> np.ndarray:
    """A random variable's value at each outcome of `draws` random joint distributions: (support, draws), in
    the domain; at the first draw a constant. Each variable has values of its own at the same outcomes, so
    two random variables are dependent, unless the claim states them independent (product_outcomes)."""
    rng = _rng(name, "distributions")
    values = points(name, domain, support * draws, "support")[rng.permutation(support * draws)]
    values = values.reshape(support, draws)
    values[:, 0] = values[0, 0]  # a constant random variable
    return values


def outcome_probabilities(draws: int, support: int = SUPPORT, name: str | None = None) -> np.ndarray:
    """The probabilities of the `support` outcomes at each of `draws` draws, (support, draws), up to SPREAD²
    apart, uniform at one draw, all but one outcome at others (sorted strata cut in rows gave every
    draw the same shape, all but 6% on one outcome): one joint distribution per draw, shared by every random
    variable of the claim; with `name`, one random variable's own (its distribution, independent of others)."""
    rng = _rng(name or "outcomes", "probabilities")
    weights = rng.permutation(_spread(rng, support * draws)).reshape(support, draws)  # the strata shared out
    weights[:, 1:2] = 1.0  # and one uniform
    return weights / weights.sum(axis=0, keepdims=True)


INDEPENDENT_OUTCOMES = 125  # at most, of the product of independent random variables' distributions


def independent_support(variables: int) -> int:
    """Values per random variable when `variables` of them are independent: their joint distribution has
    this to the power `variables` outcomes (11 each for two, 5 for three, 3 for four)."""
    return max(2, int(INDEPENDENT_OUTCOMES ** (1 / variables) + 1e-9))


def product_outcomes(per_variable: list[np.ndarray]) -> list[np.ndarray]:
    """Each variable's (support, draws) array laid on the outcomes of the product of their distributions,
    (support ** k, draws): the first variable's value changes slowest. The product of the laid probabilities
    is the joint distribution of independent variables."""
    k, support = len(per_variable), per_variable[0].shape[0]
    outcome = np.arange(support ** k)
    return [values[(outcome // support ** (k - 1 - j)) % support] for j, values in enumerate(per_variable)]


def on_axis_per_draw(values: np.ndarray, axis: int) -> np.ndarray:
    """(size, draws) laid along allocated axis `axis`, the draws on the last axis (see values.on_axis)."""
    return values.reshape((values.shape[0],) + (1,) * axis + (values.shape[1],))
