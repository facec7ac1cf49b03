"""What checking DAR-5-5 costs: `build.py check` from an empty cache, verification inside a warm build,
and `build.py check --mutants`.

Budgets (2 cores): `python build.py check` of slides/DAR-5-5.md under 5 s, with the figures
already generated (they are pictures the build draws, not results `check` vouches for, so
`check` takes them from the cache like a build); and under 50 ms for what verification adds
to a warm build whose deck changed: the evaluation of every formula, the derivation checks
and the tie of each check to its row, all answered from the cache; `python build.py check --mutants`
under 90 s (run once: it takes a minute).

    python bench/bench_check.py [--repeat R] [--no-mutants]

`check` runs as a fresh process (`python build.py check --slides DIR --cache DIR`) on a copy
of the deck in a folder of its own, whose cache holds only the figures; the warm part runs
in this process on a cache that one build filled.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DECK = ROOT / "slides" / "DAR-5-5.md"
CHECK_BUDGET_S = 5.0
WARM_BUDGET_MS = 50.0
MUTANTS_BUDGET_S = 90.0


def _figures_only_cache(cache: Path) -> None:
    """A cache that holds the generated figures and nothing else."""
    from deckbuild.cache import Cache
    from deckbuild.figure_cache import ensure_figures

    figures = Cache(cache)
    ensure_figures(ROOT, figures)
    figures.save()


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _check_once(slides: Path, cache: Path, *extra: str) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its workers, stdout) of one `build.py check` on a figures-only cache."""
    _figures_only_cache(cache)
    cpu, start = _child_cpu(), time.perf_counter()
    quiet = () if "--mutants" in extra else ("--quiet",)  # --quiet would hold back the score it reads
    proc = subprocess.run([sys.executable, "build.py", "check", *quiet, *extra, "--slides", str(slides),
                           "--cache", str(cache)], cwd=ROOT, capture_output=True, text=True)
    wall, used = time.perf_counter() - start, _child_cpu() - cpu
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
        raise SystemExit("build.py check failed")
    return wall, used, proc.stdout


def _deck_folder(work: Path) -> Path:
    slides = work / "slides"
    if not slides.exists():
        slides.mkdir()
        shutil.copy(DECK, slides / DECK.name)
    return slides


def time_check(work: Path, repeat: int) -> tuple[list[float], list[float]]:
    slides = _deck_folder(work)
    walls, cpus = [], []
    for k in range(repeat):
        wall, cpu, _ = _check_once(slides, work / f"cache-{k}")
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def time_mutants(work: Path) -> tuple[float, float, str]:
    """`build.py check --mutants` once, from a figures-only cache: (wall, CPU, the score line)."""
    wall, cpu, out = _check_once(_deck_folder(work), work / "cache-mutants", "--mutants")
    score = next((line.strip() for line in out.splitlines() if "wrong caught" in line), "no score printed")
    return wall, cpu, score


def derivation_cpu() -> tuple[float, list[tuple[float, str]]]:
    """CPU of the derivation checks in one fresh process, in total and for the five dearest steps: where the
    SymPy time of a cold check goes."""
    code = ("import sys, time; sys.path.insert(0, '.'); import derivations; from derivations import registry\n"
            "start = time.process_time(); derivations._load(); steps = []\n"
            "for did, d in registry.registered().items():\n"
            "    for s in d.steps:\n"
            "        t = time.process_time(); registry.execute(s.index, s.check)\n"
            "        steps.append((time.process_time() - t, f'{did}#{s.index}'))\n"
            "print(time.process_time() - start); [print(f'{c} {n}') for c, n in sorted(steps, reverse=True)[:5]]\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    total, *rows = out.split("\n")
    return float(total), [(float(c), n) for c, n in (r.split() for r in rows if r)]


def time_warm_verification(work: Path, repeat: int) -> list[float]:
    """check_derivations (evaluation, checks, ties) on a cache one build filled: what an edited deck pays."""
    from deckbuild.cache import Cache
    from deckbuild.diagnostics import Report
    from deckbuild.options import Options
    from deckbuild.pipeline import check_derivations
    from deckbuild.parse import parse_deck
    from deckbuild.source import read_deck

    cache_dir = work / "warm-cache"
    opts = Options(root=ROOT, slides_dir=ROOT / "slides", out_dir=work / "site", cache_dir=cache_dir, quiet=True)
    text = DECK.read_text(encoding="utf-8")
    report = Report()
    deck = parse_deck(read_deck(f"slides/{DECK.name}", "dar-5-5", text, report), report)
    filled = Cache(cache_dir)
    check_derivations([deck], opts, Report(), filled)
    filled.save()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        check_derivations([deck], opts, Report(), Cache(cache_dir))
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-mutants", action="store_true", help="leave out the minute-long check --mutants")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        walls, cpus = time_check(work, args.repeat)
        warm = time_warm_verification(work, max(5, args.repeat))
        mutants = None if args.no_mutants else time_mutants(work)
    checks, dearest = derivation_cpu()
    print(f"cpus: {os.cpu_count()}  load average: {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(f"build.py check (empty cache, figures generated): median {statistics.median(walls):.2f} s wall, "
          f"best {min(walls):.2f} s, {statistics.median(cpus):.2f} s CPU (budget {CHECK_BUDGET_S:.0f} s wall)")
    print(f"  of which the derivation checks, in one process: {checks:.2f} s CPU; dearest steps: "
          + ", ".join(f"{n} {c:.2f} s" for c, n in dearest))
    print(f"warm build, verification of one deck: median {statistics.median(warm):.1f} ms, best {min(warm):.1f} ms "
          f"(budget {WARM_BUDGET_MS:.0f} ms)")
    ok = statistics.median(walls) < CHECK_BUDGET_S and statistics.median(warm) < WARM_BUDGET_MS
    if mutants is not None:
        wall, cpu, score = mutants
        print(f"build.py check --mutants: {wall:.1f} s wall, {cpu:.1f} s CPU (budget {MUTANTS_BUDGET_S:.0f} s wall); "
              f"{score}")
        ok = ok and wall < MUTANTS_BUDGET_S
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
