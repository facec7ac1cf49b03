"""How long the figures cost a build: cold (every figure redrawn) versus warm (cache hit).

Usage: python bench/bench_figures.py [--warm-runs N]

Cold runs in a fresh interpreter against an empty cache, as the first build on
a new machine does (imports, VAE training, drawing, writing). Warm is measured
twice: inside one process, as the live preview re-checks the cache, and as a
fresh process, as a repeated command-line build sees it (interpreter start and
imports included).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deckbuild.figure_cache import ensure_figures  # noqa: E402

_ONE_BUILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
from deckbuild.figure_cache import ensure_figures
ensure_figures(Path(sys.argv[1]), Path(sys.argv[2]))
print(time.perf_counter() - start)
"""


def _fresh_process(cache: Path) -> tuple[float, float]:
    """(seconds inside the child from import to done, seconds of the whole child process)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _ONE_BUILD, str(ROOT), str(cache)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1]), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "figures"
        cold_inside, cold_total = _fresh_process(cache)
        sizes = {path.name: path.stat().st_size for path in sorted(cache.glob("*.svg"))}

        warm_process = [_fresh_process(cache) for _ in range(3)]
        ensure_figures(ROOT, cache)  # imports the figure package into this process
        warm_inside = []
        for _ in range(args.warm_runs):
            start = time.perf_counter()
            ensure_figures(ROOT, cache)
            warm_inside.append(time.perf_counter() - start)

    print(f"cold, fresh process, empty cache : {cold_inside:7.3f} s  ({cold_total:.3f} s with interpreter start)")
    inside, total = (statistics.median(run[i] for run in warm_process) for i in (0, 1))
    print(f"warm, fresh process (median of 3): {inside:7.3f} s  ({total:.3f} s with interpreter start)")
    print(f"warm, same process (median of {args.warm_runs}) : {statistics.median(warm_inside) * 1000:7.3f} ms")
    for name, size in sizes.items():
        print(f"  {name:26s} {size / 1024:6.1f} KiB")


if __name__ == "__main__":
    main()
