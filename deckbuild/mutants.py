"""`check --mutants`: how good the verifier is on a deck, measured on the deck itself.

Every relation the verifier passes (a derivation row that evaluates true, a formula
evaluated true) gets its wrong variants and meaning-preserving rewrites from
latexeval/mutate.py (none inside a definition or a free variable's domain: editing one writes
another definition, not a wrong claim); each is run through the same evaluation as the build. A wrong
variant is caught when the verifier no longer shows it verified (it fails, or cannot
be read); a rewrite is accepted when it still holds. Variants KaTeX rejects are not
formulas and are not counted. The score per deck goes to DeckSummary.mutants:

    {"wrong": generated wrong variants, "caught": how many the verifier rejects,
     "rewrites": generated rewrites, "accepted": how many still verify,
     "slipped": [{"where": "file:line:col", "operator", "latex"}], "rejected": [same, for rewrites]}
"""
from __future__ import annotations

from . import progress
from .evaluate import EVALUATED, DeckTruth, _context_for, slide_contexts
from .model import Deck

_ALIGN = ("\\begin{aligned}", "\\end{aligned}")


def _katex_rejected(truth) -> bool:
    reason = truth.not_evaluable or ""
    return "KaTeX rejects" in reason


def score_deck(deck: Deck, truth: DeckTruth, quiet: bool = False) -> dict:
    """Wrong variants caught and rewrites accepted, over every relation of the deck that verifies."""
    from latexeval import evaluate_formula, fixed_statements, optima_shared
    from latexeval.mutate import variants

    score = {"wrong": 0, "caught": 0, "rewrites": 0, "accepted": 0, "slipped": [], "rejected": []}
    macros = deck.meta.get("macros") or {}

    def count(kind: str, holds: bool, where: str, v) -> None:
        if kind == "wrong":
            score["wrong"] += 1
            score["caught"] += not holds
            if holds:
                score["slipped"].append({"where": where, "operator": v.operator, "latex": v.latex.strip()})
        else:
            score["rewrites"] += 1
            score["accepted"] += holds
            if not holds:
                score["rejected"].append({"where": where, "operator": v.operator, "latex": v.latex.strip()})

    formulas = [c for c in truth.formulas if c.strength == EVALUATED and c.truth is not None]
    relations = sum(len(truth.rows.get(link.id) or ()) for link in deck.links) + len(formulas)
    contexts = slide_contexts(deck)  # a variant is read where its formula stands: its slide's definitions
    with progress.task(f"mutants of {deck.path}", total=relations, quiet=quiet) as task, optima_shared():
        _score_rows(deck, truth, count, task, contexts)
        for check in formulas:
            slide, context = _context_for(check.truth.notation, contexts.get(id(check.math)))
            fixed = fixed_statements(check.math.tex, check.truth.notation, macros=macros)
            for v in variants(check.math.tex, fixed=fixed):
                result = evaluate_formula(v.latex, check.truth.notation, macros=macros, slide=slide, context=context)
                if _katex_rejected(result):
                    continue
                count(v.kind, result.ok is True, _where(check.math, v.offset), v)
            task.advance()
    return score


def _score_rows(deck: Deck, truth: DeckTruth, count, task, contexts: dict) -> None:
    """Every verified derivation row, mutated one at a time and re-read with the rows before it and the row after it
    (whose left side is its last expression), where the build reads it: with its slide's definitions."""
    from latexeval import evaluate_derivation, fixed_statements
    from latexeval.mutate import variants

    from .rows import RowError, split_rows

    notation = deck.meta.get("notation")
    macros = deck.meta.get("macros") or {}
    for link in deck.links:
        rows = truth.rows.get(link.id)
        task.advance(by=len(rows or ()))
        if not rows:
            continue
        name = link.element.attrs.get("notation") or notation
        wrt = link.element.attrs.get("wrt")
        slide, context = _context_for(name, contexts.get(id(link.math)))
        latex = [r.latex for r in link.rows]
        for k, row in enumerate(link.rows):
            if rows[k].ok is not True:
                continue
            for v in variants(row.latex, fixed=fixed_statements(row.latex, name, row=True, macros=macros)):
                edited = latex[:k] + [v.latex] + latex[k + 1:]
                try:
                    split = split_rows(_ALIGN[0] + "\\\\".join(edited) + _ALIGN[1])
                except RowError:
                    split = None
                if split is None or len(split) != len(edited):
                    if v.kind == "wrong":  # the row no longer reads as a step: the build reports it
                        count("wrong", False, "", v)
                    else:
                        count("rewrite", False, _where(link.math, row.offset + v.offset), v)
                    continue
                lo, hi = 0, min(len(split), k + 2)  # from the first row: row k-1 may continue the one before it
                window = [(r.relation, r.latex) for r in split[lo:hi]]
                result = evaluate_derivation(window, name, wrt=wrt, macros=macros, check_from=k - lo + 1,
                                             slide=slide, context=context)
                mine = result[k - lo:]
                if any(_katex_rejected(r) for r in mine):
                    continue
                holds = all(r.ok is True for r in mine[:1]) and all(
                    r.ok is True or rows[lo + j + (k - lo)].ok is not True for j, r in enumerate(mine))
                count(v.kind, holds, _where(link.math, row.offset + v.offset), v)


def _where(math, offset: int) -> str:
    line, col = math.locate(offset)
    return f"{math.path}:{line}:{col}"


def format_score(path: str, score: dict) -> list[str]:
    """The lines `check --mutants` prints for one deck."""
    def pct(a, b):
        return f"{100 * a / b:.1f}%" if b else "n/a"

    lines = [f"  {path}: wrong caught {score['caught']}/{score['wrong']} ({pct(score['caught'], score['wrong'])}), "
             f"rewrites accepted {score['accepted']}/{score['rewrites']} ({pct(score['accepted'], score['rewrites'])})"]
    for s in score.get("slipped", []):  # a score kept from an earlier `check --mutants` has only the counts
        lines.append(f"    slipped through: {s['where']}: {s['operator']}: {' '.join(s['latex'].split())[:160]}")
    for s in score.get("rejected", []):
        lines.append(f"    rewrite rejected: {s['where']}: {s['operator']}: {' '.join(s['latex'].split())[:160]}")
    return lines


def score_key(deck: Deck, code: str) -> str:
    """The score holds while the deck's formulas and the evaluator's code are unchanged."""
    from .cache import key

    return key("mutants", code, [m.tex for m in deck.formulas()])


def _score_shape(value) -> bool:
    return isinstance(value, dict) and all(isinstance(value[k], int) for k in ("wrong", "caught", "rewrites", "accepted"))


def save_score(cache, deck_score_key: str, score: dict) -> None:
    """Kept in the build's cache, so the next build's course index shows the score of unchanged decks."""
    counts = {name: score[name] for name in ("wrong", "caught", "rewrites", "accepted")}
    cache.table("mutants", _score_shape).put(deck_score_key, counts)


def saved_score(cache, deck_score_key: str) -> dict | None:
    return cache.table("mutants", _score_shape).get(deck_score_key)
