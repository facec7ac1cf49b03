"""Derivation links -> the checked status of every step, shown on the slides.

A slide's `<slide-derivation id="…">` names a derivation in `derivations/`;
this module holds the two sides together. A step is:

    verified    its check passed and the slide row is the row the check recorded
    stale       the slide row changed since the check recorded it (fingerprint)
    failing     its check does not pass
    unverified  no check could be matched to it (count or relation differ)

Running the checks imports SymPy and takes seconds, so results are cached by a
hash of everything in derivations/ and the versions of the libraries it uses;
the slide rows are compared against the cached declarations on every build, so
a stale row is never shown as verified.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from .cachefile import read_json, write_json
from .diagnostics import Report
from .model import Deck, DerivationLink

RELATION_TEX = {"=": "=", "<=>": "\\Leftrightarrow", "<=": "\\le", ">=": "\\ge"}
LIBRARIES = ("sympy", "numpy", "scipy", "scikit-learn", "mpmath")


@dataclass
class StepStatus:
    index: int
    relation: str
    status: str
    name: str = ""
    check: str = ""
    method: str = ""
    points: int = 0
    tolerance: float = 0.0
    detail: str = ""
    evaluation: str = ""  # the slide row's own LaTeX evaluated on the deck's models


@dataclass
class LinkStatus:
    id: str
    title: str
    status: str
    steps: list[StepStatus] = field(default_factory=list)


def _derivations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "derivations"


def code_hash() -> str:
    """Hash of the check code, its models and the libraries it runs on."""
    h = hashlib.sha256()
    base = _derivations_dir()
    for path in sorted(base.rglob("*.py")):
        h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update((base.parent / "latexeval" / "families.py").read_bytes())  # the models the checks compute on
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=none".encode())
    return h.hexdigest()


def run_all_checks() -> dict:
    """Every derivation's declaration and check results (imports SymPy: slow).

    The package is imported afresh, so a long-lived process (the live preview)
    never runs old check code under the hash of new code.
    """
    for name in [m for m in sys.modules if m == "derivations" or m.startswith("derivations.")]:
        del sys.modules[name]
    import derivations

    results_by_id = derivations.run_all(workers=2)
    out = {}
    for did, d in sorted(derivations.all_derivations().items()):
        results = results_by_id[did]
        out[did] = {
            "title": d.title,
            "steps": [{"relation": s.relation, "fingerprint": s.fingerprint, "name": s.name} for s in d.steps],
            "results": [{"index": r.index, "ok": bool(r.ok), "method": r.method, "points": int(r.points),
                         "tolerance": float(r.tolerance), "check": r.check, "detail": r.detail} for r in results],
        }
    return out


def load_checks(cache_dir: Path | None, use_cache: bool = True) -> dict:
    key = code_hash()
    path = cache_dir / "derivations.json" if cache_dir else None
    cached = read_json(path, {}) if use_cache else {}
    if cached.get("key") == key:
        return cached["derivations"]
    checks = run_all_checks()
    if path:
        write_json(path, {"key": key, "derivations": checks})
    return checks


def verify_links(deck: Deck, checks: dict, report: Report, truths: dict | None = None) -> dict[str, LinkStatus]:
    """Compare each linked slide formula with its declared steps, their results, and the rows' own truth."""
    statuses: dict[str, LinkStatus] = {}
    for link in deck.links:
        statuses[link.id] = _verify_link(link, checks.get(link.id), report, (truths or {}).get(link.id))
    return statuses


def _verify_link(link: DerivationLink, check: dict | None, report: Report, truths: list | None = None) -> LinkStatus:
    el = link.element
    if check is None:
        report.error(el.path, el.line, el.col, f"derivation '{link.id}' has no check in derivations/",
                     "declare it in a module of derivations/ (see derivations/README.md) or fix the id")
        return LinkStatus(link.id, link.id, "unverified",
                          [StepStatus(r.index, r.relation, "unverified") for r in link.rows])
    declared = check["steps"]
    results = {r["index"]: r for r in check["results"]}
    if len(declared) != len(link.rows):
        report.error(el.path, el.line, el.col,
                     f"derivation '{link.id}' has {len(link.rows)} rows on the slide but its check declares {len(declared)} steps",
                     "make the slide and the check agree, row for step")
    steps = []
    for row in link.rows:
        truth = truths[row.index - 1] if truths and row.index <= len(truths) else None
        decl = declared[row.index - 1] if row.index <= len(declared) else None
        res = results.get(row.index, {})
        base = dict(name=decl["name"] if decl else "", check=res.get("check", ""), method=res.get("method", ""),
                    points=res.get("points", 0), tolerance=res.get("tolerance", 0.0), detail=res.get("detail", ""))
        where = (row.line, row.col)
        if decl is None:
            status = "unverified"
        elif decl["relation"] != row.relation:
            status = "unverified"
            report.error(el.path, *where, f"derivation '{link.id}' step {row.index}: the slide says "
                         f"{RELATION_TEX[row.relation]} but the check proves {RELATION_TEX[decl['relation']]}",
                         "change the relation on the slide or in the check")
        elif decl["fingerprint"] != row.fingerprint:
            status = "stale"
            report.warning(el.path, *where, f"derivation '{link.id}' step {row.index} is stale: the slide row changed "
                           f"since its check was written (fingerprint {row.fingerprint}, check has {decl['fingerprint']})",
                           "re-derive the row, update the check, then set its fingerprint to " + row.fingerprint,
                           excerpt=row.latex.strip())
        elif not res.get("ok"):
            status = "failing"
            report.warning(el.path, *where, f"derivation '{link.id}' step {row.index} fails its check "
                           f"{res.get('check', '?')}: {res.get('detail', 'no result')}", excerpt=row.latex.strip())
        else:
            status = _with_truth(link, row, truth, report)
        steps.append(StepStatus(row.index, row.relation, status, evaluation=_truth_text(truth), **base))
    worst = next((s for s in ("failing", "stale", "unverified") if any(st.status == s for st in steps)), "verified")
    return LinkStatus(link.id, check["title"], worst, steps)


def _with_truth(link: DerivationLink, row, truth, report: Report) -> str:
    """The check passed; the row is verified only if the slide's own LaTeX holds too."""
    if truth is None:
        return "verified"
    if truth.ok is True:
        return "verified"
    if truth.ok is False:
        report.warning(link.element.path, row.line, row.col,
                       f"derivation '{link.id}' step {row.index}: the row as written does not hold on the deck's "
                       f"models, although its check passes: {truth.detail}", excerpt=row.latex.strip())
        return "failing"
    if not truth.not_evaluable:  # states no relation: nothing to confirm
        report.warning(link.element.path, row.line, row.col,
                       f"derivation '{link.id}' step {row.index}: the evaluator found no relation in this row")
    return "unverified"


def _truth_text(truth) -> str:
    if truth is None:
        return ""
    if truth.not_evaluable:
        return f"not evaluable: {truth.not_evaluable}"
    return ("holds: " if truth.ok else "does not hold: ") + truth.detail if truth.ok is not None else truth.detail


def unused_checks(decks: list[Deck], checks: dict) -> list[str]:
    used = {link.id for deck in decks for link in deck.links}
    return sorted(set(checks) - used)


def details_json(status: LinkStatus) -> str:
    """The per-step details a presenter opens with 'V', safe inside <script>."""
    return json.dumps(asdict(status), ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
