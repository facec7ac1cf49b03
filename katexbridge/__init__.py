"""KaTeX from Python: one long-lived Node process for typesetting and for parse trees.

A small package of its own, so that the build (deckbuild/katex.py: formulas -> HTML)
and the evaluator (latexeval/katex.py: formulas -> parse trees) share one process
without the library importing the application.

    bridge = shared()                        # the project's Node and KaTeX, one per run
    bridge.render([{"tex": "x^2", "display": False}])  -> [{"html", "warnings", "rows"} | {"error"}]
    bridge.parse(["x^2"], macros={})          -> [{"tree"} | {"error"}]

Limits: a formula over the size limit is refused, one KaTeX takes longer than the
time limit on is stopped (the process restarts); either is an error on that formula
({"error": {"message", "pos", "limit"}}), and the other formulas go on.
"""
from .bridge import SIZE_LIMIT, TIME_LIMIT, Bridge, shared
from .node import BridgeError, ensure_node_modules, node_binary

__all__ = ["Bridge", "BridgeError", "shared", "node_binary", "ensure_node_modules", "TIME_LIMIT", "SIZE_LIMIT"]
