r"""Relations between vectors and matrices, evaluated on random instances of a linear-algebra notation.

Each instance draws the sizes (d, L …), then every symbol a relation needs, lazily, with
its declared properties; a relation must hold on every instance and, for an index the
notation gives a range (i, j of q_i, k_j) that the relation leaves free, at every value.

Definitions come from the slides themselves: a statement `X := …` or `X = …` whose left
side the notation does not declare (A_{ij}, S_{ij}, θ_i = b^{-2i/d}, R_{i,θ} := [matrix
with \cdots]) defines X for the relations of its slide and of every later slide — so what
is checked is what is shown, and the notation holds no second copy. A definition is never
checked; every other relation is.

Verdicts: holds / does not hold (with the values) / not evaluable (why) / undecided (a
Monte Carlo bound that cannot separate the sides).
"""
from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass, fields, replace

import numpy as np

from . import linalg as la
from . import limits
from .errors import NotEvaluable
from .expr import (Add, Chain, Div, Dots, Expect, Func, Hadamard, Index, Inner, Label, Labelled, Matrix, Mul, Neg,
                   Node, Norm, Num, Optimum, Pow, Range, Stack, Sum, Sym, Vector, Words, free_symbols, key)
from .linnotation import LinearNotation, Scope, family_key
from .randomvars import RandomVector, Uncertain, expectation, linear, parts
from .said import INSTANCES, LIMIT, Said
from .syntax import MARKS

SEED = 20251218
RTOL = 1e-8
OPTIMUM_RTOL = 1e-5  # a numeric optimum is only as good as the optimiser
MC_MAX_INSTANCES = 3
MAX_ASSIGNMENTS = 400
BUILTIN = {"\\pi": np.pi}


@dataclass(frozen=True)
class Definition:
    """lhs := body, from a slide; the letters of lhs's subscript are bound where it is used."""

    lhs: Sym
    body: Node


@dataclass(frozen=True)
class Verdict:
    ok: bool | None  # None: undecided (a Monte Carlo bound too wide)
    detail: str
    said: tuple[Said, ...] = ()  # why it holds, as facts (said.py)
    failure: dict | None = None  # where it fails: {"lhs", "rhs"} as shown, "at" (the indices), "sizes" (the instance's)


# --------------------------------------------------------------------------- #
# one instance


class Instance:
    """Sizes and symbol values of one random draw; values are drawn when first needed, then kept."""

    def __init__(self, nt: LinearNotation, scope: Scope, definitions: dict[str, Definition], number: int):
        self.nt, self.scope, self.definitions = nt, scope, definitions
        self.rng = np.random.default_rng([SEED, zlib.crc32(nt.name.encode()), number])
        self.number = number
        self.sizes = {}
        for key, size in nt.sizes.items():
            values = [v for v in range(size.lo, size.hi + 1) if not size.even or v % 2 == 0]
            self.sizes[key] = int(self.rng.choice(values))
        self.values: dict[tuple, object] = {}
        self.randoms: dict[tuple, RandomVector] = {}
        self.patterns: dict[tuple, object] = {}  # matrices with dots, by the values of the letters they use
        self.letters: dict[int, tuple[Node, frozenset[str]]] = {}

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())


def _int(v, what: str) -> int:
    arr = np.unique(np.asarray(parts(v)[0], dtype=float))
    if not la.is_scalar(v) or arr.size != 1 or arr[0] != round(arr[0]):
        raise NotEvaluable(f"{what} is not a whole number")
    return int(round(arr[0]))


