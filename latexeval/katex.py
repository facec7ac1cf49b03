"""KaTeX's parse tree of a formula, from one long-lived Node process.

The evaluator reads formulas with the parser that renders the slides, so a formula
means to it exactly what it shows on screen; SymPy's LaTeX parsers disagree with
KaTeX on this notation. Node costs more to start than to parse a whole deck, so one
process serves every call of a run, and trees are cached by formula.
"""
from __future__ import annotations

import atexit
import json
import threading
from pathlib import Path

from deckbuild.nodeproc import NodeWorker, WorkerStopped

SCRIPT = Path(__file__).with_name("katex_parse.cjs")
ROOT = Path(__file__).resolve().parent.parent


class KatexError(ValueError):
    """KaTeX rejected the formula (the build reports such formulas on its own)."""

    def __init__(self, message: str, pos: int | None):
        super().__init__(message)
        self.pos = pos


def _node_binary() -> str:
    from deckbuild.assets import node_binary

    return node_binary()


def _installed_katex() -> Path:
    """The pinned KaTeX in node_modules, installed the way the build installs it if missing (fresh clone)."""
    from deckbuild.assets import ensure_node_modules

    return ensure_node_modules(ROOT, quiet=True) / "katex"


class KatexParser:
    """Batches of formulas -> KaTeX parse trees (JSON), through one Node process."""

    def __init__(self, node: str | None = None, katex_dir: Path | None = None):
        self.node = node
        self.katex_dir = katex_dir
        self._worker: NodeWorker | None = None
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], dict] = {}

    @property
    def started(self) -> int:
        return self._worker.started if self._worker else 0

    def parse(self, exprs: list[str], macros: dict[str, str] | None = None) -> list[list | KatexError]:
        """Each formula's tree (a list of nodes), or the KatexError KaTeX raised for it."""
        key_macros = json.dumps(macros or {}, sort_keys=True)
        missing = sorted({e for e in exprs if (e, key_macros) not in self._cache})
        if missing:
            with self._lock:
                for expr, reply in zip(missing, self._ask(missing, macros or {})):
                    self._cache[(expr, key_macros)] = reply
        return [_result(self._cache[(e, key_macros)]) for e in exprs]

    def _ask(self, exprs: list[str], macros: dict[str, str]) -> list[dict]:
        if self._worker is None:
            katex_dir = self.katex_dir or _installed_katex()
            self._worker = NodeWorker([self.node or _node_binary(), str(SCRIPT), str(katex_dir)])
        try:
            return self._worker.request({"exprs": exprs, "macros": macros})["results"]
        except WorkerStopped as exc:
            raise RuntimeError(f"the KaTeX parser process stopped unexpectedly ({exc})") from None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()

def _result(reply: dict) -> list | KatexError:
    if "error" in reply:
        return KatexError(reply["error"]["message"], reply["error"].get("pos"))
    return reply["tree"]


_SHARED: KatexParser | None = None


def shared_parser() -> KatexParser:
    """The process every evaluation of this run shares (closed at exit)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = KatexParser()
        atexit.register(_SHARED.close)
    return _SHARED
