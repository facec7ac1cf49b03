"""Slide formulas -> their truth on concrete models, evaluated from the slide's own LaTeX.

The SymPy checks in derivations/ prove what their author wrote in Python; this
stage evaluates what the audience sees (latexeval: KaTeX's parse tree of the
row, read with the deck's notation, computed on a Gaussian mixture and a
linear-Gaussian model). A derivation row is verified only when both agree.
Every other formula that states a relation is evaluated too, unless it is
marked `<slide-definition>`; one the evaluator cannot read is reported, never
passed. Results are cached by a hash of the evaluator, the notation and the
formula, so a rebuild that changed no formula starts no Node process.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from . import elements
from katexbridge.bridge import WORKER

from .cachefile import read_json, write_json
from .diagnostics import Report
from .model import Deck, Element, Math

_LATEXEVAL = Path(__file__).resolve().parent.parent / "latexeval"


@dataclass
class RowTruth:
    index: int
    ok: bool | None  # None: not evaluable, or states no relation
    detail: str
    not_evaluable: str | None = None
    offset: int | None = None


def _code_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in _LATEXEVAL.rglob("*") if p.suffix in (".py", ".yaml", ".cjs")):
        h.update(path.relative_to(_LATEXEVAL).as_posix().encode() + b"\0" + path.read_bytes())
    h.update(WORKER.read_bytes())  # the parse trees come from the KaTeX worker
    return h.hexdigest()


class EvaluationCache:
    def __init__(self, path: Path | None):
        self.path = path
        self.code = _code_hash()
        self.dirty = False
        saved = read_json(path, {})
        self.entries: dict[str, list[dict]] = saved.get("entries", {}) if saved.get("code") == self.code else {}

    def key(self, *parts) -> str:
        return hashlib.sha256(json.dumps([self.code, *parts], ensure_ascii=False).encode()).hexdigest()

    def get_or(self, key: str, compute) -> list[RowTruth]:
        if key not in self.entries:
            self.entries[key] = [asdict(r) for r in compute()]
            self.dirty = True
        return [RowTruth(**r) for r in self.entries[key]]

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        write_json(self.path, {"code": self.code, "entries": self.entries})

def evaluate_deck(deck: Deck, cache: EvaluationCache, report: Report) -> dict[str, list[RowTruth]]:
    """Truth of every derivation row (by link id); other formulas are reported here."""
    notation = deck.meta.get("notation") or attached_notation(deck, report)
    if not notation:
        return {}
    known = sorted(p.stem for p in (_LATEXEVAL / "notations").glob("*.yaml"))
    hint = f"notations are latexeval/notations/<name>.yaml; known: {', '.join(known)}"
    if notation not in known:
        report.error(deck.path, 1, 1, f"front matter names an unknown notation '{notation}'", hint)
        return {}
    from latexeval.errors import NotEvaluable
    from latexeval.linnotation import NotationError

    try:
        return _evaluate(deck, notation, known, hint, cache, report, NotEvaluable)
    except NotationError as exc:  # a mistake in the notation file itself
        report.error(exc.path, exc.line, 1, exc.message, exc.hint)
        return {}


def _evaluate(deck: Deck, notation: str, known: list[str], hint: str, cache: EvaluationCache, report: Report,
              NotEvaluable) -> dict[str, list[RowTruth]]:
    macros = deck.meta.get("macros") or {}
    truths = {}
    contexts = slide_contexts(deck)
    for link in deck.links:
        el = link.element
        name = el.attrs.get("notation") or notation
        if name not in known:
            report.error(el.path, el.line, el.col, f"<slide-derivation notation=\"{name}\">: no such notation", hint)
            continue
        wrt = el.attrs.get("wrt")
        rows = [(r.relation, r.latex) for r in link.rows]
        slide, context = _context_for(name, contexts.get(id(link.math)))
        try:
            truths[link.id] = cache.get_or(cache.key("rows", name, wrt, macros, rows, slide, context),
                                           lambda: _rows(rows, name, wrt, macros, slide, context))
        except (NotEvaluable, ValueError) as exc:  # the derivation's attributes, not a row, cannot be read
            report.error(el.path, el.line, el.col, f"derivation '{link.id}' (wrt={wrt!r}): {exc}",
                         "wrt names a parameter of the notation, in LaTeX, e.g. wrt=\"\\phi\"")
    for math in free_formulas(deck):
        slide, context = _context_for(notation, contexts.get(id(math)))
        (truth,) = cache.get_or(cache.key("formula", notation, macros, math.tex, slide, context),
                                lambda: [_formula(math.tex, notation, macros, slide, context)])
        _report_formula(math, truth, report)
    return truths


def attached_notation(deck: Deck, report: Report | None = None) -> str | None:
    """The notation latexeval/decks.yaml attaches to a deck by its file name or title (the deck file itself
    names none and stays as the lecturer wrote it), or None."""
    import yaml

    path = _LATEXEVAL / "decks.yaml"
    if not path.exists():
        return None
    try:
        attached = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if report is not None:
            report.error("latexeval/decks.yaml", mark.line + 1 if mark else 1, 1, f"not valid YAML: {exc}",
                         '"Deck file name.md": notation-name, one deck a line')
        return None
    if not isinstance(attached, dict):
        return None
    return attached.get(Path(deck.path).name) or attached.get(deck.meta.get("title") or "")


def _rows(rows, notation, wrt, macros, slide=None, context=()) -> list[RowTruth]:
    from latexeval import evaluate_derivation

    return [RowTruth(r.index, r.ok, r.detail, r.not_evaluable, r.offset)
            for r in evaluate_derivation(rows, notation, wrt=wrt, macros=macros, slide=slide, context=context)]


def _formula(tex, notation, macros, slide=None, context=()) -> RowTruth:
    from latexeval import evaluate_formula

    f = evaluate_formula(tex, notation, macros=macros, slide=slide, context=context)
    return RowTruth(1, f.ok, f.detail, f.not_evaluable, f.offset)


def free_formulas(deck: Deck) -> list[Math]:
    """Formulas outside derivations and definitions: each may state a relation."""
    out = []

    def visit(block, hidden: bool):
        for piece in block.pieces:
            if isinstance(piece, Math) and not hidden:
                out.append(piece)
            elif isinstance(piece, Element) and piece.body is not None:
                visit(piece.body, hidden or not elements.kind_of(piece).claims)

    for slide in deck.slides:
        visit(slide.body, False)
    return out


def slide_contexts(deck: Deck) -> dict[int, tuple[str, tuple[str, ...]]]:
    """For each formula (by id): its slide's title and the formulas of its own and earlier slides,
    whose definitions (θ_i = b^{-2i/d}, R_{i,θ} := […]) a linear-algebra notation takes from the slides."""
    out, seen = {}, []
    for slide in deck.slides:
        here = [p for p in slide.body.walk() if isinstance(p, Math)]
        seen.extend(m.tex for m in here)
        out.update((id(m), (slide.title, tuple(seen))) for m in here)
    return out


def free_formulas_in_context(deck: Deck) -> list[tuple[Math, tuple[str, tuple[str, ...]]]]:
    """Each free formula with its slide context (slide_contexts)."""
    contexts = slide_contexts(deck)
    return [(m, contexts.get(id(m), (None, ()))) for m in free_formulas(deck)]


def _context_for(notation: str, context) -> tuple[str | None, tuple[str, ...]]:
    """The slide context, for a notation that reads it (a linear-algebra one); none otherwise, so that an
    edit on an earlier slide does not invalidate the cached evaluations of the other notations."""
    from latexeval import load_notation

    if context is None or not getattr(load_notation(notation), "linear", False):
        return None, ()
    return context


def _report_formula(math: Math, truth: RowTruth, report: Report) -> None:
    where = math.locate(truth.offset or 0)
    if truth.ok is False:
        report.warning(math.path, *where, f"this formula does not hold on the deck's models: {truth.detail}",
                       "check the formula; if it defines a symbol, mark it <slide-definition>", excerpt=math.tex.strip())
    elif truth.not_evaluable:
        report.warning(math.path, *where, f"not evaluable: {truth.not_evaluable}",
                       "if the formula is a definition, mark it <slide-definition>…</slide-definition>")


def report_rows(link, truths: list[RowTruth], report: Report) -> None:
    """Where a derivation row cannot be evaluated, point at the construct."""
    for row, truth in zip(link.rows, truths):
        if truth.not_evaluable:
            line, col = link.math.locate(row.offset + (truth.offset or 0))
            report.warning(link.element.path, line, col,
                           f"derivation '{link.id}' step {row.index}: not evaluable: {truth.not_evaluable}",
                           "the row stays unverified until the evaluator understands it (latexeval/)")

