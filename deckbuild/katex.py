"""Formulas -> HTML by the real KaTeX, in one long-lived Node process.

Starting Node costs more than typesetting a whole deck, so formulas go to the one
KaTeX process of the run (katexbridge: the evaluator reads its parse trees from the
same process), and every result is cached by a hash of everything that shapes it.
A rebuild whose formulas are all cached starts no JavaScript at all. A formula over
the bridge's time or size limit is an error on that formula like any KaTeX error.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import katexbridge
from katexbridge.bridge import WORKER

from .cache import Cache, Table, key as cache_key
from .diagnostics import BuildError

# What each strict-mode finding means for the author, and how to fix it at the source.
STRICT_HINTS = {
    "unicodeTextInMathMode": "wrap words in \\text{…}, e.g. \\underbrace{x}_{\\text{观测数据}}",
    "mathVsTextAccents": "write the circled number as text outside the formula, e.g. ① instead of $\\textcircled{\\small 1}$",
    "newLineInDisplayMode": "\\\\ breaks lines only inside an environment: wrap the lines in \\begin{gathered}…\\end{gathered}",
    "unknownSymbol": "use a KaTeX command instead of the raw character",
    "commentAtEnd": "a % comment at the end of a formula hides the closing delimiter; remove it",
}
LIMIT_HINT = "split the formula, or shorten what its macros expand to (\\def, \\newcommand)"


@dataclass(frozen=True)
class Job:
    tex: str
    display: bool
    macros: tuple[tuple[str, str], ...] = ()
    marks: str = ""  # JSON of row marks, "" for none
    output: str = "htmlAndMathml"  # or "mathml" alone

    def key(self, version: str) -> str:
        return cache_key("katex", version, self.tex, self.display, self.macros, self.marks, self.output)


@dataclass
class Result:
    html: str = ""
    error: dict | None = None  # {"message": str, "pos": int | None}
    warnings: list = field(default_factory=list)  # [{"code", "message", "pos"}]
    rows: int | None = None


def result_shape(value) -> bool:
    """What a cached typeset formula must look like to be used (the cache checks its digest too)."""
    return (isinstance(value, dict) and set(value) == {"html", "error", "warnings", "rows"}
            and isinstance(value["html"], str) and (value["error"] is None or isinstance(value["error"], dict))
            and isinstance(value["warnings"], list) and (value["rows"] is None or isinstance(value["rows"], int)))


def formula_table(cache: Cache) -> Table:
    return cache.table("katex", result_shape)


class KatexRenderer:
    def __init__(self, node: str, katex_dir: Path):
        self.node = node
        self.katex_dir = katex_dir
        # Cached HTML depends on KaTeX and on how the worker post-processes its tree.
        katex_version = json.loads((katex_dir / "package.json").read_text())["version"]
        worker_digest = hashlib.sha256(WORKER.read_bytes()).hexdigest()[:16]
        self.version = f"{katex_version}/{worker_digest}"
        self.bridge = katexbridge.shared(katex_dir, node)
        self._started_before = self.bridge.started

    def render(self, jobs: list[Job], cache: Table | None = None, give_way: bool = False) -> list[Result]:
        """Every job's result, from `cache` (the table of `formula_table`) where it holds one. give_way: let
        the evaluator's requests for parse trees go first (typesetting beside the checks)."""
        keys = [job.key(self.version) for job in jobs]
        cached = [cache.get(k) if cache is not None else None for k in keys]
        results: list[Result | None] = [Result(**c) if c is not None else None for c in cached]
        missing = {keys[i]: jobs[i] for i, r in enumerate(results) if r is None}
        if missing:
            fresh = dict(zip(missing, self._typeset(list(missing.values()), give_way)))
            for key, result in fresh.items():
                if cache is not None and not (result.error and result.error.get("limit")):
                    cache.put(key, dict(result.__dict__))  # a limit may pass on a calmer machine
            results = [r if r is not None else fresh[k] for r, k in zip(results, keys)]
        return results  # type: ignore[return-value]

    def start(self) -> None:
        """Let Node load KaTeX now, beside the caller's work; a problem shows at the first formula instead."""
        try:
            self.bridge.start()
        except katexbridge.BridgeError:
            pass

    @property
    def started(self) -> int:
        """How many times a Node process was started for this renderer (benchmarks and tests read it)."""
        return self.bridge.started - self._started_before

    def parse_ahead(self, formulas: list[str], macros: dict[str, str]) -> None:
        """Have KaTeX parse these formulas now, in one request: the evaluator reads the same process's trees,
        which it then has without a round trip each."""
        try:
            self.bridge.parse(formulas, macros)
        except katexbridge.BridgeError:
            pass  # the formula's own typesetting meets the problem and reports it

    def _typeset(self, jobs: list[Job], give_way: bool = False) -> list[Result]:
        payload = [{"tex": j.tex, "display": j.display, "macros": dict(j.macros), "output": j.output,
                    "marks": json.loads(j.marks) if j.marks else None} for j in jobs]
        try:
            replies = self.bridge.render(payload, give_way)
        except katexbridge.BridgeError as exc:
            raise BuildError(str(exc)) from None
        return [Result(html=r.get("html", ""), error=_error(r), warnings=r.get("warnings", []), rows=r.get("rows"))
                for r in replies]

    def close(self) -> None:
        """Stop the process until the next formula needs it (the evaluator's trees start it again)."""
        self.bridge.close()


def _error(reply: dict) -> dict | None:
    error = reply.get("error")
    return None if error is None else {k: v for k, v in error.items() if k in ("message", "pos", "limit")}