class Walker:
    """Evaluates a meaning tree (expr.py) at one instance; env binds indices and sampled random vectors."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.nt, self.scope = inst.nt, inst.scope

    # ----------------------------------------------------------------- #

    def ev(self, node: Node, env: dict):
        limits.tick(node.pos)
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            raise NotEvaluable(f"{type(node).__name__} with vectors and matrices", node.pos)
        try:
            return method(node, env)
        except la.ShapeError as exc:
            if getattr(exc, "pos", None) is None:
                exc.pos = node.pos
            raise

    def _num(self, node: Num, env):
        return np.array([node.value])

    def _neg(self, node: Neg, env):
        v = self.ev(node.arg, env)
        return linear("neg", v) if isinstance(v, Uncertain) else la.neg(v)

    def _add(self, node: Add, env):
        total = self.ev(node.terms[0], env)
        for term in node.terms[1:]:
            v = self.ev(term, env)
            total = linear("add", total, v) if isinstance(total, Uncertain) or isinstance(v, Uncertain) \
                else la.add(total, v)
        return total

    def _mul(self, node: Mul, env):
        total = self.ev(node.factors[0], env)
        for factor in node.factors[1:]:
            total = self._binary("mul", total, self.ev(factor, env))
        return total

    def _binary(self, op: str, a, b):
        if isinstance(a, Uncertain) or isinstance(b, Uncertain):
            return linear(op, a, b)
        return la.mul(a, b) if op == "mul" else la.div(a, b)

    def _div(self, node: Div, env):
        return self._binary("div", self.ev(node.num, env), self.ev(node.den, env))

    def _exact(self, node: Node, env):
        v = self.ev(node, env)
        if isinstance(v, Uncertain):
            raise NotEvaluable("a Monte Carlo estimate inside a non-linear expression", node.pos)
        return v

    def _pow(self, node: Pow, env):
        return la.power(self._exact(node.base, env), self._exact(node.exp, env))

    def _func(self, node: Func, env):
        if node.name not in la.FUNCTIONS:
            raise NotEvaluable(f"the function {node.name}", node.pos)
        return la.FUNCTIONS[node.name](self._exact(node.arg, env))

    def _inner(self, node: Inner, env):
        return la.inner(self._exact(node.left, env), self._exact(node.right, env))

    def _norm(self, node: Norm, env):
        return la.norm(self._exact(node.arg, env), node.kind)

    def _hadamard(self, node: Hadamard, env):
        return la.hadamard(self._exact(node.left, env), self._exact(node.right, env))

    def _index(self, node: Index, env):
        value = self._exact(node.base, env)
        idx = _sub_parts(node.sub, 2)
        if la.is_scalar(value) or isinstance(value, la.Eye):
            raise la.ShapeError(f"an entry of {la.shape(value)}")
        return self.entry(value, idx, env)

    def entry(self, value, idx: list[Node], env):
        """value_{i} or value_{ij}, counted from the notation's first index."""
        rows, cols = value.shape[-2:]
        first = self.nt.first_index
        at = [_int(self.ev(p, env), "an entry's index") - first for p in idx]
        if len(at) == 1 and cols == 1:
            at = [at[0], 0]
        elif len(at) == 1 and rows == 1:
            at = [0, at[0]]
        if len(at) != 2 or not (0 <= at[0] < rows and 0 <= at[1] < cols):
            raise la.ShapeError(f"entry {tuple(a + first for a in at)} of {la.shape(value)} "
                                f"(entries count from {first})")
        return value[:, at[0], at[1]]

    def _vector(self, node: Vector, env):
        return la.column([self._exact(p, env) for p in node.parts])

    def _matrix(self, node: Matrix, env):
        if any(isinstance(c, Dots) for row in node.cells for c in row):
            key = self._pattern_key(node, env)  # R_{i,θ} is the same matrix for every j of an (i, j) sweep
            if key is None:
                return _pattern_matrix(node, self, env)
            if key not in self.inst.patterns:
                self.inst.patterns[key] = _pattern_matrix(node, self, env)
            return self.inst.patterns[key]
        return la.block([[self._exact(c, env) for c in row] for row in node.cells])

    def _stack(self, node: Stack, env):
        raise NotEvaluable("a list [a, …, b]: write a matrix as \\begin{bmatrix}…\\end{bmatrix} (rows or columns?)",
                           node.pos)

    def stack_entries(self, node: Stack, env) -> list:
        """The vectors a list [x_0, …, x_{n-1}, x_{n-1}] holds: the dots stand for the values of the one
        index in which their neighbours differ, between the two."""
        items, out = node.items, []
        for k, item in enumerate(items):
            if not isinstance(item, Dots):
                out.append(item)
                continue
            if k == 0 or k == len(items) - 1 or isinstance(items[k - 1], Dots) or isinstance(items[k + 1], Dots):
                raise NotEvaluable("dots in a list without an entry on each side", item.pos)
            paths = _differences(items[k - 1], items[k + 1])
            if len(paths) != 1:
                raise NotEvaluable("dots between entries that differ in other than one index", item.pos)
            path, first, last = paths[0]
            lo, hi = (_int(self._exact(x, env), "an index of a list with dots") for x in (first, last))
            out.extend(_put(items[k - 1], path, Num(float(v))) for v in range(lo + 1, hi))
        return [self._exact(x, env) for x in out]

    def _label(self, node: Label, env):
        raise NotEvaluable(f"the label {node.text}: the name of an item on the slide, not a quantity", node.pos)

    def _pattern_key(self, node: Matrix, env) -> tuple | None:
        """The matrix and the values of every letter it can depend on (its own, and those of the slide
        definitions and abbreviations it uses), when these are plain numbers (not samples)."""
        known = self.inst.letters.get(id(node))
        if known is None or known[0] is not node:
            known = self.inst.letters[id(node)] = (node, frozenset(self._letters(node, set())))
        values = []
        for k in sorted(known[1] & set(env)):
            v = env[k]
            if not isinstance(v, np.ndarray) or v.size != 1:
                return None
            values.append((k, float(v.reshape(-1)[0])))
        return id(node), tuple(values)

    def _letters(self, node: Node, seen: set[str]) -> set[str]:
        out = set(free_symbols(node))
        for n in node.walk():
            if not isinstance(n, Sym):
                continue
            for name, body in ((defined_name(n), self.inst.definitions.get(defined_name(n))),
                               (n.base().key(), self.scope.abbreviations.get(n.base().key()))):
                if body is not None and name not in seen:
                    seen.add(name)
                    out |= self._letters(body.body if isinstance(body, Definition) else body[1], seen)
        return out

    def _sum(self, node: Sum, env):
        key = node.var.key()
        if node.lo is None:
            if key not in self.scope.indices:
                raise NotEvaluable(f"\\sum_{{{key}}} without bounds, and the notation gives {key} no range "
                                   f"(indices: {{{key}: {{from: 0, to: 'L-1'}}}})", node.pos)
            lo, hi = (self._bound(b.node, env) for b in self.scope.indices[key])
        else:
            lo, hi = _int(self.ev(node.lo, env), "a sum's lower bound"), _int(self.ev(node.hi, env),
                                                                               "a sum's upper bound")
        total = None
        for value in range(lo, hi + 1):
            term = self.ev(node.body, {**env, key: np.array([float(value)])})
            if total is None:
                total = term
            elif node.product:
                total = self._binary("mul", total, term)
            else:
                total = linear("add", total, term) if isinstance(total, Uncertain) or isinstance(term, Uncertain) \
                    else la.add(total, term)
        if total is None:
            return np.array([1.0 if node.product else 0.0])
        return total

    def _bound(self, node: Node, env) -> int:
        return _int(self.ev(node, env), "a bound of a range")

    def index_range(self, key: str, env) -> range:
        lo, hi = (self._bound(b.node, env) for b in self.scope.indices[key])
        return range(lo, hi + 1)

    # ----------------------------------------------------------------- #
    # symbols

    def _sym(self, node: Sym, env):
        key = node.key()
        if key in env:
            return env[key]
        if key in self.inst.sizes:
            return np.array([float(self.inst.sizes[key])])
        found = self._lookup(node, env)
        if found is not None:
            return found
        if isinstance(node.sup, Label) or isinstance(node.sup, Vector) and \
                any(isinstance(p, Label) for p in node.sup.parts):
            raise NotEvaluable(f"the symbol {key} (x^{{(L)}} names x at layer L, it is no power): declare it in "
                               "the notation", node.pos)
        if node.sup is not None:  # θ^2, A^{-1}, W^k: a power of what the letter is
            return la.power(self._exact(replace(node, sup=None), env), self._exact(node.sup, env))
        if node.key() in self.scope.indices:
            raise NotEvaluable(f"the index {key} has no value here (no sum or range binds it)", node.pos)
        raise NotEvaluable(f"the symbol {key}: declare it in the notation or define it on a slide", node.pos)

    def _lookup(self, node: Sym, env):
        key, base = node.key(), node.base().key()
        definition = self.inst.definitions.get(defined_name(node))
        if definition is not None:
            bound = _match(definition.lhs, node, self, env)
            if bound is not None:
                return self.ev(definition.body, {**env, **bound})
        if key in self.scope.symbols:
            return self._value(self.scope.symbols[key], (key,), env)
        family = self.scope.families.get(family_key(node))
        if family is not None and node.sub is not None:
            at = _int(self.ev(node.sub, env), f"the index of {key}")
            allowed = self.index_range(family.index, env)
            if at not in allowed:
                raise NotEvaluable(f"{key} with index {at}, outside the range {allowed.start}..{allowed.stop - 1} "
                                   f"the notation gives {family.index}", node.pos)
            if family.kind == "attention":
                outputs = self._attention(family, env)
                if at >= len(outputs):
                    raise NotEvaluable(f"{key}: position {at} of a sequence of {len(outputs)}", node.pos)
                return outputs[at][None, :, None]
            return self._value(family, (family_key(node), at), env)
        whole = self.scope.symbols.get(base)
        if whole is not None and whole.kind in ("vector", "matrix") and node.sub is not None and node.sup is None:
            return self.entry(self._value(whole, (base,), env), _sub_parts(node.sub, 2), env)  # p_i: an entry
        abbreviation = self.scope.abbreviations.get(base)
        if abbreviation is not None:
            bound = _match(abbreviation[0], node, self, env)
            if bound is not None:
                return self.ev(abbreviation[1], {**env, **bound})
        if key == "I":
            return la.Eye()
        if key in BUILTIN:
            return np.array([BUILTIN[key]])
        return None

    def _value(self, symbol, slot: tuple, env):
        if symbol.distribution is not None:
            return self.random(symbol, slot, env).sample
        if slot not in self.inst.values:
            self.inst.values[slot] = self._draw(symbol, env)
        return self.inst.values[slot]

    def _attention(self, symbol, env) -> np.ndarray:
        """The outputs (one row per position) of `layers` layers of causal softmax attention without
        positional encoding, h ← softmax(h W_Q (h W_K)^T / √d, causal) h W_V, on the rows of the sequence.
        The weights are drawn once per instance and layer: every such symbol is the same network."""
        slot = ("\\@attention", symbol.sequence.key(), symbol.layers.key())
        if slot not in self.inst.values:
            h = self._tokens(symbol.sequence, env)
            n, d = h.shape
            layers = _int(self.ev(symbol.layers, env), f"the layers of {symbol.key}")
            for layer in range(layers):
                wq, wk, wv = self._attention_weights(d, layer)
                scores = (h @ wq.T) @ (h @ wk.T).T / np.sqrt(d)
                scores = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)
                weights = np.exp(scores - scores.max(axis=1, keepdims=True))
                h = (weights / weights.sum(axis=1, keepdims=True)) @ (h @ wv.T)
            self.inst.values[slot] = h
        return self.inst.values[slot]

    def _attention_weights(self, d: int, layer: int):
        """W_Q, W_K with entries N(0, 1/d) (the usual initialisation) and an orthogonal W_V, from a
        stream of their own: the same network whatever the sequence and its length."""
        slot = ("\\@attention-weights", d, layer)
        if slot not in self.inst.values:
            rng = np.random.default_rng([SEED, zlib.crc32(self.nt.name.encode()), self.inst.number, d, layer])
            wv, _ = np.linalg.qr(rng.standard_normal((d, d)))  # orthogonal: the tokens stay bounded
            wq, wk = (rng.standard_normal((d, d)) for _ in range(2))
            self.inst.values[slot] = (wq, wk, wv)
        return self.inst.values[slot]

    def _tokens(self, sequence: Sym, env) -> np.ndarray:
        """The rows of a declared matrix, or the vectors of the list a slide defines it as."""
        definition = self.inst.definitions.get(defined_name(sequence))
        if definition is not None and isinstance(definition.body, Stack):
            entries = self.stack_entries(definition.body, env)
            if any(la.is_scalar(e) or np.shape(e)[-1] != 1 or np.shape(e) != np.shape(entries[0]) for e in entries):
                raise NotEvaluable(f"the tokens of {sequence.key()} are not vectors of one size", sequence.pos)
            return np.stack([np.asarray(e, dtype=float)[0, :, 0] for e in entries])
        value = self._exact(sequence, env)
        if la.is_scalar(value) or isinstance(value, la.Eye):
            raise NotEvaluable(f"the sequence {sequence.key()} of an attention output is not a matrix", sequence.pos)
        return np.asarray(value, dtype=float)[0]

    def _dims(self, symbol, env) -> list[int]:
        return [_int(self.ev(d, env), f"a dimension of {symbol.key}") for d in symbol.shape]

    def _draw(self, symbol, env):
        rng = self.inst.rng
        if symbol.kind in ("scalar", "integer"):
            lo, hi = (float(parts(self.ev(b.node, env))[0][0]) for b in symbol.range)
            if symbol.kind == "integer":
                value = float(rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1))
            elif symbol.log:
                value = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            else:
                value = float(rng.uniform(lo, hi))
            return np.array([value])
        dims = self._dims(symbol, env)
        try:
            if symbol.kind == "vector":
                return la.random_vector(dims[0], symbol.properties, rng)[None]
            return la.random_matrix(dims[0], dims[1], symbol.properties, rng)[None]
        except ValueError as exc:
            raise NotEvaluable(f"{symbol.key}: {exc}") from None

    def random(self, symbol, slot: tuple, env) -> "_Random":
        if slot not in self.inst.randoms:
            n = self._dims(symbol, env)[0] if symbol.kind == "vector" else 1
            dist = symbol.distribution
            rng = self.inst.rng
            if dist.like is not None:  # identically distributed: the other's moments, an independent sample
                other = self.random(self.scope.symbols[dist.like], (dist.like,), env).moments
                self.inst.randoms[slot] = RandomVector(symbol.key, other.mean, other.cov, other.gaussian)
                sample = other.mean + _root(other.cov) @ rng.standard_normal((n, 1))
                self.inst.values[slot] = sample[None] if symbol.kind == "vector" else sample[None, 0, :1].reshape(1)
                return _Random(self.inst.randoms[slot], self.inst.values[slot], symbol.kind)
            mean = np.zeros((n, 1)) if dist.kind == "zero-mean" else \
                self._column(dist.mean, n, env, symbol.key) if dist.mean is not None else rng.standard_normal((n, 1))
            if dist.covariance is not None:
                cov = la.as_matrix(self._exact(dist.covariance, env), n)
                if not la.is_scalar(cov) and np.shape(cov)[-2:] != (n, n):
                    raise NotEvaluable(f"the covariance of {symbol.key} in the notation is {la.shape(cov)}, not "
                                       f"{n}×{n}: fix the notation", dist.covariance.pos)
                cov = np.broadcast_to(np.asarray(cov, dtype=float).reshape(-1, n, n)[0], (n, n)) if n > 1 or \
                    np.ndim(cov) == 3 else np.asarray(cov, dtype=float).reshape(1, 1)
            else:  # any covariance: a random one for each instance
                g = rng.standard_normal((n, n))
                cov = g @ g.T / n + 0.1 * np.eye(n)
            self.inst.randoms[slot] = RandomVector(symbol.key, mean, np.array(cov), dist.kind == "gaussian")
            sample = mean + _root(cov) @ rng.standard_normal((n, 1))
            self.inst.values[slot] = sample[None] if symbol.kind == "vector" else sample[None, 0, :1].reshape(1)
        return _Random(self.inst.randoms[slot], self.inst.values[slot], symbol.kind)

    def _column(self, node: Node, n: int, env, of: str) -> np.ndarray:
        v = self._exact(node, env)
        if la.is_scalar(v):
            return np.full((n, 1), float(v[0]))
        if v.shape[-2:] != (n, 1):  # a mistake in the notation, not in the formula
            raise NotEvaluable(f"the mean of {of} in the notation is {la.shape(v)}, not a vector of {n}: "
                               "fix the notation", node.pos)
        return v[0]

    # ----------------------------------------------------------------- #
    # expectations and optima

    def _expect(self, node: Expect, env):
        keys = _under_keys(node.under)
        free = free_symbols(node.body)
        randoms = {k for k in free if k in self.scope.symbols and self.scope.symbols[k].distribution is not None}
        if keys is None:
            keys = sorted(randoms)
        for k in keys:
            if k not in self.scope.symbols or self.scope.symbols[k].distribution is None:
                raise NotEvaluable(f"\\mathbb{{E}} over {k}, which the notation does not declare as random "
                                   "(give it a distribution)", node.pos)
        if not keys:
            return self.ev(node.body, env)
        variables = [self.random(self.scope.symbols[k], (k,), env) for k in keys]

        def body(samples: dict):
            values = {k: (s if variables[i].kind == "vector" else s[:, 0, 0]) for i, (k, s) in
                      enumerate(samples.items())}
            return self._exact(node.body, {**env, **values})

        return expectation(body, [v.moments for v in variables], self.inst.rng)

    def _optimum(self, node: Optimum, env):
        from scipy.optimize import minimize

        shapes, keys = [], []
        for var in node.vars:
            k = var.key()
            symbol = self.scope.symbols.get(k)
            if symbol is None or symbol.kind not in ("vector", "scalar") or symbol.distribution is not None:
                raise NotEvaluable(f"{node.kind} over {k}, which the notation does not declare as a vector or scalar",
                                   node.pos)
            shapes.append(self._dims(symbol, env)[0] if symbol.kind == "vector" else 0)
            keys.append(k)
        sizes = [max(s, 1) for s in shapes]
        sign = -1.0 if node.kind in ("max", "argmax") else 1.0

        def unpack(x):
            out, at = {}, 0
            for k, s, n in zip(keys, shapes, sizes):
                out[k] = x[at:at + n].reshape(1, n, 1) if s else x[at:at + 1]
                at += n
            return out

        def objective(x):
            v = self._exact(node.body, {**env, **unpack(x)})
            if not la.is_scalar(v):
                raise la.ShapeError(f"an objective of {la.shape(v)} (not a number)")
            return sign * float(v[0])

        best = None
        for _ in range(3):
            start = self.inst.rng.standard_normal(sum(sizes))
            res = minimize(objective, start, method="BFGS", options={"gtol": 1e-11, "maxiter": 2000})
            if best is None or res.fun < best.fun:
                best = res
        if node.kind in ("min", "max"):
            return np.array([sign * best.fun])
        if len(keys) != 1:
            raise NotEvaluable(f"{node.kind} over several variables as a value", node.pos)
        return unpack(best.x)[keys[0]]


