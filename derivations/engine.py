"""The relation engine: what "=", "<=>" and "<=" on a slide commit us to, and how we prove it.

Every step is written once against a tiny backend (``ops``) and evaluated twice:
symbolically with SymPy (a proof, for small symbolic instances) and numerically
with numpy at many random parameter points (a different computation: Gaussian
integrals by Gauss-Hermite quadrature instead of moment formulas).  A step
passes only if both agree, so neither a SymPy simplification quirk nor a
numeric coincidence can carry a wrong slide.

Relations:
- ``=``   the two sides are the same function of all parameters;
- ``<=>`` the sides differ by a term that does not depend on the optimisation
  variable (zero derivative symbolically; constant while it moves numerically),
  so they have the same maximisers;
- ``<=``/``>=`` hold at every parameter point: an exact slack certificate made of
  terms that are non-negative for a stated reason, plus a counterexample search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np
import sympy as sp

from latexeval.families import Categorical, NumpyOps, Normal

SEED = 20251211
AXES = 2  # reserved quadrature axes: nested Gaussian expectations up to this depth


# --------------------------------------------------------------------------- #
# outcomes


@dataclass(frozen=True)
class Outcome:
    ok: bool
    method: str
    points: int = 0
    tolerance: float = 0.0
    detail: str = ""
    # The two expressions the step relates (model -> value), so that the build can evaluate them on the
    # evaluator's own draws and tie the step to its slide row by value (derivations/ties.py); for '<=>'
    # the parameter group they are equivalent in, which is what those draws move.
    sides: tuple[Callable, Callable] | None = field(default=None, compare=False)
    wrt: str | None = None


def combine(*outcomes: Outcome) -> Outcome:
    """One outcome for a step whose claim is several facts (a chain within a row)."""
    methods = []
    for o in outcomes:
        for m in o.method.split(" + "):
            if m and m not in methods:
                methods.append(m)
    failed = [o.detail for o in outcomes if not o.ok]
    return Outcome(
        ok=all(o.ok for o in outcomes),
        method=" + ".join(methods),
        points=sum(o.points for o in outcomes),
        tolerance=max((o.tolerance for o in outcomes), default=0.0),
        detail="; ".join(failed) if failed else "; ".join(o.detail for o in outcomes if o.detail),
        **_first_sides(outcomes),
    )


def _first_sides(outcomes) -> dict:
    """A combined step is tied to its row by the first fact that relates two expressions (the row's)."""
    first = next((o for o in outcomes if o.sides is not None), None)
    return {"sides": first.sides, "wrt": first.wrt} if first else {}


# --------------------------------------------------------------------------- #
# backends


class _Symbolic:
    symbolic = True
    log = staticmethod(sp.log)
    exp = staticmethod(sp.exp)
    sqrt = staticmethod(sp.sqrt)
    pi = sp.pi

    @staticmethod
    def pick(seq, index):
        return seq[index]

    @staticmethod
    def logsumexp(terms):
        return sp.log(sum(sp.exp(t) for t in terms))

    depth = 0

    def normal_expect(self, mean, var, f):
        """E[f(z)], z ~ N(mean, var). The integration variable is one symbol per nesting depth, so an
        integrand met again (the same posterior expectation in another side or step) is the same
        expression, and its integral is taken once (_expectation_of)."""
        z = _integration_variable(self.depth)
        self.depth += 1
        try:
            integrand = f(z)
        finally:
            self.depth -= 1
        return _expectation_of(integrand, z, mean, var)


@lru_cache(maxsize=None)
def _integration_variable(depth: int):
    return sp.Dummy(f"z{depth}", real=True)


@lru_cache(maxsize=None)
def _expectation_of(integrand, z, mean, var):
    """E[integrand] over z ~ N(mean, var), memoised for the run (SymPy expressions are immutable)."""
    return _gaussian_expectation(sp.expand(sp.expand_log(integrand, force=True)), z, mean, var)


class _Numeric(NumpyOps):
    """numpy, with Gaussian expectations by Gauss-Hermite quadrature on reserved axes."""

    def __init__(self, nodes: Sequence[int] = (200, 24)):
        self.rules = [_hermgauss(n) for n in nodes]
        self.depth = 0

    def normal_expect(self, mean, var, f):
        d = self.depth
        if d >= AXES:
            raise ValueError("Gaussian expectations nested deeper than the reserved axes")
        t, w = self.rules[min(d, len(self.rules) - 1)]
        shape = [1] * (1 + AXES)
        shape[1 + d] = t.size
        z = mean + np.sqrt(2.0 * var) * t.reshape(shape)
        self.depth += 1
        try:
            val = f(z)
        finally:
            self.depth -= 1
        w = w.reshape(shape)
        terms = val * w
        # Far-tail nodes carry weights below 1e-12; a density evaluated there may underflow
        # to 0 and its log to -inf.  Their contribution is nil, so drop them rather than
        # let 0 * inf poison the sum; a non-finite value at a node that matters still fails.
        terms = np.where(np.isfinite(terms) | (w > 1e-12), terms, 0.0)
        return np.sum(terms, axis=1 + d, keepdims=True) / math.sqrt(math.pi)


@lru_cache(maxsize=None)
def _hermgauss(n: int):
    return np.polynomial.hermite.hermgauss(n)


SYM = _Symbolic()


def numeric_ops() -> _Numeric:
    return _Numeric()


def _moment(k: int, m, v):
    a, b = sp.Integer(1), m
    if k == 0:
        return a
    for j in range(2, k + 1):
        a, b = b, m * b + (j - 1) * v * a
    return b


def _gaussian_expectation(expr, z, mean, var):
    """E[expr] for z ~ N(mean, var): polynomial terms by moments, c*exp(quadratic) terms by
    completing the square. Anything else is not an integral this project needs."""
    poly, total = sp.Integer(0), sp.Integer(0)
    for term in sp.Add.make_args(expr):
        if not term.has(z):
            total += term
        elif term.is_polynomial(z):
            poly += term
        else:
            exps = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.exp)]
            rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if not isinstance(f, sp.exp)])
            h = sp.expand(sum(e.args[0] for e in exps) - (z - mean) ** 2 / (2 * var))
            if rest.has(z) or not h.is_polynomial(z) or sp.degree(h, z) > 2:
                raise NotImplementedError(f"no closed-form Gaussian expectation for {term}")
            A, B = h.coeff(z, 2), h.coeff(z, 1)
            C = h.subs(z, 0)
            total += rest * sp.sqrt(sp.pi / sp.cancel(-A)) * sp.exp(C - B**2 / (4 * A)) / sp.sqrt(2 * sp.pi * var)
    if poly != 0:
        total += sum(c * _moment(k, mean, var) for (k,), c in sp.Poly(poly, z).terms())
    return total


