"""Rows and formulas -> verdicts, for the build.

A derivation's rows are read one at a time (each wrapped in an aligned
environment, since a row like "&= …" is only LaTeX inside one), in one KaTeX batch.
A row that starts with its relation continues from the last expression of the row
before it; every relation inside a row (a = b = c) is checked too. A trailing
"symbol = value" for a symbol the notation does not know (", t = σ_1²/σ_2²") is
the row defining it: used by the row's relations, not checked itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import limits
from .errors import NotEvaluable
from .evaluate import Undefined
from .expr import Chain, Independent, Labelled, Node, Optimum, Quantified, Sym
from .freevars import Domain, domain_statement
from .katex import KatexError, shared_parser
from .notation import Notation, load
from .relations import Link, check, indices_as_declared
from .said import Said, facts_of

ROW_PREFIX, ROW_SUFFIX = "\\begin{aligned}", "\\end{aligned}"


@dataclass(frozen=True)
class RowEvaluation:
    index: int
    ok: bool | None  # None: not verified (see not_evaluable)
    detail: str
    not_evaluable: str | None = None  # the construct, e.g. "\\int over \\bm{x}: only over the latent variable"
    offset: int | None = None  # where it is, as a character offset into the row's LaTeX
    draws: int = 0  # random draws per instance behind the verdict
    instances: tuple[str, ...] = ()  # the model instances it was evaluated on
    failure: dict | None = None  # where it failed: {"instance", "draw", "lhs", "rhs", "relation"}, "place" (which
    # relation of a = b = c, from 1), "at" (the free variables' values, on no model)
    sides: dict | None = None  # the row's own relation's two sides per instance (relations.Verdict.sides)
    defines: tuple[str, ...] = ()  # the names this row introduces (a linear-algebra slide's own definitions)
    said: tuple[Said, ...] = ()  # why it holds, clause by clause, as facts (said.py)


@dataclass(frozen=True)
class FormulaEvaluation:
    ok: bool | None  # None: nothing verified (not evaluable, or no relation stated)
    detail: str
    not_evaluable: str | None = None
    offset: int | None = None  # into the formula's LaTeX
    rows: tuple[RowEvaluation, ...] = ()
    defines: tuple[str, ...] = ()  # the names it introduces, when it states nothing else to check
    assumed: bool = False  # a hypothesis the notation lists under 'conditions': neither a claim nor checked


TOO_DEEP = "a formula over the depth limit"


def _quiet_numpy() -> np.errstate:
    """No numpy warnings while formulas are evaluated. A value outside a function's domain (the log of a
    negative variance in a wrong formula, 0 to a negative power) is NaN or inf, and every relation refuses
    a draw that is not finite: numpy's RuntimeWarning would only be noise in the build's output. It holds
    for the thread that enters it; the derivation checks' thread enters its own."""
    return np.errstate(all="ignore")


def evaluate_derivation(rows: list[tuple[str, str]], notation_name: str, *, wrt: list[str] | str | None = None,
                        macros: dict[str, str] | None = None, slide: str | None = None,
                        context: Sequence[str] = (), check_from: int = 1) -> list[RowEvaluation]:
    """Each row's evaluation; a derivation nested deeper than the reader recurses is not evaluable, row by row.

    `check_from` (1-based): the rows before it are read, for the expression a later row continues from, but
    not checked (ok None): `check --mutants` edits one row and needs the verdicts from there on only."""
    try:
        with _quiet_numpy():
            return _evaluate_derivation(rows, notation_name, wrt=wrt, macros=macros, slide=slide, context=context,
                                        check_from=check_from)
    except RecursionError:
        return [RowEvaluation(i, None, _too_deep(), TOO_DEEP) for i in range(1, len(rows) + 1)]


def _too_deep() -> str:
    return f"the formula nests deeper than about {limits.DEPTH_LIMIT} levels, more than the evaluator reads"


