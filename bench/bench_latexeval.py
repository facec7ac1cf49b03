"""Speed of evaluating the slide's LaTeX: prints figures, asserts nothing.

    python bench/bench_latexeval.py

"Every row" is every derivation row and every other formula (display or
inline, except those marked <slide-definition>) of slides/DAR-5-5.md, each in its derivation's notation (dar-5-5: a Gaussian mixture
and a linear-Gaussian model; gmm-em, vae-unit-q, divergences for the appendix
slides that need them). The first run includes starting Node, reading the
notations and certifying the optima; later runs reuse the parse trees (as one
build does across decks) but evaluate everything again. The budget is 2 s wall
on a 2-core machine.
"""
from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuild.rows import split_rows  # noqa: E402
from latexeval import evaluate_derivation, evaluate_formula  # noqa: E402
from tests.test_latexeval import ATTRIBUTES  # noqa: E402  the attributes the deck's derivations carry

NOTATION = "dar-5-5"


def deck_formulas(path: Path) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """(linked derivations as (id, LaTeX, attributes), every other formula) of a deck, as the build
    parses it; an attribute the deck does not state yet is taken from the recommended ones."""
    from deckbuild.diagnostics import Report
    from deckbuild.parse import parse_deck
    from deckbuild.source import read_deck

    report = Report()
    deck = parse_deck(read_deck(str(path), path.stem.lower(), path.read_text(encoding="utf-8"), report), report)
    linked = [(link.id, link.math.tex, {**ATTRIBUTES.get(link.id, {}),
                                        **{k: v for k, v in link.element.attrs.items() if k in ("notation", "wrt") and v}})
              for link in deck.links]
    from deckbuild.evaluate import free_formulas

    return linked, [m.tex for m in free_formulas(deck)]  # as the build: not derivations, not definitions


def evaluate_all(linked: list[tuple[str, str, dict]], others: list[str]) -> Counter:
    """Evaluate everything; counts rows by outcome (verified, failing, not evaluable, no relation)."""
    results = [r for _, tex, attrs in linked
               for r in evaluate_derivation([(r.relation, r.latex) for r in split_rows(tex)],
                                            attrs.get("notation", NOTATION), wrt=attrs.get("wrt"))]
    results += [r for tex in others for r in evaluate_formula(tex, NOTATION).rows]
    return Counter("verified" if r.ok else "failing" if r.ok is False else
                   "not evaluable" if r.not_evaluable else "no relation" for r in results)


def main() -> None:
    linked, others = deck_formulas(ROOT / "slides" / "DAR-5-5.md")
    t0 = time.perf_counter()
    counts = evaluate_all(linked, others)
    first = time.perf_counter() - t0
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        evaluate_all(linked, others)
        times.append(time.perf_counter() - t0)
    print(f"DAR-5-5: {sum(counts.values())} rows ({len(linked)} derivations, {len(others)} other formulas, display or inline): "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + "; each relation on every instance of its notation")
    print(f"  first run (Node start-up, notations): {first:.3f} s")
    print(f"  later runs:                            median {statistics.median(times):.3f} s, best {min(times):.3f} s")
    print("  budget: 2 s wall on 2 cores")


if __name__ == "__main__":
    main()