def _root(cov: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(cov + 1e-12 * np.eye(len(cov)))


@dataclass(frozen=True)
class _Random:
    moments: RandomVector
    sample: object
    kind: str


def _under_keys(under: Node | None) -> list[str] | None:
    if under is None:
        return None
    items = under.parts if isinstance(under, Vector) else (under,)
    if not all(isinstance(s, Sym) for s in items):
        raise NotEvaluable("\\mathbb{E} under something other than random symbols", under.pos)
    return [s.key() for s in items]


def _sub_parts(sub: Node, arity: int) -> list[Node]:
    """The indices of a subscript: R_{i,θ} (a list), A_{ij} (letters side by side), q_i."""
    if isinstance(sub, Vector):
        return list(sub.parts)
    if isinstance(sub, Mul) and arity == len(sub.factors):
        return list(sub.factors)
    return [sub]


def _match(pattern: Sym, used: Sym, walker: Walker, env) -> dict | None:
    """Bindings of the pattern's index letters (R_{i,θ} against R_{j-i,θ}: i -> j - i), or None."""
    if used.sup != pattern.sup:  # θ^2 is a power of θ; X^* is its own definition
        return None
    if pattern.sub is None:
        return {} if used.sub is None else None
    if used.sub is None:
        return None
    want = _sub_parts(pattern.sub, 0)
    got = _sub_parts(used.sub, len(want))
    if len(want) != len(got):
        return None
    bound = {}
    for w, g in zip(want, got):
        if isinstance(w, Sym) and len(w.name) == 1 and w.sub is None and w.key() not in walker.inst.sizes:
            bound[w.key()] = walker._exact(g, env)
        elif w != g:
            return None
    return bound


# --------------------------------------------------------------------------- #
# a matrix written with \cdots, \vdots, \ddots


def _pattern_matrix(node: Matrix, walker: Walker, env):
    """A block-diagonal matrix shown by its first blocks and its last (the RoPE rotation):
    the blocks differ only where an index runs 0, 1, …, last; it is evaluated for every value."""
    cells = node.cells
    vrows = [r for r, row in enumerate(cells) if any(isinstance(c, Dots) and c.kind == "v" for c in row)]
    hcols = sorted({c for r, row in enumerate(cells) if r not in vrows for c, x in enumerate(row)
                    if isinstance(x, Dots)})

    def fail(why: str) -> NotEvaluable:
        return NotEvaluable(f"a matrix with dots that is not block-diagonal with a running index ({why}); "
                            "write it without \\cdots, or declare it in the notation", node.pos)

    if len(vrows) != 1 or len(hcols) != 1:
        raise fail("one row of \\vdots and one column of \\cdots")
    head_r, tail_r = list(range(vrows[0])), list(range(vrows[0] + 1, len(cells)))
    head_c, tail_c = list(range(hcols[0])), list(range(hcols[0] + 1, len(cells[0])))
    if len(head_r) != len(head_c) or len(tail_r) != len(tail_c) or not head_r or not tail_r:
        raise fail("as many rows as columns before and after the dots")
    size = next((b for b in range(1, len(tail_r) + 1) if len(head_r) % b == 0 and len(tail_r) % b == 0
                 and _off_blocks_zero(cells, head_r, head_c, tail_r, tail_c, b)), None)
    if size is None:
        raise fail("no block size leaves only zeros outside the diagonal blocks")
    blocks = [_block(cells, head_r[k:k + size], head_c[k:k + size]) for k in range(0, len(head_r), size)]
    tails = [_block(cells, tail_r[k:k + size], tail_c[k:k + size]) for k in range(0, len(tail_r), size)]
    if len(blocks) < 2 or len(tails) != 1:
        raise fail("at least two blocks before the dots and one after")
    paths = _differences(blocks[0], blocks[1])
    if not paths or not all(isinstance(a, Num) and isinstance(b, Num) for _, a, b in paths) or \
            len({(a.value, b.value) for _, a, b in paths}) != 1:
        raise fail("the first two blocks differ in other than an index 0, 1")
    first, second = paths[0][1].value, paths[0][2].value
    step = second - first
    last_paths = _differences(blocks[0], tails[0])
    if [p for p, _, _ in last_paths] != [p for p, _, _ in paths] or len({key(b) for _, _, b in last_paths}) != 1:
        raise fail("the last block differs from the first elsewhere than at the index")
    last = _int(walker.ev(last_paths[0][2], env), "the last index of a matrix with dots")
    count = (last - first) / step + 1
    if step == 0 or count != int(count) or count < 1:  # fewer blocks than shown at a small size: still the pattern
        raise fail("the index does not run from the first block to the last")
    runner = Sym("\\@index")
    template = blocks[0]
    for path, _, _ in paths:
        template = _put(template, path, runner)
    for k, shown in enumerate(blocks):  # every block shown is the pattern at its index
        if _put_all(template, paths, Num(first + k * step)) != shown:
            raise fail("a block shown does not follow the pattern")
    values = []
    for k in range(int(count)):
        cell_rows = template.cells
        values.append([[walker._exact(c, {**env, runner.key(): np.array([first + k * step])}) for c in row]
                       for row in cell_rows])
    batch = max(np.shape(c)[0] for b in values for row in b for c in row)
    out = np.zeros((batch, size * int(count), size * int(count)))
    for k, b in enumerate(values):
        out[:, k * size:(k + 1) * size, k * size:(k + 1) * size] = la.block(b).reshape(batch, size, size) \
            if size > 1 else np.asarray(la.block(b)).reshape(batch, 1, 1)
    return out


def _off_blocks_zero(cells, head_r, head_c, tail_r, tail_c, b: int) -> bool:
    rows = [(r, k) for k, r in enumerate(head_r)] + [(r, len(head_r) + 10 ** 6 + k) for k, r in enumerate(tail_r)]
    cols = [(c, k) for k, c in enumerate(head_c)] + [(c, len(head_c) + 10 ** 6 + k) for k, c in enumerate(tail_c)]
    for r, i in rows:
        for c, j in cols:
            if i // b != j // b or (i >= 10 ** 6) != (j >= 10 ** 6):
                x = cells[r][c]
                if not (isinstance(x, Num) and x.value == 0):
                    return False
    return True


def _block(cells, rows, cols) -> Matrix:
    return Matrix(tuple(tuple(cells[r][c] for c in cols) for r in rows))


def _differences(a: Node, b: Node, path: tuple = ()) -> list:
    """The smallest differing subtrees of two trees of the same shape: (path, a's, b's)."""
    if a == b:
        return []
    if type(a) is not type(b) or isinstance(a, (Num, Dots)):
        return [(path, a, b)]
    out = []
    for f in fields(a):
        if not f.compare:  # where it stands in the formula
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, Node) and isinstance(y, Node):
            out.extend(_differences(x, y, path + ((f.name, None),)))
        elif isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
            for k, (u, v) in enumerate(zip(x, y)):
                if isinstance(u, tuple) and isinstance(v, tuple) and len(u) == len(v):
                    for j, (s, t) in enumerate(zip(u, v)):
                        out.extend(_differences(s, t, path + ((f.name, (k, j)),)))
                elif isinstance(u, Node) and isinstance(v, Node):
                    out.extend(_differences(u, v, path + ((f.name, (k,)),)))
                elif u != v:
                    return [(path, a, b)]
        elif x != y:
            return [(path, a, b)]
    return out


