"""What a formula says, once presentation is gone: the tree the evaluator walks.

KaTeX's tree describes typesetting (a call p(x) is four sibling nodes, \\bm and
\\textcolor wrap what they decorate); this tree describes meaning, so that every
rewrite that typesets differently but means the same reads to the same tree.
Every node remembers where it came from in the formula (``pos``), so an
unsupported construct can be pointed at in the slide.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

Pos = tuple[int, int] | None


@dataclass(frozen=True)
class Node:
    pos: Pos = field(default=None, compare=False, kw_only=True, repr=False)

    def children(self):
        """Sub-trees, in order (for walks that look for a symbol)."""
        for name in _child_fields(type(self)):
            yield from _nodes_in(getattr(self, name))

    def walk(self):
        """This node and every node below it, in order. A tree never changes, so the list is made once: the
        evaluator and `check --mutants` walk the same rows many times."""
        nodes = self.__dict__.get("_walk")
        if nodes is None:
            nodes = [self]
            for child in self.children():
                nodes.extend(child.walk())
            nodes = tuple(nodes)
            object.__setattr__(self, "_walk", nodes)
        return iter(nodes)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = _CHILD_FIELDS[cls] = tuple(f.name for f in fields(cls) if f.name != "pos")
    return names


def _nodes_in(value):
    if isinstance(value, Node):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _nodes_in(item)


@dataclass(frozen=True)
class Num(Node):
    value: float

    def key(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Sym(Node):
    """A letter with its decorations: \\hat{\\theta}, \\bm{x}_i, \\theta^{t-1}, \\text{KL}.

    Bold is dropped (it is how the deck marks vectors, not a different symbol);
    accents, sub- and superscripts are kept and resolved by the evaluator, which
    decides whether a subscript is an index and a superscript a power.
    """

    name: str
    accent: str | None = None
    sub: Node | None = None
    sup: Node | None = None

    def base(self) -> "Sym":
        return Sym(self.name, self.accent, pos=self.pos)

    def key(self) -> str:
        text = self.__dict__.get("_key")
        if text is None:
            text = self.name if self.accent is None else f"{self.accent}{{{self.name}}}"
            if self.sub is not None:
                text += f"_{{{key(self.sub)}}}"
            if self.sup is not None:
                text += f"^{{{key(self.sup)}}}"
            object.__setattr__(self, "_key", text)  # a tree never changes: spelled once
        return text


@dataclass(frozen=True)
class Placeholder(Node):
    """\\cdot standing for an argument: the variable of p(\\cdot)."""

    def key(self) -> str:
        return "\\cdot"


@dataclass(frozen=True)
class Call(Node):
    """head(a, b | c; d): arguments grouped by the separator in front of them ('' for the first)."""

    head: Sym
    parts: tuple[tuple[str, tuple[Node, ...]], ...]

    def signature(self) -> tuple[str, ...]:
        return tuple(sep for sep, args in self.parts for _ in args)

    def args(self) -> tuple[Node, ...]:
        return tuple(a for _, args in self.parts for a in args)

    def key(self) -> str:
        inner = "".join(f"{sep}{','.join(key(a) for a in args)}" for sep, args in self.parts)
        return f"{self.head.key()}({inner})"


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Add(Node):
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple[Node, ...]


@dataclass(frozen=True)
class Div(Node):
    num: Node
    den: Node


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exp: Node


@dataclass(frozen=True)
class Func(Node):
    """\\log, \\exp, \\sqrt of one argument."""

    name: str
    arg: Node


@dataclass(frozen=True)
class Extremum(Node):
    """\\max(a, b, …) or \\min(…) of numbers (an optimum over a variable is Optimum)."""

    kind: str  # "max" or "min"
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binomial(Node):
    """\\binom{n}{k}: n choose k, of natural numbers (0 when k > n)."""

    n: Node
    k: Node


@dataclass(frozen=True)
class Deriv(Node):
    """\\frac{\\mathrm{d}}{\\mathrm{d} x} body (or ∂/∂x): the derivative in x, at the value x has (a free variable)."""

    var: Sym
    body: Node


@dataclass(frozen=True)
class Sum(Node):
    """\\sum_{var=lo}^{hi} body (or \\prod when product is True)."""

    var: Sym
    lo: Node
    hi: Node
    body: Node
    product: bool = False


@dataclass(frozen=True)
class Integral(Node):
    """\\int … \\mathrm{d}x over a model's latent variable or data space, or with its bounds from lower to upper
    (numbers, ±\\infty, free variables: quadrature.py)."""

    var: Sym
    body: Node
    lower: Node | None = None
    upper: Node | None = None


@dataclass(frozen=True)
class Draw(Node):
    """var ~ dist, as written under an expectation."""

    var: Node
    dist: Node


@dataclass(frozen=True)
class Expect(Node):
    """\\mathbb{E} over `under`: a Draw (z ~ p(...)) or a subscript the notation abbreviates."""

    under: Node | None
    body: Node


@dataclass(frozen=True)
class Optimum(Node):
    """max / min / argmax / argmin over `vars` of body."""

    kind: str
    vars: tuple[Sym, ...]
    body: Node


@dataclass(frozen=True)
class EvalAt(Node):
    """\\left. body \\right|_{a = b}: body with a replaced by b."""

    body: Node
    bindings: tuple[tuple[Sym, Node], ...]


@dataclass(frozen=True)
class Vector(Node):
    """A column (pmatrix, bmatrix): equal to another column entry by entry."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Chain(Node):
    """a rel b rel c ...: one statement. exprs[0] is None for a row that starts with its relation."""

    exprs: tuple[Node | None, ...]
    rels: tuple[str, ...]


