"""What a relation between two evaluated sides commits the slide to, checked at random draws.

    =      the sides agree at every draw (and every value of a free x or z)
    <=>    same maximiser: lhs - rhs stays constant while the optimised parameter moves
           and everything else is held (several base points, several moves each)
    <= >=  at every draw
    < >    strictly, at every draw
    ->     "becomes, in general": equal wherever the left side means something
           (the mixture density is the general model on the mixture instance)
    :=     a definition the notation also knows: equal

Two argmaxes (or symbols the notation defines as one) are compared through their
objectives: they agree when the objectives are equivalent (<=>) in the variables.
An argmax related to anything else is compared by value (the evaluator computes
and certifies the optimum). A column is compared entry by entry, a parameter as
the column of its components; an index left free (k in α_k^t = …, i in
ẑ_{ik} = …) means every value of it, whatever letter names it (x_j, α_l: the
notation's i and k under another name).
"""
from __future__ import annotations

import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .errors import NotApplicable, NotEvaluable
from .evaluate import Context, Undefined, evaluate, magnitude
from . import freevars
from .expr import (Call, Chain, EvalAt, Expect, Integral, Mul, Neg, Node, Num, Optimum, Sum, Sym, Vector, free_symbols, key,
                   renamed)
from .freevars import Domain
from .models import INSTANCES, SEED, Instance
from .notation import Notation
from .said import CONSTANT, DISTRIBUTIONS, MODELS, VALUES, Said
from .values import VectorVal

DRAWS = 24  # independent draws for =, <=, >=
BASES, MOVES = 6, 4  # for <=>: base points, and moves of the optimised parameter at each
RTOL = 1e-7


@dataclass(frozen=True)
class Link:
    """lhs rel rhs, one relation of a row; wrt (parameter keys) only for <=>; where: the row's own definitions."""

    lhs: Node
    rel: str
    rhs: Node
    wrt: tuple[str, ...] | None = None
    where: tuple[tuple[str, Node], ...] = ()
    domains: tuple[tuple[str, Domain], ...] = ()  # free variables the row quantifies over (freevars.py)
    independent: tuple[frozenset[str], ...] = ()  # each statement's free variables stated independent (X \perp Y)


@dataclass(frozen=True)
class Verdict:
    """ok and a sentence; the facts behind it for the build's details: how many draws on which
    instances, and where it failed (instance, 1-based draw, the two sides' values)."""

    ok: bool
    detail: str
    draws: int = 0
    instances: tuple[str, ...] = ()
    failure: dict | None = None  # {"instance", "draw", "lhs", "rhs"} (lhs/rhs absent for <=>)
    # the two sides at every draw, per instance, for a relation between two numbers (one value per draw):
    # {instance: {"draws": draws_key(…), "lhs": [...], "rhs": [...]}}, what a Python check is tied to by value
    sides: dict | None = None
    said: tuple[Said, ...] = ()  # why it holds, clause by clause, as facts (said.py)


@lru_cache(maxsize=None)
def instance(name: str):
    return INSTANCES[name]()


@lru_cache(maxsize=None)
def _draws(name: str, draws: tuple[tuple[str, str], ...], varied: frozenset[str]) -> dict[str, dict]:
    """Parameter draws for one instance (fixed seeds): independent, or BASES x MOVES where `varied` moves."""
    model = instance(name)
    out = {}
    for k, (draw, family) in enumerate(draws):
        rng = np.random.default_rng([SEED, zlib.crc32(name.encode()), k])
        if not varied:
            out[draw] = model.draw(family, DRAWS, rng)
        elif draw in varied:
            out[draw] = model.draw(family, BASES * MOVES, rng)
        else:
            out[draw] = _repeat(model.draw(family, BASES, rng))
    if not varied:
        _tighten(model, out, dict(draws))
    return out


TIGHT = 4  # every 4th independent draw of q (and of θ̂) is where a bound on the likelihood is tight


def _tighten(model, out: dict, families: dict[str, str]) -> None:
    """Put q at the posterior (the E step, in q's family) at every TIGHT-th draw, and θ̂ at θ at every TIGHT-th
    draw (others), so a bound on the likelihood is also tried where it is tight: ELBO ≤ Σ_{i=2}^N log p(x_i; θ)
    fails there when a density exceeds 1, while at random q or θ̂ the gap hides it."""
    models = [d for d, family in sorted(families.items()) if family == "model"]
    if not models:
        return
    if hasattr(model, "dense_at_data"):  # densities above 1 where the bound is tight (models.GaussianMixture)
        out[models[0]] = model.dense_at_data(out[models[0]], np.arange(DRAWS)[::TIGHT])
    for draw, family in families.items():
        if family == "variational" and hasattr(model, "e_step"):
            out[draw] = _at_every(out[draw], model.e_step(out[models[0]]), slice(0, DRAWS, TIGHT))
    for draw in models[1:]:
        out[draw] = _at_every(out[draw], out[models[0]], slice(1, DRAWS, TIGHT))


