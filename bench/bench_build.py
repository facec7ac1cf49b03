"""Build speed, as the issues state it: prints figures, asserts nothing.

    python bench/bench_build.py

Figures and derivation results are warmed first (they have their own caches);
"empty cache" below means an empty *formula* cache, so KaTeX's Node process is
started and every formula typeset.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuild.pipeline import Options, build  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "current"


def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    warm = ROOT / ".cache"
    build(Options(out_dir=tmp / "warm", cache_dir=warm, quiet=True))  # figures + derivations warmed

    def cold_dar():
        cache = tmp / "cold-cache"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(warm, cache, ignore=shutil.ignore_patterns("katex.json", "decks.json", "sites.json", "pages"))
        result = build(Options(out_dir=tmp / "cold", cache_dir=cache, quiet=True))
        assert result.written and result.katex_started == 1
        return result

    med, best = timed(cold_dar)
    print(f"DAR-5-5, empty formula cache (Node start-up included):  median {med:.3f} s, best {best:.3f} s")

    deck = tmp / "slides"
    shutil.copytree(ROOT / "slides", deck)
    build(Options(slides_dir=deck, out_dir=tmp / "edit", cache_dir=warm, quiet=True, require_all_checks_used=True))
    src = deck / "DAR-5-5.md"
    text = src.read_text(encoding="utf-8")
    edits = iter(range(10_000))

    def one_edit():
        src.write_text(text.replace("无监督学习: 变分自编码", f"无监督学习: 变分自编码 {next(edits)}"), encoding="utf-8")
        result = build(Options(slides_dir=deck, out_dir=tmp / "edit", cache_dir=warm, quiet=True,
                               require_all_checks_used=True))
        assert result.katex_started == 0, "a text edit must not start KaTeX"

    med, best = timed(one_edit)
    print(f"DAR-5-5, rebuild after a one-slide text edit (no Node): median {med:.3f} s, best {best:.3f} s")

    if CORPUS.exists():
        both = tmp / "all"
        both.mkdir()
        for p in CORPUS.glob("*.md"):
            shutil.copy(p, both / p.name)
        shutil.copy(ROOT / "slides" / "DAR-5-5.md", both / "DAR-5-5-project.md")  # the corpus has its own dar-5-5

        def cold_all():
            cache = tmp / "cold-all"
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(warm, cache, ignore=shutil.ignore_patterns("katex.json", "decks.json", "sites.json", "pages"))
            result = build(Options(slides_dir=both, out_dir=tmp / "all-out", cache_dir=cache, quiet=True, drafts=True,
                                   require_all_checks_used=False))
            assert result.written, [d.format() for d in result.report.errors]
            return result

        med, best = timed(cold_all)
        print(f"corpus (7 decks) + DAR-5-5, empty formula cache:        median {med:.3f} s, best {best:.3f} s")

    from deckbuild.diagnostics import Report
    from deckbuild.pipeline import check_derivations, open_cache, read_decks

    opts = Options(cache_dir=warm, quiet=True)
    decks = read_decks(opts, Report())
    med, best = timed(lambda: check_derivations(decks, opts, Report(), open_cache(opts)), repeat=9)
    print(f"verification status with warm caches (no SymPy, no Node): median {med * 1000:.1f} ms, best {best * 1000:.1f} ms")

    def command():
        subprocess.run([sys.executable, str(ROOT / "build.py"), "--quiet", "--out", str(tmp / "cmd")], check=True, cwd=ROOT)

    med, best = timed(command, repeat=3)
    print(f"'python build.py' as a command, warm caches:            median {med:.3f} s, best {best:.3f} s")
    if (CORPUS / "DAR_5_5.md").exists():
        cold_command(tmp)
    shutil.rmtree(tmp, ignore_errors=True)


def cold_command(tmp: Path, runs: int = 7) -> None:
    """The corpus DAR_5_5.md built cold as a whole command (bytecode cache on, as on a default install):
    wall time, and the CPU time of the build and its Node process, which a loaded machine inflates less."""
    one = tmp / "one"
    one.mkdir()
    shutil.copy(CORPUS / "DAR_5_5.md", one)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")

    def once(i: int) -> tuple[float, float]:
        cmd = [sys.executable, "build.py", "--slides", str(one), "--out", str(tmp / f"one-out-{i}"),
               "--cache", str(tmp / f"one-cache-{i}"), "--quiet", "--offline"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, cmd
        return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime

    once(-1)  # fills the bytecode cache
    walls, cpus = zip(*(once(i) for i in range(runs)))
    print(f"corpus DAR_5_5.md cold, whole command:                 median {statistics.median(walls):.3f} s, "
          f"best {min(walls):.3f} s; CPU (with Node) median {statistics.median(cpus):.3f} s")


if __name__ == "__main__":
    main()