@dataclass(frozen=True)
class Quantified(Node):
    """'\\forall t > 0': the values a free variable ranges over, for the other relations of the formula."""

    chain: Chain


@dataclass(frozen=True)
class Member(Node):
    """'x \\in \\mathbb{R}_+', 'n \\in \\mathbb{N}': a letter's domain named as a set: its lower bound (None: none)
    and whether it holds integers only."""

    letter: Sym
    lo: float | None
    lo_closed: bool
    integer: bool


@dataclass(frozen=True)
class Independent(Node):
    """'X \\perp Y' after a claim: the random variables it names are independent (mutually: the claim is
    evaluated on products of their distributions)."""

    letters: tuple[Sym, ...]


@dataclass(frozen=True)
class Labelled(Node):
    """\\text{ELBO:} body: the deck naming a quantity (read as NAME := body)."""

    name: Sym
    body: Node


def free_symbols(node: Node, bound: frozenset[str] = frozenset()) -> dict[str, Sym]:
    """The symbols a formula leaves free, by key (θ^{t-1} whole, and the letters of its scripts).

    A universally meant letter (a component index k) and the parameters an optimum depends
    on are found this way; variables bound by a sum, integral, optimum, expectation or
    substitution are not.
    """
    if isinstance(node, Sym):
        if node.name == "\\infty" and node.sub is None and node.sup is None:
            return {}  # a bound, never a variable
        # k^2 (or x^{-1}) of a bound k is k squared: bound (θ^t is not)
        power = (isinstance(node.sup, Num) or isinstance(node.sup, Neg) and isinstance(node.sup.arg, Num)) \
            and node.sub is None
        out = {} if node.key() in bound or power and replace(node, sup=None).key() in bound else {node.key(): node}
        for script in (node.sub, node.sup):
            if script is not None:
                out.update(free_symbols(script, bound))
        return out
    scoped: list[tuple[Node, frozenset[str]]]
    if isinstance(node, Sum):
        scoped = [(b, bound) for b in (node.lo, node.hi) if b is not None] + [(node.body, bound | {node.var.key()})]
    elif isinstance(node, Integral):
        scoped = [(b, bound) for b in (node.lower, node.upper) if b is not None] + \
            [(node.body, bound | {node.var.key()})]
    elif isinstance(node, Optimum):
        scoped = [(node.body, bound | {v.key() for v in node.vars})]
    elif isinstance(node, Expect) and isinstance(node.under, Draw):
        var = node.under.var
        scoped = [(node.under.dist, bound), (node.body, bound | ({var.key()} if isinstance(var, Sym) else set()))]
    elif isinstance(node, EvalAt):
        scoped = [(value, bound) for _, value in node.bindings]
        scoped.append((node.body, bound | {sym.key() for sym, _ in node.bindings}))
    else:
        scoped = [(child, bound) for child in node.children()]
    out: dict[str, Sym] = {}
    for child, names in scoped:
        out.update(free_symbols(child, names))
    return out


