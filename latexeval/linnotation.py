r"""A notation of vectors and matrices (latexeval/notations/<name>.yaml with `vocabulary: linear-algebra`).

It says what each letter of a lecture is — a scalar with a range, an integer, a vector or a
matrix of a shape made of small sizes (d, n, L), with properties (symmetric, a rotation, a
probability vector …), or a random vector with a distribution — so that every relation on
the slides can be computed with numpy on random instances. docs/notations.md is the
authoring guide; this module reads the format and rejects a mistake in it with
`file:line: error: what is wrong` and a hint, never a traceback.

The LaTeX in the file is read by KaTeX, like the slides, so `\bm{q}_i` in the notation is
the `\textcolor{blue}{\bm{q}}_i` of a slide.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import NotationError, NotEvaluable
from .expr import Neg, Node, Num, Sym, Vector
from .katex import KatexError, shared_parser
from .syntax import Grammar

VOCABULARY = "linear-algebra"
PROPERTIES = {
    "symmetric": "matrix", "orthogonal": "matrix", "rotation": "matrix", "block-rotation": "matrix",
    "positive-definite": "matrix", "diagonal": "matrix", "normalised-adjacency": "matrix",
    "stochastic": "matrix", "unit-norm": "vector", "probability": "vector", "nonnegative": "any",
}
DISTRIBUTIONS = ("gaussian", "zero-mean")
KINDS = ("scalar", "integer", "vector", "matrix", "attention")
SYMBOL_KEYS = set(KINDS) | {"properties", "index", "distribution", "mean", "covariance", "like", "log", "layers"}
SCOPE_KEYS = {"symbols", "indices", "abbreviations", "conditions", "limit"}
TOP_KEYS = {"vocabulary", "instances", "first-index", "sizes", "slides"} | SCOPE_KEYS
GUIDE = "docs/notations.md"


# --------------------------------------------------------------------------- #
# YAML with the line of every entry


class _Map(dict):
    def __init__(self, *args):
        super().__init__(*args)
        self.line, self.lines = 1, {}


class _List(list):
    def __init__(self, *args):
        super().__init__(*args)
        self.line, self.lines = 1, []


def _located(node: yaml.Node):
    """A composed YAML node as plain values, mappings and lists remembering each entry's line (1-based)."""
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line, out.lines = node.start_mark.line + 1, {}
        for k, v in node.value:
            key = _located(k)
            if key in out:
                raise _Duplicate(key, out.lines[key], k.start_mark.line + 1)
            out[key] = _located(v)
            out.lines[key] = k.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        out = _List(_located(v) for v in node.value)
        out.line, out.lines = node.start_mark.line + 1, [v.start_mark.line + 1 for v in node.value]
        return out
    return yaml.SafeLoader("").construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value


class _Duplicate(Exception):
    def __init__(self, key, first: int, again: int):
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def read_located(path: Path, shown: str):
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        return _located(node) if node is not None else _Map()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NotationError(shown, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                            "LaTeX goes in single quotes: '\\bm{x}' (YAML leaves backslashes alone there)") from None
    except _Duplicate as dup:
        raise NotationError(shown, dup.again, f"'{dup.key}' is given twice in one mapping (first on line {dup.first})",
                            "keep one of them: the second would silently replace the first") from None


# --------------------------------------------------------------------------- #
# what the file declares


@dataclass(frozen=True)
class Size:
    """A dimension: fixed, or drawn per instance from lo..hi (even: only even values, as d of RoPE)."""

    name: str
    lo: int
    hi: int
    even: bool = False


@dataclass(frozen=True)
class Bound:
    """A number or a LaTeX expression in the sizes (L-1), read when an instance is drawn."""

    node: Node


@dataclass(frozen=True)
class Distribution:
    kind: str  # "gaussian" or "zero-mean" (only its mean and covariance are known)
    mean: Node | None
    covariance: Node | None
    like: str | None = None  # i.i.d. with this symbol (a copy of its declaration, drawn independently)


@dataclass(frozen=True)
class Limit:
    """'for large enough n, f ≤ ε under any ε': f ≤ ε is claimed as f → 0 while the size n grows."""

    large: str  # a size
    small: str  # the symbol that stands for any positive number
    line: int = 0


