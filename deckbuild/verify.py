"""Derivation rows -> how strongly each is checked, shown on the slides and in the details.

A row's status comes from what it means, never from how it is written:

    proved       its own LaTeX holds on the deck's models (evaluate.py), and a Python/SymPy
                 check of the same step in derivations/ passed and is tied to the row by value
    evaluated    its own LaTeX holds on N draws of M model instances (no check, or one not tied)
    not checked  the evaluator cannot read it (the construct is the reason)
    failing      its own LaTeX is false on a model: the model, the draw and both values, and
                 the edit from the row before that broke it (explain.py)

A derivation needs no Python: without a module in derivations/ it is evaluated.
A meaning-preserving rewrite of a row stays verified with derivations/ untouched;
the text of a row is no reason for it to fail.

The details JSON (one object per derivation, `details_json`) is StepStatus as a dict:
    index, relation          the row and its relation code (=, <=>, <=, >=)
    status                   verified | failing | unverified (what the row mark shows)
    strength                 proved | evaluated | not checked | failing
    reason                   why not stronger / why failing, one sentence
    draws, models            N random draws per instance, the M instance names
    evaluation               the evaluator's own sentence
    name, check, method, points, tolerance, detail   the Python check, when there is one
    failure                  {"instance", "draw", "lhs", "rhs", "relation"} for a failing row
    explanation              for a failing row: {"from_row", "to_row", "before", "after", "text"}
                             — the smallest sub-expression that differs from the row before
                             (KaTeX parse trees), and the values it no longer preserves

Running the checks imports SymPy and takes seconds, so results are cached by a
hash of everything in derivations/ and the versions of the libraries it uses.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import progress
from .cache import Cache, key as cache_key, versions_of
from .diagnostics import BuildError, Report
from .evaluate import ASSUMED, DEFINITION, EVALUATED, FAILING, NOT_CHECKED, PROVED, failure_text
from .explain import explain_failure
from .imports import forget_package
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
    strength: str = NOT_CHECKED
    reason: str = ""
    draws: int = 0
    models: list[str] = field(default_factory=list)
    failure: dict | None = None
    explanation: dict | None = None


@dataclass
class LinkStatus:
    id: str
    title: str
    status: str
    steps: list[StepStatus] = field(default_factory=list)


def _derivations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "derivations"


def code_hash() -> str:
    """Hash of the check code, its models, the evaluator's draws and the libraries it runs on."""
    h = hashlib.sha256()
    root = _derivations_dir().parent
    from derivations import source_files  # the package's __init__ only: no SymPy

    for path in source_files():
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for lib, version in versions_of(LIBRARIES).items():
        h.update(f"{lib}={version}".encode())
    return h.hexdigest()


def run_all_checks(quiet: bool = True, stop=None) -> dict:
    """Every derivation's declaration and check results (SymPy, in two worker processes: slow).

    The package is imported afresh, so a long-lived process (the live preview)
    never runs old check code under the hash of new code.
    """
    forget_package("derivations")
    import derivations

    try:
        with progress.task("running derivation checks", total=0, quiet=quiet) as job:
            declared = derivations.run_all_declared(workers=2, on_done=job.advance, on_total=job.add_total, stop=stop)
    except derivations.WorkerFailed as exc:
        raise BuildError(f"{exc}; nothing was written\n    hint: run 'python build.py check' again; if it happens "
                         "again, run 'python bench/bench_derivations.py --workers 1' to see which check it is") from None
    out = {}
    for did, (declaration, results) in sorted(declared.items()):
        out[did] = {
            "title": declaration["title"],
            "steps": declaration["steps"],
            "results": [{"index": r.index, "ok": bool(r.ok), "method": r.method, "points": int(r.points),
                         "tolerance": float(r.tolerance), "check": r.check, "detail": r.detail,
                         "values": r.values} for r in results],
        }
    return out


def _checks_shape(value) -> bool:
    return isinstance(value, dict) and all(
        isinstance(d, dict) and isinstance(d["steps"], list) and isinstance(d["results"], list) for d in value.values())


def load_checks(cache: Cache, quiet: bool = True, stop=None) -> dict:
    """Every check's declaration and results: from the cache while the check code is unchanged, else run
    (with its progress on stderr unless `quiet`)."""
    return cache.table("derivations", _checks_shape).get_or(cache_key("derivations", code_hash()),
                                                            lambda: run_all_checks(quiet, stop))


