"""A deck's notation declaration (latexeval/notations/<name>.yaml), read into lookups.

The declaration is written in the deck's own LaTeX and read by the same KaTeX
parser as the slides, so a pattern such as p(\\bm{z} | \\bm{x}; \\theta) matches a
slide's p(z|x_i; \\hat{\\theta}) whatever bold, colour or spacing either uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import NotationError, NotEvaluable
from .expr import Call, Draw, Mul, Node, Num, Optimum, Sym
from .katex import KatexError, shared_parser
from .syntax import Grammar

FOLDER = Path(__file__).with_name("notations")
LINEAR_MARK = re.compile(r"^vocabulary:\s*['\"]?linear-algebra", re.M)
BUILTIN_HEADS = frozenset({"\\text{KL}", "\\text{JS}"})
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, ten times faster, where PyYAML has it


@dataclass(frozen=True)
class Parameter:
    key: str
    family: str
    draw: str
    optimised: bool


@dataclass(frozen=True)
class Pattern:
    """head(slots…) meaning model.<method>; each slot is 'data', 'latent', 'real' or a parameter family.

    `given`: parameters the deck never writes but the method takes (the drawn pair of the
    divergence slides); `of_latent`: a distribution written without its variable, N(0, σ²),
    whose method takes the latent variable first.
    """

    call: Call
    method: str
    density: bool
    slots: tuple[str, ...]
    given: tuple[Sym, ...] = ()
    of_latent: bool = False


@dataclass(frozen=True)
class Component:
    """A field of a parameter: indexed by component (μ_k of θ) or not (a of θ); `of` None: a constant."""

    field: str
    of: Sym | None


@dataclass(frozen=True)
class IndexedAbbreviation:
    """ẑ_{ik} := body, with the slide's indices put for the declaration's letters."""

    letters: tuple[str, ...]
    body: Node


@dataclass(frozen=True)
class Expectation:
    draw: Draw
    each: bool  # one independent latent per data point (z = (z_1..z_N))


class Notation:
    """One deck's declaration, read in the order its parts depend on each other.

    Symbols and patterns come first (with every letter allowed to take arguments),
    because the pattern heads decide how the rest — and every slide — is read.
    """

    def __init__(self, name: str, spec: dict):
        self.name = name
        self.instances: list[str] = spec["instances"]
        self._parse = _Reader()
        self._parse.read_ahead(spec)
        self._read_symbols(spec)
        self.patterns: dict[str, list[Pattern]] = {}
        for section in ("densities", "functions", "distributions"):
            for latex, entry in (spec.get(section) or {}).items():
                self._add_pattern(latex, entry, section)
        self.grammar = self._parse.grammar = Grammar(frozenset(self.patterns) | BUILTIN_HEADS,
                                                     absolute_bars=not self.instances)
        self._read_shorthands(spec)

    def _read_symbols(self, spec: dict) -> None:
        data, comps = spec.get("data"), spec.get("components") or {}
        self.data = self.index = None
        self.counts: dict[str, str] = {}
        if data:
            self.data, self.index = self.symbol_key(data["symbol"]), self.symbol_key(data["index"])
            self.counts[self.symbol_key(data["count"])] = "data"
        latent = spec.get("latent") or {}  # none: a notation of no model (general.yaml)
        self.latent = self.symbol_key(latent["symbol"]) if latent.get("symbol") else None
        # a continuous latent's vocabulary (the VAE's): its dimension J and coordinate index j, the
        # identity I of its space and the standard normal noise ε of the reparameterisation
        self.latent_index, self.identity, self.noise = (
            self.symbol_key(latent[k]) if latent.get(k) else None for k in ("index", "identity", "noise"))
        self.component_index = self.symbol_key(comps["index"]) if comps.get("index") else None
        if comps:
            self.counts[self.symbol_key(comps["count"])] = "components"
        if latent.get("dimension"):
            self.counts[self.symbol_key(latent["dimension"])] = "latent dimension"
        self.components = self._fields(comps.get("symbols"))
        self.fields = self._fields(spec.get("fields"))
        if any(f.of is None for f in self.fields.values()):
            raise ValueError(f"notation {self.name}: every field names the parameter it is 'of'")
        self.parameters = {}
        for latex, v in (spec.get("parameters") or {}).items():
            key = self.symbol_key(latex)
            self.parameters[key] = Parameter(key, v["family"], v["draw"], bool(v.get("optimised")))
        self.equivalent_in = [self.symbol_key(k) for k in spec.get("equivalent_in", [])]

    def _fields(self, entries: dict | None) -> dict[str, Component]:
        return {self.symbol_key(k): Component(v["field"], v.get("of") and self._parse.expr(v["of"]))
                for k, v in (entries or {}).items()}

    def _read_shorthands(self, spec: dict) -> None:
        self.abbreviations: dict[str, Node] = {}
        self.indexed: dict[str, IndexedAbbreviation] = {}
        for latex, body in (spec.get("abbreviations") or {}).items():
            sym = self._parse.expr(latex)
            letters = _index_letters(sym.sub) if isinstance(sym, Sym) and sym.sup is None else None
            if letters:
                self.indexed[sym.base().key()] = IndexedAbbreviation(letters, self._parse.expr(body))
            else:
                self.abbreviations[self.symbol_key(latex)] = self._parse.expr(body)
        self.expectations = {self._parse.expect_key(k): self._expectation(v)
                             for k, v in (spec.get("expectations") or {}).items()}
        self.objective = self._parse.expr(spec["objective"]) if spec.get("objective") else None
        self.maximisers = {self.symbol_key(k): self._maximiser(v) for k, v in (spec.get("maximisers") or {}).items()}

    # ----------------------------------------------------------------------- #

    def symbol_key(self, latex: str) -> str:
        node = self._parse.expr(latex)
        if not isinstance(node, Sym):
            raise ValueError(f"notation {self.name}: {latex!r} should be a symbol")
        return node.key()

    def _add_pattern(self, latex: str, entry: str | dict, section: str) -> None:
        call = self._parse.expr(latex)
        if not isinstance(call, Call):
            raise ValueError(f"notation {self.name}: {latex!r} is not a pattern f(…)")
        method = entry if isinstance(entry, str) else entry["method"]
        given = () if isinstance(entry, str) else tuple(self._parse.expr(g) for g in entry.get("given", []))
        slots = tuple(self._slot(a) for a in call.args())
        pattern = Pattern(call, method, section != "functions", slots, given, section == "distributions")
        # keyed by the name with its subscript: μ_φ(x) is a function of its own, μ_k is not
        self.patterns.setdefault(call.head.key(), []).append(pattern)

    def _slot(self, arg: Node) -> str:
        k = arg.key() if isinstance(arg, Sym) else None
        if k == self.data:
            return "data"
        if k == self.latent:
            return "latent"
        if k in self.parameters:
            return self.parameters[k].family
        return "real"

    def _expectation(self, value) -> Expectation:
        each = isinstance(value, dict)
        draw = self._parse.expr(value["each"] if each else value, under=True)
        if not isinstance(draw, Draw):
            raise ValueError(f"notation {self.name}: {value!r} should read 'variable \\sim distribution'")
        return Expectation(draw, each)

    def _maximiser(self, latex: str) -> Optimum:
        node = self._parse.expr(latex)
        if not (isinstance(node, Optimum) and node.kind == "argmax"):
            raise ValueError(f"notation {self.name}: {latex!r} should be an argmax")
        return node

    # ----------------------------------------------------------------------- #

    def parameter(self, key: str) -> Parameter | None:
        return self.parameters.get(key)

    def constants(self) -> set[str]:
        """The letters the notation abbreviates to a number (general.yaml: e, π)."""
        return {k for k, body in self.abbreviations.items() if isinstance(body, Num)}

    def knows(self, sym: Sym) -> bool:
        """Does the notation give the symbol (or its letter) a meaning? A row may define one it does not; a
        constant (e, π) it only lends: a slide may name a letter e, or take it as a free variable."""
        named = (set(self.parameters) | set(self.maximisers) | set(self.abbreviations) - self.constants() | set(self.indexed)
                 | set(self.fields) | set(self.components) | set(self.counts) | set(self.patterns)
                 | {self.data, self.index, self.latent, self.component_index, self.identity, self.noise})
        return sym.key() in named or sym.base().key() in named

    def parameter_family(self, key: str) -> str | None:
        """The family of a parameter or of a declared maximiser (θ^t: model), else None."""
        if key in self.parameters:
            return self.parameters[key].family
        if key in self.maximisers and len(self.maximisers[key].vars) == 1:
            return self.parameter_family(self.maximisers[key].vars[0].key())
        return None

    def draws(self) -> dict[str, str]:
        """Each random draw the parameters use, with its family."""
        return {p.draw: p.family for p in self.parameters.values()}

    def wrt_draws(self, wrt: list[str]) -> set[str]:
        """The draws a '<=>' moves: only an optimised parameter has maximisers to share."""
        for k in wrt:
            if k not in self.parameters or not self.parameters[k].optimised:
                raise NotEvaluable(f"'<=>' in {k}, which the notation does not declare as an optimised parameter")
        return {self.parameters[k].draw for k in wrt}


class _Reader:
    """Parses the declaration's own LaTeX; before the heads are known every letter may take arguments."""

    def __init__(self):
        self.grammar = Grammar(None)

    def read_ahead(self, spec: dict) -> None:
        """Have KaTeX parse every string of the declaration in one request, not one round trip per string
        (a third of loading a notation): what `expr` asks for next is then answered from the parser's cache.
        A string that is not LaTeX (a family's name) costs KaTeX a few letters; an error is kept like a tree."""
        strings: set[str] = set()
        for section, value in spec.items():
            _strings_in(value, strings)
            if section == "expectations" and isinstance(value, dict):
                strings.update(f"{k}[1]" for k in value)  # how expect_key reads a key
        shared_parser().parse(sorted(strings))

    def expr(self, latex: str, under: bool = False) -> Node:
        (tree,) = shared_parser().parse([latex])
        if isinstance(tree, KatexError):
            raise ValueError(f"KaTeX cannot read {latex!r} in the notation: {tree}")
        items = self.grammar.group(self.grammar.read(tree))
        if under:
            return self.grammar.under_items(items)
        (node,) = self.grammar.statements(items)
        return node

    def expect_key(self, latex: str) -> str:
        """The subscript of \\mathbb{E}_{…} as the notation writes it, spelled as a key."""
        under = getattr(self.expr(latex + "[1]"), "under", None)
        if not isinstance(under, Sym):
            raise ValueError(f"notation: {latex!r} should be \\mathbb{{E}}_{{symbol}}")
        return under.key()