def _evaluate_derivation(rows: list[tuple[str, str]], notation_name: str, *, wrt: list[str] | str | None = None,
                         macros: dict[str, str] | None = None, slide: str | None = None,
                         context: Sequence[str] = (), check_from: int = 1) -> list[RowEvaluation]:
    """Evaluate each (relation, latex) row of a derivation (rows as the build's row grammar, deckbuild/rows.py, cuts them).

    `wrt`: the parameter(s) a '<=>' row is equivalent in, as LaTeX (default: the notation's).
    `slide`, `context`: the slide's title and the formulas of this and earlier slides, whose
    definitions a linear-algebra notation takes (latexeval/linapi.py); other notations ignore them.
    """
    nt = load(notation_name)
    if getattr(nt, "linear", False):
        from .linapi import evaluate_derivation as linear_rows

        with limits.budget(limits.TIME_LIMIT * max(1, len(rows))):  # its rows are read together: all checked
            checked = linear_rows(rows, nt, macros=macros, slide=slide, context=context)
        return [r if r.index >= check_from else _read_only(r.index) for r in checked]
    sized = [_too_large(latex) for _, latex in rows]
    readable = [ROW_PREFIX + latex + ROW_SUFFIX for (_, latex), big in zip(rows, sized) if big is None]
    trees = iter(shared_parser().parse(readable, macros))
    items = [big if big is not None else _row_items(nt, next(trees)) for big in sized]
    return _Rows(nt, _wrt(nt, wrt), len(ROW_PREFIX)).evaluate(items, [rel for rel, _ in rows], check_from)


def _read_only(index: int) -> RowEvaluation:
    """A row before `check_from`: read for what the next row continues from, not checked."""
    return RowEvaluation(index, None, "read, not checked: before the rows asked for")


def _too_large(latex: str) -> NotEvaluable | None:
    try:
        limits.check_size(latex)
    except limits.TooLarge as exc:
        return exc
    return None


def _row_items(nt: Notation, tree) -> list | NotEvaluable:
    """One wrapped row's items, or why it cannot be read (reported on that row only)."""
    if isinstance(tree, KatexError):
        pos = (tree.pos, tree.pos) if tree.pos is not None else None
        return NotEvaluable(f"a row KaTeX rejects ({tree})", pos)
    try:
        rows = nt.grammar.rows(tree)
    except NotEvaluable as exc:
        return exc
    return rows[0] if len(rows) == 1 else NotEvaluable("a row that holds several rows (\\\\)")


def evaluate_formula(latex: str, notation_name: str, *, wrt: list[str] | str | None = None,
                     macros: dict[str, str] | None = None, slide: str | None = None,
                     context: Sequence[str] = ()) -> FormulaEvaluation:
    """Evaluate every relation a display formula states (an align* is evaluated row by row)."""
    try:
        with _quiet_numpy():
            return _evaluate_formula(latex, notation_name, wrt=wrt, macros=macros, slide=slide, context=context)
    except RecursionError:
        return FormulaEvaluation(None, _too_deep(), TOO_DEEP)


def _evaluate_formula(latex: str, notation_name: str, *, wrt: list[str] | str | None = None,
                      macros: dict[str, str] | None = None, slide: str | None = None,
                      context: Sequence[str] = ()) -> FormulaEvaluation:
    big = _too_large(latex)
    if big is not None:
        return FormulaEvaluation(None, str(big), big.construct)
    nt = load(notation_name)
    if getattr(nt, "linear", False):
        from .linapi import evaluate_formula as linear_formula

        with limits.budget():
            return linear_formula(latex, nt, macros=macros, slide=slide, context=context)
    (tree,) = shared_parser().parse([latex], macros)
    if isinstance(tree, KatexError):
        return FormulaEvaluation(None, f"KaTeX: {tree}", tree.construct, tree.pos)
    try:
        parsed = nt.grammar.rows(tree)
    except NotEvaluable as exc:
        return FormulaEvaluation(None, str(exc), exc.construct, exc.pos and exc.pos[0])
    rows = _Rows(nt, _wrt(nt, wrt), 0).evaluate(parsed, None)
    return _summary(rows)