def _at_every(values, tight, where: slice):
    """`values` with the entries at `where` taken from `tight` (same nesting of lists and dicts of arrays)."""
    if isinstance(values, dict):
        return {k: _at_every(v, tight[k], where) for k, v in values.items()}
    if isinstance(values, list):
        return [_at_every(v, t, where) for v, t in zip(values, tight)]
    mixed = np.array(values, dtype=float, copy=True)
    mixed[where] = np.broadcast_to(tight, mixed.shape)[where]
    return mixed


def draws_key(draws: tuple[tuple[str, str], ...], varied: frozenset[str]) -> str:
    """Names one set of draws of an instance: the same key, the same parameter values (fixed seeds)."""
    moved = ",".join(sorted(varied))
    return ";".join(f"{d}:{f}" for d, f in draws) + (f"|moving {moved}" if moved else "")


def draw_sets(wrt: str | None = None) -> list[tuple[str, str, dict]]:
    """(instance, draws key, draws) for every instance a notation evaluates on, drawn as the evaluator
    draws them for '=', '<=', '>=' (wrt None) or for '<=>' in the draw `wrt`: a Python check evaluated
    on these is compared with the slide's sides value by value. Read from the notation files alone
    (no KaTeX), so a check process can call it."""
    from .notation import notation_draws

    out = []
    for instances, draws in notation_draws():
        if wrt is not None and wrt not in dict(draws):
            continue
        varied = frozenset([wrt]) if wrt is not None else frozenset()
        for name in instances:
            if name in INSTANCES:
                out.append((name, draws_key(draws, varied), _draws(name, draws, varied)))
    return list({(n, k): (n, k, d) for n, k, d in out}.values())


def _repeat(values):
    if isinstance(values, dict):
        return {k: _repeat(v) for k, v in values.items()}
    if isinstance(values, list):
        return [_repeat(v) for v in values]
    return np.repeat(values, MOVES)


def check(link: Link, nt: Notation) -> Verdict:
    """Check one relation on every instance that gives it a meaning (NotEvaluable if none does)."""
    link = _through_maximisers(link, nt)
    verdict = _check(link, nt)
    shadowed = _bound_and_free(link)
    if verdict.ok and shadowed:
        raise NotEvaluable(f"{shadowed} both summed over and free in one relation (which {shadowed} is meant?); it "
                           f"holds for every {shadowed}, but that need not be what it says", link.lhs.pos)
    return verdict


def _check(link: Link, nt: Notation) -> Verdict:
    named = _value_for_a_constant(link, nt)
    if named is not None:
        raise NotEvaluable(f"{named} = a number: a value given to a letter {named} of the slide (\\bm{{e}} = \\bm{{0}}), "
                           f"not a claim about the constant {named}", link.lhs.pos)
    if (link.domains or not nt.instances) and _model_free(link, nt):  # no instances: a notation of no model
        return _check_free(link, nt)
    verdicts, skipped = [], []
    for name in nt.instances:
        try:
            verdicts.append((name, _check_on(name, link, nt)))
        except NotApplicable as exc:
            skipped.append(f"{name}: {exc}")
        except Undefined as exc:
            verdicts.append((name, Verdict(False, str(exc))))
    if not verdicts:
        raise NotEvaluable("no model instance gives it a meaning (" + "; ".join(skipped) + ")", link.lhs.pos)
    names = tuple(name for name, _ in verdicts)
    draws = max(v.draws for _, v in verdicts)
    failed = [(name, v) for name, v in verdicts if not v.ok]
    if failed:
        name, first = failed[0]
        failure = dict(first.failure or {}, instance=name)
        return Verdict(False, "; ".join(f"{n}: {v.detail}" for n, v in failed), draws, names, failure)
    note = f" (not on {'; '.join(skipped)})" if skipped else ""
    sides = {name: v.sides for name, v in verdicts if v.sides is not None}
    return Verdict(True, f"{verdicts[0][1].detail} on {', '.join(names)}{note}", draws, names, sides=sides or None,
                   said=verdicts[0][1].said)


