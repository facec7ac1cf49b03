r"""Formulas and derivation rows -> verdicts, with a linear-algebra notation (what api.py calls for one).

A formula's rows are its align* rows or, outside an environment, its lines (\\); each row's
statements are split at top-level commas. A statement that defines an undeclared symbol is
taken as a definition — from this formula, and from the formulas of the same and earlier
slides (`context`) — and every other relation is checked (lineval.check). A row that starts
with its relation continues the last expression of the row before; a '∀ m = 0, …, L-1' in
a row quantifies the row's relations.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .api import FormulaEvaluation, RowEvaluation, _summary
from .errors import NotEvaluable
from .expr import Chain, Node, Range, Words
from .katex import KatexError, shared_parser
from .lineval import Definition, Link, as_definition, check, definitions_in
from .linnotation import LinearNotation, spelled
from .said import DEFINES, RANGE, Said, facts_of
from .syntax import BARS

ROW_PREFIX, ROW_SUFFIX = "\\begin{aligned}", "\\end{aligned}"


def slide_definitions(nt: LinearNotation, context: Sequence[str], title: str | None,
                      macros: dict | None) -> dict[str, Definition]:
    """Definitions stated by the given formulas (those KaTeX or the grammar cannot read define nothing)."""
    found: dict[str, Definition] = {}
    for tree in shared_parser().parse(list(context), macros) if context else []:
        if isinstance(tree, KatexError):
            continue
        for row in _rows_or_none(nt, tree):
            try:
                statements = nt.grammar.statements(row)
            except NotEvaluable:
                continue
            for key, d in definitions_in(statements, nt, title).items():
                found.setdefault(key, d)
    return found


ARROWS = {"\\rightarrow", "\\to", "\\leftarrow", "\\gets", "\\uparrow", "\\downarrow", "\\longrightarrow",
          "\\Rightarrow", "\\Longrightarrow", "\\mapsto"}


def states_relation(tree) -> bool:
    """Does KaTeX's tree hold a relation (=, <, \\approx, \\in …) other than an arrow or a bar?"""
    if isinstance(tree, list):
        return any(states_relation(n) for n in tree)
    if not isinstance(tree, dict):
        return False
    if tree.get("type") == "atom" and tree.get("family") == "rel":
        return tree.get("text") not in ARROWS and tree.get("text") not in BARS and tree.get("text") != ":"
    return any(states_relation(v) for v in tree.values() if isinstance(v, (list, dict)))


def _rows_or_none(nt: LinearNotation, tree) -> list:
    try:
        return nt.grammar.rows(tree)
    except NotEvaluable:
        return []


def evaluate_formula(latex: str, nt: LinearNotation, *, macros: dict | None = None, slide: str | None = None,
                     context: Sequence[str] = ()) -> FormulaEvaluation:
    if spelled(latex) in nt.scope(slide).conditions:
        return FormulaEvaluation(None, "a condition the slide assumes (listed under 'conditions' in the notation "
                                 f"{nt.name}): not a claim, not checked", assumed=True)
    (tree,) = shared_parser().parse([latex], macros)
    if isinstance(tree, KatexError):
        return FormulaEvaluation(None, f"KaTeX: {tree}", tree.construct, tree.pos)
    if not states_relation(tree):  # prose math: ①, 1 + ⋯ + 1, |j - i|, an arrow between words
        return FormulaEvaluation(None, "states no relation")
    try:
        rows = nt.grammar.rows(tree)
    except NotEvaluable as exc:
        return FormulaEvaluation(None, str(exc), exc.construct, exc.pos and exc.pos[0])
    parsed = []
    for row in rows:
        try:
            parsed.append(nt.grammar.statements(row))
        except NotEvaluable as exc:
            parsed.append(exc)
    rows = _Rows(nt, slide, macros, context, 0).evaluate(parsed, None)
    summary = _summary(rows)
    if summary.ok is None and summary.not_evaluable is None:  # definitions and ranges: say which
        return replace(summary, detail="; ".join(r.detail for r in rows),
                       defines=tuple(name for r in rows for name in r.defines))
    return summary


def evaluate_derivation(rows: list[tuple[str, str]], nt: LinearNotation, *, macros: dict | None = None,
                        slide: str | None = None, context: Sequence[str] = ()) -> list[RowEvaluation]:
    trees = shared_parser().parse([ROW_PREFIX + latex + ROW_SUFFIX for _, latex in rows], macros)
    parsed = []
    for tree in trees:
        if isinstance(tree, KatexError):
            parsed.append(NotEvaluable(f"a row KaTeX rejects ({tree})", (tree.pos, tree.pos) if tree.pos else None))
            continue
        try:
            (row,) = nt.grammar.rows(tree)
            parsed.append(nt.grammar.statements(row))
        except (NotEvaluable, ValueError) as exc:
            parsed.append(exc if isinstance(exc, NotEvaluable) else NotEvaluable("a row that holds several rows"))
    return _Rows(nt, slide, macros, tuple(context) + tuple(latex for _, latex in rows), len(ROW_PREFIX)).evaluate(
        parsed, [rel for rel, _ in rows])