class ChecksInBackground:
    """`load_checks` started at once on a thread of its own: the SymPy work runs in worker processes, so what
    this process does meanwhile (drawing the figures, evaluating the slides' own formulas) overlaps it instead
    of waiting for it. Started by `checks_meanwhile`."""

    def __init__(self, cache: Cache, quiet: bool = True):
        self._value, self._error = None, None
        self._stop = threading.Event()
        cache.table("derivations", _checks_shape)  # made here, not from two threads at once
        self._thread = threading.Thread(target=self._run, args=(cache, quiet), name="derivation checks", daemon=True)
        self._thread.start()

    def _run(self, cache: Cache, quiet: bool) -> None:
        try:
            self._value = load_checks(cache, quiet, self._stop)
        except BaseException as exc:  # noqa: BLE001 - raised again where the result is asked for
            self._error = exc

    def cancel(self) -> None:
        """For a build that failed before it asked for the result: its workers end now, none outlives it."""
        self._stop.set()
        self._thread.join()

    def result(self) -> dict:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@contextlib.contextmanager
def checks_meanwhile(cache: Cache, quiet: bool, needed: bool) -> Iterator[ChecksInBackground | None]:
    """The derivation checks running in the background while the block works (None when not `needed`); a block
    that fails (an error, an interrupt) ends their workers before the failure goes on: none outlives the build."""
    pending = ChecksInBackground(cache, quiet) if needed else None
    try:
        yield pending
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise


def verify_links(deck: Deck, checks: dict, report: Report, truths: dict | None = None, *,
                 failing_is_error: bool = False, macros: dict | None = None) -> dict[str, LinkStatus]:
    """Each linked slide formula's rows, by their own truth; a Python check adds a proof."""
    statuses: dict[str, LinkStatus] = {}
    first: dict[str, DerivationLink] = {}
    for link in deck.links:
        if link.id in first:
            other = first[link.id].element
            el = link.element
            report.error(el.path, el.line, el.col, f"derivation id '{link.id}' is used twice: here and at "
                         f"{other.path}:{other.line}:{other.col}", "give each <slide-derivation> its own id")
            continue
        first[link.id] = link
        statuses[link.id] = _verify_link(link, checks.get(link.id), report, (truths or {}).get(link.id),
                                         failing_is_error, macros or deck.meta.get("macros") or {})
    return statuses


def _verify_link(link: DerivationLink, check: dict | None, report: Report, truths: list | None,
                 failing_is_error: bool, macros: dict) -> LinkStatus:
    el = link.element
    declared = check["steps"] if check else []
    results = {r["index"]: r for r in check["results"]} if check else {}
    if check and len(declared) != len(link.rows):
        report.warning(el.path, el.line, el.col,
                       f"derivation '{link.id}' has {len(link.rows)} rows on the slide but its Python check declares "
                       f"{len(declared)} steps: only the steps tied to a row by value add a proof",
                       "make the check's steps follow the rows, or remove the check (rows are evaluated anyway)")
    steps = []
    for row in link.rows:
        truth = truths[row.index - 1] if truths and row.index <= len(truths) else None
        decl = declared[row.index - 1] if row.index <= len(declared) else None
        res = results.get(row.index, {})
        base = dict(name=decl["name"] if decl else "", check=res.get("check", ""), method=res.get("method", ""),
                    points=res.get("points", 0), tolerance=res.get("tolerance", 0.0), detail=res.get("detail", ""))
        strength, reason = _strength(link, row, truth, decl, res)
        step = StepStatus(row.index, row.relation, STATUS_OF[strength], evaluation=_truth_text(truth),
                          strength=strength, reason=reason, draws=truth.draws if truth else 0,
                          models=list(truth.instances) if truth else [], failure=truth.failure if truth else None,
                          **base)
        if strength == FAILING:
            step.explanation = explain_failure(link, row.index, truth, macros)
            say = report.error if failing_is_error else report.warning
            say(el.path, row.line, row.col, f"derivation '{link.id}' row {row.index} does not hold: "
                f"{failure_text(truth)}" + (f"; {step.explanation['text']}" if step.explanation else ""),
                "fix the row (the rows before it hold)", excerpt=row.latex.strip())
        elif strength == EVALUATED and DIFFERS in reason:
            report.warning(el.path, row.line, row.col, f"derivation '{link.id}' step {row.index}: its Python check "
                           f"{res.get('check', '?')} proves another formula than the row ({reason.split(DIFFERS)[1]}); "
                           "the row is evaluated, not proved",
                           "if the row is right, make the check compute what the row states (its parameters, "
                           "its optimum), or remove the check; if not, fix the row")
        elif decl and res and not res.get("ok"):
            report.warning(el.path, row.line, row.col, f"derivation '{link.id}' step {row.index}: its Python check "
                           f"{res.get('check', '?')} fails ({res.get('detail', 'no result')}); the row is evaluated only",
                           "fix the check in derivations/")
        steps.append(step)
    worst = next((s for s in ("failing", "unverified") if any(st.status == s for st in steps)), "verified")
    return LinkStatus(link.id, check["title"] if check else _title_of(link), worst, steps)


