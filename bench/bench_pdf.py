"""How long the PDF handout of DAR-5-5 takes (target: under 10 s); prints figures, asserts nothing.

    python bench/bench_pdf.py [--repeat N]

The site is built once with warm caches; each timed print starts from an empty
PDF cache, so Chromium's start-up, the page load, fonts and printing are all
included. The last line times the whole command as the lecturer types it
(build included), again with an empty PDF cache.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_build import timed  # noqa: E402  (bench/ is on sys.path as the script's folder)
from deckbuild import pdf  # noqa: E402
from deckbuild.pipeline import Options, build  # noqa: E402

SLUG = "dar-5-5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    try:
        site = tmp / "_site"
        result = build(Options(out_dir=site, cache_dir=ROOT / ".cache", quiet=True))
        if result.report.errors:
            sys.exit("the build failed:\n" + "\n".join(d.format() for d in result.report.errors))

        def cold(mode: str):
            def run():
                cache = tmp / "pdf-cache"
                shutil.rmtree(cache, ignore_errors=True)
                [handout] = pdf.export(site, [SLUG], cache, mode)
                assert handout.printed
                return handout
            return run

        for mode in ("slides", "steps"):
            med, best = timed(cold(mode), args.repeat)
            pages = cold(mode)().pages
            print(f"DAR-5-5 PDF, {mode:6} ({pages:2d} pages), printed, Chromium start included: "
                  f"median {med:.2f} s, best {best:.2f} s")

        warm = tmp / "warm-cache"
        pdf.export(site, [SLUG], warm)
        med, best = timed(lambda: pdf.export(site, [SLUG], warm), args.repeat)
        print(f"DAR-5-5 PDF, unchanged deck (cache hit):                     median {med * 1000:.1f} ms")

        def command():
            cache = tmp / "cmd-cache"
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(ROOT / ".cache", cache, ignore=shutil.ignore_patterns("pdf"))
            # stderr holds the deck's own warnings, printed by the build
            subprocess.run([sys.executable, str(ROOT / "build.py"), "pdf", SLUG, "--quiet", "--out", str(tmp / "cmd"),
                            "--cache", str(cache)], check=True, cwd=ROOT, stderr=subprocess.DEVNULL)

        med, best = timed(command, args.repeat)
        print(f"'python build.py pdf dar-5-5' as a command, empty PDF cache: median {med:.2f} s, best {best:.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
