"""The verification details a presenter opens with V, written at build time for each derivation.

A lecturer asked "is this step really right?" mid-lecture reads the answer in
the deck's language, about the row on the slide, in one line: which row, what
it claims (⇔: the same maximiser in θ), and how that was checked ("对 2 个模型的
24 组随机参数逐一计算, 两边相等", "SymPy 化简差为 0"). The maths in it (the
relation, the variable, the row itself) is typeset by KaTeX here, like every
formula of the site, so the browser never sees `<=>` or `theta_hat`.

The check results are read field by field with defaults: the details data
grows (strength, counts of draws and models, an explanation of a failure) and
this presentation uses each field once it is there. The developer's wording
(check function, tolerance, the checker's own message) stays available under a
collapsed "details" line.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import asdict

from .cache import Table
from .evaluate import EVALUATED, FAILING, NO_NOTATION, STRENGTHS, FormulaCheck
from .katex import Job, KatexRenderer
from .language import PHRASES, phrase
from .model import Deck, DerivationLink
from .render import readable
from .verify import RELATION_TEX, LinkStatus

DEFAULT_WRT = "\\theta"
_DRAWS = re.compile(r"(\d+)(?:\s*x\s*(\d+))?\s+draws")
_MODELS = re.compile(r"\bon ([^;()]+)")


def derivation_panels(deck: Deck, statuses: dict[str, LinkStatus], katex: KatexRenderer, lang: str,
                      cache: Table | None = None) -> dict[str, str]:
    """HTML of the details of each linked derivation of `deck`, by derivation id."""
    macros = tuple(sorted(deck.meta.get("macros", {}).items()))
    wanted: dict[str, None] = {}
    for link in deck.links:
        wanted[_wrt(link)] = None
        for row in link.rows:
            wanted[_row_tex(row.latex)] = None
    wanted.update({tex: None for tex in RELATION_TEX.values()})
    texs = list(wanted)
    results = katex.render([Job(tex, False, macros, output="html") for tex in texs], cache)
    maths = {tex: (res.html if not res.error else f"<code>{html.escape(tex)}</code>") for tex, res in zip(texs, results)}
    return {link.id: _panel(link, statuses.get(link.id), maths, lang) for link in deck.links}


def _wrt(link: DerivationLink) -> str:
    return (link.element.attrs.get("wrt") or DEFAULT_WRT).strip()


def _row_tex(latex: str) -> str:
    """A row of an align* on its own: alignment points and line breaks dropped."""
    return " ".join(re.sub(r"(?<!\\)&|\\\\\s*$", " ", latex).split())


def _panel(link: DerivationLink, status: LinkStatus | None, maths: dict[str, str], lang: str) -> str:
    steps = [asdict(s) for s in status.steps] if status else []
    by_index = {s.get("index"): s for s in steps}
    state = status.status if status else "unverified"
    title = status.title if status and status.title else link.id
    verified = sum(1 for s in steps if s.get("status") == "verified")
    items = []
    for row in link.rows:
        step = by_index.get(row.index, {"index": row.index, "relation": row.relation, "status": "unverified"})
        items.append(_step(step, row.relation, maths[_row_tex(row.latex)], maths, _wrt(link), lang))
    head = (f'<header class="pk-dv__head"><div><div class="pk-dv__title">{html.escape(title)}</div>'
            f'<div class="pk-dv__summary">{html.escape(phrase(lang, "panel.rows", ok=verified, n=len(link.rows)))}'
            f'</div></div>{_pill(state, lang)}</header>')
    return (f'<section class="pk-dv" data-derivation="{html.escape(link.id)}" data-status="{html.escape(state)}">'
            f'{head}<ol class="pk-steps">{"".join(items)}</ol></section>')


def _pill(state: str, lang: str) -> str:
    state = state if state in ("verified", "failing", "stale", "unverified") else "unverified"
    return f'<span class="pk-status" data-status="{state}">{html.escape(phrase(lang, "status." + state))}</span>'


def _step(step: dict, relation: str, row_html: str, maths: dict[str, str], wrt: str, lang: str) -> str:
    state = str(step.get("status") or "unverified")
    index = int(step.get("index") or 0)
    strength = str(step.get("strength") or "")
    badge = (f'<span class="pk-strength">{html.escape(phrase(lang, "strength." + strength))}</span>'
             if f"strength.{strength}" in _STRENGTHS else "")
    head = (f'<div class="pk-step__head"><span class="pk-step__idx">{html.escape(phrase(lang, "panel.row", n=index))}'
            f'</span><span class="pk-step__rel">{maths[RELATION_TEX.get(relation, "=")]}</span>{badge}'
            f'{_pill(state, lang)}</div>')
    how = how_checked(step, relation, maths[wrt], lang)
    return (f'<li class="pk-step" data-step="{index}" data-status="{html.escape(state)}">{head}'
            f'<div class="pk-step__tex">{row_html}</div><p class="pk-step__how">{how}</p>'
            f'{_developer_details(step, lang)}</li>')


_STRENGTHS = {f"strength.{s}" for s in STRENGTHS}


def how_checked(step: dict, relation: str, wrt_html: str, lang: str) -> str:
    """One line of HTML: what was checked about this row, and with what result."""
    state = step.get("status")
    if state == "stale":
        return html.escape(phrase(lang, "how.stale"))
    if state == "failing":
        why = (step.get("explanation") or {}).get("text") or step.get("detail") or step.get("evaluation") or ""
        return html.escape(phrase(lang, "how.failing") + (f": {why}" if why else ""))
    claim = _fill(phrase(lang, f"claim.{relation}") if f"claim.{relation}" in _CLAIMS else "", wrt=wrt_html)
    parts = []
    method = str(step.get("method") or "")
    if step.get("strength") == "proved" or (not step.get("strength") and "symbolic" in method):
        key = {"=": "how.symbolic", "<=>": "how.symbolic-constant"}.get(relation, "how.symbolic-bound")
        parts.append(_fill(phrase(lang, key), wrt=wrt_html))
        if step.get("strength") == "proved":
            parts.append(_fill(phrase(lang, "how.tied")))
    draws, models = draw_counts(step)
    if draws and models:
        parts.append(_fill(phrase(lang, "how.slide"), models=str(models), draws=str(draws), claim=claim))
    elif "numeric" in method and step.get("points"):
        parts.append(_fill(phrase(lang, "how.numeric"), points=str(int(step["points"]))) + ", " + claim)
    if not parts:
        detail = str(step.get("evaluation") or "").removeprefix("not evaluable: ")
        return _fill(phrase(lang, "how.not-evaluable"), detail=html.escape(detail)) if detail else claim
    return "; ".join(parts)


_CLAIMS = {"claim.=", "claim.<=>", "claim.<=", "claim.>=", "claim.<", "claim.>", "claim.in"}
_RELATION_SHOWN = {"->": "→", "!=": "≠", "<=": "≤", ">=": "≥", "<=>": "⇔"}  # the evaluator's ASCII, as a slide writes it


def formula_reason(check: FormulaCheck, lang: str) -> str:
    """Why a formula outside a derivation has its strength, for its mark's tooltip and the V panel. An evaluated
    one in the deck's language, from the evaluator's clauses (latexeval.said): on which models at how many
    draws, at how many values of its free variables, on how many random instances, what it defines, and what
    each relation claims; a failing one on a model (the model, the draw, both sides there). Any other, or one
    with a clause that says more than its facts (values left out, a limit), in the evaluator's own words.
    Either way with the letters as the slide shows them (θ, not \\theta)."""
    return readable(_formula_reason(check, lang))


def _formula_reason(check: FormulaCheck, lang: str) -> str:
    if check.reason == NO_NOTATION:
        return phrase(lang, "because.no-notation")
    truth = check.truth
    failure = truth.failure if truth is not None and check.strength == FAILING else None
    if failure and {"lhs", "rhs", "relation"} <= set(failure) and (
            {"instance", "draw"} <= set(failure) or "at" in failure or "sizes" in failure):
        relation = _RELATION_SHOWN.get(failure["relation"], failure["relation"])
        relation = phrase(lang, "how.nth-relation", n=failure["place"], relation=relation) if failure.get("place") \
            else phrase(lang, "how.the-relation", relation=relation)
        sides = {"lhs": _number(failure["lhs"]), "rhs": _number(failure["rhs"]), "relation": relation}
        if "instance" in failure:
            return phrase(lang, "how.formula-failed", instance=failure["instance"], draw=failure["draw"], **sides)
        if "sizes" in failure:  # vectors and matrices: on a random instance of these sizes, at these indices
            where = phrase(lang, "how.failed-where", at=failure["at"]) if failure.get("at") else ""
            return phrase(lang, "how.formula-failed-instance", sizes=failure["sizes"], where=where, **sides)
        return phrase(lang, "how.formula-failed-at", at=failure["at"], **sides)
    said = truth.said if truth is not None and check.strength == EVALUATED else []
    worded, on_models = _worded()
    if not said or any(not s.get("plain") or s.get("kind") not in worded for s in said):
        return check.reason
    if any(s["kind"] in on_models for s in said) and not (truth.instances and truth.draws):
        return check.reason
    groups: dict[str, list[dict]] = {}  # clauses worded together (the relations on models), in the order they come
    for s in said:
        groups.setdefault(on_models[0] if s["kind"] in on_models else s["kind"], []).append(s)
    return "; ".join(worded[kind](clauses, truth, lang) for kind, clauses in groups.items())


def _number(value) -> str:
    """A side's value as a reason shows it: a number to six digits, a vector as the evaluator wrote it."""
    return f"{value:.6g}" if isinstance(value, (int, float)) else str(value)