STATUS_OF = {PROVED: "verified", EVALUATED: "verified", DEFINITION: "verified", ASSUMED: "unverified",
             NOT_CHECKED: "unverified", FAILING: "failing"}


def _strength(link: DerivationLink, row, truth, decl: dict | None, res: dict) -> tuple[str, str]:
    """The row's strength from its own truth; the Python check makes it 'proved' only when tied by value."""
    if truth is None:
        return NOT_CHECKED, "the deck names no notation, so its rows cannot be evaluated"
    if truth.ok is False:
        return FAILING, failure_text(truth)
    if truth.ok is None:
        return NOT_CHECKED, f"not evaluable: {truth.not_evaluable}" if truth.not_evaluable else "states no relation"
    evaluated = f"evaluated on {truth.draws} draws of {len(truth.instances)} models ({', '.join(truth.instances)})"
    if decl is None:
        return EVALUATED, evaluated + "; no Python check"
    if decl["relation"] != row.relation:
        return EVALUATED, evaluated + f"; the Python step {row.index} proves {RELATION_TEX[decl['relation']]}, " \
                                      f"the row states {RELATION_TEX[row.relation]}"
    if not res.get("ok"):
        return EVALUATED, evaluated + "; its Python check fails"
    tie = tie_by_value(res.get("values"), truth)
    if tie is not True:
        return EVALUATED, evaluated + f"; its Python check passed but is not tied to this row by value ({tie})"
    return PROVED, f"{res.get('method', '')} proof in derivations/, tied to the row by value; " + evaluated


DIFFERS = "values differ: "  # how tie_by_value says the check computes another formula than the row
TIE_RTOL = 1e-6  # the check's quadrature and the evaluator's grids agree far closer than this


def tie_by_value(values: dict | None, truth) -> bool | str:
    """Do the check's two sides equal the row's two sides, on the same draws of the same instances?

    True, or why not. Compared where the check's own arithmetic is finite (a narrow mixture
    component can underflow there); an instance where it is finite on fewer than half the draws
    is left out, and at least one instance must be compared.
    """
    sides = getattr(truth, "sides", None)
    if not values:
        return "the check relates no two expressions that can be computed on the evaluator's draws"
    if not sides:
        return "the row's sides are not one number per draw (a free variable, a vector, or a row of several relations)"
    common = sorted(name for name in set(values) & set(sides) if values[name]["draws"] == sides[name]["draws"])
    if not common:
        return "no model instance in common"
    compared = 0
    for name in common:
        check, row = values[name], sides[name]
        if len(check["lhs"]) != len(row["lhs"]):
            return f"its draws on {name} are not the row's"
        finite = [k for k in range(len(row["lhs"])) if check["lhs"][k] is not None and check["rhs"][k] is not None]
        if 2 * len(finite) < len(row["lhs"]):
            continue
        for side in ("lhs", "rhs"):
            for k in finite:
                x, y = check[side][k], row[side][k]
                if abs(x - y) > TIE_RTOL * (1 + abs(x) + abs(y)):
                    return f"{DIFFERS}its {side} is {x:.6g} where the row's is {y:.6g} on {name}, draw {k + 1}"
        compared += 1
    if not compared:
        return "its values are not finite on enough draws"
    return True


def _title_of(link: DerivationLink) -> str:
    return link.id


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