def _strings_in(value, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _strings_in(k, into)
            _strings_in(v, into)
    elif isinstance(value, list):
        for v in value:
            _strings_in(v, into)


def _index_letters(sub: Node | None) -> tuple[str, ...] | None:
    """The letters of a subscript such as ik (each a single letter), or None."""
    parts = sub.factors if isinstance(sub, Mul) else (sub,)
    if sub is None or not all(isinstance(p, Sym) and len(p.name) == 1 and p.key() == p.name for p in parts):
        return None
    return tuple(p.name for p in parts)


def _spec(name: str) -> dict:
    """A declaration with its `base` (the notation it extends) merged under it, one level deep."""
    path = FOLDER / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in FOLDER.glob("*.yaml")))
        raise KeyError(f"no notation '{name}' in {FOLDER} (known: {known})")
    spec = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    base = spec.pop("base", None)
    if base is None:
        return spec
    merged = _spec(base)
    for key, value in spec.items():
        below = merged.get(key)
        merged[key] = {**below, **value} if isinstance(value, dict) and isinstance(below, dict) else value
    return merged


@lru_cache(maxsize=None)
def notation_draws() -> list[tuple[list[str], tuple[tuple[str, str], ...]]]:
    """Every model notation's instances and its random draws (draw -> family, sorted), read from the
    files alone: what a Python check needs to be evaluated on the evaluator's own draws."""
    out = []
    for path in sorted(FOLDER.glob("*.yaml")):
        if is_linear(path.stem):
            continue
        spec = _spec(path.stem)
        draws = {v["draw"]: v["family"] for v in (spec.get("parameters") or {}).values()}
        out.append((list(spec.get("instances") or []), tuple(sorted(draws.items()))))
    return out


