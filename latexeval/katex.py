"""KaTeX's parse tree of a formula, from the run's one KaTeX process (katexbridge).

The evaluator reads formulas with the parser that renders the slides, so a formula
means to it exactly what it shows on screen; SymPy's LaTeX parsers disagree with
KaTeX on this notation. The process is the one the build typesets with, and trees
are cached by formula. A formula over the bridge's time or size limit comes back as
a KatexError on that formula (the row is then not evaluable), like any KaTeX error.
"""
from __future__ import annotations

from pathlib import Path

import katexbridge


class KatexError(ValueError):
    """KaTeX rejected the formula (the build reports such formulas on its own)."""

    def __init__(self, message: str, pos: int | None, limit: str | None = None):
        super().__init__(message)
        self.pos = pos
        self.limit = limit  # "size", "time" or "depth" when KaTeX (or reading its answer) hit a limit

    @property
    def construct(self) -> str:
        """What the verifier names as the reason the formula is not evaluable."""
        return "a formula KaTeX rejects" if self.limit is None else f"a formula over the {self.limit} limit"


class KatexParser:
    """Formulas -> KaTeX parse trees (JSON) through a bridge (the shared one by default), which keeps them."""

    def __init__(self, node: str | None = None, katex_dir: Path | None = None):
        self._bridge = None if node is None and katex_dir is None else katexbridge.Bridge(katex_dir, node)
        self._started_before: int | None = None

    @property
    def bridge(self) -> katexbridge.Bridge:
        if self._bridge is None:
            self._bridge = katexbridge.shared()
        if self._started_before is None:
            self._started_before = self._bridge.started
        return self._bridge

    @property
    def started(self) -> int:
        """Node processes started for this parser's requests so far."""
        return self.bridge.started - self._started_before

    def parse(self, exprs: list[str], macros: dict[str, str] | None = None) -> list[list | KatexError]:
        """Each formula's tree (a list of nodes), or the KatexError KaTeX raised for it (the bridge keeps every
        tree it was asked for: a formula is parsed once per process)."""
        try:
            return [_result(reply) for reply in self.bridge.parse(exprs, macros or {})]
        except katexbridge.BridgeError as exc:
            raise RuntimeError(str(exc)) from None

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.close()


def _result(reply: dict) -> list | KatexError:
    if "error" in reply:
        return KatexError(reply["error"]["message"], reply["error"].get("pos"), reply["error"].get("limit"))
    return reply["tree"]


_SHARED: KatexParser | None = None


def shared_parser() -> KatexParser:
    """The parser every evaluation of this run shares (on the run's one KaTeX process)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = KatexParser()
    return _SHARED