def _claims(clauses: list[dict], lang: str) -> str:
    """What the relations of these clauses claim, each once: "两边相等; 左边处处不小于右边"."""
    out = []
    for s in clauses:
        rel = {":=": "="}.get(s["rel"], s["rel"])
        key = f"claim.{rel}"
        out.append(phrase(lang, key, wrt=", ".join(s["names"])) if key in _CLAIMS
                   else phrase(lang, "claim.holds", rel=_RELATION_SHOWN.get(rel, rel)))
    return "; ".join(dict.fromkeys(out))


def _on_models(clauses, truth, lang: str) -> str:
    values = max(s["values"] for s in clauses)
    return phrase(lang, "how.formula", models=len(truth.instances), names=", ".join(truth.instances),
                  draws=truth.draws, values=phrase(lang, "how.formula-values", n=values) if values else "",
                  claim=_claims(clauses, lang))


def _at_values(clauses, truth, lang: str) -> str:
    values = max(s["values"] for s in clauses)
    if not values:
        return phrase(lang, "how.formula-numbers", claim=_claims(clauses, lang))
    names = ", ".join(dict.fromkeys(n for s in clauses for n in s["names"]))
    return phrase(lang, "how.formula-free", n=values, names=names, claim=_claims(clauses, lang))


def _on_distributions(clauses, truth, lang: str) -> str:
    values = max(s["values"] for s in clauses)
    return phrase(lang, "how.formula-random", draws=max(s["draws"] for s in clauses),
                  names=", ".join(dict.fromkeys(n for s in clauses for n in s["names"])),
                  values=phrase(lang, "how.formula-values", n=values) if values else "", claim=_claims(clauses, lang))