def _put(node: Node, path: tuple, value: Node) -> Node:
    if not path:
        return value
    (name, at), rest = path[0], path[1:]
    child = getattr(node, name)
    if at is None:
        return replace(node, **{name: _put(child, rest, value)})
    items = list(child)
    if len(at) == 1:
        items[at[0]] = _put(items[at[0]], rest, value)
    else:
        inner = list(items[at[0]])
        inner[at[1]] = _put(inner[at[1]], rest, value)
        items[at[0]] = tuple(inner)
    return replace(node, **{name: tuple(items)})


def _put_all(node: Node, paths, value: Node) -> Node:
    for path, _, _ in paths:
        node = _put(node, path, value)
    return node


# --------------------------------------------------------------------------- #
# relations


@dataclass(frozen=True)
class Link:
    lhs: Node
    rel: str
    rhs: Node
    ranges: tuple[Range, ...] = ()  # '∀ m = 0..L-1' of the row


def check(link: Link, nt: LinearNotation, scope: Scope, definitions: dict[str, Definition]) -> Verdict:
    """The relation on every instance (and every value of a free index); raises NotEvaluable."""
    if link.rel in ("<=>", "->"):
        raise NotEvaluable(f"the relation {link.rel} between vectors and matrices", link.lhs.pos)
    if scope.limit is not None and any(isinstance(n, Sym) and n.key() == scope.limit.small
                                       for side in (link.lhs, link.rhs) for n in side.walk()):
        return _check_limit(link, nt, scope, definitions)
    needs_mc = False
    details, undecided = [], None
    tol = OPTIMUM_RTOL if _uses_optimum((link.lhs, link.rhs), definitions) else RTOL
    count = nt.instances
    k = 0
    while k < count:
        inst = Instance(nt, scope, definitions, k)
        walker = Walker(inst)
        try:
            verdict, mc = _check_instance(link, walker, tol)
        except la.ShapeError as exc:
            return Verdict(False, f"undefined as written: {exc} ({inst.describe()})")
        if mc and not needs_mc:
            needs_mc, count = True, min(count, MC_MAX_INSTANCES)
        if verdict.ok is False:
            failure = dict(verdict.failure, sizes=inst.describe()) if verdict.failure else None
            return Verdict(False, f"{verdict.detail} ({inst.describe()})", failure=failure)
        if verdict.ok is None:
            undecided = f"{verdict.detail} ({inst.describe()})"
        details.append(verdict.detail)
        k += 1
    if undecided:
        return Verdict(None, f"undecided: {undecided}")
    how = ("exact moments" if not needs_mc else "Monte Carlo") if _has_expect(link) else "numpy"
    text = f"{link.rel} holds on {count} random instances ({how})"
    return Verdict(True, text, (Said(INSTANCES, text, link.rel, count, how=how),))