@dataclass(frozen=True)
class Symbol:
    key: str
    kind: str  # scalar, integer, vector, matrix
    shape: tuple[Node, ...] = ()  # vector: (d,), matrix: (n, d)
    range: tuple[Bound, Bound] | None = None  # scalar / integer
    log: bool = False  # a scalar drawn log-uniformly (a base b from 2 to 10000)
    properties: tuple[str, ...] = ()
    index: str | None = None  # a family q_i: the letter, and its range in `indices`
    distribution: Distribution | None = None
    line: int = 0
    sequence: Node | None = None  # attention: the matrix or list whose rows are the tokens
    layers: Node | None = None  # attention: how many layers


@dataclass
class Scope:
    """What holds on every slide (the top level) or on the slides of one title (`slides:`)."""

    symbols: dict[str, Symbol] = field(default_factory=dict)  # by key; a family by its letter's base key
    families: dict[str, Symbol] = field(default_factory=dict)
    indices: dict[str, tuple[Bound, Bound]] = field(default_factory=dict)
    abbreviations: dict[str, tuple[Sym, Node]] = field(default_factory=dict)  # by base key
    conditions: set[str] = field(default_factory=set)  # formulas the slides assume, as spelled (spaces aside)
    limit: "Limit | None" = None  # "for large enough n … under any ε"