def is_linear(name: str) -> bool:
    """Is `name` a linear-algebra notation (`vocabulary: linear-algebra`)? Read off the file, nothing loaded."""
    path = FOLDER / f"{name}.yaml"
    return path.exists() and bool(LINEAR_MARK.search(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=None)
def load(name: str):
    """The notation `name`: a Notation, or a LinearNotation for a file of `vocabulary: linear-algebra`."""
    path = FOLDER / f"{name}.yaml"
    if is_linear(name):
        from .linnotation import load_file

        return load_file(path, name, shown=f"latexeval/notations/{path.name}")
    shown = f"latexeval/notations/{path.name}"
    try:
        nt = Notation(name, _spec(name))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NotationError(shown, mark.line + 1 if mark else 1, f"not valid YAML: {exc}",
                            "compare with a notation beside it, e.g. latexeval/notations/gmm-em.yaml") from None
    except (KeyError, TypeError, ValueError, AttributeError, NotEvaluable) as exc:
        what = f"the entry {exc} is missing" if isinstance(exc, KeyError) else str(exc)
        raise NotationError(shown, 1, f"notation '{name}' cannot be read: {what}",
                            "each parameter names its family and draw; compare with latexeval/notations/dar-5-5.yaml") \
            from None
    from .models import INSTANCES

    unknown = [i for i in nt.instances if i not in INSTANCES] if isinstance(nt.instances, list) else [nt.instances]
    if unknown:
        raise NotationError(shown, 1, f"instances: {unknown[0]!r} is not a model instance",
                            f"instances: a list of latexeval/models.py's: {', '.join(sorted(INSTANCES))}")
    return nt
