"""Why a derivation row fails, in words a lecturer can act on.

A failing row is compared with the row before it (on KaTeX's parse trees, see
latexeval/treediff.py): the smallest sub-expression that changed is the edit that
broke the row, and the evaluator's failing draw gives the two values it no longer
preserves. The result goes into the row's details (StepStatus.explanation).
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
    from latexeval.treediff import changed_part

    try:
        part = changed_part(_body(link.rows[index - 2].latex), _body(link.rows[index - 1].latex), macros)
    except Exception as exc:  # noqa: BLE001 - an explanation must never break the build
        part, out["error"] = None, f"{type(exc).__name__}: {exc}"
    if part is None or not (part[0] or part[1]):
        out["text"] = f"row {index - 1} → {index}: this does not preserve the value ({values})"
        return out
    out["before"], out["after"] = part
    out["text"] = (f"row {index - 1} → {index}: `{part[0] or '∅'}` became `{part[1] or '∅'}`; "
                   f"this does not preserve the value ({values})")
    return out


def _body(latex: str) -> str:
    return ROW_PREFIX + latex + ROW_SUFFIX
