"""Wall time of the whole derivation check suite (every step, symbolic + numeric).

Budget: under 5 s on 2 cores, measured from a cold start (fresh worker processes
import SymPy, numpy, scipy and sklearn themselves), because that is what a build
on a clean cache pays.

    python bench/bench_derivations.py [--workers N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_S = 5.0


def _suite_in_this_process():
    import derivations

    return derivations.run_all(workers=1)


def cold_run(workers: int):
    """The whole suite in fresh processes: nothing imported, nothing memoised."""
    import derivations

    if workers > 1:
        return derivations.run_all(workers=workers)
    import concurrent.futures as cf
    import multiprocessing as mp

    with cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(_suite_in_this_process).result()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    walls = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        results = cold_run(args.workers)
        walls.append(time.perf_counter() - start)

    steps = [r for rs in results.values() for r in rs]
    failed = [(d, r.index, r.detail) for d, rs in results.items() for r in rs if not r.ok]
    print(f"derivations: {len(results)}  steps: {len(steps)}  failed: {len(failed)}  "
          f"workers: {args.workers}  cpus: {os.cpu_count()}")
    slowest = sorted(((r.seconds, d, r.index) for d, rs in results.items() for r in rs), reverse=True)[:5]
    print("slowest steps: " + ", ".join(f"{d}#{i} {s:.2f}s" for s, d, i in slowest))
    print(f"wall: best {min(walls):.2f}s  worst {max(walls):.2f}s over {len(walls)} cold runs "
          f"(budget {BUDGET_S:.1f}s)")
    for d, i, detail in failed:
        print(f"FAILED {d} row {i}: {detail}")
    return 0 if not failed and max(walls) < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