def indices_as_declared(exprs: list[Node], nt: Notation) -> list[Node]:
    """x_j = … with j free and unknown to the notation says the same as x_i = …: j is renamed to the declared
    index (the data's i, the components' k) in every expression of one statement (a = b = c), when it has that
    one role there and the declared letter is not used in the statement (so nothing is captured)."""
    nodes = [n for expr in exprs for n in expr.walk()]
    roles: dict[str, set[str]] = {}
    for node in nodes:
        for letter, role in _index_uses(node, nt):
            roles.setdefault(letter, set()).add(role)
    free = {k for expr in exprs for k in free_symbols(expr)}
    used = {n.name for n in nodes if isinstance(n, Sym)}
    bound = {n.var.key() for n in nodes if isinstance(n, Sum)}
    declared = {"data": nt.index, "components": nt.component_index}
    names = {}
    for letter, (role, *more) in roles.items():
        target = declared[role]
        if not more and target is not None and letter != target and letter in free and letter not in bound \
                and target not in used and not nt.knows(Sym(letter)):
            names[letter] = target
    if not names or len(set(names.values())) < len(names):
        return exprs
    return [renamed(expr, names) for expr in exprs]


def _index_uses(node: Node, nt: Notation):
    """(letter, "data" or "components") for each plain letter this node uses as an index."""
    def letter(sub):
        return sub.name if isinstance(sub, Sym) and sub.sub is None and sub.sup is None and sub.accent is None \
            else None

    if isinstance(node, Sym) and node.sub is not None:
        base = node.base().key()
        if base == nt.data and letter(node.sub):
            yield letter(node.sub), "data"
        elif base in nt.components and letter(node.sub):
            yield letter(node.sub), "components"
        elif base in nt.indexed:
            parts = node.sub.factors if isinstance(node.sub, Mul) else (node.sub,)
            for declared, part in zip(nt.indexed[base].letters, parts):
                role = "data" if declared == nt.index else "components" if declared == nt.component_index else None
                if role and letter(part):
                    yield letter(part), role
    elif isinstance(node, Chain) and node.rels == ("=",) and isinstance(node.exprs[0], Sym) \
            and node.exprs[0].key() == nt.latent and letter(node.exprs[1]):
        yield letter(node.exprs[1]), "components"  # P(z = l): the component l


def _through_maximisers(link: Link, nt: Notation) -> Link:
    """argmax_v F = argmax_v G  <=  F <=> G in v."""
    left, right = _maximiser(link.lhs, nt), _maximiser(link.rhs, nt)
    if left is None or right is None:
        return link
    if link.rel not in ("=", ":="):
        raise NotEvaluable(f"two argmaxes related by {link.rel}", link.lhs.pos)
    if {v.key() for v in left.vars} != {v.key() for v in right.vars}:
        return replace(link, lhs=left.body, rel="argmax-vars", rhs=right.body)
    return replace(link, lhs=left.body, rel="<=>", rhs=right.body, wrt=tuple(v.key() for v in left.vars))


def _maximiser(node: Node, nt: Notation) -> Optimum | None:
    if isinstance(node, Optimum) and node.kind == "argmax":
        return node
    if isinstance(node, Sym) and node.key() in nt.maximisers:
        return nt.maximisers[node.key()]
    return None


def _check_on(name: str, link: Link, nt: Notation) -> Verdict:
    if link.rel == "argmax-vars":
        return Verdict(False, "the two argmaxes are over different variables")
    varied = frozenset(nt.wrt_draws(list(link.wrt or nt.equivalent_in))) if link.rel == "<=>" else frozenset()
    drawn = tuple(sorted(nt.draws().items()))
    draws = _draws(name, drawn, varied)
    model, n = instance(name), BASES * MOVES if varied else DRAWS
    optima = _optima(name, nt, drawn, varied, link, n)
    lhs, rhs = [], []
    for env in _assignments(link, nt, model):
        ctx = Context(nt, model, draws, plate=_indexes_latent(link, nt), where=dict(link.where), optima=optima,
                      domains=dict(link.domains), random=_random_variables(link), n_draws=n,
                      independent=_independent(link))
        entries = _entries(_side(link.lhs, ctx, "lhs", env), _side(link.rhs, ctx, "rhs", env), n)
        if isinstance(entries, Verdict):
            return entries
        lhs.append(entries[0])
        rhs.append(entries[1])
    a, b = np.concatenate(lhs), np.concatenate(rhs)
    verdict = _same_maximiser(a, b, link.wrt or nt.equivalent_in) if link.rel == "<=>" else _compare(a, b, link.rel)
    if verdict.ok and a.shape[0] == 1:  # one number per draw: a Python check of the same step can be tied to it
        key = draws_key(tuple(sorted(nt.draws().items())), varied)
        verdict = replace(verdict, sides={"draws": key, "lhs": a[0].tolist(), "rhs": b[0].tolist()})
    return verdict


_SHARING = threading.local()  # .optima inside `optima_shared()`: {setting: (notation, certified optima)}