def _wrt(nt: Notation, wrt) -> tuple[str, ...] | None:
    if wrt is None:
        return None
    latex = [wrt] if isinstance(wrt, str) else list(wrt)
    return tuple(nt.symbol_key(w) for w in latex)


def _summary(rows: list[RowEvaluation]) -> FormulaEvaluation:
    stuck = next((r for r in rows if r.not_evaluable), None)
    failed = [r for r in rows if r.ok is False]
    if failed:
        detail = "; ".join(f"row {r.index}: {r.detail}" for r in failed)
        return FormulaEvaluation(False, detail, None, None, tuple(rows))
    if stuck:
        return FormulaEvaluation(None, stuck.detail, stuck.not_evaluable, stuck.offset, tuple(rows))
    if all(r.ok is None for r in rows):
        return FormulaEvaluation(None, "states no relation", None, None, tuple(rows))
    return FormulaEvaluation(True, "; ".join(r.detail for r in rows), None, None, tuple(rows))


def _defines(stmt: Node, nt: Notation, defined) -> str | None:
    """The name a statement after a formula's first defines (", t = σ_1²/σ_2²"): a letter the notation does
    not know, and the formula has not defined yet. A second "t = …" is a claim about the t defined before
    it, checked: taken as a redefinition, it would pass whatever either side said."""
    if isinstance(stmt, Chain) and stmt.rels == ("=",) and isinstance(stmt.exprs[0], Sym) \
            and not nt.knows(stmt.exprs[0]) and stmt.exprs[0].key() not in defined:
        return stmt.exprs[0].key()
    return None


