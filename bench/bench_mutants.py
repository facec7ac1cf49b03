"""`check --mutants` on DAR-5-5: time and score (target: under 90 s on 2 cores; >= 98% caught, >= 95% accepted)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from deckbuild.cache import Cache
    from deckbuild.diagnostics import Report
    from deckbuild.evaluate import EvaluationCache, evaluate_deck
    from deckbuild.mutants import format_score, score_deck
    from deckbuild.parse import parse_deck
    from deckbuild.source import read_deck

    path = ROOT / "slides" / "DAR-5-5.md"
    report = Report()
    deck = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", path.read_text(encoding="utf-8"), report), report)
    start = time.perf_counter()
    score = score_deck(deck, evaluate_deck(deck, EvaluationCache(Cache(None)), report))
    seconds = time.perf_counter() - start
    print(format_score(deck.path, score)[0])
    print(f"check --mutants, DAR-5-5: {seconds:.1f} s (target < 90 s)")


if __name__ == "__main__":
    main()