# --------------------------------------------------------------------------- #
# distributions: the model library's own (latexeval/families.py), for either backend


def is_distribution(dist) -> bool:
    """SymPy can tell the weights are a probability vector (or the variance is >= 0)."""
    if isinstance(dist, Normal):
        # var = 0 is the point-mass limit (a fitted variance of coincident data); KL >= 0
        # still holds there (as +oo), so non-negative is the right requirement.
        return bool(sp.sympify(dist.var).is_nonnegative)
    return all(sp.sympify(p).is_nonnegative for p in dist.probs) and sp.cancel(sum(dist.probs) - 1) == 0


JOINT_LIMIT = 4096  # joint values of (z_1..z_n) enumerated at most: 3 components and 10 samples are 59049


class TooManyJointValues(ValueError):
    """The enumeration over every joint value would take minutes: the check is left off this instance."""


def expect_all(dists: Sequence, f: Callable, zs: tuple = ()):
    """E over independent z_1..z_n ~ dists of f((z_1..z_n)), as iterated expectations."""
    if not zs:
        joint = math.prod(len(d.probs) for d in dists if hasattr(d, "probs"))
        if joint > JOINT_LIMIT:
            raise TooManyJointValues(f"{joint} joint values of the latent variables (at most {JOINT_LIMIT})")
    if not dists:
        return f(zs)
    return dists[0].expect(lambda z: expect_all(dists[1:], f, zs + (z,)))


