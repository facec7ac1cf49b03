"""Why a derivation row fails, in words a lecturer can act on.

A failing row is compared with the row before it (on KaTeX's parse trees, see
latexeval/treediff.py). A row that regroups the one before (an integral become a KL)
differs from it in several places, so the differences are candidates, not the answer:
each is undone in turn and the row evaluated again, and the smallest one whose undoing
makes the row hold is the edit that broke it ("`\\log p(\\bm{x}_i; \\theta)` became
`\\log p(\\bm{x}_i; \\hat{\\theta})`"). The evaluator's failing draw gives the two values it no
longer preserves. When no single undo restores the row, no place is named (the closest
difference of a regrouped row is as likely the regrouping as the error). The result goes into the row's details
(StepStatus.explanation).
"""
from __future__ import annotations

from .model import DerivationLink

ROW_PREFIX, ROW_SUFFIX = "\\begin{aligned}", "\\end{aligned}"


def explain_failure(link: DerivationLink, index: int, truth, macros: dict) -> dict | None:
    """{"from_row", "to_row", "before", "after", "instance", "draw", "lhs", "rhs", "text"}, or None."""
    if truth is None or truth.ok is not False:
        return None
    f = truth.failure or {}
    values = f"{f['lhs']:.4g} vs {f['rhs']:.4g} on {f.get('instance', '?')}, draw {f['draw']}" if "lhs" in f \
        else truth.detail
    out = {"from_row": index - 1 if index > 1 else None, "to_row": index, "before": "", "after": "",
           "instance": f.get("instance"), "draw": f.get("draw"), "lhs": f.get("lhs"), "rhs": f.get("rhs")}
    if index == 1:
        out["text"] = f"row 1: its two sides differ ({values})"
        return out
    try:
        found, confirmed = _breaking_edit(link, index, truth, macros)
    except Exception as exc:  # noqa: BLE001 - an explanation must never break the build
        (found, confirmed), out["error"] = (None, False), f"{type(exc).__name__}: {exc}"
    out["confirmed"] = confirmed
    if not confirmed:  # the rows differ in several places and no one of them alone is the error: name none
        out["text"] = f"row {index - 1} → {index}: this does not preserve the value ({values})"
        return out
    out["before"], out["after"] = found
    out["text"] = (f"row {index - 1} → {index}: `{found[0] or '∅'}` became `{found[1] or '∅'}`; "
                   f"this does not preserve the value ({values})")
    return out


MAX_TRIES = 4  # candidate edits evaluated undone: each costs an evaluation of the rows up to this one


def _breaking_edit(link: DerivationLink, index: int, truth, macros: dict):
    """((before, after), True) for the edit whose undoing makes row `index` hold, else (None, False)."""
    from latexeval.treediff import changed_part, edits

    before, after = _body(link.rows[index - 2].latex), _body(link.rows[index - 1].latex)
    candidates = [(a, b, start - len(ROW_PREFIX), end - len(ROW_PREFIX)) for a, b, start, end in
                  edits(before, after, macros)]
    part = changed_part(before, after, macros)
    if part and (part[0] or part[1]):
        at = link.rows[index - 1].latex.find(part[1]) if part[1] else -1
        if at >= 0:
            candidates.append((part[0], part[1], at, at + len(part[1])))
    for a, b, start, end in candidates[:MAX_TRIES]:
        latex = link.rows[index - 1].latex
        if _holds_with(link, index, latex[:start] + a + latex[end:], truth, macros):
            return (a, b), True
    return None, False


def _holds_with(link: DerivationLink, index: int, row_latex: str, truth, macros: dict) -> bool:
    """Does row `index` hold when written as `row_latex` (the rows before it as they are)?"""
    from latexeval import evaluate_derivation
    from latexeval.notation import is_linear

    notation = getattr(truth, "notation", "")
    if not notation or is_linear(notation):
        return False
    rows = [(r.relation, r.latex) for r in link.rows[:index - 1]] + [(link.rows[index - 1].relation, row_latex)]
    result = evaluate_derivation(rows, notation, wrt=link.element.attrs.get("wrt"), macros=macros)
    return result[-1].ok is True


def _body(latex: str) -> str:
    return ROW_PREFIX + latex + ROW_SUFFIX