def renamed(node, names: dict[str, str]):
    """`node` with every plain letter in `names` (no accent or scripts) spelled as its value: an index renamed."""
    if isinstance(node, Sym) and node.name in names and node.accent is None and node.sub is None \
            and node.sup is None:
        return replace(node, name=names[node.name])
    if isinstance(node, Node):
        return replace(node, **{f.name: renamed(getattr(node, f.name), names) for f in fields(node) if f.name != "pos"})
    if isinstance(node, tuple):
        return tuple(renamed(item, names) for item in node)
    return node


def key(node: Node) -> str:
    """A canonical spelling, used to look symbols and patterns up in the notation."""
    if hasattr(node, "key"):
        return node.key()
    if isinstance(node, Neg):
        return f"-{key(node.arg)}"
    if isinstance(node, Add):
        return "+".join(key(t) for t in node.terms).replace("+-", "-")
    if isinstance(node, Mul):
        return " ".join(key(f) for f in node.factors)
    if isinstance(node, Vector):
        return ",".join(key(p) for p in node.parts)
    said = [f"{name}={value}" for name in _child_fields(type(node))  # argmax and argmin are not one key
            if not isinstance(value := getattr(node, name), (Node, tuple)) and value is not None]
    return f"{type(node).__name__}({','.join([key(c) for c in node.children()] + said)})"


# --------------------------------------------------------------------------- #
# linear algebra (read only with a linear-algebra notation: latexeval/linnotation.py)


@dataclass(frozen=True)
class Inner(Node):
    """\\langle a, b \\rangle."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Norm(Node):
    """\\|a\\| (kind None or '2': Euclidean / spectral), \\|a\\|_1, \\|a\\|_F; |a| is kind 'abs'."""

    arg: Node
    kind: str | None = None


@dataclass(frozen=True)
class Hadamard(Node):
    """a \\odot b: the entrywise product."""

    left: Node
    right: Node


@dataclass(frozen=True)
class Dots(Node):
    """\\cdots, \\vdots, \\ddots, \\ldots: "the pattern continues" (kind 'h', 'v', 'd')."""

    kind: str


@dataclass(frozen=True)
class Stack(Node):
    """[a, b, \\ldots, c]: vectors listed in brackets (a sequence X = [x_0, …, x_{n-1}]), Dots standing
    for an index that runs between its neighbours. Whether they are rows or columns the brackets
    do not say, so only a statement of its shape (X ∈ ℝ^{n×d}) can use it."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Label(Node):
    """\\textcircled{3}: the name of an item on the slide (a task, a step), not a quantity."""

    text: str

    def key(self) -> str:
        return self.text


@dataclass(frozen=True)
class Words(Node):
    """What a formula says in words rather than as a relation between quantities (a ranking of
    labels, a labelled arrow to text): recorded with the reason, never checked."""

    said: str


@dataclass(frozen=True)
class Matrix(Node):
    """An array of cells (any environment but align), possibly with Dots standing for a pattern."""

    cells: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Index(Node):
    """(expr)_{ij}: an entry of a computed vector or matrix."""

    base: Node
    sub: Node


@dataclass(frozen=True)
class Range(Node):
    """'i, j = 0, 1, \\ldots, L-1' or '\\forall m = 0, \\ldots, L-1': the values some indices take.

    `forall` marks a quantifier: the row's other relations are claimed for every value.
    """

    vars: tuple[Sym, ...]
    first: tuple[Node, ...]  # the values written before the dots
    last: Node
    forall: bool = False