class _Rows:
    def __init__(self, nt: LinearNotation, slide: str | None, macros, context: Sequence[str], shift: int):
        self.nt, self.slide, self.shift = nt, slide, shift
        self.scope = nt.scope(slide)
        self.context = slide_definitions(nt, tuple(context), slide, macros)

    def evaluate(self, rows: list, relations: list[str] | None) -> list[RowEvaluation]:
        own: dict[str, Definition] = {}
        for row in rows:
            if not isinstance(row, NotEvaluable):
                own.update(definitions_in(row, self.nt, self.slide))
        self.definitions = {**self.context, **own}
        out, last = [], None
        for index, row in enumerate(rows, start=1):
            expected = relations[index - 1] if relations else None
            if isinstance(row, NotEvaluable):
                out.append(self._not_evaluable(index, row))
                last = None
                continue
            try:
                result, last = self._row(index, row, last, expected)
            except NotEvaluable as exc:
                out.append(self._not_evaluable(index, exc))
                last = None
                continue
            out.append(result)
        return out

    def _not_evaluable(self, index: int, exc: NotEvaluable) -> RowEvaluation:
        offset = max(0, exc.pos[0] - self.shift) if exc.pos else None
        return RowEvaluation(index, None, str(exc), exc.construct, offset)

    def _row(self, index: int, statements: list[Node], last: Node | None, expected: str | None):
        links, defined, notes, ranges = [], [], [], []
        for stmt in statements:
            if isinstance(stmt, Words):  # a ranking of labels, an arrow to words: said, not claimed
                notes.append(Said("", stmt.said, plain=False))
                continue
            if isinstance(stmt, Range):
                if stmt.forall:
                    ranges.append(stmt)
                else:
                    notes.append(self._range_note(stmt))
                continue
            definition = as_definition(stmt, self.nt, self.slide)
            if definition is not None:
                defined.append(definition.lhs.key())
                if isinstance(stmt, Chain) and len(stmt.rels) > 1:  # X := a = b: a = b is claimed
                    links.extend(Link(stmt.exprs[k], rel, stmt.exprs[k + 1])
                                 for k, rel in enumerate(stmt.rels) if k >= 1)
                last = stmt.exprs[-1] if isinstance(stmt, Chain) else last
                continue
            if isinstance(stmt, Chain):
                exprs = list(stmt.exprs)
                if exprs[0] is None:
                    if last is None:
                        raise NotEvaluable("a relation with nothing before it", stmt.pos)
                    exprs[0] = last
                links.extend(Link(exprs[k], rel, exprs[k + 1]) for k, rel in enumerate(stmt.rels))
                last = exprs[-1]
            else:
                last = stmt
        links = [Link(x.lhs, x.rel, x.rhs, tuple(ranges)) for x in links]
        if expected is not None and (not links or links[0].rel != expected):
            found = links[0].rel if links else "no relation"
            raise NotEvaluable(f"the row's relation is {expected} but KaTeX reads {found}",
                               statements[0].pos if statements else None)
        return self._verdict(index, links, defined, notes), last

    def _range_note(self, stmt: Range) -> Said:
        """'i, j = 0, 1, …, L-1': the range the notation gives these indices, or a statement of it."""
        declared = [v.key() for v in stmt.vars if v.key() in self.scope.indices]
        names = tuple(v.key() for v in stmt.vars)
        return Said(RANGE, f"states the range of {', '.join(names)}" + (" (the notation's indices)" if declared else ""),
                    names=names, how="notation" if declared else "")

    def _verdict(self, index: int, links: list[Link], defined: list[str], notes: list[Said]) -> RowEvaluation:
        said = [Said(DEFINES, "defines " + ", ".join(defined) + " (taken from the slide)", names=tuple(defined))] \
            if defined else []
        said.extend(notes)
        texts = [s.text for s in said]
        if not links:
            return RowEvaluation(index, None, "; ".join(texts) or "states no relation", defines=tuple(defined),
                                 said=tuple(said))
        details, failed, undecided, failure = [], False, None, None
        for k, link in enumerate(links, start=1):  # every relation of the row, each with its own verdict
            name = f"relation {k} ({link.rel})" if len(links) > 1 else link.rel
            try:
                verdict = check(link, self.nt, self.scope, self.definitions)
            except NotEvaluable as exc:
                if failed:  # a wrong relation before it decides the row
                    details.append(f"{name}: {exc}")
                    continue
                return self._not_evaluable(index, exc)
            if verdict.ok is False:
                if not failed and verdict.failure:  # where the first relation that fails does
                    failure = dict(verdict.failure, relation=link.rel, **({"place": k} if len(links) > 1 else {}))
                failed = True
                details.append(f"{name}: does not hold: {verdict.detail}")
            elif verdict.ok is None:
                undecided = undecided or verdict.detail
                details.append(f"{name}: {verdict.detail}")
            else:
                details.append(f"{name}: {verdict.detail}" if len(links) > 1 else verdict.detail)
                said.extend(facts_of(verdict))
        if failed:
            return RowEvaluation(index, False, "; ".join(details), failure=failure)
        if undecided:
            return RowEvaluation(index, None, "; ".join(details), "a Monte Carlo estimate too uncertain to decide")
        return RowEvaluation(index, True, "; ".join(texts + details), said=tuple(said))