@contextmanager
def optima_shared():
    """Within the block, relations read in the same setting (the same instance and draws, notation, row
    definitions and free variables) certify each optimum once: an optimum is a function of its objective
    and of that setting. `check --mutants` reads each row again for every variant of it. Outside, each
    relation certifies its own, so a model changed between two calls (a test, a live preview) is read anew.
    One block per thread; a block inside a block shares the outer one's."""
    outer = getattr(_SHARING, "optima", None)
    _SHARING.optima = {} if outer is None else outer
    try:
        yield
    finally:
        _SHARING.optima = outer


def _optima(name: str, nt: Notation, draws: tuple, varied: frozenset[str], link: Link, n: int) -> dict:
    """The optima a relation certifies into: its own, or inside `optima_shared()` those of its setting."""
    shared = getattr(_SHARING, "optima", None)
    if shared is None:
        return {}
    setting = (name, id(nt), draws, varied, n, tuple((k, key(v)) for k, v in link.where), link.domains,
               _indexes_latent(link, nt), _random_variables(link), link.independent)
    return shared.setdefault(setting, (nt, {}))[1]  # the notation is kept with it, so its id is not reused


def _bound_and_free(link: Link) -> str | None:
    """A letter a sum binds in one place and that stands free in another (Σ_{i=1}^N … = N KL(q(z|x_i) …)): read
    "for every i", a relation that fails is wrong whatever i was meant, but one that holds is not verified by
    that, since the author may have meant the summed i. The letter, or None."""
    sides = (link.lhs, link.rhs)
    free = {k for side in sides for k in free_symbols(side)}
    return next((node.var.key() for side in sides for node in side.walk()
                 if isinstance(node, Sum) and node.var.key() in free), None)


def _random_variables(link: Link) -> frozenset[str]:
    """The free variables with a domain that a bare \\mathbb{E}[…] takes the expectation over: random variables."""
    names = {k for k, _ in link.domains}
    return frozenset(k for side in (link.lhs, link.rhs) for node in side.walk()
                     if isinstance(node, Expect) and node.under is None for k in freevars.letters(node.body) if k in names)


def _independent(link: Link) -> bool:
    """Does the claim state its random variables independent (X \\perp Y)? All of them in one statement, or it
    is not read: a product of the named ones' distributions leaves open how the others depend on them, and
    independence stated in pairs (X \\perp Y, Y \\perp Z, X \\perp Z) is weaker than the product's mutual
    independence, so a claim true only of the product would be shown as holding."""
    random = _random_variables(link)
    named = frozenset().union(*link.independent) & random
    if not named or len(random) < 2:
        return False
    if named != random:
        raise NotEvaluable(f"independence stated of {', '.join(sorted(named))} but not of "
                           f"{', '.join(sorted(random - named))} (name every random variable: X \\perp Y \\perp Z)")
    if not any(random <= group for group in link.independent):
        mutual = " \\perp ".join(sorted(random))
        raise NotEvaluable(f"independence of {', '.join(sorted(random))} is stated in parts, which is weaker than "
                           f"their mutual independence and is not modelled (if they are mutually independent: "
                           f"{mutual})")
    return True


def _numbers(values) -> str:
    return ", ".join(f"{v:.3g}" for v in values)


def _counterexample(ctx: Context, names: list[str], draw: int) -> str:
    """The distribution a claim over random variables fails at, for the lecturer to check by hand: each
    variable's values at the outcomes and their probabilities, or, independent, each variable's own."""
    if ctx.independent:
        own = "; ".join(f"{name} = {values[0, draw]:.3g}" if np.all(values[:, draw] == values[0, draw]) else
                        f"{name} = {_numbers(values[:, draw])} with probabilities {_numbers(probs[:, draw])}"
                        for name in names for values, probs in [ctx.marginal(name)])
        return f"distribution {draw + 1} ({own}; independent)"
    values = "; ".join(f"{name} = {_numbers(ctx.outcomes(name)[:, draw])}" for name in names)
    return f"distribution {draw + 1} ({values}; with probabilities {_numbers(ctx.probabilities()[:, draw])})"


def _value_for_a_constant(link: Link, nt: Notation) -> str | None:
    """e or π alone on one side of '=' and a number on the other: the slide naming a value (an embedding e = 0,
    a mixing weight π = 0.3), which as a claim about Euler's number would fail. The letter, or None."""
    if link.rel not in ("=", ":="):
        return None
    for one, other in ((link.lhs, link.rhs), (link.rhs, link.lhs)):
        number = other.arg if isinstance(other, Neg) else other
        if isinstance(one, Sym) and one.key() in nt.constants() and isinstance(number, Num):
            return one.key()
    return None