LIMIT_SIZES = (8, 32, 128, 512)
LIMIT_INSTANCES = 4
LIMIT_RATE = 0.25  # f → 0 is read as falling at least like n^{-1/4} at every step of LIMIT_SIZES
LIMIT_ZERO = 1e-12


def _check_limit(link: Link, nt: LinearNotation, scope: Scope, definitions: dict[str, Definition]) -> Verdict:
    """'for large enough n, f ≤ ε under any ε' (f ≥ 0): f → 0 as n grows. f is computed at n = 8, 32,
    128, 512 on a few instances; it holds when the mean is 0, or falls at every step at least like
    n^{-1/4} (a level it settles at stops that), and fails otherwise, with the values. Evidence at four
    sizes, not a proof of the limit."""
    limit = scope.limit
    small = link.rhs
    if link.rel not in ("<=", "<") or not isinstance(small, Sym) or small.key() != limit.small or \
            any(isinstance(n, Sym) and n.key() == limit.small for n in link.lhs.walk()):
        raise NotEvaluable(f"{limit.small} stands for any small number on this slide: only 'f \\le {limit.small}' "
                           f"is read (as f → 0 while {limit.large} grows)", link.lhs.pos)
    means = []
    for n in LIMIT_SIZES:
        values = []
        for k in range(min(nt.instances, LIMIT_INSTANCES)):
            inst = Instance(nt, scope, definitions, k)
            inst.sizes[limit.large] = n
            walker = Walker(inst)
            try:
                for env in _assignments(link, walker):
                    values.append(float(np.max(np.asarray(parts(walker.ev(link.lhs, env))[0], dtype=float))))
            except la.ShapeError as exc:
                return Verdict(False, f"undefined as written: {exc} ({inst.describe()})")
        means.append(float(np.mean(values)))
    shown = ", ".join(f"{v:.3g}" for v in means)
    sizes = ", ".join(map(str, LIMIT_SIZES))
    if not all(np.isfinite(means)) or min(means) < 0:
        return Verdict(False, f"the left side is not a nonnegative number: {shown} at {limit.large} = {sizes}")
    facts = dict(rel=link.rel, draws=min(nt.instances, LIMIT_INSTANCES), names=(limit.large, limit.small),
                 points=LIMIT_SIZES, measured=tuple(means))
    if max(means) <= LIMIT_ZERO:
        text = f"holds as {limit.large} grows: the left side is 0 at {limit.large} = {sizes}"
        return Verdict(True, text, (Said(LIMIT, text, **facts),))
    steps = [np.log(a / b) / np.log(m / k) if a > 0 and b > 0 else (np.inf if b <= LIMIT_ZERO else -np.inf)
             for a, b, k, m in zip(means, means[1:], LIMIT_SIZES, LIMIT_SIZES[1:])]
    rate = min(steps)
    falls = rate >= LIMIT_RATE
    said = f"at {limit.large} = {sizes} the left side is {shown} (mean of {min(nt.instances, LIMIT_INSTANCES)} " \
           f"instances; at its slowest step like {limit.large}^{-rate:.2g})"
    if falls:
        text = f"→ 0 as {limit.large} grows, so ≤ any {limit.small} for large enough {limit.large}: " + said
        return Verdict(True, text, (Said(LIMIT, text, rate=float(rate) if np.isfinite(rate) else 0.0, **facts),))
    return Verdict(False, f"does not fall to 0 as {limit.large} grows: " + said)


