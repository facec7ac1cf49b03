"""Live preview latency: from saving DAR-5-5.md to the reload event reaching an open page.

    python bench/bench_serve.py [--edits N] [--deck PATH]

Runs `serve` as a lecturer does (a subprocess with warm caches) on a copy of
the deck's folder, so the real deck is never touched; each edit changes the
text of the title slide. The time covers the file watcher, its debounce, the rebuild and the
event stream: everything but the browser's own reload. Prints figures only.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_serve import Events, Server  # noqa: E402

TITLE = "无监督学习: 变分自编码"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=9)
    parser.add_argument("--deck", type=Path, default=ROOT / "slides" / "DAR-5-5.md",
                        help="a deck whose text has the DAR-5-5 title (default: slides/DAR-5-5.md)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    shutil.copytree(args.deck.parent, tmp / "slides")
    deck = tmp / "slides" / args.deck.name
    text = deck.read_text(encoding="utf-8")
    assert TITLE in text, f"{args.deck} has no '{TITLE}' to edit"
    server = Server(tmp / "slides", tmp / "out", ROOT / ".cache")
    events = Events(server.url)
    try:
        events.next()  # the state of the first build
        runs = [_one_edit(deck, text.replace(TITLE, f"{TITLE} {i}"), events) for i in range(args.edits)]
    finally:
        events.close()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    times = [took for took, _ in runs]
    failed = sum(not ok for _, ok in runs)
    print(f"serve, save {args.deck.name} -> reload event ({args.edits} one-slide text edits): median "
          f"{statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
          + (f"  [{failed} build(s) had errors, so the site write is missing from them]" if failed else ""))


def _one_edit(deck: Path, text: str, events: Events) -> tuple[float, bool]:
    """(seconds from the save to the event, whether that build was written)."""
    time.sleep(0.3)  # a pause between saves, as when typing: each save is its own rebuild
    deck.write_text(text, encoding="utf-8")
    saved = time.perf_counter()
    while (state := events.next()) is not None and not any(p.endswith(deck.name) for p in state["changed"]):
        pass  # a build caused by another change (someone editing derivations/, say), not by this save
    took = time.perf_counter() - saved
    assert state is not None, "the server closed the event stream"
    return took, state["ok"]


if __name__ == "__main__":
    main()