def _model_free(link: Link, nt: Notation) -> bool:
    """Does the link speak of its free variables, numbers and named constants (e, π) alone (no density,
    parameter or count)?"""
    names = {k for k, _ in link.domains} | nt.constants()
    sides = (link.lhs, link.rhs)
    if any(k not in names for side in sides for k in freevars.letters(side)):
        return False
    return not any(isinstance(node, (Call, Optimum, EvalAt, Vector)) or
                   isinstance(node, Integral) and node.upper is None or  # over a model's variable
                   isinstance(node, Expect) and node.under is not None for side in sides for node in side.walk())


_NO_MODEL = Instance(np.zeros(0))


def _check_free(link: Link, nt: Notation) -> Verdict:
    """A claim about free variables alone, for every value of their stated domains (and every distribution of
    the random ones): evaluated once, at values spread over the domains, on no model."""
    random = _random_variables(link)
    n = DRAWS if random else 1
    independent = _independent(link)
    ctx = Context(nt, _NO_MODEL, {}, plate=False, where=dict(link.where), domains=dict(link.domains),
                  random=random, n_draws=n, independent=independent)
    lhs, rhs = _side(link.lhs, ctx, "lhs", {}), _side(link.rhs, ctx, "rhs", {})
    entries = _entries(lhs, rhs, n)
    if isinstance(entries, Verdict):
        return entries
    a, b = entries
    domains = dict(link.domains)
    scalars = [k for k in sorted(domains) if k not in random and k in freevars.letters(link.lhs) | freevars.letters(link.rhs)]
    said = [domains[k].text(k) for k in scalars]
    if random:
        variables = ", ".join(domains[k].text(k) for k in sorted(random))
        if len(random) == 1:
            said.append(f"every random variable {variables} ({n} random distributions of {freevars.SUPPORT} values, "
                        "one a constant)")
        elif independent:
            said.append(f"all random variables {variables}, independent as stated ({n} random distributions of "
                        f"{freevars.independent_support(len(random))} values each, their joint the product; one all "
                        "constant)")
        else:
            said.append(f"all random variables {variables}, dependent ({n} random joint distributions on "
                        f"{freevars.SUPPORT} outcomes, each variable with values of its own there; one all constant)")
    claim = f"for {'; '.join(said)}" if said else "between numbers"
    layout = _layout(lhs, rhs, n)
    at_points = _scalars_at_points(ctx, scalars, layout, n)
    finite = np.isfinite(a) & np.isfinite(b)
    sizes = _sizes(link, ctx, layout, n)
    rounding = _rounding(sizes)
    overflow = _overflow(a, b, finite, at_points, sizes)
    cancelled = _cancelled(a, b, finite, rounding, link.rel) & ~overflow
    unsettled = _unsettled(ctx, layout, n) & ~overflow & ~cancelled
    if not (finite | overflow).all():
        return Verdict(False, f"{claim}: a side is not finite (a log of a non-positive number?)")
    if (overflow | cancelled | unsettled).all():
        raise NotEvaluable("the floats cannot tell at any value: its terms overflow or cancel beyond their "
                           "precision, or its derivatives do not settle, everywhere", link.lhs.pos)
    beyond = ""
    if overflow.any():  # e^t at t = 900: not a number of the floats, so not a value the claim was checked at
        beyond = (f" (not at the {int(overflow[:, 0].sum())} values beyond |{'|, |'.join(scalars)}| = "
                  f"{OVERFLOW_FROM:g} where a side overflows the floats, or underflows them)")
    if cancelled.any():
        beyond += (f" (not at the {int(cancelled[:, 0].sum())} values where its terms cancel beyond "
                   "the floats' precision)")
    if unsettled.any():
        beyond += f" (not at the {int(unsettled[:, 0].sum())} values where a derivative's differences do not settle)"
    left_out = overflow | cancelled | unsettled
    a, b = np.where(left_out, 0.0, a), np.where(left_out, 0.0, b)
    bad = _bad(a, b, link.rel, rounding) & ~left_out  # a point left out is 0 = 0, never 0 > 0
    if bad.any():
        k = _simplest_failure(a, b, bad, _with_random_sizes(ctx, sorted(random), at_points, a.shape))
        at = [f"{name} = {_value_at(ctx, name, k, at_points):.6g}" for name in scalars]
        if random:
            at.append(_counterexample(ctx, sorted(random), int(k[-1])))
        failure = {"draw": int(k[-1]) + 1, "lhs": float(a[k]), "rhs": float(b[k])}
        if at and not random:  # the values of the free variables where it fails, as the slide names them
            failure["at"] = ", ".join(at)
        where = f" at {', '.join(at)}" if at else ""
        return Verdict(False, f"{claim}: lhs = {a[k]:.6g}, rhs = {b[k]:.6g}{where}", n, failure=failure)
    integer = any(domains[name].integer for name in scalars)  # only they repeat values (1 ≤ n ≤ 5 on 64 places)
    kept = _distinct_points(at_points, ~left_out[:, 0]) if integer else int((~left_out[:, 0]).sum())
    values = f" at {kept} values of {', '.join(scalars)}{beyond}" if scalars and a.shape[0] > 1 else ""
    text = f"{link.rel} holds {claim}{values} (no model needed)"
    clause = Said(DISTRIBUTIONS if random else VALUES, text, link.rel, draws=n if random else 0,
                  values=kept if values else 0, names=tuple(sorted(random)) if random else tuple(scalars),
                  plain=not beyond)
    return Verdict(True, text, n, said=(clause,))