def _has_expect(link: Link) -> bool:
    return any(isinstance(n, Expect) for side in (link.lhs, link.rhs) for n in side.walk())


def _check_instance(link: Link, walker: Walker, tol: float) -> tuple[Verdict, bool]:
    envs = list(_assignments(link, walker))
    mc = False
    for env in envs:
        if link.rel == "in":
            return _rhs(link, walker, env), False
        a, b = walker.ev(link.lhs, env), _rhs(link, walker, env)
        mc = mc or isinstance(a, Uncertain) or isinstance(b, Uncertain)
        verdict = compare(a, b, link.rel, tol)
        if verdict.ok is not True:
            where = ", ".join(f"{k}={_int(v, k)}" for k, v in env.items() if la.is_scalar(v) and np.size(v) == 1)
            failure = dict(verdict.failure, at=where) if verdict.failure and where else verdict.failure
            return Verdict(verdict.ok, verdict.detail + (f" at {where}" if where else ""), failure=failure), mc
    return Verdict(True, "holds"), mc


def _uses_optimum(nodes, definitions: dict[str, Definition], seen: frozenset = frozenset()) -> bool:
    """Does a side need a numeric optimum, itself or through a slide's definition (ŵ := argmin …)?"""
    for node in nodes:
        for n in node.walk():
            if isinstance(n, Optimum):
                return True
            if isinstance(n, Sym) and defined_name(n) in definitions and defined_name(n) not in seen:
                key = defined_name(n)
                if _uses_optimum((definitions[key].body,), definitions, seen | {key}):
                    return True
    return False