class LinearNotation:
    """A linear-algebra notation: sizes, symbols (with a scope per slide title) and abbreviations."""

    linear = True

    def __init__(self, name: str, spec: _Map, shown: str):
        self.name, self.shown = name, shown
        self.grammar = Grammar(frozenset(), linear=True)
        self._check_keys(spec, TOP_KEYS, "a notation", spec.line)
        self.instances = self._int(spec, "instances", 8, 1, 200)
        self.first_index = self._int(spec, "first-index", 1, 0, 1)  # x_1 is x's first entry (0: x_0 is)
        self.sizes = self._sizes(spec.get("sizes") or _Map(), spec)
        self._index_lines: dict[str, int] = {}
        self.top = self._scope(spec)
        self.scopes = {}
        slides = spec.get("slides") or _Map()
        self._need(isinstance(slides, dict), spec.lines.get("slides", 1), "'slides' should map slide titles to "
                   "what changes on them", "slides:\n  'RoPE 的低频':\n    symbols: {…}")
        for title, scope in slides.items():
            line = slides.lines[title]
            self._need(isinstance(scope, dict), line, f"slide '{title}' should map to symbols/indices/abbreviations",
                       "slides:\n  'TITLE':\n    symbols:\n      '\\bm{q}': {vector: d, distribution: gaussian}")
            self._check_keys(scope, SCOPE_KEYS, f"slide '{title}'", line)
            self.scopes[str(title)] = self._scope(scope, self.top)
        for scope in [self.top, *self.scopes.values()]:
            self._check_likes(scope)
            self._letters_declared(scope)

    # --------------------------------------------------------------------- #

    def scope(self, title: str | None) -> Scope:
        return self.scopes.get((title or "").strip(), self.top)

    def knows(self, sym: Sym, title: str | None = None) -> bool:
        """Declared here (a size, an index, a symbol, a family member, an abbreviation)?"""
        scope = self.scope(title)
        k = sym.key()
        return k in self.sizes or k in scope.indices or k in scope.symbols or \
            (sym.sub is not None and family_key(sym) in scope.families) or \
            sym.base().key() in scope.abbreviations and \
            _arity(scope.abbreviations[sym.base().key()][0].sub) == _arity(sym.sub)

    # --------------------------------------------------------------------- #
    # reading

    def _fail(self, line: int, message: str, hint: str):
        raise NotationError(self.shown, line, message, hint)

    def _need(self, ok: bool, line: int, message: str, hint: str) -> None:
        if not ok:
            self._fail(line, message, hint)

    def _check_keys(self, spec, allowed: set[str], what: str, line: int) -> None:
        if not isinstance(spec, dict):
            self._fail(line, f"{what} should be a mapping", f"see {GUIDE}")
        for key in spec:
            if key not in allowed:
                near = _nearest(str(key), allowed)
                self._fail(spec.lines.get(key, line), f"unknown entry '{key}' in {what}",
                           f"did you mean '{near}'?" if near else f"{what} takes: {', '.join(sorted(allowed))}")

    def _int(self, spec, key: str, default: int, lo: int, hi: int) -> int:
        value = spec.get(key, default)
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        self._need(ok, spec.lines.get(key, 1), f"'{key}' should be a whole number from {lo} to {hi}, not {value!r}",
                   f"{key}: {default}")
        return value

    def latex(self, text, line: int, what: str) -> Node:
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return Num(float(text))
        self._need(isinstance(text, str), line, f"{what} should be LaTeX in quotes, not {text!r}", "'\\bm{x}'")
        (tree,) = shared_parser().parse([text])
        if isinstance(tree, KatexError):
            self._fail(line, f"KaTeX cannot read {text!r} ({what}): {tree}", "write it as on a slide")
        try:
            (row,) = self.grammar.rows(tree)
            (node,) = self.grammar.statements(row)
        except (NotEvaluable, ValueError) as exc:
            self._fail(line, f"{what} {text!r} cannot be read: {exc}", "one expression, written as on a slide")
        return node

    def _sym(self, text, line: int, what: str) -> Sym:
        node = self.latex(text, line, what)
        self._need(isinstance(node, Sym), line, f"{what} {text!r} should be one symbol", "e.g. '\\bm{x}', 'W_Q', 'd'")
        return node

    def _sizes(self, spec, top) -> dict[str, Size]:
        self._need(isinstance(spec, dict), top.lines.get("sizes", 1), "'sizes' should map size letters to ranges",
                   "sizes:\n  d: {from: 2, to: 6}\n  n: 3")
        out = {}
        for name, value in spec.items():
            line = spec.lines[name]
            key = self._sym(str(name), line, "size").key()
            if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                out[key] = Size(key, value, value)
                continue
            ok = isinstance(value, dict) and set(value) <= {"from", "to", "even"} and \
                all(isinstance(value.get(b), int) and value.get(b) >= 1 for b in ("from", "to")) and \
                value["from"] <= value["to"] <= 64
            self._need(ok, line, f"size '{name}' should be a number or {{from: LOW, to: HIGH}} (1 <= LOW <= HIGH <= 64)",
                       f"{name}: {{from: 2, to: 6}}   # a small random size for each instance; or {name}: 4")
            even = bool(value.get("even"))
            self._need(not even or value["to"] >= 2 and any(v % 2 == 0 for v in range(value["from"], value["to"] + 1)),
                       line, f"size '{name}' has no even value in its range", "widen the range")
            out[key] = Size(key, value["from"], value["to"], even)
        return out

    def _scope(self, spec, below: Scope | None = None) -> Scope:
        scope = Scope(dict(below.symbols), dict(below.families), dict(below.indices), dict(below.abbreviations),
                      set(below.conditions), below.limit) if below else Scope()
        indices = spec.get("indices") or _Map()
        self._need(isinstance(indices, dict), spec.lines.get("indices", 1), "'indices' should map index letters to "
                   "ranges", "indices:\n  i: {from: 0, to: 'L-1'}")
        for name, value in indices.items():
            key = self._sym(str(name), indices.lines[name], "index").key()
            self._index_lines[f"index '{key}'"] = indices.lines[name]
            scope.indices[key] = self._range(value, indices.lines[name], f"index '{name}'")
        symbols = spec.get("symbols") or _Map()
        self._need(isinstance(symbols, dict), spec.lines.get("symbols", 1), "'symbols' should map LaTeX symbols "
                   "to what they are", "symbols:\n  '\\bm{x}': {vector: d}")
        for latex, value in symbols.items():
            self._symbol(scope, latex, value, symbols.lines[latex])
        abbreviations = spec.get("abbreviations") or _Map()
        self._need(isinstance(abbreviations, dict), spec.lines.get("abbreviations", 1), "'abbreviations' should map "
                   "what a slide writes to what it means", "abbreviations:\n  'R_{m}': 'R_{m, \\theta}'")
        for latex, body in abbreviations.items():
            line = abbreviations.lines[latex]
            sym = self._sym(latex, line, "abbreviation")
            scope.abbreviations[sym.base().key()] = (sym, self.latex(body, line, f"the meaning of {latex!r}"))
        conditions = spec.get("conditions") or []
        line = spec.lines.get("conditions", 1)
        self._need(isinstance(conditions, list) and all(isinstance(c, str) for c in conditions), line,
                   "'conditions' should list the formulas a slide assumes, as LaTeX in quotes",
                   "conditions:\n  - 'S_{n-1, j} \\approx S_{n, j}^*'")
        for k, text in enumerate(conditions):
            (tree,) = shared_parser().parse([text])
            at = conditions.lines[k] if isinstance(conditions, _List) else line
            self._need(not isinstance(tree, KatexError), at, f"KaTeX cannot read the condition {text!r}: {tree}",
                       "write it as on the slide")
            scope.conditions.add(spelled(text))
        if "limit" in spec:
            scope.limit = self._limit(spec["limit"], spec.lines.get("limit", 1))
        return scope

    def _limit(self, value, line: int) -> Limit:
        example = "limit: {large: n, small: '\\epsilon'}   # for large enough n, under any ε"
        self._need(isinstance(value, dict) and set(value) == {"large", "small"}, line,
                   "'limit' should name the size that grows and the symbol that stands for any small number", example)
        large = self._sym(str(value["large"]), line, "the size of a limit").key()
        self._need(large in self.sizes, line, f"limit: '{value['large']}' is not a declared size", example)
        return Limit(large, self._sym(value["small"], line, "the small symbol of a limit").key(), line)

    def _range(self, value, line: int, what: str) -> tuple[Bound, Bound]:
        if isinstance(value, dict):
            ok = set(value) == {"from", "to"}
            value = [value.get("from"), value.get("to")]
        else:
            ok = isinstance(value, list) and len(value) == 2
        self._need(ok, line, f"{what} should be a range [LOW, HIGH] or {{from: LOW, to: HIGH}}",
                   "bounds are numbers or LaTeX in the sizes: [0, 'L-1']")
        lo, hi = (self.latex(v, line, f"the {end} end of {what}") for v, end in zip(value, ("low", "high")))
        if isinstance(lo, Num) and isinstance(hi, Num) and lo.value > hi.value:
            self._fail(line, f"{what} runs from {lo.value:g} down to {hi.value:g}",
                       "write the low end first: [LOW, HIGH]")
        return Bound(lo), Bound(hi)

    def _letters_declared(self, scope: Scope) -> None:
        """Every letter in a bound of an index or a range of a symbol is a size or a declared symbol."""
        known = set(self.sizes) | set(scope.symbols) | set(scope.indices) | {"\\pi"}
        ranged = [(f"index '{k}'", b, None) for k, b in scope.indices.items()] + \
            [(f"the range of {s.key!r}", s.range, s.line) for s in scope.symbols.values() if s.range]
        for what, bounds, line in ranged:
            for bound in bounds:
                unknown = [x.key() for x in bound.node.walk() if isinstance(x, Sym) and x.key() not in known]
                self._need(not unknown, line or self._index_lines.get(what, 1),
                           f"{what}: '{unknown[0] if unknown else ''}' is not a declared size or symbol",
                           f"declare it under sizes ({unknown[0] if unknown else 'n'}: {{from: 2, to: 6}}) or write "
                           "a number")

    def _symbol(self, scope: Scope, latex, value, line: int) -> None:
        sym = self._sym(latex, line, "symbol")
        self._need(isinstance(value, dict), line, f"symbol {latex!r} should map to what it is",
                   "{vector: d}, {matrix: [n, d]}, {scalar: [0, 1]}, {integer: [0, 'L-1']}")
        for key in value:
            if key not in SYMBOL_KEYS:
                near = _nearest(str(key), SYMBOL_KEYS)
                self._fail(line, f"symbol {latex!r}: unknown entry '{key}'",
                           f"did you mean '{near}'?" if near else f"a symbol takes: {', '.join(sorted(SYMBOL_KEYS))}")
        if "like" in value:
            self._need(set(value) == {"like"}, line, f"symbol {latex!r}: 'like' copies a declaration and stands alone",
                       f"'{latex}': {{like: '\\bm{{q}}'}}   # independent, identically distributed")
            other = self._sym(value["like"], line, f"'like' of {latex!r}").key()
            scope.symbols[sym.key()] = Symbol(sym.key(), "like", distribution=Distribution("like", None, None, other),
                                              line=line)
            return
        kinds = [k for k in KINDS if k in value]
        self._need(len(kinds) == 1, line, f"symbol {latex!r} should be exactly one of {', '.join(KINDS)}"
                   + (f" (it says {', '.join(kinds)})" if kinds else ""),
                   "{vector: d}, {matrix: [n, d]}, {scalar: [0, 1]}, {integer: [0, 'L-1']}")
        kind = kinds[0]
        shape: tuple[Node, ...] = ()
        rng = None
        sequence = layers = None
        self._need("layers" not in value or kind == "attention", line,
                   f"symbol {latex!r}: 'layers' belongs to an attention output", "drop 'layers'")
        if kind == "attention":
            sequence = self._sym(value["attention"], line, f"the sequence of {latex!r}")
            layers = self._dim(value.get("layers", 1), line, latex)
            self._need(isinstance(sym.sub, Sym) and sym.sub.key() in scope.indices, line,
                       f"symbol {latex!r}: an attention output is a family: its subscript is a declared index",
                       "indices:\n  i: [0, 'n-1']\nsymbols:\n  '\\bm{x}_i^{(L)}': {attention: X, layers: 2}")
        elif kind in ("vector", "matrix"):
            raw = value[kind]
            dims = raw if isinstance(raw, list) else [raw, raw] if kind == "matrix" else [raw]
            self._need(len(dims) == (1 if kind == "vector" else 2), line,
                       f"symbol {latex!r}: bad shape {raw!r} for a {kind}",
                       "a vector: {vector: d}; a matrix: {matrix: [n, d]} or {matrix: d} (square)")
            shape = tuple(self._dim(d, line, latex) for d in dims)
        else:
            raw = value[kind]
            rng = self._range(raw, line, f"the range of {latex!r}")
            self._need(not value.get("log") or not isinstance(rng[0].node, Num) or rng[0].node.value > 0, line,
                       f"symbol {latex!r}: a log-uniform range starts above 0",
                       f"'{latex}': {{scalar: [1, 100], log: true}}")
        props = value.get("properties") or []
        self._need(isinstance(props, list), line, f"symbol {latex!r}: 'properties' should be a list",
                   "properties: [symmetric, positive-definite]")
        for prop in props:
            applies = PROPERTIES.get(prop)
            if applies is None:
                near = _nearest(str(prop), set(PROPERTIES))
                self._fail(line, f"symbol {latex!r}: unknown property '{prop}'",
                           (f"did you mean '{near}'? " if near else "") + f"known: {', '.join(sorted(PROPERTIES))}")
            self._need(applies in ("any", kind), line, f"symbol {latex!r}: '{prop}' is a property of a {applies}, "
                       f"and {latex!r} is a {kind}", f"declare it as a {applies}, or drop '{prop}'")
        square = {"symmetric", "orthogonal", "rotation", "block-rotation", "positive-definite", "normalised-adjacency",
                  "diagonal"}
        if "block-rotation" in props:
            self._need(self._even(shape[0]), line, f"symbol {latex!r}: a block-diagonal rotation needs an even size",
                       "sizes:\n  d: {from: 2, to: 8, even: true}")
        if kind == "matrix" and square & set(props):
            self._need(shape[0] == shape[1], line, f"symbol {latex!r}: a {'/'.join(sorted(square & set(props)))} "
                       "matrix is square", f"{{matrix: {_spell(shape[0])}}}")
        dist = self._distribution(value, line, latex, kind)
        # q_i with i a declared index is a family (q_0, q_1, …); W_Q is a name of its own
        index = sym.sub.key() if isinstance(sym.sub, Sym) and sym.sub.key() in scope.indices else None
        entry = Symbol(sym.key(), kind, shape, rng, bool(value.get("log")), tuple(props), index, dist, line,
                       sequence, layers)
        if index is not None:
            scope.families[family_key(sym)] = entry
        else:
            scope.symbols[sym.key()] = entry

    def _even(self, dim: Node) -> bool:
        if isinstance(dim, Num):
            return dim.value % 2 == 0
        size = self.sizes.get(dim.key()) if isinstance(dim, Sym) else None
        return size is not None and (size.even or size.lo == size.hi and size.lo % 2 == 0)

    def _dim(self, raw, line: int, latex: str) -> Node:
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
            return Num(float(raw))
        node = self.latex(str(raw), line, f"a dimension of {latex!r}")
        self._need(not isinstance(node, (Num, Neg)), line, f"symbol {latex!r}: bad shape: a dimension is a size "
                   f"or a whole number from 1, not {raw!r}", "{vector: d} with d under sizes, or {vector: 3}")
        unknown = [s.key() for s in node.walk() if isinstance(s, Sym) and s.key() not in self.sizes]
        self._need(not unknown, line, f"symbol {latex!r}: bad shape: '{raw}' is not a declared size",
                   f"declare it under sizes (sizes: {{{unknown[0] if unknown else raw}: {{from: 2, to: 6}}}}), "
                   "or write a number")
        return node

    def _distribution(self, value, line: int, latex: str, kind: str) -> Distribution | None:
        dist = value.get("distribution")
        if dist is None:
            extra = [k for k in ("mean", "covariance") if k in value]
            self._need(not extra, line, f"symbol {latex!r}: '{extra[0] if extra else ''}' without a distribution",
                       "distribution: gaussian (or zero-mean)")
            return None
        self._need(dist in DISTRIBUTIONS, line, f"symbol {latex!r}: unknown distribution '{dist}'",
                   "distribution: gaussian (mean, covariance) or zero-mean (covariance; nothing else known)")
        self._need(kind in ("vector", "scalar"), line, f"symbol {latex!r}: only a vector or a scalar has a "
                   "distribution here", "a random matrix: declare its columns as random vectors")
        self._need(dist != "zero-mean" or "mean" not in value, line,
                   f"symbol {latex!r}: a zero-mean distribution takes no mean", "drop 'mean'")
        mean = self.latex(value["mean"], line, f"the mean of {latex!r}") if "mean" in value else None
        cov = self.latex(value["covariance"], line, f"the covariance of {latex!r}") if "covariance" in value else None
        return Distribution(dist, mean, cov)

    def _check_likes(self, scope: Scope) -> None:
        for sym in list(scope.symbols.values()):
            if sym.kind != "like":
                continue
            other = scope.symbols.get(sym.distribution.like)
            self._need(other is not None and other.distribution is not None and other.kind != "like", sym.line,
                       f"symbol {sym.key!r}: 'like' names {sym.distribution.like!r}, which is not a random symbol "
                       "declared here", "declare that one with a distribution first")
            copy = Distribution(other.distribution.kind, other.distribution.mean, other.distribution.covariance,
                                other.key)
            scope.symbols[sym.key] = Symbol(sym.key, other.kind, other.shape, other.range, other.log,
                                            other.properties, None, copy, sym.line)