OVERFLOW_FROM = 20.0  # below this, an infinite side is an error of the formula (1/0), never the floats' limit


def _layout(lhs, rhs, n: int) -> tuple[int, ...] | None:
    """The shape both sides broadcast to, as _entries flattens them into (points, draws); None for columns."""
    if isinstance(lhs, VectorVal) or isinstance(rhs, VectorVal):
        return None
    try:
        return np.broadcast_shapes(np.shape(lhs), np.shape(rhs), (n,))
    except ValueError:
        return None


def _on_points(values, layout: tuple[int, ...], n: int, combine) -> np.ndarray:
    """Values of a node of a side laid out as _entries lays out the sides, (points, draws); axes beyond the
    sides' own (the nodes of an integral the node lies in) combined away by `combine` (np.max, np.any)."""
    values = np.asarray(values)
    extra = values.ndim - len(layout)
    if extra > 0:
        values = combine(values, axis=tuple(range(extra)))
    return np.broadcast_to(values, layout).reshape(-1, n)


def _scalars_at_points(ctx: Context, scalars: list[str], layout, n: int) -> dict[str, np.ndarray] | None:
    """Each free scalar's value at every point of the sides as _entries flattens them, (points, draws) (each
    scalar is on an axis of its own: with two, a point's index is an index into neither one's values); None
    for sides that are columns."""
    if layout is None:
        return None
    try:
        return {name: _on_points(ctx.free_scalar(name), layout, n, np.max) for name in scalars}
    except ValueError:
        return None


def _overflow(a, b, finite, at_points: dict[str, np.ndarray] | None, sizes) -> np.ndarray:
    """The points where some free scalar is beyond ±OVERFLOW_FROM and a side is ±∞, or made of terms that
    overflowed (∞ - ∞ of cosh² x - sinh² x, 1/n! at n = 200; a NaN of finite terms is a log of a negative
    number, 0/0): e^t overflowed there. Such points are left out, never counted as holding."""
    with np.errstate(invalid="ignore"):
        overflowed = np.isinf(sizes[0] + sizes[1]) if sizes is not None else np.zeros(a.shape, dtype=bool)
    if finite.all() and not overflowed.any():
        return overflowed
    if not at_points:  # between numbers: 171! is beyond the floats, 1/0 is the formula's own
        return overflowed
    large = np.logical_or.reduce([np.abs(v) > OVERFLOW_FROM for v in at_points.values()])
    infinite = (np.isinf(a) | np.isinf(b)) & ~np.isnan(a) & ~np.isnan(b)
    return (infinite | overflowed) & large


