"""Walks the meaning tree of a formula and computes its value on one model instance.

One method per node type (dispatch on the class name). Symbols are resolved in a
fixed order — bound variables, parameters, the deck's named maximisers, powers,
indices, then the notation's counts, data, latents and abbreviations — and
anything left is not evaluable rather than guessed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .errors import NotEvaluable
from .expr import Call, Chain, Draw, Node, Sum, Sym
from .notation import Notation
from .values import (FUNCTIONS, DataVal, Density, LatentVal, ParamVal, Plate, add, div, integrate, mul, neg,
                     on_axis, power, real)

DATA_POINT = "#data"  # env key: the data point (1-based) of the innermost sum over the data
PLACEHOLDER = "\\cdot"


class Undefined(Exception):
    """The formula is understood but names something that does not exist (x_0, x_{N+1}): a wrong row."""


class Context:
    """One link evaluated on one instance: its draws, the axes allocated so far, and its free variables.

    Both sides of a link share one context, so a free x or z is the same axis on both.
    """

    def __init__(self, notation: Notation, instance, draws: dict[str, dict], plate: bool):
        self.notation, self.instance, self.draws, self.plate = notation, instance, draws, plate
        self.axes = 0
        self._free: dict[object, object] = {}

    def new_axis(self) -> int:
        self.axes += 1
        return self.axes - 1

    def free_data(self) -> DataVal:
        if "x" not in self._free:
            self._free["x"] = self.instance.all_data(self.new_axis())
        return self._free["x"]

    def free_latent(self, index: int | None = None):
        """A free z: one latent variable, or (when the link indexes z) one per data point."""
        if index is None and self.plate:
            return Plate(tuple(self.free_latent(j) for j in range(1, self.instance.N + 1)))
        if index not in self._free:
            nodes, _ = self.instance.nodes()
            self._free[index] = LatentVal(on_axis(nodes, self.new_axis()))
        return self._free[index]


class Evaluator:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.nt = ctx.notation
        self.model = ctx.instance

    def value(self, node: Node, env: dict):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise NotEvaluable(f"{type(node).__name__.lower()} inside an expression", node.pos)
        return method(node, env)

    # ----------------------------------------------------------------------- #
    # arithmetic

    def _Num(self, node, env):
        return node.value

    def _Neg(self, node, env):
        return neg(self.value(node.arg, env))

    def _Add(self, node, env):
        total = 0.0
        for term in node.terms:
            total = add(total, self.value(term, env))
        return total

    def _Mul(self, node, env):
        out = self.value(node.factors[0], env)
        for factor in node.factors[1:]:
            out = mul(out, self.value(factor, env))
        return out

    def _Div(self, node, env):
        return div(self.value(node.num, env), self.value(node.den, env))

    def _Pow(self, node, env):
        return power(self.value(node.base, env), self.value(node.exp, env))

    def _Func(self, node, env):
        return FUNCTIONS[node.name](self.value(node.arg, env))

    # ----------------------------------------------------------------------- #
    # symbols

    def _Sym(self, sym: Sym, env):
        full = sym.key()
        if full in env:
            return env[full]
        param = self.nt.parameter(full)
        if param is not None:
            return ParamVal(param.family, self.ctx.draws[param.draw])
        if full in self.nt.maximisers:
            raise NotEvaluable(f"{full} is a maximiser: its value is not computed", sym.pos)
        if sym.sup is not None:
            return power(self._Sym(replace(sym, sup=None), env), self.value(sym.sup, env))
        if sym.sub is not None:
            return self._indexed(sym, env)
        return self._plain(sym, env)

    def _plain(self, sym: Sym, env):
        k = sym.key()
        if k in self.nt.counts:
            return self.model.count(self.nt.counts[k])
        if k == self.nt.data:
            return self.ctx.free_data()
        if k == self.nt.latent:
            return self.ctx.free_latent()
        if k in self.nt.abbreviations:
            return self.value(self.nt.abbreviations[k], self._at_data_point(env))
        raise NotEvaluable(f"the symbol {k}", sym.pos)

    def _indexed(self, sym: Sym, env):
        base = sym.base().key()
        if base == self.nt.data and _free_index(sym, env, self.nt):
            return self.ctx.free_data()
        if base not in env and base not in (self.nt.data, self.nt.latent) and base not in self.nt.components:
            raise NotEvaluable(f"the symbol {sym.key()}", sym.pos)
        idx = self._index(sym.sub, env)
        if f"{base}_{{{idx}}}" in env:  # z_i bound by an expectation
            return env[f"{base}_{{{idx}}}"]
        bound = env.get(base)
        if isinstance(bound, Plate):
            return bound.parts[self._in_range(sym, idx, len(bound.parts)) - 1]
        if base == self.nt.data:
            return self.model.data_point(self._in_range(sym, idx, self.model.N) - 1)
        if base == self.nt.latent:
            return self.ctx.free_latent(self._in_range(sym, idx, self.model.N))
        if base in self.nt.components:
            comp = self.nt.components[base]
            k = self._in_range(sym, idx, self.model.count("components"))
            params = self.ctx.draws[self.nt.parameter(comp.of).draw] if comp.of else None
            return self.model.component(comp.field, k - 1, params)
        raise NotEvaluable(f"the symbol {sym.key()}", sym.pos)

    def _index(self, sub: Node, env) -> int:
        idx = self.value(sub, env)
        if not isinstance(idx, (int, float, np.integer, np.floating)) or float(idx) != int(idx):
            raise NotEvaluable("a subscript that is not an index", sub.pos)
        return int(idx)

    @staticmethod
    def _in_range(sym: Sym, idx: int, count: int) -> int:
        if not 1 <= idx <= count:
            raise Undefined(f"{sym.base().key()}_{idx} does not exist (the index runs over 1..{count})")
        return idx

    def _at_data_point(self, env: dict) -> dict:
        """The env an abbreviation is read in: its i is the data point of the enclosing sum."""
        if DATA_POINT in env:
            return {**env, self.nt.index: env[DATA_POINT]}
        return env

    def _Placeholder(self, node, env):
        if PLACEHOLDER not in env:
            raise NotEvaluable("\\cdot outside a distribution", node.pos)
        return env[PLACEHOLDER]

    # ----------------------------------------------------------------------- #
    # calls: densities, named quantities, KL

    def _Call(self, call: Call, env):
        head = call.head.base().key()
        if call.head.sub is not None or call.head.sup is not None:
            raise NotEvaluable(f"{call.head.key()}(…): a decorated function", call.pos)
        if head == "\\text{KL}":
            return self._kl(call, env)
        args = [self._argument_value(a, env) for a in call.args()]
        for pattern in self.nt.patterns.get(head, []):
            if pattern.call.signature() == call.signature() and all(map(_fits, pattern.slots, args)):
                out = getattr(self.model, pattern.method)(*[_argument(a) for a in args])
                return Density(out) if pattern.density else out
        raise NotEvaluable(f"{call.key()}: the notation gives {head}(…) no meaning with these arguments", call.pos)

    def _argument_value(self, arg: Node, env):
        """An argument's value; 'z = k' names a value of a discrete latent (component k)."""
        if not isinstance(arg, Chain):
            return self.value(arg, env)
        lhs, rhs = arg.exprs
        if arg.rels != ("=",) or not (isinstance(lhs, Sym) and lhs.key() == self.nt.latent):
            raise NotEvaluable("a relation inside an argument other than 'z = value'", arg.pos)
        return self.model.latent_value(self._index(rhs, env))

    def _kl(self, call: Call, env):
        if call.signature() != ("", "\\|"):
            raise NotEvaluable("KL needs two arguments: KL(p \\| q)", call.pos)
        first, second = call.args()
        axis, v, weights = self._latent_axis()
        inner = {**env, self.nt.latent: v, PLACEHOLDER: v}
        p, q = self.value(first, inner), self.value(second, inner)
        for arg, d in ((first, p), (second, q)):
            if not isinstance(d, Density) or np.ndim(d.log) < axis + 2 or np.shape(d.log)[-(axis + 2)] != len(weights):
                raise NotEvaluable("KL(·‖·) of something that is not a density of z", arg.pos)
        return integrate(mul(p, p.log - q.log), weights, axis)

    # ----------------------------------------------------------------------- #
    # binders: sums, integrals, expectations, substitution

    def _Sum(self, node: Sum, env):
        lo, hi = self._index(node.lo, env), self._index(node.hi, env)
        over_data = self._over_data(node)
        total = 1.0 if node.product else 0.0
        for k in range(lo, hi + 1):
            inner = {**env, node.var.key(): k, **({DATA_POINT: k} if over_data else {})}
            term = self.value(node.body, inner)
            total = mul(total, term) if node.product else add(total, term)
        return total

    def _over_data(self, node: Sum) -> bool:
        """A sum over the data: up to N, or indexing x with its variable."""
        if isinstance(node.hi, Sym) and self.nt.counts.get(node.hi.key()) == "data":
            return True
        return any(isinstance(s, Sym) and s.base().key() == self.nt.data and s.sub == node.var
                   for s in node.body.walk())

    def _Integral(self, node, env):
        if node.var.key() != self.nt.latent:
            raise NotEvaluable(f"\\int over {node.var.key()}: only over the latent variable", node.pos)
        axis, v, weights = self._latent_axis()
        return integrate(self.value(node.body, {**env, self.nt.latent: v}), weights, axis)

    def _Expect(self, node, env):
        under = node.under
        if under is None:
            raise NotEvaluable("\\mathbb{E} without the distribution under it", node.pos)
        if isinstance(under, Draw):
            return self._expect(under, node.body, env, env)
        spec = self.nt.expectations.get(under.key()) if isinstance(under, Sym) else None
        if spec is None:
            raise NotEvaluable(f"\\mathbb{{E}}_{{{under.key() if isinstance(under, Sym) else '…'}}}: "
                               "not declared in the notation", node.pos)
        if spec.each:
            return self._expect_each(spec.draw, node.body, env)
        return self._expect(spec.draw, node.body, env, self._at_data_point(env))

    def _expect(self, draw: Draw, body: Node, env: dict, dist_env: dict):
        """E_{var ~ dist}[body] = ∫ dist(v) body(var = v) dv."""
        target = self._binder(draw.var, env)
        axis, v, weights = self._latent_axis()
        density = self._density(draw.dist, {**dist_env, self.nt.latent: v, PLACEHOLDER: v})
        return integrate(mul(density, self.value(body, {**env, target: v})), weights, axis)

    def _expect_each(self, draw: Draw, body: Node, env: dict):
        """E over z = (z_1..z_N) drawn independently: z_i ~ dist(i); iterated, one axis per z_i."""
        parts, densities = [], []
        for i in range(1, self.model.N + 1):
            axis, v, weights = self._latent_axis()
            parts.append(v)
            inner = {**env, self.nt.index: i, self.nt.latent: v, PLACEHOLDER: v}
            densities.append((axis, weights, self._density(draw.dist, inner)))
        total = self.value(body, {**env, self.nt.latent: Plate(tuple(parts))})
        for axis, weights, density in densities:
            total = integrate(mul(density, total), weights, axis)
        return total

    def _density(self, node: Node, env: dict) -> Density:
        d = self.value(node, env)
        if not isinstance(d, Density):
            raise NotEvaluable("a distribution under \\mathbb{E} that is not a density", node.pos)
        return d

    def _binder(self, var: Node, env: dict) -> str:
        if not (isinstance(var, Sym) and var.base().key() == self.nt.latent and var.sup is None):
            raise NotEvaluable("an expectation over something other than the latent variable", var.pos)
        return var.key() if var.sub is None else f"{self.nt.latent}_{{{self._index(var.sub, env)}}}"

    def _latent_axis(self):
        nodes, weights = self.model.nodes()
        axis = self.ctx.new_axis()
        return axis, LatentVal(on_axis(nodes, axis)), weights

    def _EvalAt(self, node, env):
        inner = dict(env)
        for sym, value in node.bindings:
            inner[sym.key()] = self.value(value, env)
        return self.value(node.body, inner)

    def _Optimum(self, node, env):
        raise NotEvaluable(f"{node.kind} as a value (it needs an optimiser)", node.pos)


def _free_index(sym: Sym, env: dict, nt: Notation) -> bool:
    """x_i with i bound nowhere: any data point, like a free x."""
    return isinstance(sym.sub, Sym) and sym.sub.key() == nt.index and nt.index not in env


def _fits(slot: str, value) -> bool:
    if slot == "data":
        return isinstance(value, DataVal)
    if slot == "latent":
        return isinstance(value, (LatentVal, Plate))
    if slot == "real":
        return not isinstance(value, (LatentVal, Plate, ParamVal))
    return isinstance(value, ParamVal) and value.family == slot


def _argument(value):
    if isinstance(value, ParamVal):
        return value.values
    if isinstance(value, Density):
        return real(value)
    return value


def evaluate(node: Node, ctx: Context):
    """The value of node as a number array (draws last); NotApplicable if the instance lacks a symbol."""
    value = Evaluator(ctx).value(node, {})
    try:
        return real(value)
    except NotEvaluable as exc:
        raise NotEvaluable(f"{exc.construct}: a side of a relation must be a number", node.pos) from None


__all__ = ["Context", "Evaluator", "Undefined", "evaluate"]
