"""This project beside its peers, in one run on one machine: prints a table, asserts nothing.

    python bench/bench_compare.py [--runs N] [--decks N] [--peers DIR]

The peers are installed by this script, never committed: Marp CLI, reveal-md
and reveal.js 4 from the npm registry (with the Node.js that requirements.txt
brings) into a folder of their own (default .cache/bench-peers), and pandoc
from Debian (`apt-get install -y pandoc`) when it is missing. "pandoc-local" is
pandoc's reveal.js output with a local reveal.js 4 and KaTeX typesetting in the
browser. The deck is the lecturer's DAR_5_5.md from ../shared/corpus/current;
the peers get the same text with the <slide-*> elements taken out and `---`
between slides. The catalogue figures come from 200 decks generated in a
temporary folder from the corpus decks' shapes (each with its own macro, so no
formula is shared between decks); the lecturer's decks are never copied into
the repository.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deckbuild.assets import node_binary  # noqa: E402
from deckbuild.urls import deck_slug  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "current"
DECK = CORPUS / "DAR_5_5.md"
PEERS = {"@marp-team/marp-cli": "4.5.1", "reveal-md": "6.1.2", "reveal.js": "4.6.1"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SERVE_EDITS = 9
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


# ---------------------------------------------------------------- peers


def install_peers(folder: Path) -> Path:
    """The pinned peers in `folder/node_modules` (npm from the pinned Node.js), and pandoc on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {name: version for name, version in PEERS.items()}
    have = {name: _installed(folder, name) for name in wanted}
    if have != wanted:
        (folder / "package.json").write_text(json.dumps({"private": True, "dependencies": wanted}, indent=1))
        node = node_binary()
        npm = Path(node).parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "PUPPETEER_SKIP_CHROMIUM_DOWNLOAD": "1"}
        print(f"installing {', '.join(f'{k}@{v}' for k, v in wanted.items())} into {folder} …", flush=True)
        subprocess.run([node, str(npm), "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=folder, env=env, check=True, capture_output=True)
    if not shutil.which("pandoc"):
        print("installing pandoc (apt-get) …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "pandoc"], check=True, capture_output=True)
    return folder / "node_modules"


def _installed(folder: Path, name: str) -> str | None:
    try:
        return json.loads((folder / "node_modules" / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


# ---------------------------------------------------------------- decks


def plain_markdown(text: str) -> str:
    """The deck for the peers: front matter and <slide-*> tags out, `---` between slides."""
    body = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    slides = re.findall(r"<slide-section[^>]*>(.*?)</slide-section>", body, flags=re.S)
    cleaned = [re.sub(r"</?slide-[a-z]+[^>]*>", "", s) for s in slides]
    cleaned = [re.sub(r"^Note:.*", "", s, flags=re.S | re.M) for s in cleaned]
    return "\n\n---\n\n".join(s.strip() for s in cleaned) + "\n"


def catalogue(folder: Path, count: int) -> Path:
    """`count` decks shaped like the corpus decks, each with a macro of its own so formulas differ per deck."""
    folder.mkdir(parents=True, exist_ok=True)
    shapes = sorted(p for p in CORPUS.glob("*.md") if not p.name.startswith("_"))
    for i in range(count):
        text = shapes[i % len(shapes)].read_text(encoding="utf-8")
        macro = f'macros: {{"\\\\deck": "\\\\mathrm{{d{i}}}"}}\n'
        text = re.sub(r"\A---\n", lambda _: "---\n" + macro, text.replace("macros:", "old_macros:", 1), count=1)
        text = re.sub(r'^title: *"?([^"\n]*)"?', lambda m: f'title: "{m.group(1)} ({i})"', text, count=1, flags=re.M)
        (folder / f"deck-{i:03d}.md").write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------- timing


def run(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one whole process."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: 200 decks' warnings would fill a pipe
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{errors.read().decode()[-2000:]}")
    return took, usage.ru_maxrss / 1024


def median_of(runs: int, make) -> tuple[float, float]:
    results = [make(i) for i in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def python_env(pycache: Path) -> dict[str, str]:
    """The build's environment as on a default install: Python keeps the bytecode of the modules it
    imports (here in a folder of the bench's own, so nothing is written into the project), whatever
    PYTHONDONTWRITEBYTECODE the calling shell sets; one untimed run fills it first."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def build_cmd(slides: Path, out: Path, cache: Path) -> list[str]:
    # --offline: the corpus decks point at an image host; the network is not what is measured.
    return [sys.executable, "build.py", "--slides", str(slides), "--out", str(out), "--cache", str(cache), "--quiet",
            "--offline"]


# ---------------------------------------------------------------- browser

_PROBE = """
window.__t = {shift: 0};
document.addEventListener('DOMContentLoaded', () => { __t.dcl = performance.now(); });
new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) __t.shift += e.value; })
  .observe({type: 'layout-shift', buffered: true});
const seen = () => {
  const r = document.querySelector('.reveal');
  if (r && r.classList.contains('ready') && !__t.ready) {
    __t.ready = performance.now();
    document.fonts.ready.then(() => { __t.fonts = performance.now(); });
  }
};
new MutationObserver(seen).observe(document, {subtree: true, attributes: true, attributeFilter: ['class']});
"""

# A slide change into the deck's heaviest slide, as a lecturer makes it: a few seconds after the page
# opened (SETTLE_MS, the same for every page: what a page does in its idle time is done), from the
# first slide or from the slide before. Two figures: to the second animation frame after the change
# (the frame that shows it has been made), and the main thread's work of the change itself, script,
# style and layout (forced at once), to hold against one frame's budget (16.7 ms at 60 Hz).
SETTLE_MS = 3000
_HEAVIEST = """async (fromPrevious) => {
  const slides = Reveal.getHorizontalSlides();
  let best = 0;
  slides.forEach((s, i) => { if (s.querySelectorAll('*').length > slides[best].querySelectorAll('*').length) best = i; });
  Reveal.configure({transition: 'none'});
  const frame = () => new Promise(done => requestAnimationFrame(() => done()));
  Reveal.slide(fromPrevious && best > 0 ? best - 1 : 0);
  await frame(); await frame(); await new Promise(done => setTimeout(done, 200));
  await frame();
  const t0 = performance.now();
  Reveal.slide(best);
  document.documentElement.getBoundingClientRect();
  const work = performance.now() - t0;
  await frame(); await frame();
  return [performance.now() - t0, work];
}"""


@contextlib.contextmanager
def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


BROWSER_KEYS = ("dcl", "ready", "fonts", "shift", "change", "change_work", "next", "next_work")  # browser_times'


def browser_times(browser, url: str, runs: int) -> dict[str, float]:
    rows = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.add_init_script(_PROBE)
        page.goto(url, wait_until="load")
        page.wait_for_function("window.__t.ready && window.__t.fonts", timeout=30_000)
        t = page.evaluate("window.__t")
        page.wait_for_timeout(SETTLE_MS)
        t["change"], t["change_work"] = page.evaluate(_HEAVIEST, False)
        t["next"], t["next_work"] = page.evaluate(_HEAVIEST, True)
        rows.append(t)
        context.close()
    return {k: statistics.median(r[k] for r in rows) for k in BROWSER_KEYS}


def alternating(browser, urls: list[str], runs: int) -> list[dict[str, float]]:
    """browser_times of each page, loaded in turn one at a time: the machine's speed drifts over a
    run, and pages measured one after the other would each get a different machine. Medians of `runs`."""
    loads: list[list[dict]] = [[] for _ in urls]
    for _ in range(runs):
        for mine, url in zip(loads, urls):
            mine.append(browser_times(browser, url, 1))
    return [{k: statistics.median(load[k] for load in mine) for k in BROWSER_KEYS} for mine in loads]


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--decks", type=int, default=200)
    parser.add_argument("--peers", type=Path, default=ROOT / ".cache" / "bench-peers")
    args = parser.parse_args()
    modules = install_peers(args.peers)
    tmp = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    try:
        _compare(tmp, modules, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _compare(tmp: Path, modules: Path, args) -> None:
    one = tmp / "one"
    one.mkdir()
    shutil.copy(DECK, one / DECK.name)
    plain = tmp / "plain"
    plain.mkdir()
    (plain / "deck.md").write_text(plain_markdown(DECK.read_text(encoding="utf-8")), encoding="utf-8")
    node = node_binary()
    marp = [node, str(modules / "@marp-team" / "marp-cli" / "marp-cli.js"), "--html", "--allow-local-files"]
    reveal_md = [node, str(modules / "reveal-md" / "bin" / "reveal-md.js")]

    rows: list[tuple[str, str, str]] = []
    env = python_env(tmp / "pycache")
    run(build_cmd(one, tmp / "out-warm-up", tmp / "cache-warm-up"), env=env)
    ours, mem = median_of(args.runs, lambda i: run(build_cmd(one, tmp / f"out-{i}", tmp / f"cold-cache-{i}"), env=env))
    marp_s, marp_mem = median_of(args.runs, lambda i: run(marp + [str(plain / "deck.md"), "-o", str(tmp / f"marp-{i}.html")]))
    rmd_s, _ = median_of(args.runs, lambda i: run(reveal_md + [str(plain / "deck.md"), "--static", str(tmp / f"rmd-{i}")]))
    pandoc_s, _ = median_of(args.runs, lambda i: run(["pandoc", "-t", "revealjs", "-s", str(plain / "deck.md"),
                                                      "-o", str(tmp / f"pandoc-{i}.html")]))
    rows.append(("cold build of DAR_5_5.md (empty cache), whole command",
                 f"{ours:.2f} s, {mem:.0f} MiB",
                 f"Marp CLI {marp_s:.2f} s, {marp_mem:.0f} MiB (ratio {ours / marp_s:.2f}); reveal-md {rmd_s:.2f} s; "
                 f"pandoc {pandoc_s:.2f} s (both leave math to the browser)"))
    warm, _ = median_of(args.runs, lambda i: run(build_cmd(one, tmp / "out-0", tmp / "cold-cache-0"), env=env))
    rows.append(("the same command again, nothing changed", f"{warm:.2f} s", ""))

    # pandoc-local: reveal.js 4 and KaTeX from local files, math typeset in the browser.
    local = tmp / "pandoc-local"
    local.mkdir()
    shutil.copytree(modules / "reveal.js", local / "reveal.js")
    shutil.copytree(ROOT / "node_modules" / "katex" / "dist", local / "katex")
    subprocess.run(["pandoc", "-t", "revealjs", "-s", str(plain / "deck.md"), "-o", str(local / "index.html"),
                    "--katex=katex/", "-V", "revealjs-url=reveal.js"], check=True)
    marp_site = tmp / "marp-site"
    marp_site.mkdir()
    run(marp + [str(plain / "deck.md"), "-o", str(marp_site / "index.html")])
    _browser_rows(rows, tmp, local, marp_site, args.runs)
    _catalogue_rows(rows, tmp, marp, args.decks, env)

    width = max(len(r[0]) for r in rows)
    print("(this project's builds: Python's bytecode cache on, as on a default install, warmed by one untimed run)")
    print(f"{'what':{width}} | this project | peers")
    for what, figure, peers in rows:
        print(f"{what:{width}} | {figure} | {peers}")


def _browser_rows(rows, tmp: Path, local: Path, marp_site: Path, runs: int) -> None:
    if not Path(CHROMIUM).exists():
        rows.append(("browser", "skipped: no Chromium", ""))
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        with serve(tmp / "out-0") as ours_url, serve(local) as local_url, serve(marp_site) as marp_url:
            ours, theirs = alternating(browser, [f"{ours_url}/{deck_slug(DECK)[0]}/index.html",
                                                 f"{local_url}/index.html"], runs)
            marp = _marp_time(browser, f"{marp_url}/index.html", runs)
        browser.close()
    rows.append(("browser, navigation -> Reveal ready (127.0.0.1)",
                 f"{ours['ready']:.0f} ms (DOMContentLoaded {ours['dcl']:.0f} ms)",
                 f"pandoc-local {theirs['ready']:.0f} ms (ratio {ours['ready'] / theirs['ready']:.2f}); "
                 f"Marp, navigation -> load {marp:.0f} ms"))
    rows.append(("browser, navigation -> fonts ready", f"{ours['fonts']:.0f} ms",
                 f"pandoc-local {theirs['fonts']:.0f} ms (ratio {ours['fonts'] / theirs['fonts']:.2f})"))
    rows.append(("layout shift while loading (CLS)", f"{ours['shift']:.3f}", f"pandoc-local {theirs['shift']:.3f}"))
    for key, start in (("change", "the first"), ("next", "the one before")):
        rows.append((f"slide change into the heaviest slide from {start}, to the second frame",
                     f"{ours[key]:.0f} ms", f"pandoc-local {theirs[key]:.0f} ms"))
        rows.append((f"  its work (script, style, layout; one frame is 16.7 ms)",
                     f"{ours[key + '_work']:.1f} ms", f"pandoc-local {theirs[key + '_work']:.1f} ms"))


def _marp_time(browser, url: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready")
        times.append(page.evaluate("performance.now()"))
        context.close()
    return statistics.median(times)


def _catalogue_rows(rows, tmp: Path, marp: list[str], count: int, env: dict) -> None:
    slides = catalogue(tmp / "catalogue", count)
    out, cache = tmp / "catalogue-out", tmp / "catalogue-cache"
    cold, mem = run(build_cmd(slides, out, cache), env=env)
    plain = tmp / "catalogue-plain"
    plain.mkdir()
    for deck in sorted(slides.glob("*.md")):
        (plain / deck.name).write_text(plain_markdown(deck.read_text(encoding="utf-8")), encoding="utf-8")
    marp_s, _ = run(marp + ["--input-dir", str(plain), "-o", str(tmp / "catalogue-marp")])
    rows.append((f"{count} decks, cold, whole command", f"{cold:.2f} s, {mem:.0f} MiB", f"Marp CLI {marp_s:.2f} s"))
    noop, _ = median_of(3, lambda i: run(build_cmd(slides, out, cache), env=env))
    rows.append((f"{count} decks, nothing changed, whole command", f"{noop:.2f} s", ""))
    deck = slides / "deck-000.md"
    text = deck.read_text(encoding="utf-8")

    def edit(i):
        deck.write_text(text.replace("\n## ", f"\n## edit {i} $e_{{{i}}}^2$ ", 1), encoding="utf-8")  # a new formula
        return run(build_cmd(slides, out, cache), env=env)

    one, _ = median_of(3, edit)
    rows.append((f"{count} decks, one deck edited (a heading with a new formula), whole command", f"{one:.2f} s", ""))
    inside = _serve_edit(slides, out, cache, deck, text)
    rows.append((f"{count} decks, the same edit, rebuild inside serve (median of {SERVE_EDITS})", f"{inside:.2f} s", ""))


def _serve_edit(slides: Path, out: Path, cache: Path, deck: Path, text: str) -> float:
    from deckbuild.options import Options
    from deckbuild.serve import Rebuilder

    rebuilder = Rebuilder(Options(slides_dir=slides, out_dir=out, cache_dir=cache, quiet=True, offline=True))
    try:
        rebuilder.build()
        times = []
        for i in range(SERVE_EDITS):
            deck.write_text(text.replace("\n## ", f"\n## serve edit {i} $s_{{{i}}}^3$ ", 1), encoding="utf-8")
            t0 = time.perf_counter()
            state = rebuilder.build([deck])
            times.append(time.perf_counter() - t0)
            rebuilder.keep_cache()  # as serve does, once the reload event is out
            assert state["ok"], state["diagnostics"][:3]
        return statistics.median(times)
    finally:
        rebuilder.close()


if __name__ == "__main__":
    main()