def _sizes(link: Link, ctx: Context, layout, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each side's `magnitude`, laid out as _entries lays out the sides; None for sides that are not numbers."""
    sizes = [magnitude(side, ctx) for side in (link.lhs, link.rhs)] if layout is not None else [None]
    if any(m is None for m in sizes):
        return None
    return _on_points(sizes[0], layout, n, np.max), _on_points(sizes[1], layout, n, np.max)


def _unsettled(ctx: Context, layout, n: int) -> np.ndarray:
    """The points where a derivative of either side did not settle (evaluate._Deriv), laid out as _entries
    lays out the sides (a derivative inside an integral: at any of its nodes; of columns: at every point)."""
    if layout is None:
        return np.full((1, n), any(np.any(mask) for mask in ctx.unsettled))
    out = np.zeros((int(np.prod(layout)) // n, n), dtype=bool)
    for mask in ctx.unsettled:
        out |= _on_points(mask, layout, n, np.any)
    return out


CANCEL_ULPS = 64.0  # roundings a value's error may gather, in units of the floats' epsilon times its terms' size


def _rounding(sizes) -> np.ndarray | None:
    """What rounding may have made of the difference of the sides at each point: CANCEL_ULPS epsilons of the
    size of their terms (`magnitude`); ∞ where the terms overflowed; None for sides that are not numbers."""
    if sizes is None:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        return CANCEL_ULPS * np.finfo(float).eps * (sizes[0] + sizes[1])


def _cancelled(a, b, finite, rounding, rel: str) -> np.ndarray:
    """The points where both sides are numbers but made of terms so large that their `rounding` exceeds the
    relations' tolerance: there the floats cannot tell, and the point is left out and said; unless the relation
    is broken by more than the rounding could make (d²/dx² x⁴ = 11x² at x = 8: off by 64)."""
    if rounding is None:
        return np.zeros(a.shape, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        tolerance = RTOL * (1.0 + np.abs(a) + np.abs(b))
        broken = np.abs(a - b) if rel in ("=", ":=", "->") else a - b if rel in ("<=", "<") else b - a
        return finite & np.isfinite(rounding) & (rounding > tolerance) & ~(broken > rounding + tolerance)


def _simplest_failure(a, b, bad, at_points: dict[str, np.ndarray] | None) -> tuple[int, ...]:
    """The point to say a claim fails at: among those where it fails by at least a tenth as much (relatively) as
    at the worst, the one nearest 0 in its free scalars: 'lhs = 1, rhs = 2 at n = 0' says more than at n = 1000."""
    gap = np.where(bad, np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b))), -1.0)
    if not at_points or any(v.shape != a.shape for v in at_points.values()):
        return np.unravel_index(int(np.argmax(gap)), a.shape)
    size = np.max(np.abs(np.stack(list(at_points.values()))), axis=0)
    clear = gap >= 0.1 * gap.max()
    return np.unravel_index(int(np.argmin(np.where(clear, size, np.inf))), a.shape)


def _with_random_sizes(ctx: Context, names: list[str], at_points: dict[str, np.ndarray] | None,
                       shape: tuple[int, ...]) -> dict[str, np.ndarray] | None:
    """`at_points` and, for each random variable, its largest value at each draw laid on the points: the
    counterexample shown is then the one of the smallest values (-0.2, 1, 3 rather than 907, -488)."""
    if not names or at_points is None and shape[0] != 1:
        return at_points
    largest = {name: np.broadcast_to(np.max(np.abs(ctx.outcomes(name)), axis=0), shape) for name in names}
    return {**(at_points or {}), **largest}


def _value_at(ctx: Context, name: str, k: tuple[int, int], at_points: dict[str, np.ndarray] | None) -> float:
    """A free scalar's value at point k of the flattened sides."""
    if at_points is not None:
        return float(at_points[name][k])
    flat = np.asarray(ctx.free_scalar(name)).reshape(-1)
    return float(flat[k[0] % flat.size])


def _distinct_points(at_points: dict[str, np.ndarray] | None, kept: np.ndarray) -> int:
    """How many different values (pairs, triples) of the scalars the claim was evaluated at, at the points kept:
    an integer domain with fewer integers than an axis has places repeats some (1 ≤ n ≤ 5 is five values, not 64)."""
    if not at_points:
        return int(kept.sum())
    columns = np.stack([v[:, 0] for v in at_points.values()], axis=1)[kept]
    return len(np.unique(columns, axis=0))


def _side(node: Node, ctx: Context, side: str, env: dict):
    try:
        return evaluate(node, ctx, env)
    except NotEvaluable as exc:
        exc.side = side
        raise


def _assignments(link: Link, nt: Notation, model) -> list[dict]:
    """An index left free (α_k^t = …, ẑ_{ik} = …, μ_{ij} = …) means every value: one evaluation per assignment."""
    free = {k for side in (link.lhs, link.rhs) for k in free_symbols(side)}
    out = [{}]
    indices = ((nt.component_index, "components"), (nt.index, "data"), (nt.latent_index, "latent dimension"))
    coordinates = _latent_coordinates(link, nt)
    for index, what in indices:
        if index is not None and index in free and (what != "latent dimension" or index in coordinates):
            out = [{**env, index: j} for env in out for j in range(1, model.count(what) + 1)]
    return out


def _latent_coordinates(link: Link, nt: Notation) -> set[str]:
    """Letters that stand where a declaration puts the latent's coordinate (the j of μ_{ij}): a free one means
    every coordinate 1..J; the same letter elsewhere is no coordinate."""
    out = set()
    for node in (n for side in (link.lhs, link.rhs) for n in side.walk()):
        spec = nt.indexed.get(node.base().key()) if isinstance(node, Sym) and node.sub is not None else None
        if spec is None or nt.latent_index not in spec.letters:
            continue
        parts = node.sub.factors if isinstance(node.sub, Mul) else (node.sub,)
        out.update(p.key() for letter, p in zip(spec.letters, parts) if letter == nt.latent_index and isinstance(p, Sym))
    return out


def _entries(a, b, n: int):
    """Both sides as (points, draws) arrays, a column entry by entry; a Verdict if they cannot match."""
    if isinstance(a, VectorVal) != isinstance(b, VectorVal):
        return Verdict(False, "a vector related to a number")
    pairs = list(zip(a.parts, b.parts)) if isinstance(a, VectorVal) else [(a, b)]
    if isinstance(a, VectorVal) and len(a.parts) != len(b.parts):
        return Verdict(False, f"a vector of {len(a.parts)} entries related to one of {len(b.parts)}")
    if isinstance(a, VectorVal) and a.shapes != b.shapes:
        return Verdict(False, f"entries of shapes {_shapes(a)} related to entries of shapes {_shapes(b)}")
    flat = []
    for x, y in pairs:
        shape = np.broadcast_shapes(np.shape(x), np.shape(y), (n,))
        flat.append((np.broadcast_to(x, shape).reshape(-1, n), np.broadcast_to(y, shape).reshape(-1, n)))
    return np.concatenate([x for x, _ in flat]), np.concatenate([y for _, y in flat])


def _shapes(v: VectorVal) -> str:
    return ", ".join("{}×{}".format(*s) if s else "1" for s in v.shapes)


def _indexes_latent(link: Link, nt: Notation) -> bool:
    """Does the link write z_i? Then a free z is the vector (z_1..z_N), not one latent."""
    return any(isinstance(s, Sym) and s.base().key() == nt.latent and s.sub is not None
               for side in (link.lhs, link.rhs) for s in side.walk())


def _compare(a: np.ndarray, b: np.ndarray, rel: str) -> Verdict:
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return Verdict(False, "a side is not finite (a log of a non-positive number?)")
    bad = _bad(a, b, rel)
    points = a[..., 0].size
    if bad.any():
        k = np.unravel_index(int(np.argmax(np.where(bad, np.abs(a - b), -1))), a.shape)
        failure = {"draw": int(k[-1]) + 1, "lhs": float(a[k]), "rhs": float(b[k])}
        return Verdict(False, f"lhs = {a[k]:.6g}, rhs = {b[k]:.6g} at draw {k[-1] + 1}", a.shape[-1], failure=failure)
    where = f" at {points} values of the free variables" if points > 1 else ""
    text = f"{rel} holds at {a.shape[-1]} draws{where}"
    return Verdict(True, text, a.shape[-1], said=(Said(MODELS, text, rel, a.shape[-1], points if points > 1 else 0),))


def _bad(a: np.ndarray, b: np.ndarray, rel: str, rounding: np.ndarray | None = None) -> np.ndarray:
    """Where the relation does not hold (relative to the sides' size). A strict one fails where the sides are
    equal within the tolerance, or, where `rounding` says what the floats may have lost, within that: e^{-x} > 0
    at x = 650 holds (10⁻²⁸² is no rounding of 0), t - 1 - \\log t > 0 at t = 1 does not."""
    if rounding is not None and rel in ("<", ">"):
        gap = b - a if rel == "<" else a - b
        return ~(gap > np.nan_to_num(rounding, nan=0.0))
    scale = 1.0 + np.abs(a) + np.abs(b)
    if rel in ("=", ":=", "->"):
        return np.abs(a - b) / scale > RTOL
    if rel == "<=":
        return (a - b) / scale > RTOL
    if rel == ">=":
        return (b - a) / scale > RTOL
    if rel == "<":
        return (a - b) / scale >= -RTOL
    if rel == ">":
        return (b - a) / scale >= -RTOL
    raise NotEvaluable(f"the relation {rel}")


def _same_maximiser(a: np.ndarray, b: np.ndarray, wrt) -> Verdict:
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return Verdict(False, "a side is not finite (a log of a non-positive number?)")
    diff = (a - b).reshape(a.shape[:-1] + (BASES, MOVES))
    size = (np.abs(a) + np.abs(b)).reshape(diff.shape).max(axis=-1)
    spread = (diff.max(axis=-1) - diff.min(axis=-1)) / (1.0 + size)
    names = ", ".join(wrt)
    if spread.max() > RTOL:
        base = int(np.unravel_index(int(np.argmax(spread)), spread.shape)[-1])
        return Verdict(False, f"lhs - rhs changes by {spread.max():.3g} (relative) while {names} moves",
                       BASES * MOVES, failure={"draw": base * MOVES + 1, "spread": float(spread.max())})
    text = f"<=> (lhs - rhs constant in {names}) at {BASES} x {MOVES} draws"
    return Verdict(True, text, BASES * MOVES, said=(Said(CONSTANT, text, "<=>", BASES * MOVES, names=tuple(wrt)),))