# --------------------------------------------------------------------------- #
# parameter spaces and fixtures


@dataclass(frozen=True)
class Var:
    name: str
    lo: float
    hi: float
    positive: bool = False


def reals(name: str, n: int, lo: float, hi: float) -> list[Var]:
    return [Var(f"{name}{i}", lo, hi) for i in range(1, n + 1)]


def positives(name: str, n: int, lo: float, hi: float) -> list[Var]:
    return [Var(f"{name}{i}", lo, hi, True) for i in range(1, n + 1)]


class Space:
    """Named groups of parameters (data, theta, theta_hat, phi...) with sampling boxes.

    Groups matter because "<=>" is always "in one group": the rest is held fixed.
    """

    def __init__(self, **groups: Sequence[Var]):
        self.groups = {g: list(vs) for g, vs in groups.items()}
        self.flat = [(g, v) for g, vs in self.groups.items() for v in vs]

    @property
    def dim(self) -> int:
        return len(self.flat)

    def symbols(self) -> dict[str, dict[str, sp.Symbol]]:
        return {
            g: {v.name: sp.Symbol(f"{v.name}_{g}", positive=True) if v.positive else sp.Symbol(f"{v.name}_{g}", real=True)
                for v in vs}
            for g, vs in self.groups.items()
        }

    def from_unit(self, u: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """Parameter values for points u in the unit cube, shaped (n, 1, ..., 1) for quadrature axes."""
        out: dict[str, dict[str, np.ndarray]] = {g: {} for g in self.groups}
        shape = (u.shape[0],) + (1,) * AXES
        for j, (g, v) in enumerate(self.flat):
            if v.positive:
                val = np.exp(math.log(v.lo) + u[:, j] * (math.log(v.hi) - math.log(v.lo)))
            else:
                val = v.lo + u[:, j] * (v.hi - v.lo)
            out[g][v.name] = val.reshape(shape)
        return out

    def columns(self, group: str) -> list[int]:
        return [j for j, (g, _) in enumerate(self.flat) if g == group]


@dataclass(frozen=True)
class Fixture:
    """A model family with a small symbolic instance and a (possibly other) numeric one."""

    name: str
    build: Callable  # (ops, values) -> model
    sym_space: Space | None
    num_space: Space

    def symbolic_model(self):
        return _symbolic_model(self)

    def numeric_model(self, values):
        return self.build(numeric_ops(), values)


@lru_cache(maxsize=None)
def _symbolic_model(fx: Fixture):
    return fx.build(SYM, fx.sym_space.symbols())


# --------------------------------------------------------------------------- #
# symbolic zero test


def _canonical_logs(e):
    """log(A*B/C) -> log A + log B - log C, with every remaining log argument in cancelled
    form (coprime expanded numerator/denominator), so equal quantities reached by
    different algebra become the same atoms.  (cancel, not factor: factoring
    multivariate polynomials costs seconds where a gcd costs milliseconds.)"""
    e = sp.expand_log(e, force=True)
    return e.replace(lambda a: isinstance(a, sp.log), lambda a: sp.expand_log(sp.log(_canonical(a.args[0])), force=True))


@lru_cache(maxsize=None)
def _canonical(arg):
    """Cancelled, with common factors (2 in 2x + 2y, x in xy + xz) pulled out of numerator
    and denominator so that log splits them off. Memoised: the same log arguments (a posterior,
    an evidence) recur in every step on a fixture, and cancelling them is most of a zero test."""
    numer, denom = sp.fraction(sp.cancel(arg))
    return sp.factor_terms(numer) / sp.factor_terms(denom)


def _log_parts(expr) -> list[tuple[object, object]]:
    """expr as a sum of (log atom, rational coefficient) pairs plus (1, rational rest).

    Coefficients are read off the tree with a placeholder per log atom (_linear_coefficients), so
    the rational parts stay unexpanded: expanding them first multiplies the work by orders of magnitude."""
    e = _canonical_logs(sp.sympify(expr))
    logs = sorted(e.atoms(sp.log), key=sp.default_sort_key)
    holders = [sp.Dummy(f"log{j}") for j in range(len(logs))]
    e = e.xreplace(dict(zip(logs, holders)))
    coefficients = _linear_coefficients(e, frozenset(holders))
    if coefficients is None:  # a product of logs: not a linear combination, expand instead
        return _log_parts_expanded(e, logs, holders)
    parts = [(log, coefficients.get(h, sp.Integer(0))) for log, h in zip(logs, holders)]
    parts.append((sp.Integer(1), coefficients.get(1, sp.Integer(0))))
    return parts


def _linear_coefficients(e, holders: frozenset) -> dict | None:
    """{holder: its coefficient, 1: the rest} for e linear in the holders, read off the tree in one
    walk (what differentiating in each holder gives, without a pass over e per holder); None where
    a holder is not linear (a product of logs, a log under a power)."""
    if not (e.free_symbols & holders):
        return {1: e}
    if e in holders:
        return {e: sp.Integer(1)}
    if e.is_Add:
        terms: dict = {}
        for arg in e.args:
            part = _linear_coefficients(arg, holders)
            if part is None:
                return None
            for k, c in part.items():
                terms.setdefault(k, []).append(c)
        return {k: sp.Add(*cs) for k, cs in terms.items()}
    if e.is_Mul:
        moving = [f for f in e.args if f.free_symbols & holders]
        if len(moving) != 1:
            return None
        part = _linear_coefficients(moving[0], holders)
        if part is None:
            return None
        rest = sp.Mul(*[f for f in e.args if f is not moving[0]])
        return {k: rest * c for k, c in part.items()}
    return None


def _log_parts_expanded(e, logs, holders):
    back = dict(zip(holders, logs))
    collected = sp.collect(sp.expand(e), holders, evaluate=False)
    return [(sp.sympify(mono).xreplace(back), coef) for mono, coef in collected.items()]


def _as_fraction(c):
    """c as an element of Q(symbols) (with pi and E as extra generators); None if c has
    other irrational constants.  Field arithmetic keeps numerator and denominator
    coprime, which is far cheaper than expanding SymPy expressions."""
    gens = sorted(c.free_symbols, key=sp.default_sort_key)
    gens += [k for k in (sp.pi, sp.E) if c.has(k)]
    if not gens:
        return None
    field = sp.polys.fields.field(gens, sp.QQ)[0]
    try:
        return _sum_by_denominator(c, field)
    except (ValueError, sp.polys.polyerrors.CoercionFailed, sp.polys.polyerrors.GeneratorsError):
        pass
    try:
        return field.from_expr(c)
    except (ValueError, sp.polys.polyerrors.CoercionFailed, sp.polys.polyerrors.GeneratorsError):
        return None


def _sum_by_denominator(c, field):
    """c's terms grouped by their denominator, each group's numerators added as polynomials (no gcd),
    and only the few groups added as fractions: a coefficient is dozens of terms over two or three
    denominators, and a gcd for every term is what made the conversion dear. Exact, like from_expr."""
    ring = field.ring
    groups: dict = {}
    for term in sp.Add.make_args(c):
        numer, denom = term.as_numer_denom()
        groups.setdefault(denom, []).append(numer)
    total = field.zero
    for denom, numers in groups.items():
        total += field(sum((ring.from_expr(n) for n in numers), ring.zero)) / field(ring.from_expr(denom))
    return total


def _zero_rational(c) -> bool:
    if c == 0:
        return True
    if _plainly_nonzero(c):
        return False
    f = _as_fraction(c)
    if f is not None:
        return f == 0
    numer, _ = sp.fraction(sp.together(c))
    return sp.expand(numer) == 0


def _free_of(c, symbols) -> bool:
    """c does not depend on symbols: its derivative in each of them vanishes."""
    moving = c.free_symbols & symbols
    if not moving:
        return True
    f = _as_fraction(c)
    if f is not None:
        return all(f.diff(f.field.from_expr(s)) == 0 for s in moving)
    return all(_zero_rational(sp.diff(c, s)) for s in moving)


def vanishes(expr) -> bool:
    """True iff SymPy shows expr == 0 (positive/real symbols, logs split with force).

    After splitting logs, the remaining log atoms are treated as independent
    unknowns: the expression vanishes if the rational coefficient of every
    log-monomial does.  That is sufficient (it never proves a false identity) and
    much cheaper than cancelling the whole expression at once.  A floating-point
    probe rejects plainly non-zero coefficients first, so wrong variants fail fast.

    force=True splits log(ab) without asking whether a, b > 0.  The slides only take
    logs of densities and probabilities, and the numeric half of every check
    evaluates real logarithms, so a split that relied on a negative factor would
    fail there.
    """
    return all(_zero_rational(c) for _, c in _log_parts(expr))


def independent_of(expr, symbols) -> bool:
    """True iff SymPy shows expr does not depend on `symbols`: every log-monomial that
    involves them has a zero coefficient, and every other coefficient has zero
    derivative in them (again sufficient, never a false proof)."""
    symbols = set(symbols)
    for mono, coef in _log_parts(expr):
        if mono.free_symbols & symbols:
            if not _zero_rational(coef):
                return False
        elif not _free_of(coef, symbols):
            return False
    return True


def _plainly_nonzero(e) -> bool:
    rng = np.random.default_rng(SEED)
    point = {s: sp.Float(rng.uniform(0.3, 2.0)) for s in e.free_symbols}
    try:
        val = complex(e.xreplace(point).evalf())
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return not (abs(val) < 1e-6)  # one point: a coefficient that looks zero there goes to the exact test


# --------------------------------------------------------------------------- #
# numeric helpers

DEFAULT_POINTS = 256
RTOL = 1e-8


def _flat(a, n: int) -> np.ndarray:
    """Per-point values as shape (n,), whether a quantity came out as a scalar or (n, 1, 1)."""
    return np.broadcast_to(np.asarray(a, dtype=float), (n,) + (1,) * AXES).reshape(n)


def _evaluate(fx: Fixture, fns: Sequence[Callable], u: np.ndarray) -> list[np.ndarray]:
    model = fx.numeric_model(fx.num_space.from_unit(u))
    with np.errstate(all="ignore"):
        return [_flat(fn(model), u.shape[0]) for fn in fns]


def _rng(tag: str) -> np.random.Generator:
    return np.random.default_rng([SEED, *tag.encode()])


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> tuple[bool, float]:
    scale = 1.0 + np.abs(a) + np.abs(b)
    err = np.abs(a - b) / scale
    bad = ~np.isfinite(err)
    worst = float(np.max(np.where(bad, np.inf, err))) if err.size else 0.0
    return (not bad.any()) and worst <= rtol, worst


# --------------------------------------------------------------------------- #
# relations


Expr = Callable  # model -> expression (sympy expr or ndarray)


def _memo(fn):
    """Cache engine calls: the same identity on two slides (e.g. Q <=> bound) is proven once.
    Wrong variants pass fresh lambdas, so they are never served from the cache."""
    cached = lru_cache(maxsize=None)(fn)

    def call(*args, **kw):
        try:
            return cached(*args, **kw)
        except TypeError:  # unhashable argument
            return fn(*args, **kw)

    call.__doc__, call.__name__, call.__wrapped__ = fn.__doc__, fn.__name__, fn
    return call


@_memo
def equal(lhs: Expr, rhs: Expr, fixtures: Iterable[Fixture], *, rtol: float = RTOL,
          points: int = DEFAULT_POINTS) -> Outcome:
    """lhs and rhs are the same function of every parameter."""
    notes, errors, ok, n, sym = [], [], True, 0, False
    for fx in fixtures:
        if fx.sym_space is not None:
            sym = True
            m = fx.symbolic_model()
            if not vanishes(lhs(m) - rhs(m)):
                ok = False
                notes.append(f"{fx.name}: SymPy does not reduce lhs - rhs to 0")
        u = _rng(fx.name + "=").random((points, fx.num_space.dim))
        a, b = _evaluate(fx, (lhs, rhs), u)
        good, worst = _close(a, b, rtol)
        n += points
        errors.append(worst)
        if not good:
            ok = False
            k = int(np.nanargmax(np.abs(a - b) / (1 + np.abs(a) + np.abs(b))))
            notes.append(f"{fx.name}: lhs={a[k]:.6g} rhs={b[k]:.6g} at a random point (rel. err {worst:.2g})")
    return Outcome(ok, _method(sym), n, rtol, "; ".join(notes) or f"equal (worst relative error {max(errors):.2g})",
                   sides=(lhs, rhs))


@_memo
def equivalent(lhs: Expr, rhs: Expr, wrt: str, fixtures: Iterable[Fixture], *, rtol: float = RTOL,
               bases: int = 32, moves: int = 8) -> Outcome:
    """lhs - rhs does not depend on the parameter group `wrt` (same maximisers in it)."""
    notes, spreads, ok, n, sym = [], [], True, 0, False
    for fx in fixtures:
        if fx.sym_space is not None:
            sym = True
            m = fx.symbolic_model()
            if not independent_of(lhs(m) - rhs(m), fx.sym_space.symbols()[wrt].values()):
                ok = False
                notes.append(f"{fx.name}: SymPy finds lhs - rhs depends on {wrt}")
        rng = _rng(fx.name + "<=>" + wrt)
        base = rng.random((bases, fx.num_space.dim))
        u = np.repeat(base, moves, axis=0)
        cols = fx.num_space.columns(wrt)
        u[:, cols] = rng.random((bases * moves, len(cols)))
        a, b = _evaluate(fx, (lhs, rhs), u)
        diff = (a - b).reshape(bases, moves)
        scale = 1.0 + (np.abs(a) + np.abs(b)).reshape(bases, moves).max(axis=1)
        spread = (diff.max(axis=1) - diff.min(axis=1)) / scale
        n += bases * moves
        spreads.append(float(np.nanmax(spread)))
        if not np.all(np.isfinite(spread)) or spread.max() > rtol:
            ok = False
            notes.append(f"{fx.name}: lhs - rhs changes by {np.nanmax(spread):.3g} (relative) while {wrt} moves")
    return Outcome(ok, _method(sym), n, rtol, "; ".join(notes) or
                   f"differ by a term constant in {wrt} (largest relative drift {max(spreads):.2g})",
                   sides=(lhs, rhs), wrt=wrt)


def _method(symbolic: bool) -> str:
    return "symbolic + numeric" if symbolic else "numeric"


# --- certificates ---------------------------------------------------------- #


@dataclass
class Term:
    """coef * atom with atom >= 0 for a stated reason; value() is the exact amount."""

    coef: object
    kind: str
    args: tuple
    reason: str = field(default="")

    def value(self):
        if self.kind == "gibbs":
            (t,) = self.args
            return self.coef * gibbs(t)
        if self.kind == "expected_gibbs":
            dist, t = self.args
            return self.coef * dist.expect(lambda z: gibbs(t(z)))
        if self.kind == "kl":
            p, q = self.args
            return self.coef * p.kl(q)
        if self.kind == "square":
            (e,) = self.args
            return self.coef * e**2
        if self.kind == "nonneg":
            return self.coef * self.args[0]
        raise ValueError(self.kind)

    def sign_proof(self) -> str | None:
        """None if SymPy confirms the term is >= 0 (symbolic instance), else why not."""
        if not sp.sympify(self.coef).is_nonnegative:
            return f"coefficient {self.coef} not known to be >= 0"
        if self.kind == "gibbs" and not sp.sympify(self.args[0]).is_positive:
            return f"Gibbs argument {self.args[0]} not known to be > 0"
        if self.kind == "expected_gibbs":
            dist, t = self.args
            if not is_distribution(dist):
                return "weights are not a probability distribution"
            support = [sp.Dummy("z", real=True)] if isinstance(dist, Normal) else range(len(dist.probs))
            if not all(sp.sympify(t(z)).is_positive for z in support):
                return "Gibbs argument not known to be > 0"
        if self.kind == "kl" and not (is_distribution(self.args[0]) and is_distribution(self.args[1])):
            return "KL between non-distributions"
        if self.kind == "square" and not sp.sympify(self.args[0]).is_real:
            return f"{self.args[0]} not known to be real"
        if self.kind == "nonneg" and not sp.sympify(self.args[0]).is_nonnegative:
            return f"{self.args[0]} not known to be >= 0"
        return None


def gibbs(t):
    """G(t) = t - 1 - log t >= 0 for t > 0, with equality iff t = 1 (see gibbs_lemma)."""
    return t - 1 - (sp.log(t) if isinstance(t, sp.Basic) else np.log(t))


def gibbs_term(t, coef=1) -> Term:
    return Term(coef, "gibbs", (t,), "t - 1 - log t >= 0")


def expected_gibbs(dist, t: Callable, coef=1) -> Term:
    return Term(coef, "expected_gibbs", (dist, t), "E[t - 1 - log t] >= 0")


def kl_term(p, q, coef=1) -> Term:
    return Term(coef, "kl", (p, q), "KL >= 0 (kl-nonnegative)")


def square(e, coef=1) -> Term:
    return Term(coef, "square", (e,), "square")


def nonneg(e) -> Term:
    return Term(1, "nonneg", (e,), "positive by assumptions")


@lru_cache(maxsize=None)
def gibbs_lemma() -> Outcome:
    """G(t) = t - 1 - log t is >= 0 on t > 0 and vanishes only at t = 1.

    G(1) = 0, G'(t) = 1 - 1/t vanishes only at t = 1 and G''(t) = 1/t^2 > 0, so
    t = 1 is the unique global minimum.  Every inequality certificate rests on this.
    """
    t = sp.Symbol("t", positive=True)
    g = gibbs(t)
    # G'(t) = numer / denom: its zeros on t > 0 are the positive roots of numer, once denom > 0 there and
    # every root of numer is found (the multiplicities add up to its degree); no general solve needed.
    numer, denom = sp.fraction(sp.together(sp.diff(g, t)))
    poly = sp.Poly(numer, t)
    roots = sp.roots(poly)
    crit = sorted(r for r in roots if r.is_positive)
    ok = (g.subs(t, 1) == 0 and sum(roots.values()) == poly.degree() and crit == [1]
          and sp.sympify(denom).is_positive and sp.diff(g, t, 2).is_positive)
    grid = np.exp(np.linspace(-12, 12, 4001))
    vals = grid - 1 - np.log(grid)
    ok_num = bool(np.all(vals >= 0) and vals[np.abs(grid - 1) > 1e-3].min() > 0)
    return Outcome(bool(ok) and ok_num, "symbolic + numeric", grid.size, 0.0,
                   "G(t) = t - 1 - log t >= 0, = 0 only at t = 1" if ok else "Gibbs lemma failed")


@_memo
def bound(lhs: Expr, rhs: Expr, relation: str, certificate: Callable, fixtures: Iterable[Fixture], *,
          rtol: float = RTOL, points: int = 1024, search_rounds: int = 12) -> Outcome:
    """lhs <= rhs (or >=) everywhere: slack == sum of certified non-negative terms exactly
    (symbolic), and no point in the sampling box where the slack is negative (numeric)."""
    if relation not in ("<=", ">="):
        raise ValueError(relation)

    def slack(m):
        return rhs(m) - lhs(m) if relation == "<=" else lhs(m) - rhs(m)

    def relative_slack(m):
        a, b = lhs(m), rhs(m)
        return (b - a if relation == "<=" else a - b) / (1.0 + np.abs(a) + np.abs(b))

    def cert_value(m):
        return sum(t.value() for t in certificate(m))

    notes, margins, ok, n, sym = [], [], True, 0, False
    for fx in fixtures:
        if fx.sym_space is not None:
            sym = True
            m = fx.symbolic_model()
            terms = certificate(m)
            if any(t.kind in ("gibbs", "expected_gibbs") for t in terms) and not gibbs_lemma().ok:
                ok = False
                notes.append("the Gibbs lemma failed")
            if not vanishes(slack(m) - sum(t.value() for t in terms)):
                ok = False
                notes.append(f"{fx.name}: slack is not the certificate {[t.reason for t in terms]}")
            for t in terms:
                why = t.sign_proof()
                if why:
                    ok = False
                    notes.append(f"{fx.name}: {why}")
        worst, where, k = _search_min(fx, relative_slack, points, search_rounds)
        n += k
        margins.append(worst)
        s, c = _evaluate(fx, (slack, cert_value), where[None, :])
        if worst < -rtol:
            ok = False
            notes.append(f"{fx.name}: counterexample, slack {worst:.3g} < 0")
        good, err = _close(s, c, max(rtol, 1e-7))
        if not good:
            ok = False
            notes.append(f"{fx.name}: certificate differs from slack numerically ({err:.2g})")
    summary = f"{relation} holds (smallest relative slack found {min(margins):.3g})" if margins else ""
    return Outcome(ok, _method(sym) + " search", n, rtol, "; ".join(notes) or summary, sides=(lhs, rhs))


def _search_min(fx: Fixture, fn: Expr, points: int, rounds: int):
    """Smallest relative value of fn found: random points, then shrinking local searches
    around the worst few. Returns (worst, its unit-cube point, evaluations)."""
    rng = _rng(fx.name + "search")
    d = fx.num_space.dim
    u = rng.random((points, d))
    (v,) = _evaluate(fx, (fn,), u)
    v = np.where(np.isfinite(v), v, -np.inf)
    evals = points
    keep, fan, sigma = 8, 16, 0.15
    for _ in range(rounds):
        best = np.argsort(v)[:keep]
        cand = np.clip(np.repeat(u[best], fan, axis=0) + sigma * rng.standard_normal((keep * fan, d)), 0, 1)
        (cv,) = _evaluate(fx, (fn,), cand)
        cv = np.where(np.isfinite(cv), cv, -np.inf)
        u, v = np.vstack([u[best], cand]), np.concatenate([v[best], cv])
        evals += keep * fan
        sigma *= 0.7
    k = int(np.argmin(v))
    return float(v[k]), u[k], evals


def positive_where(fn: Expr, fixture: Fixture, condition: Callable, *, points: int = 512) -> Outcome:
    """fn > 0 at every sampled point where condition holds: the strict half of a '>= 0,
    with equality only when ...' claim (the symbolic half is the Gibbs lemma)."""
    u = _rng(fixture.name + ">0").random((points, fixture.num_space.dim))
    model = fixture.numeric_model(fixture.num_space.from_unit(u))
    with np.errstate(all="ignore"):
        v, mask = _flat(fn(model), points), _flat(condition(model), points).astype(bool)
    ok = bool(mask.any() and np.all(v[mask] > 0))
    low = float(v[mask].min()) if mask.any() else float("nan")
    return Outcome(ok, "numeric", int(mask.sum()), 0.0,
                   f"{fixture.name}: strictly positive at {int(mask.sum())} points (min {low:.3g})"
                   if ok else f"{fixture.name}: not strictly positive (min {low:.3g})")


def chain(*exprs: Expr, fixtures: Iterable[Fixture], **kw) -> Outcome:
    """A = B = C within one row: every consecutive pair is equal."""
    fixtures = tuple(fixtures)
    return combine(*(equal(a, b, fixtures, **kw) for a, b in zip(exprs, exprs[1:])))


def numeric(ok: bool, points: int, tolerance: float, detail: str, method: str = "numeric") -> Outcome:
    return Outcome(bool(ok), method, points, tolerance, detail)
