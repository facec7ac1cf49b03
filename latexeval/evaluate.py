"""Walks the meaning tree of a formula and computes its value on one model instance.

One method per node type (dispatch on the class name). Symbols are resolved in a
fixed order — bound variables, what the row or the notation names as a whole
(a row's own definitions, parameters, maximisers, abbreviations, fields, μ_k^t),
powers, indices, then the notation's counts, data and latents — and anything left
is not evaluable rather than guessed.

An optimum (θ^t, max_φ ELBO) is not searched for: the model's own code offers
EM's closed-form steps as candidates, and one is used only after it is certified
on the objective as written — no move of any coordinate improves it — so a slide
that optimises something else is not evaluable rather than silently passed.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from . import freevars, limits, quadrature
from .errors import NotApplicable, NotEvaluable, Undefined
from .freevars import Domain
from .expr import Add, Call, Chain, Deriv, Div, Draw, Func, Integral, Mul, Neg, Node, Optimum, Pow, Sum, Sym, free_symbols, key
from .notation import Component, Notation
from .values import (FUNCTIONS, DataVal, Density, LatentVal, MatrixVal, ParamVal, Plate, VectorVal, add, as_density,
                     binomial, div, flattened, hadamard, integrate, mul, neg, on_axis, power, real)

DATA_POINT = "#data"  # env key: the data point (1-based) of the innermost sum over the data
PLACEHOLDER = "\\cdot"
# Certifying an optimum: no coordinate moved by DELTA (a log-scale step for a positive field)
# may improve the objective by more than SLACK, relative. A candidate off by more than DELTA/2
# fails; one closer is off in value by about DELTA² at most, far below relations.RTOL.
DELTA, SLACK = 1e-4, 1e-11


DIVERGENCES = {"\\text{KL}": "KL", "\\text{JS}": "JS"}


class Context:
    """One link evaluated on one instance: its draws, the axes allocated so far, and its free variables.

    Both sides of a link share one context, so a free x or z is the same axis on both.
    """

    def __init__(self, notation: Notation, instance, draws: dict[str, dict], plate: bool,
                 where: dict[str, Node] | None = None, optima: dict | None = None,
                 domains: dict[str, Domain] | None = None, random: frozenset[str] = frozenset(),
                 n_draws: int = 1, independent: bool = False):
        self.notation, self.instance, self.draws, self.plate = notation, instance, draws, plate
        self.where = where or {}  # the row's own definitions (t = σ_1² / σ_2²)
        # free variables the row states a domain for (freevars.py): a scalar (every value) or, under a bare
        # \mathbb{E}, a random variable (every distribution: one per draw, so n_draws of them)
        self.domains, self.random, self.n_draws = domains or {}, random, n_draws
        self.independent = independent  # the random variables are independent: their joint is a product
        self._outcomes: dict[str, np.ndarray] = {}
        self._probabilities: np.ndarray | None = None
        self.optima = {} if optima is None else optima  # certified optima, shared by every k of a link
        self.axes = 0
        self.cells = 1  # numbers in one value: the product of the allocated axes' sizes
        self._free: dict[object, object] = {}
        self.unsettled: list[np.ndarray] = []  # where a derivative's differences did not settle (_Deriv)

    def new_axis(self, size: int = 1) -> int:
        """An axis for `size` values of a variable; too large a value ends the evaluation first."""
        limits.check_values(self.cells * size)
        self.axes += 1
        self.cells *= size
        return self.axes - 1

    def done(self, value, weights):
        """An integral's value: its axis is back to size 1, so it no longer counts."""
        self.cells //= len(weights)
        return value

    @contextmanager
    def scratch(self):
        """For evaluations that must end as one number per draw (an objective at a trial point):
        their axes are integrated away, so they are handed back afterwards."""
        axes, cells, free = self.axes, self.cells, dict(self._free)
        try:
            yield
        finally:
            self.axes, self.cells, self._free = axes, cells, free

    def free_data(self) -> DataVal:
        if "x" not in self._free:
            self._free["x"] = self.instance.all_data(self.new_axis(self.instance.N))
        return self._free["x"]

    def free_scalar(self, name: str):
        """A free variable with a stated domain: values spread over it, on an axis of their own."""
        if name not in self._free:
            count = freevars.values_per_axis(len([k for k in self.domains if k not in self.random]))
            self._free[name] = on_axis(freevars.points(name, self.domains[name], count), self.new_axis(count))
        return self._free[name]

    def outcomes(self, name: str) -> np.ndarray:
        """A random variable's value at each outcome, (outcomes, draws), one random joint distribution per draw;
        the same on both sides and under every \\mathbb{E} of the claim."""
        if name not in self._outcomes:
            if self.independent:
                names = sorted(self.random)
                self._outcomes.update(zip(names, freevars.product_outcomes([self.marginal(n)[0] for n in names])))
            else:
                self._outcomes[name] = freevars.outcome_values(name, self.domains[name], self.n_draws)
        return self._outcomes[name]

    def probabilities(self) -> np.ndarray:
        """The probability of each outcome at each draw, (outcomes, draws)."""
        if self._probabilities is None:
            if self.independent:
                names = sorted(self.random)
                self._probabilities = np.prod(freevars.product_outcomes([self.marginal(n)[1] for n in names]), axis=0)
            else:
                self._probabilities = freevars.outcome_probabilities(self.n_draws)
        return self._probabilities

    def marginal(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """An independent random variable's own distribution: its values and their probabilities, (support, draws)."""
        support = freevars.independent_support(len(self.random))
        return (freevars.outcome_values(name, self.domains[name], self.n_draws, support),
                freevars.outcome_probabilities(self.n_draws, support, name))

    def free_latent(self, index: int | None = None):
        """A free z: one latent variable, or (when the link indexes z) one per data point."""
        if index is None and self.plate:
            return Plate(tuple(self.free_latent(j) for j in range(1, self.instance.N + 1)))
        if index not in self._free:
            nodes, _ = self.instance.nodes()
            self._free[index] = self.instance.latent_on_axis(nodes, self.new_axis(len(nodes)))
        return self._free[index]


DERIVATIVE_SETTLED = 1e-9  # two extrapolated derivatives agree to this, relatively: a hundredth of the tolerance


class Evaluator:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.nt = ctx.notation
        self.model = ctx.instance

    def value(self, node: Node, env: dict):
        limits.tick(node.pos)
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
        total = self.value(node.terms[0], env)
        for term in node.terms[1:]:
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

    def _Hadamard(self, node, env):
        return hadamard(self.value(node.left, env), self.value(node.right, env))

    def _Func(self, node, env):
        return FUNCTIONS[node.name](self.value(node.arg, env))

    def _Binomial(self, node, env):
        return binomial(real(self.value(node.n, env)), real(self.value(node.k, env)))

    def _Extremum(self, node, env):
        values = [real(self.value(arg, env)) for arg in node.args]
        return (np.maximum if node.kind == "max" else np.minimum).reduce(np.broadcast_arrays(*values))

    def _Deriv(self, node, env):
        """The derivative in a free variable, by central differences at three steps, extrapolated (Richardson)
        from the two finer and the two coarser: an error of the order of step⁴, far below the relations' tolerance
        for a smooth function; where the two extrapolations differ by more than DERIVATIVE_SETTLED, the value is
        not vouched for and the point is left out (ctx.unsettled). The step is
        1e-3 (sin t turns fast at t = 900: not a step relative to t), smaller near the domain's bounds (log t at
        t = 0.001, log(1 - t) at t = 1 - 10⁻⁶): a hundredth of the distance, so that a function growing without
        bound there is still smooth over a step."""
        name = node.var.key()
        if name not in self.ctx.domains or name in self.ctx.random:
            raise NotEvaluable(f"a derivative in {name}, which is not a free variable with a stated domain "
                               f"(\\forall {name} \\in \\mathbb{{R}})", node.pos)
        x = env[name] if name in env else self.ctx.free_scalar(name)  # inside another derivative: where it is
        step = self.derivative_step(node)

        def slope(h):
            ahead, behind = (real(self.value(node.body, {**env, name: x + s * h})) for s in (1.0, -1.0))
            return (ahead - behind) / (2.0 * h), np.isinf(ahead) | np.isinf(behind)

        (d1, o1), (d2, o2), (d4, o4) = slope(step), slope(step / 2.0), slope(step / 4.0)
        coarse, fine = (4.0 * d2 - d1) / 3.0, (4.0 * d4 - d2) / 3.0
        with np.errstate(invalid="ignore"):  # sin(100 x), e^{xy} at y = 650: the step is too coarse for it there
            self.ctx.unsettled.append(np.abs(fine - coarse) > DERIVATIVE_SETTLED * (1.0 + np.abs(fine)))
        return np.where(o1 | o2 | o4, np.inf, fine)  # e^t far out: ∞, not ∞ − ∞

    def derivative_step(self, node) -> np.ndarray:
        """The step of the derivative `node` at each value of its variable (see _Deriv)."""
        name = node.var.key()
        x, domain = self.ctx.free_scalar(name), self.ctx.domains[name]
        if domain.lo is not None and domain.lo_closed or domain.hi is not None and domain.hi_closed:
            raise NotEvaluable(f"a derivative at a closed end of its domain ({domain.text(name)}): only one side of "
                               "the end is in it; state an open domain", node.pos)
        step = np.full(np.shape(x), 1e-3)
        for bound in (domain.lo, domain.hi):
            if bound is not None:
                step = np.minimum(step, np.abs(x - bound) / 100.0)
        return step

    # ----------------------------------------------------------------------- #
    # symbols

    def _Sym(self, sym: Sym, env):
        full = sym.key()
        if full in env:
            return env[full]
        named = self._named(sym, env)
        if named is not None:
            return named
        if sym.sup is not None:
            return power(self._Sym(replace(sym, sup=None), env), self.value(sym.sup, env))
        if sym.sub is not None:
            return self._indexed(sym, env)
        return self._plain(sym, env)

    def _named(self, sym: Sym, env):
        """A symbol named as a whole, scripts included (θ^{t-1}, GAP_VAE, σ_1, μ_k^t), or None."""
        full, nt = sym.key(), self.nt
        if full in self.ctx.where:
            return self.value(self.ctx.where[full], env)
        param = nt.parameter(full)
        if param is not None:
            return ParamVal(param.family, self.ctx.draws[param.draw])
        if full in nt.maximisers:
            return self.value(nt.maximisers[full], env)
        if full in nt.abbreviations and not (full in self.ctx.domains and full in nt.constants()):
            return self.value(nt.abbreviations[full], self._at_data_point(env))
        if full in nt.fields:
            field = nt.fields[full]
            return self.model.field(field.field, self.value(field.of, env).values)
        comp = nt.components.get(replace(sym, sub=None, sup=None).key())
        if comp is not None and comp.of is not None and sym.sup is not None:
            owner = replace(comp.of, sup=sym.sup)  # μ_k^t: component μ_k of θ^t
            if owner.key() in nt.parameters or owner.key() in nt.maximisers:
                return self._component(sym, comp, owner, env)
        return None

    def _plain(self, sym: Sym, env):
        k = sym.key()
        if k in self.nt.counts:
            return self.model.count(self.nt.counts[k])
        if k == self.nt.data:
            return self.ctx.free_data()
        if k == self.nt.latent:
            return self.ctx.free_latent()
        if k == self.nt.identity:
            return self.model.identity()
        if k in self.ctx.random:
            raise NotEvaluable(f"the random variable {k} outside \\mathbb{{E}}: it has no one value", sym.pos)
        if k in self.ctx.domains:
            return self.ctx.free_scalar(k)
        if sym.accent is None and len(sym.name) == 1 and sym.name.isalpha() and not self.nt.knows(sym):
            raise NotEvaluable(f"the symbol {k} (a free variable? state its domain: …, \\forall {k} > 0)", sym.pos)
        raise NotEvaluable(f"the symbol {k}", sym.pos)

    def _indexed(self, sym: Sym, env):
        base = sym.base().key()
        if base in self.nt.indexed and (base not in self.nt.components or len(_index_parts(sym)) > 1):
            return self._indexed_abbreviation(sym, env)
        if base == self.nt.data and _free_index(sym, env, self.nt):
            return self.ctx.free_data()
        if base in self.nt.components:
            comp = self.nt.components[base]
            return self._component(sym, comp, comp.of, env)
        if base not in env and base not in (self.nt.data, self.nt.latent):
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
        raise NotEvaluable(f"the symbol {sym.key()}", sym.pos)

    def _component(self, sym: Sym, comp: Component, owner: Sym | None, env):
        """α_k, μ_k of θ, μ_k^t of θ^t: a field of the owning parameter at component k."""
        if sym.sub is None:
            raise NotEvaluable(f"{sym.key()} without its component index", sym.pos)
        k = self._in_range(sym, self._index(sym.sub, env), self.model.count("components"))
        params = self.value(owner, env).values if owner is not None else None
        return self.model.component(comp.field, k - 1, params)

    def _indexed_abbreviation(self, sym: Sym, env):
        """ẑ_{jk} with ẑ_{ik} := p(z = k | x_i; θ^{t-1}) declared: the body with i = j, k = k."""
        spec = self.nt.indexed[sym.base().key()]
        parts = _index_parts(sym)
        if len(parts) != len(spec.letters):
            raise NotEvaluable(f"{sym.key()}: the notation declares {len(spec.letters)} indices", sym.pos)
        indices = {letter: self._index(part, env) for letter, part in zip(spec.letters, parts)}
        value = self.value(spec.body, {**env, **indices})
        if self.nt.latent_index not in spec.letters:
            return value
        # μ_{ij}: coordinate j of the vector the body gives (a number where the latent is one-dimensional)
        j = self._in_range(sym, indices[self.nt.latent_index], self.model.count("latent dimension"))
        value = value.value if isinstance(value, DataVal) else value
        return value.entries()[j - 1] if isinstance(value, MatrixVal) else value

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
        if call.head.key() in self.nt.maximisers:
            return self._at_optimum(call, env)
        if call.head.key() in self.nt.patterns:  # a function named with its subscript: μ_φ(x)
            head = call.head.key()
        elif call.head.sub is not None or call.head.sup is not None:
            raise NotEvaluable(f"{call.head.key()}(…): a decorated function", call.pos)
        if head in DIVERGENCES:
            return self._divergence(call, env, DIVERGENCES[head])
        args = [self._argument_value(a, env) for a in call.args()]
        for pattern in self.nt.patterns.get(head, []):
            if pattern.call.signature() == call.signature() and all(map(_fits, pattern.slots, args)):
                args = [self._as_latent(a, call) if slot == "latent" else a for slot, a in zip(pattern.slots, args)]
                if pattern.density:
                    args = _own_latents(args, call)
                values = [_argument(a) for a in args] + [_argument(self.value(g, env)) for g in pattern.given]
                if pattern.of_latent:
                    values.insert(0, env[self.nt.latent] if self.nt.latent in env else self.ctx.free_latent())
                method = getattr(self.model, pattern.method, None)
                if method is None:  # the VAE's encoder on the mixture, say
                    raise NotApplicable(f"{self.model.name} has no {pattern.call.key()}")
                out = method(*values)
                return Density(out) if pattern.density else out
        raise NotEvaluable(f"{call.key()}: the notation gives {head}(…) no meaning with these arguments", call.pos)

    def _as_latent(self, value, call: Call):
        """A number where the latent stands (p(x | μ + σ ⊙ ε; θ)): a value of a continuous latent."""
        if isinstance(value, (LatentVal, Plate)):
            return value
        if isinstance(value, MatrixVal):  # a vector where a latent in R^J stands
            return LatentVal(value)
        if self.model.DISCRETE:
            raise NotApplicable(f"{self.model.name} has a discrete latent: {call.key()} takes a component, not a number")
        return LatentVal(real(value))

    def _argument_value(self, arg: Node, env):
        """An argument's value; 'z = k' names a value of a discrete latent (component k), and a
        distribution named by its abbreviation (ELBO(q, θ)) stands for its parameter (φ)."""
        if isinstance(arg, Sym) and self._parameter_of(arg) is not None:
            return self.value(self._parameter_of(arg), env)
        if not isinstance(arg, Chain):
            return self.value(arg, env)
        lhs, rhs = arg.exprs
        if arg.rels != ("=",) or not (isinstance(lhs, Sym) and lhs.key() == self.nt.latent):
            raise NotEvaluable("a relation inside an argument other than 'z = value'", arg.pos)
        return self.model.latent_value(self._index(rhs, env))

    def _parameter_of(self, sym: Sym) -> Sym | None:
        """The one parameter of a distribution abbreviation: φ for q := q(z | x_i; φ)."""
        body = self.nt.abbreviations.get(sym.key())
        if not isinstance(body, Call):
            return None
        params = [a for a in body.args() if isinstance(a, Sym) and a.key() in self.nt.parameters]
        return params[0] if len(params) == 1 else None

    def _divergence(self, call: Call, env, name: str):
        """KL(p‖q) = ∫ p log(p/q); JS(p‖q) = KL(p‖m)/2 + KL(q‖m)/2 with m = (p + q)/2."""
        if call.signature() != ("", "\\|"):
            raise NotEvaluable(f"{name} needs two arguments: {name}(p \\| q)", call.pos)
        axis, v, weights = self._latent_axis()
        inner = {**env, self.nt.latent: v, PLACEHOLDER: v}
        p, q = (self._density_of_z(arg, inner, axis, len(weights), name) for arg in call.args())
        if name == "KL":
            return self.ctx.done(integrate(mul(p, p.log - q.log), weights, axis), weights)
        m = np.logaddexp(p.log, q.log) - math.log(2)
        return self.ctx.done(0.5 * (integrate(mul(p, p.log - m), weights, axis)
                                    + integrate(mul(q, q.log - m), weights, axis)), weights)

    def _density_of_z(self, arg: Node, env, axis: int, size: int, name: str) -> Density:
        d = self.value(arg, env)
        shape = np.shape(d.log if isinstance(d, Density) else d)  # () for anything but a number array
        if len(shape) < axis + 2 or shape[-(axis + 2)] != size:
            raise NotEvaluable(f"{name}(·‖·) of something that is not a density of z", arg.pos)
        return as_density(d)

    # ----------------------------------------------------------------------- #
    # binders: sums, integrals, expectations, substitution

    def _Sum(self, node: Sum, env):
        lo, hi = self._index(node.lo, env), self._bound(node.hi, env)
        if isinstance(hi, np.ndarray):
            return self._sum_to_free(node, lo, hi, env)
        over_data = self._over_data(node)
        total = None  # the first term as it is: a sum of vectors starts from a vector, not from 0
        for k in range(lo, hi + 1):
            inner = {**env, node.var.key(): k, **({DATA_POINT: k} if over_data else {})}
            term = self.value(node.body, inner)
            total = term if total is None else mul(total, term) if node.product else add(total, term)
        if total is None:
            return 1.0 if node.product else 0.0
        return total if isinstance(total, (MatrixVal, Density)) else real(total)

    def _bound(self, node: Node, env):
        """A sum's upper bound: an index, or the values of a free integer (\\sum_{k=1}^{n}, n ∈ ℕ)."""
        value = self.value(node, env)
        if isinstance(value, np.ndarray) and value.size and np.all(value == np.round(value)):
            return value
        if isinstance(value, np.ndarray) and value.size > 1:
            raise NotEvaluable(f"a sum up to {key(node)}, which takes values that are not whole (state its domain: "
                               f"{key(node)} \\in \\mathbb{{N}})", node.pos)
        return self._index(node, env)

    MAX_TERMS = 5000  # a sum up to a free integer adds this many terms at most

    def _sum_to_free(self, node: Sum, lo: int, hi: np.ndarray, env):
        """Σ_{k=lo}^{n} at every value of n at once: each term counted where k ≤ n (a product: 1 elsewhere)."""
        top = int(hi.max())
        if top - lo + 1 > self.MAX_TERMS:
            raise NotEvaluable(f"a sum of more than {self.MAX_TERMS} terms", node.pos)
        total = np.ones(hi.shape) if node.product else np.zeros(hi.shape)
        for k in range(lo, top + 1):
            term = real(self.value(node.body, {**env, node.var.key(): k}))
            if isinstance(term, MatrixVal):
                raise NotEvaluable("a sum of vectors up to a free integer", node.pos)
            counted = k <= hi
            total = total * np.where(counted, term, 1.0) if node.product else total + np.where(counted, term, 0.0)
        return total

    def _over_data(self, node: Sum) -> bool:
        """A sum over the data: up to N, or indexing x with its variable."""
        if isinstance(node.hi, Sym) and self.nt.counts.get(node.hi.key()) == "data":
            return True
        return any(isinstance(s, Sym) and s.base().key() == self.nt.data and s.sub == node.var
                   for s in node.body.walk())

    def _Integral(self, node, env):
        if node.upper is not None:
            return self._definite(node, env)
        var = node.var.key()
        if var == self.nt.latent:
            axis, v, weights = self._latent_axis()
        elif var == self.nt.data:  # the data space, by quadrature on the model's x grid
            nodes, weights = self.model.data_nodes()
            axis = self.ctx.new_axis(len(nodes))
            v = DataVal(on_axis(nodes, axis), None)
        else:
            raise NotEvaluable(f"\\int over {var}: only over the latent variable or the data", node.pos)
        return self.ctx.done(integrate(self.value(node.body, {**env, var: v}), weights, axis), weights)

    FAR_OUT = 1e6  # an integrand that is NaN beyond this on an infinite end overflowed there

    def _definite(self, node: Integral, env):
        """\\int_a^b f(x) \\mathrm{d}x (quadrature.py): a and b numbers, ±\\infty or a free variable's values."""
        lower, upper = self._end(node.lower, env), self._end(node.upper, env)
        try:
            rule = quadrature.rule(lower, upper)
            axis = self.ctx.new_axis(len(rule.weights))
            along = lambda v: on_axis(v, axis)  # noqa: E731
            x = rule.nodes(lower, upper, along)
            f = real(self.value(node.body, {**env, node.var.key(): x}))
            if isinstance(f, MatrixVal):
                raise NotEvaluable("an integral of a vector or matrix", node.pos)
            terms = f * along(rule.weights) * rule.factor(lower, upper)
            shape = np.broadcast_shapes(np.shape(terms), np.shape(x))
            inside = np.broadcast_to((x != lower) & (x != upper), shape)
            far = np.broadcast_to(along(rule.reach > self.FAR_OUT) & (rule.kind != "finite"), shape)
            value = quadrature.integral(np.broadcast_to(terms, shape), inside, far, np.equal(lower, upper),
                                        -(axis + 2))
        except quadrature.Unsettled as exc:
            raise NotEvaluable(f"\\int_a^b: {exc}", node.pos) from None
        return self.ctx.done(value, rule.weights)

    def _end(self, node: Node, env):
        """An integral's bound: ±\\infty, or its value."""
        sign, inner = (-1.0, node.arg) if isinstance(node, Neg) else (1.0, node)
        if isinstance(inner, Sym) and inner.key() == "\\infty":
            return sign * np.inf
        value = real(self.value(node, env))
        if isinstance(value, MatrixVal):
            raise NotEvaluable("a bound of an integral that is not a number", node.pos)
        return value

    def _Expect(self, node, env):
        under = node.under
        if under is None:
            return self._expect_random(node, env)
        if isinstance(under, Draw):
            return self._expect(under, node.body, env, env)
        spec = self.nt.expectations.get(under.key()) if isinstance(under, Sym) else None
        if spec is None:
            raise NotEvaluable(f"\\mathbb{{E}}_{{{under.key() if isinstance(under, Sym) else '…'}}}: "
                               "not declared in the notation", node.pos)
        if spec.each:
            return self._expect_each(spec.draw, node.body, env)
        return self._expect(spec.draw, node.body, env, self._at_data_point(env))

    def _expect_random(self, node, env: dict):
        """\\mathbb{E}[f(X, Y)] over the random variables of the body (letters with a stated domain): at each draw,
        the sum over the outcomes of that draw's joint distribution, weighted by their probabilities."""
        names = sorted(k for k in freevars.letters(node.body) if k in self.ctx.random)
        if not names:
            raise NotEvaluable("\\mathbb{E} without the distribution under it (name a random variable with its "
                               "domain: \\mathbb{E}[\\log Y] \\le \\log \\mathbb{E}[Y], \\; Y > 0)", node.pos)
        probabilities = self.ctx.probabilities()
        axis = self.ctx.new_axis(probabilities.shape[0])
        inner = {**env, **{name: freevars.on_axis_per_draw(self.ctx.outcomes(name), axis) for name in names}}
        weights = freevars.on_axis_per_draw(probabilities, axis)
        total = np.sum(real(self.value(node.body, inner)) * weights, axis=-(axis + 2), keepdims=True)
        self.ctx.cells //= probabilities.shape[0]
        return total

    def _expect(self, draw: Draw, body: Node, env: dict, dist_env: dict):
        """E_{var ~ dist}[body] = ∫ dist(v) body(var = v) dv."""
        target = self._binder(draw.var, env)
        axis, v, weights = self._latent_axis()
        density = self._density(draw.dist, {**dist_env, self.nt.latent: v, PLACEHOLDER: v})
        bound = v.value if target == self.nt.noise else v  # ε is a number: it enters μ + σ ⊙ ε
        return self.ctx.done(integrate(mul(density, self.value(body, {**env, target: bound})), weights, axis), weights)

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
            total = self.ctx.done(integrate(mul(density, total), weights, axis), weights)
        return total

    def _density(self, node: Node, env: dict) -> Density:
        d = self.value(node, env)
        if not isinstance(d, Density):
            raise NotEvaluable("a distribution under \\mathbb{E} that is not a density", node.pos)
        return d

    def _binder(self, var: Node, env: dict) -> str:
        if isinstance(var, Sym) and var.key() == self.nt.noise:  # ε ~ N(0, I): on the continuous latent's nodes
            if self.model.DISCRETE:
                raise NotApplicable(f"{self.model.name} has a discrete latent: no noise ε to reparameterise it with")
            return var.key()
        if not (isinstance(var, Sym) and var.base().key() == self.nt.latent and var.sup is None):
            raise NotEvaluable("an expectation over something other than the latent variable", var.pos)
        return var.key() if var.sub is None else f"{self.nt.latent}_{{{self._index(var.sub, env)}}}"

    def _latent_axis(self):
        nodes, weights = self.model.nodes()
        axis = self.ctx.new_axis(len(nodes))
        return axis, self.model.latent_on_axis(nodes, axis), weights

    def _EvalAt(self, node, env):
        inner = dict(env)
        for sym, value in node.bindings:
            inner[sym.key()] = self.value(value, env)
        return self.value(node.body, inner)

    def _Vector(self, node, env):
        return VectorVal(tuple(self.value(part, env) for part in node.parts))

    # ----------------------------------------------------------------------- #
    # optima

    def _Optimum(self, node: Optimum, env):
        """max/min: the objective at the optimum; argmax: the optimum (a parameter, or the
        distribution it parametrises when the optimum is over q)."""
        target, family, shown = self._optimised(node)
        at = {**env, target: ParamVal(family, self._optimum_point(node, target, family, env))}
        if node.kind in ("max", "min"):
            return self._objective(node.body, at)
        return self.value(shown, at) if shown is not None else at[target]

    def _at_optimum(self, call: Call, env):
        """f^*(args) for a declared f^* = argmax over f: f(args) at the optimum (q^*(z|x_i) = q(z|x_i; φ*))."""
        optimum = self.nt.maximisers[call.head.key()]
        target, family, shown = self._optimised(optimum)
        body = self.nt.abbreviations.get(shown.key()) if shown is not None else None
        if not isinstance(body, Call):
            raise NotEvaluable(f"{call.head.key()}(…): its optimum is not over a distribution", call.pos)
        fixed = tuple(part for part in body.parts if all(isinstance(a, Sym) and a.key() == target for a in part[1]))
        point = ParamVal(family, self._optimum_point(optimum, target, family, env))
        return self.value(replace(body, parts=call.parts + fixed, pos=call.pos), {**env, target: point})

    def _optimised(self, node: Optimum) -> tuple[str, str, Sym | None]:
        """What an optimum moves: an optimised parameter, or the parameter of a distribution (q -> φ)."""
        if len(node.vars) != 1:
            raise NotEvaluable(f"{node.kind} over several variables, as a value", node.pos)
        (var,) = node.vars
        inner = self._parameter_of(var)
        param = self.nt.parameter(var.key() if inner is None else inner.key())
        if param is None or not param.optimised:
            raise NotEvaluable(f"{node.kind} over {var.key()}: not an optimised parameter of the notation", node.pos)
        return param.key, param.family, None if inner is None else var

    def _optimum_point(self, node: Optimum, target: str, family: str, env) -> dict:
        free = free_symbols(node.body)
        # what the objective may depend on besides the draws: its free letters, and the data point
        # an abbreviation inside it reads (the enclosing sum's, or a free i)
        depends = sorted(k for k in {*free, DATA_POINT, self.nt.index} if k in env)
        cache = (key(node), tuple((k, env[k]) for k in depends))
        cacheable = all(isinstance(env[k], int) for k in depends)
        if cacheable and cache in self.ctx.optima:
            return self.ctx.optima[cache]
        given = [self.value(sym, env) for k, sym in free.items() if k != target and self.nt.parameter_family(k)]
        candidates = self.model.optima(family, [g for g in given if isinstance(g, ParamVal)])
        sign = 1 if node.kind in ("max", "argmax") else -1
        unique = node.kind in ("argmax", "argmin")
        for candidate in candidates:
            if self._certified(node.body, target, family, candidate, sign, env, unique):
                if cacheable:
                    self.ctx.optima[cache] = candidate
                return candidate
        raise NotEvaluable(f"{node.kind} over {node.vars[0].key()}: none of the model's closed-form optima "
                           f"({len(candidates)} tried) is one of this objective", node.pos)

    def _certified(self, body: Node, target: str, family: str, candidate: dict, sign: int, env,
                   unique: bool = False) -> bool:
        """No move of any coordinate improves the objective: an optimum in the direction asked.

        `unique` (an argmax stands for one point): some move must also make the objective worse, else
        the objective does not depend on the variable and every point is a maximiser (argmax_θ Q(θ̂, θ^{t-1}))."""
        def at(values):
            return self._objective(body, {**env, target: ParamVal(family, values)})

        best = at(candidate)
        slack = SLACK * (1 + np.abs(best))
        worse = np.zeros(best.shape, dtype=bool)
        for moved in self.model.moves(candidate, DELTA):
            gain = sign * (at(moved) - best)
            if not np.all(np.isfinite(gain)) or np.any(gain > slack):
                return False
            worse |= gain < -slack
        if unique and not worse.all():
            raise Undefined(f"an argmax over {target} of an objective that does not depend on {target}: "
                            f"every value is a maximiser")
        return bool(np.all(np.isfinite(best)))

    def _objective(self, body: Node, env) -> np.ndarray:
        """The objective as one number per draw; its axes are handed back, so trial points do not pile up."""
        with self.ctx.scratch():
            value = np.asarray(real(self.value(body, env)), dtype=float)
        if any(size != 1 for size in value.shape[:-1]):
            raise NotEvaluable("an optimum of something that is not one number per draw", body.pos)
        return value.reshape(value.shape[-1:])

    def components(self, value: ParamVal, env) -> VectorVal:
        """A parameter as a value: the column of its components at the row's index k, in the order the
        notation declares them (θ = (α_k, μ_k, Σ_k) when all three are of θ)."""
        k = env.get(self.nt.component_index)
        fields = [c for c in self.nt.components.values()
                  if c.of is not None and self.nt.parameter_family(c.of.key()) == value.family]
        if k is None or not fields:
            raise NotEvaluable("a parameter as a value: only its components at a component index are compared")
        return VectorVal(tuple(self.model.component(c.field, k - 1, value.values) for c in fields))


def _free_index(sym: Sym, env: dict, nt: Notation) -> bool:
    """x_i with i bound nowhere: any data point, like a free x."""
    return isinstance(sym.sub, Sym) and sym.sub.key() == nt.index and nt.index not in env


def _index_parts(sym: Sym) -> tuple[Node, ...]:
    """The indices of a subscript: μ_{ij} has two, μ_k one."""
    return sym.sub.factors if isinstance(sym.sub, Mul) else (sym.sub,)


def _own_latents(args: list, call: Call) -> list:
    r"""A density of one data point given the latent vector z = (z_1..z_N) (\mathbb{E}_{z} binds it):
    x_i depends on z through z_i alone, so p(x_i | z; θ) = p(x_i | z_i; θ). Without one data point
    to take z_i for, the density has no meaning the notation gives."""
    if not any(isinstance(a, Plate) for a in args):
        return args
    points = [a.index for a in args if isinstance(a, DataVal)]
    if len(points) != 1 or not isinstance(points[0], (int, np.integer)):
        raise NotEvaluable(f"{call.key()}: a density of the whole latent vector z = (z_1, …, z_N); "
                           "write z_i, or the data point x_i it belongs to", call.pos)
    return [a.parts[int(points[0])] if isinstance(a, Plate) else a for a in args]


def _fits(slot: str, value) -> bool:
    if slot == "data":
        return isinstance(value, DataVal)
    if slot == "latent":  # or a number, a value of a continuous latent (μ + σ ⊙ ε)
        return isinstance(value, (LatentVal, Plate, MatrixVal, int, float, np.ndarray, np.floating))
    if slot == "real":
        return not isinstance(value, (LatentVal, Plate, ParamVal))
    return isinstance(value, ParamVal) and value.family == slot


def _argument(value):
    if isinstance(value, ParamVal):
        return value.values
    if isinstance(value, Density):
        return real(value)
    return value


def magnitude(node: Node, ctx: Context):
    """How large the numbers the floats added on the way to a side's value were, at each point: Σ|terms| of
    its sums (written with + or \\sum), through products and quotients ((a - b) c is worth (|a| + |b|) |c|)
    and derivatives (a difference over a step of 10⁻³); of any other node, its own |value|. The value's rounding
    error is about this times the floats' epsilon: where that outgrows the relations' tolerance (cosh² x -
    sinh² x at x = 30, whose terms are 10²⁵), the floats cannot tell whether the claim holds. None for a side
    that is not numbers (a vector)."""
    evaluator = Evaluator(ctx)

    def product(parts):  # an overflowed factor makes the product's terms overflow, even times 0
        out = 1.0
        for part in parts:
            out = np.where(np.isinf(out) | np.isinf(part), np.inf, out * part)
        return out

    def size(n: Node, env: dict):
        if isinstance(n, Add):
            return sum(size(t, env) for t in n.terms)
        if isinstance(n, Neg):
            return size(n.arg, env)
        if isinstance(n, Mul):
            return product(size(f, env) for f in n.factors)
        if isinstance(n, Sum) and n.lo is not None and n.hi is not None:  # Σ (-1)^k \\binom{n}{k} at n = 61
            lo, hi = evaluator._index(n.lo, env), evaluator._bound(n.hi, env)
            top = int(np.max(hi)) if isinstance(hi, np.ndarray) else hi
            terms = [np.where(k <= hi, size(n.body, {**env, n.var.key(): k}), 0.0 if not n.product else 1.0)
                     for k in range(lo, top + 1)]
            return (product(terms) if n.product else sum(terms)) if terms else 0.0
        if isinstance(n, Div):  # over an overflowed denominator: overflowed (∞/∞); over 0: the formula's own 1/0
            den = np.abs(_number(evaluator.value(n.den, env)))
            num = size(n.num, env)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(np.isinf(den) | np.isinf(num), np.inf, np.where(den == 0, np.nan, num / den))
        if isinstance(n, Deriv):  # a difference of values a step apart, over the step: its rounding grows by 1/step
            return size(n.body, env) / (evaluator.derivative_step(n) / 4.0)
        value = _number(evaluator.value(n, env))
        base = _power_base(n)
        if base is not None:  # e^{-870} is 0 in the floats but not 0: underflowed, as far beyond the floats as ∞
            with np.errstate(invalid="ignore"):
                return np.where((value == 0) & (_number(evaluator.value(base, env)) != 0), np.inf, np.abs(value))
        if isinstance(n, Func) and n.name == "exp":
            return np.where(value == 0, np.inf, np.abs(value))
        return np.abs(value)

    try:
        return size(node, {})
    except _NotNumbers:
        return None


class _NotNumbers(Exception):
    pass


def _power_base(node: Node) -> Node | None:
    """The base of a power (x^{200}, e^{-x}, whose letter carries the script), else None."""
    if isinstance(node, Pow):
        return node.base
    if isinstance(node, Sym) and node.sup is not None and node.sub is None and node.accent is None:
        return replace(node, sup=None)
    return None


def _number(value):
    if isinstance(value, (MatrixVal, VectorVal, ParamVal, LatentVal, DataVal, Plate)):
        raise _NotNumbers
    return real(value)


def evaluate(node: Node, ctx: Context, env: dict | None = None):
    """The value of node as a number array (draws last), or a VectorVal of them for a column or a
    parameter; NotApplicable if the instance lacks a symbol."""
    evaluator = Evaluator(ctx)
    env = env or {}
    value = evaluator.value(node, dict(env))
    try:
        if isinstance(value, ParamVal):
            value = evaluator.components(value, env)
        if isinstance(value, (VectorVal, MatrixVal)) or isinstance(getattr(value, "value", None), MatrixVal):
            return flattened(value)
        return real(value)
    except NotEvaluable as exc:
        raise NotEvaluable(f"{exc.construct}: a side of a relation must be a number", node.pos) from None


__all__ = ["Context", "Evaluator", "Undefined", "evaluate"]