class _Rows:
    """Evaluates rows in order, carrying the last expression of each row to the next."""

    def __init__(self, nt: Notation, wrt: tuple[str, ...] | None, shift: int):
        self.nt, self.wrt, self.shift = nt, wrt, shift

    def evaluate(self, rows: list, relations: list[str] | None, check_from: int = 1) -> list[RowEvaluation]:
        out, last = [], None
        for index, row in enumerate(rows, start=1):
            expected = relations[index - 1] if relations else None
            with limits.budget():  # each row has its own time
                try:
                    links, carried, new_last = self._links(self._statements(row), last, expected, index == 1)
                except NotEvaluable as exc:
                    out.append(self._not_evaluable(index, exc))
                    last = None
                    continue
                out.append(self._verdict(index, links, carried) if index >= check_from else _read_only(index))
            last = new_last
        return out

    def _not_evaluable(self, index: int, exc: NotEvaluable) -> RowEvaluation:
        offset = max(0, exc.pos[0] - self.shift) if exc.pos else None
        return RowEvaluation(index, None, str(exc), exc.construct, offset)

    def _statements(self, row: list | NotEvaluable) -> list[Node]:
        if isinstance(row, NotEvaluable):
            raise row
        return self.nt.grammar.statements(row)

    def _links(self, statements: list[Node], last: Node | None, expected: str | None, first: bool):
        """The row's relations, whether the first one starts from the row before, and its last expression."""
        links: list[Link] = []
        carried = bool(statements) and isinstance(statements[0], Chain) and statements[0].exprs[0] is None
        if carried and first:  # "GAP = KL $\ge 0$": prose around a fragment
            raise NotEvaluable("a relation with nothing before it", statements[0].pos)
        statements, where, domains, independent = self._definitions(statements)
        for stmt in statements:
            new, last = self._statement_links(stmt, last)
            links.extend(replace(link, where=where, domains=domains, independent=independent) for link in new)
        if expected is not None and (not links or links[0].rel != expected):
            found = links[0].rel if links else "no relation"
            raise NotEvaluable(f"the row's relation is {expected} but KaTeX reads {found}",
                               statements[0].pos if statements else None)
        return links, carried, last

    def _definitions(self, statements: list[Node]):
        """The row's statements; the definitions among them (after the first: ", t = σ_1²/σ_2²"); the domains
        it states for free variables ("\\forall t > 0" anywhere, a trailing "t > 0"); and the random variables
        it states independent ("X \\perp Y": real valued, unless a domain says more)."""
        domains: dict[str, Domain] = {}
        independent: list[frozenset[str]] = []  # one set per statement: a chain is mutual, pairs are not
        claims = []
        for k, stmt in enumerate(statements):
            if isinstance(stmt, Independent):
                independent.append(frozenset(letter.key() for letter in stmt.letters if not self.nt.knows(letter)))
                continue
            stated = domain_statement(stmt, self.nt.knows) if isinstance(stmt, Quantified) or k > 0 else None
            if stated is None and isinstance(stmt, Quantified):
                raise NotEvaluable("\\forall over something other than a letter the notation does not know, "
                                   "bounded by numbers (\\forall t > 0)", stmt.pos)
            if stated is None:
                claims.append(stmt)
                continue
            name, domain = stated
            domains[name] = domains[name].meet(domain) if name in domains else domain
            if domains[name].empty():
                raise NotEvaluable(f"the values stated for {name} are none ({domains[name].text(name)})", stmt.pos)
        kept, where = claims[:1], {}
        for stmt in claims[1:]:
            # a letter the row quantifies (\forall x > 0) is not given a value by ", x = 0": that is a claim
            name = _defines(stmt, self.nt, {**where, **domains})
            if name is not None:
                where[name] = stmt.exprs[1]
            else:
                kept.append(stmt)
        for name in frozenset().union(*independent) - set(domains):
            domains[name] = Domain()
        return kept, tuple(where.items()), tuple(sorted(domains.items())), tuple(independent)

    def _statement_links(self, stmt: Node, last: Node | None) -> tuple[list[Link], Node]:
        if isinstance(stmt, Chain):
            exprs = list(stmt.exprs)
            if exprs[0] is None:
                if last is None:
                    raise NotEvaluable("a row that continues a row that could not be read", stmt.pos)
                exprs[0] = last
            exprs = indices_as_declared(exprs, self.nt)
            return [Link(exprs[k], rel, exprs[k + 1], self.wrt if rel == "<=>" else None)
                    for k, rel in enumerate(stmt.rels)], exprs[-1]
        if isinstance(stmt, Labelled):
            return [Link(stmt.name, ":=", stmt.body)], stmt.body
        if isinstance(stmt, Optimum) and stmt.kind in ("max", "min") and self.nt.objective is not None:
            return [Link(stmt.body, "<=>", self.nt.objective, tuple(v.key() for v in stmt.vars))], stmt
        return [], stmt

    def _verdict(self, index: int, links: list[Link], carried: bool) -> RowEvaluation:
        if not links:
            return RowEvaluation(index, None, "states no relation")
        details, draws, names, sides, said = [], 0, [], None, []
        for k, link in enumerate(links):
            try:
                verdict = check(link, self.nt)
            except Undefined as exc:
                return RowEvaluation(index, False, str(exc))
            except NotEvaluable as exc:
                if k == 0 and carried and exc.side == "lhs":
                    construct = f"{exc.construct} (in the row before, which this row continues)"
                    return RowEvaluation(index, None, f"not evaluable: {construct}", construct, None)
                return self._not_evaluable(index, exc)
            if not verdict.ok:
                failure = dict(verdict.failure or {}, relation=link.rel)
                if len(links) > 1:  # which of the row's relations: a = b = c
                    failure["place"] = k + 1
                return RowEvaluation(index, False, f"{link.rel}: {verdict.detail}", draws=verdict.draws,
                                     instances=verdict.instances, failure=failure)
            details.append(verdict.detail)
            said.extend(facts_of(verdict))
            draws = max(draws, verdict.draws)
            names.extend(n for n in verdict.instances if n not in names)
            sides = verdict.sides if len(links) == 1 else None  # a check ties one relation: the row's only one
        return RowEvaluation(index, True, "; ".join(details), draws=draws, instances=tuple(names), sides=sides,
                             said=tuple(said))