def family_key(sym: Sym) -> str:
    """q_i and x_i^{(L)} are families q and x^{(L)}: the letter with its accent and superscript."""
    return Sym(sym.name, sym.accent, sup=sym.sup).key()


def spelled(latex: str) -> str:
    """A formula's LaTeX with the spaces taken out: how a condition is found on its slide."""
    return "".join(latex.split())


def _arity(sub: Node | None) -> int:
    """How many indices a subscript holds: R_{i,θ} two, R_m one."""
    return 0 if sub is None else len(sub.parts) if isinstance(sub, Vector) else 1


def _spell(node: Node) -> str:
    return node.key() if hasattr(node, "key") else "n"


def _nearest(word: str, choices: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def is_linear(spec: dict) -> bool:
    return isinstance(spec, dict) and spec.get("vocabulary") == VOCABULARY


def load_file(path: Path, name: str | None = None, shown: str | None = None) -> LinearNotation:
    """Read a linear-algebra notation file; NotationError (file:line) on any mistake in it."""
    shown = shown or str(path)
    spec = read_located(path, shown)
    if not isinstance(spec, dict) or spec.get("vocabulary") != VOCABULARY:
        raise NotationError(shown, 1, f"not a {VOCABULARY} notation", f"start the file with 'vocabulary: {VOCABULARY}'")
    return LinearNotation(name or path.stem, spec, shown)