def _rhs(link: Link, walker: Walker, env):
    if link.rel != "in":
        return walker.ev(link.rhs, env)
    space = link.rhs
    if isinstance(link.lhs, Stack):
        return _stack_in(walker.stack_entries(link.lhs, env), space, walker, env)
    value = walker.ev(link.lhs, env)
    if not (isinstance(space, Sym) and space.name in ("\\mathbb{R}", "\\mathbb{N}")):
        raise NotEvaluable("\\in a set other than \\mathbb{R}^{…} or \\mathbb{N}", link.rhs.pos)
    if space.name == "\\mathbb{N}":
        if space.sub is not None and not (isinstance(space.sub, Sym) and space.sub.name in ("+", "*", "\\ast")):
            raise NotEvaluable(f"the set \\mathbb{{N}}_{{{key(space.sub)}}} (\\mathbb{{N}}_+ is known)", space.pos)
        ok = la.is_scalar(value) and np.all(np.asarray(value) == np.round(value)) and \
            np.all(np.asarray(value) >= (1 if space.sub is not None else 0))
        return Verdict(bool(ok), f"{'is' if ok else 'is not'} a natural number")
    want = _space_dims(space, walker, env)
    got = [] if la.is_scalar(value) else list(value.shape[-2:])
    if len(want) == 1 and got and got[-1] == 1:
        got = got[:1]
    ok = got == want
    return Verdict(ok, f"shape {got or 'scalar'}" + ("" if ok else f", not {want or 'scalar'}"))


def _space_dims(space: Sym, walker: Walker, env) -> list[int]:
    dims = [] if space.sup is None else _sub_parts(space.sup, 2) if not isinstance(space.sup, Mul) else \
        list(space.sup.factors)
    return [_int(walker.ev(d, env), "a dimension") for d in dims]


def _stack_in(entries: list, space: Node, walker: Walker, env) -> Verdict:
    """[x_0, …, x_{n-1}] ∈ ℝ^{a×b}: as many entries as one side of the shape says, each a vector of the
    other (rows or columns: the brackets do not say which)."""
    if not (isinstance(space, Sym) and space.name == "\\mathbb{R}"):
        raise NotEvaluable("a list in a set other than \\mathbb{R}^{…}", space.pos)
    shapes = {la.shape(v) for v in entries}
    if len(shapes) != 1 or any(la.is_scalar(v) or np.shape(v)[-1] != 1 for v in entries):
        return Verdict(False, f"the entries are not vectors of one size ({', '.join(sorted(map(str, shapes)))})")
    count, size = len(entries), int(np.shape(entries[0])[-2])
    want = _space_dims(space, walker, env)
    ok = want in ([count, size], [size, count])
    return Verdict(ok, f"{count} vectors of {size}" + ("" if ok else f", not a {' × '.join(map(str, want))} matrix"))