# Relations that introduce a name by their form, whatever the notation knows.
DEFINING = {"\\triangleq", "\\equiv", "\\coloneqq", "\\eqqcolon", "\\doteq", "\\coloneq", "\\sim"}


def definition_of(latex: str, notation_name: str, *, macros: dict[str, str] | None = None) -> str | None:
    """What a formula marked as a definition introduces, or None when it states a claim to evaluate.

    A definition introduces a name: `:=`, `\\triangleq`, `\\equiv` (or `\\sim`, which gives a
    variable its distribution), or a left side the notation does not already know
    (`t = \\sigma_1^2/\\sigma_2^2`). Anything else it states is a claim like any other formula.
    """
    nt = load(notation_name)
    (tree,) = shared_parser().parse([latex], macros)
    if isinstance(tree, KatexError):
        return None
    defining = sorted({n.get("text") for n in _walk_katex(tree) if n.get("type") == "atom"
                       and n.get("family") == "rel" and n.get("text") in DEFINING})
    if defining:
        return f"introduces a name with {defining[0]}"
    if getattr(nt, "linear", False):  # a linear-algebra notation takes its definitions from the slides itself
        return None
    try:
        statements = [s for row in nt.grammar.rows(tree) for s in nt.grammar.statements(row)]
    except NotEvaluable:
        return None
    for stmt in statements:
        if isinstance(stmt, Labelled) or isinstance(stmt, Chain) and ":=" in stmt.rels:
            return "introduces a name with :="
        if isinstance(stmt, Chain) and stmt.rels[0] == "=" and isinstance(stmt.exprs[0], Sym) \
                and not nt.knows(stmt.exprs[0]):
            return f"introduces {stmt.exprs[0].key()}, which the notation does not know"
    return None


def fixed_statements(latex: str, notation_name: str, *, row: bool = False,
                     macros: dict[str, str] | None = None) -> set[int]:
    """The statements of a formula (by position among its top-level commas) that state no claim of their own:
    a definition (", t = σ_1²/σ_2²", ":=", "\\text{ELBO:} …") or a free variable's domain ("\\forall t > 0").
    Editing one writes another definition or restricts a claim that stays true, not a wrong formula, so
    the mutation score leaves them alone. `row`: a derivation row ("&= …"), read inside aligned."""
    nt = load(notation_name)
    if getattr(nt, "linear", False) or _too_large(latex) is not None:
        return set()
    (tree,) = shared_parser().parse([ROW_PREFIX + latex + ROW_SUFFIX if row else latex], macros)
    if isinstance(tree, KatexError):
        return set()
    try:
        rows = nt.grammar.rows(tree)
        if len(rows) != 1:
            return set()
        statements = nt.grammar.statements(rows[0])
    except (NotEvaluable, RecursionError):
        return set()
    fixed, defined = set(), set()
    for k, stmt in enumerate(statements):
        bounds = (isinstance(stmt, Quantified) or k > 0) and domain_statement(stmt, nt.knows) is not None
        named = stmt.name if isinstance(stmt, Labelled) else \
            stmt.exprs[0] if isinstance(stmt, Chain) and stmt.rels[0] == ":=" else None
        names = isinstance(named, Sym) and not nt.knows(named)  # a known name's ":=" is checked as "="
        defines = _defines(stmt, nt, defined) if k > 0 and not bounds else None
        if defines is not None:
            defined.add(defines)
        if bounds or names or defines is not None:
            fixed.add(k)
    return fixed


def _walk_katex(tree):
    if isinstance(tree, list):
        for item in tree:
            yield from _walk_katex(item)
    elif isinstance(tree, dict):
        yield tree
        for value in tree.values():
            if isinstance(value, (list, dict)):
                yield from _walk_katex(value)