def _on_instances(clauses, truth, lang: str) -> str:
    hows = dict.fromkeys(phrase(lang, f"by.{s['how']}") if f"by.{s['how']}" in PHRASES else s["how"] for s in clauses)
    return phrase(lang, "how.formula-instances", draws=max(s["draws"] for s in clauses), how=", ".join(hows),
                  claim=_claims(clauses, lang))


def _defines(clauses, truth, lang: str) -> str:
    return phrase(lang, "said.defines", names=", ".join(n for s in clauses for n in s["names"]))


def _ranges(clauses, truth, lang: str) -> str:
    return "; ".join(phrase(lang, "said.range-notation" if s["how"] == "notation" else "said.range",
                            names=", ".join(s["names"])) for s in clauses)


def _limits(clauses, truth, lang: str) -> str:
    def one(s: dict) -> str:
        large, small = s["names"]
        rate = phrase(lang, "how.formula-limit-rate", large=large, rate=f"{s['rate']:.2g}") if s["rate"] else ""
        return phrase(lang, "how.formula-limit", large=large, small=small, draws=s["draws"], rate=rate,
                      sizes=", ".join(f"{p:g}" for p in s["points"]), measured=", ".join(f"{m:.3g}" for m in s["measured"]))
    return "; ".join(one(s) for s in clauses)


@functools.cache
def _worded():
    """How each kind of clause is worded, and the kinds checked on the models (worded as one). latexeval
    names the kinds; it is imported here, when a formula is worded, not by every build that imports this."""
    from latexeval.said import CONSTANT, DEFINES, DISTRIBUTIONS, INSTANCES, LIMIT, MODELS, RANGE, VALUES

    return ({MODELS: _on_models, CONSTANT: _on_models, VALUES: _at_values, DISTRIBUTIONS: _on_distributions,
             INSTANCES: _on_instances, DEFINES: _defines, RANGE: _ranges, LIMIT: _limits}, (MODELS, CONSTANT))


def draw_counts(step: dict) -> tuple[int, int]:
    """(random draws, models) the slide's own formula was evaluated at: the data's counts, else read off its summary."""
    draws, models = step.get("draws"), step.get("models")
    if isinstance(models, (list, tuple)):
        models = len(models)
    if draws and models:
        return int(draws), int(models)
    text = str(step.get("evaluation") or "")
    if not text.startswith("holds"):
        return 0, 0
    found = _DRAWS.search(text)
    if found:
        draws = int(found.group(1)) * int(found.group(2) or 1)
    on = _MODELS.search(text)
    if on:
        models = len([m for m in on.group(1).split(",") if m.strip()])
    return int(draws or 0), int(models or 0)


def _fill(template: str, **values: str) -> str:
    """A phrase as HTML: its own text escaped, the values (HTML built here) put in as they are."""
    escaped = html.escape(template)
    for key, value in values.items():
        escaped = escaped.replace("{" + key + "}", value)
    return escaped


def _developer_details(step: dict, lang: str) -> str:
    rows = [(key, step.get(key)) for key in ("reason", "check", "method", "points", "tolerance", "detail", "evaluation")]
    shown = "".join(f"<dt>{key}</dt><dd>{html.escape(str(value))}</dd>" for key, value in rows if value not in (None, "", 0))
    if not shown:
        return ""
    return (f'<details class="pk-step__more"><summary>{html.escape(phrase(lang, "label.details"))}</summary>'
            f'<dl class="pk-step__meta">{shown}</dl></details>')