def _assignments(link: Link, walker: Walker):
    """Every value of each index the relation leaves free (and of each ∀ of its row)."""
    free = {k for side in (link.lhs, link.rhs) for k in free_symbols(side)}
    ranges = []
    for r in link.ranges:
        lo = _int(walker.ev(r.first[0], {}), "the start of a range")
        hi = _int(walker.ev(r.last, {}), "the end of a range")
        for v in r.vars:
            ranges.append((v.key(), range(lo, hi + 1)))
    for k in sorted(free):
        if k in walker.scope.indices and k not in dict(ranges) and k not in walker.inst.sizes:
            ranges.append((k, walker.index_range(k, {})))
    total = 1
    for _, values in ranges:
        total *= max(len(values), 1)
    if total > MAX_ASSIGNMENTS:
        raise NotEvaluable(f"{total} values of the free indices {', '.join(k for k, _ in ranges)}; "
                           "make their sizes smaller in the notation")
    for combo in itertools.product(*[values for _, values in ranges]):
        yield {k: np.array([float(v)]) for (k, _), v in zip(ranges, combo)}


def compare(a, b, rel: str, tol: float = RTOL) -> Verdict:
    (va, ba, _), (vb, bb, _) = parts(a), parts(b)
    if isinstance(va, la.Eye) or isinstance(vb, la.Eye):
        n = (vb if isinstance(va, la.Eye) else va)
        if isinstance(n, la.Eye) or la.is_scalar(n):
            va, vb = getattr(va, "scale", va), getattr(vb, "scale", vb)
        else:
            va, vb = la.as_matrix(va, n.shape[-1]), la.as_matrix(vb, n.shape[-1])
    va, vb = _zero_as(va, vb), _zero_as(vb, va)
    if la.is_scalar(va) != la.is_scalar(vb) or not la.is_scalar(va) and np.shape(va)[-2:] != np.shape(vb)[-2:]:
        return Verdict(False, f"the sides have different shapes: {la.shape(va)} and {la.shape(vb)}")
    va, vb = np.asarray(va, dtype=float), np.asarray(vb, dtype=float)
    if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb))):
        return Verdict(False, "a side is not finite")
    bound = np.asarray(ba, dtype=float) + np.asarray(bb, dtype=float)
    scale = 1.0 + np.abs(va) + np.abs(vb)
    diff = va - vb
    slack = tol * scale + bound
    shown = f"lhs = {_show(va)}, rhs = {_show(vb)}" + (f" (± {np.max(bound):.3g}, Monte Carlo)" if np.any(bound)
                                                        else "")
    sides = None if np.any(bound) else {"lhs": _show(va), "rhs": _show(vb)}  # with a bound: the sentence says it
    if rel in ("=", ":="):
        if np.all(np.abs(diff) <= tol * scale) and not np.any(bound):
            return Verdict(True, "holds")
        if np.any(np.abs(diff) > slack):
            return Verdict(False, shown, failure=sides)
        if np.all(bound <= 1e-3 * scale):
            return Verdict(True, "holds within the Monte Carlo bound")
        return Verdict(None, shown + ": the bound is too wide to decide")
    sign = {"<": -1, "<=": -1, ">": 1, ">=": 1}.get(rel)
    if sign is None:
        raise NotEvaluable(f"the relation {rel}")
    margin = sign * diff
    strict = rel in ("<", ">")
    if np.any(margin < -slack) or strict and np.any(margin <= 0) and not np.any(bound):
        return Verdict(False, shown, failure=sides)
    if np.all(margin > bound) or not np.any(bound):
        return Verdict(True, "holds")
    return Verdict(None, shown + ": within the Monte Carlo bound")


def _zero_as(v, other):
    """0 written against a vector or matrix is its zero (E[ε] = 0)."""
    if la.is_scalar(v) and not la.is_scalar(other) and not isinstance(other, la.Eye) and np.all(np.asarray(v) == 0):
        return np.zeros_like(np.asarray(other, dtype=float))
    return v


def _show(v: np.ndarray) -> str:
    flat = np.asarray(v).reshape(-1)
    if flat.size == 1:
        return f"{flat[0]:.6g}"
    return "[" + ", ".join(f"{x:.4g}" for x in flat[:6]) + (", …]" if flat.size > 6 else "]")


# --------------------------------------------------------------------------- #
# rows of a formula: definitions, ranges, relations


def definitions_in(statements: list[Node], nt: LinearNotation, title: str | None) -> dict[str, Definition]:
    """The statements that define a symbol the notation does not declare (their base letter -> definition)."""
    out = {}
    for stmt in statements:
        d = as_definition(stmt, nt, title)
        if d is not None:
            out.setdefault(defined_name(d.lhs), d)
    return out


def as_definition(stmt: Node, nt: LinearNotation, title: str | None) -> Definition | None:
    if isinstance(stmt, Labelled):
        return Definition(stmt.name, stmt.body)
    if not (isinstance(stmt, Chain) and stmt.exprs[0] is not None and isinstance(stmt.exprs[0], Sym)):
        return None
    lhs = stmt.exprs[0]
    if stmt.rels[0] not in ("=", ":=") or lhs.sup is not None and not _is_mark(lhs.sup) or nt.knows(lhs, title):
        return None
    return Definition(lhs, stmt.exprs[1])


def _is_mark(script: Node) -> bool:
    """X^*, x': a mark that names another symbol, not a power."""
    return isinstance(script, Sym) and (script.name in MARKS or script.name in ("'", "\\prime")) and script.sub is None


def defined_name(sym: Sym) -> str:
    """The key a definition is found by: the letter with its accent and mark (X^* is not X), no subscript."""
    return replace(sym.base(), sup=sym.sup).key() if sym.sup is not None and _is_mark(sym.sup) else sym.base().key()
