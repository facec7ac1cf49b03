"""The browser rows of bench_compare alone, this project beside pandoc-local, interleaved: prints, asserts nothing.

    python bench/bench_browser.py [--rounds N] [--runs N] [--site DIR] [--trace FILE]

Builds the lecturer's DAR_5_5.md (or takes an already built `--site`), makes
pandoc-local as bench_compare does, and loads the two in turn (bench_compare.alternating) in
one Chromium, so a machine loaded by other work slows both alike: the ratios
are what to read. `--trace FILE` also records one Chromium performance trace of
this project's page load (open it in chrome://tracing or Perfetto) and prints
where the main thread's time went before Reveal was ready.
"""
from __future__ import annotations

import argparse
import collections
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_compare import (BROWSER_KEYS, CHROMIUM, DECK, FLAGS, _PROBE, alternating,  # noqa: E402
                                 build_cmd, install_peers, plain_markdown, run, serve)
from deckbuild.urls import deck_slug  # noqa: E402

def pandoc_local(folder: Path, modules: Path) -> Path:
    """pandoc's reveal.js page of the plain deck, reveal.js 4 and KaTeX beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    deck = folder / "deck.md"
    deck.write_text(plain_markdown(DECK.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copytree(modules / "reveal.js", folder / "reveal.js")
    shutil.copytree(ROOT / "node_modules" / "katex" / "dist", folder / "katex")
    subprocess.run(["pandoc", "-t", "revealjs", "-s", str(deck), "-o", str(folder / "index.html"),
                    "--katex=katex/", "-V", "revealjs-url=reveal.js"], check=True)
    return folder


def our_site(tmp: Path) -> Path:
    one = tmp / "one"
    one.mkdir()
    shutil.copy(DECK, one / DECK.name)
    run(build_cmd(one, tmp / "site", tmp / "cache"))
    return tmp / "site"


def trace_summary(browser, url: str, out: Path) -> None:
    """One load under Chromium's tracing; the main thread's top-level work before Reveal's ready, by kind."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.add_init_script(_PROBE)
    browser.start_tracing(page=page, path=str(out), categories=[
        "devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "loading", "v8.execute"])
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__t.ready && window.__t.fonts", timeout=30_000)
    probe = page.evaluate("window.__t")
    browser.stop_tracing()
    context.close()
    events = json.loads(out.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = _renderer_main(events)
    dcl = next(e["ts"] for e in events if e.get("name") == "MarkDOMContent" and (e["pid"], e["tid"]) == main)
    start = dcl - probe["dcl"] * 1000  # navigation start, on the trace's clock
    until = start + probe["ready"] * 1000
    kinds: dict[str, float] = collections.Counter()
    spans = sorted((e for e in events if (e.get("pid"), e.get("tid")) == main and e.get("ph") == "X"
                    and e.get("name") in _WORK and start <= e["ts"] <= until), key=lambda e: (e["ts"], -e["dur"]))
    print(f"trace: {out}  (DOMContentLoaded {probe['dcl']:.0f} ms, ready {probe['ready']:.0f} ms, "
          f"fonts {probe['fonts']:.0f} ms); main thread, outermost work of 2 ms or more:")
    outer_end = 0
    for e in spans:
        kinds[e["name"]] += e["dur"] / 1000 if e["name"] in _LEAF else 0
        if e["ts"] < outer_end:
            continue
        outer_end = e["ts"] + e["dur"]
        if e["dur"] >= 2000:
            detail = e.get("args", {}).get("data", {}) or e.get("args", {}).get("beginData", {})
            what = detail.get("url") or detail.get("functionName") or detail.get("type") or ""
            print(f"  {(e['ts'] - start) / 1000:7.1f} ms  {e['dur'] / 1000:6.1f} ms  {e['name']:24} {str(what)[-60:]}")
    print("  by kind, until ready:  " + ", ".join(f"{name} {total:.0f} ms" for name, total in kinds.most_common()))


_LEAF = {"ParseHTML", "EvaluateScript", "v8.compile", "UpdateLayoutTree", "Layout", "ParseAuthorStyleSheet",
         "Paint", "PrePaint", "FunctionCall"}
_WORK = _LEAF | {"TimerFire", "EventDispatch", "FireAnimationFrame", "ResourceReceivedData"}


def _renderer_main(events) -> tuple[int, int]:
    """(pid, tid) of the renderer main thread that ran the page (the one with the most layout work)."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    work = collections.Counter((e["pid"], e["tid"]) for e in events if e.get("name") in ("Layout", "ParseHTML"))
    candidates = [key for key, name in names.items() if name == "CrRendererMain"] or list(work)
    return max(candidates, key=lambda key: work[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each printed")
    parser.add_argument("--runs", type=int, default=5, help="page loads per side per round, ours and pandoc-local in turn")
    parser.add_argument("--site", type=Path, help="an already built site of DAR_5_5.md (else built here)")
    parser.add_argument("--peers", type=Path, default=ROOT / ".cache" / "bench-peers")
    parser.add_argument("--trace", type=Path, help="also write one trace of this project's load here")
    args = parser.parse_args()
    modules = install_peers(args.peers)
    tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    try:
        site = args.site or our_site(tmp)
        local = pandoc_local(tmp / "pandoc-local", modules)
        _measure(site, local, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(site: Path, local: Path, args) -> None:
    from playwright.sync_api import sync_playwright

    ours_rounds, theirs_rounds = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        with serve(site) as ours_url, serve(local) as local_url:
            deck_url = f"{ours_url}/{deck_slug(DECK)[0]}/index.html"
            for _ in range(args.rounds):
                o, t = alternating(browser, [deck_url, f"{local_url}/index.html"], args.runs)
                ours_rounds.append(o)
                theirs_rounds.append(t)
                print(f"round: ours ready {o['ready']:.0f} fonts {o['fonts']:.0f} | pandoc-local ready "
                      f"{t['ready']:.0f} fonts {t['fonts']:.0f} | ratios {o['ready'] / t['ready']:.2f} "
                      f"{o['fonts'] / t['fonts']:.2f}", flush=True)
            if args.trace:
                trace_summary(browser, deck_url, args.trace)
        browser.close()
    if not ours_rounds:
        return
    ours = {k: statistics.median(r[k] for r in ours_rounds) for k in BROWSER_KEYS}
    theirs = {k: statistics.median(r[k] for r in theirs_rounds) for k in BROWSER_KEYS}
    print(f"{'median of rounds':44} | this project | pandoc-local | ratio")
    for key, what in (("dcl", "navigation -> DOMContentLoaded"), ("ready", "navigation -> Reveal ready"),
                      ("fonts", "navigation -> fonts ready")):
        print(f"{what:44} | {ours[key]:8.0f} ms | {theirs[key]:8.0f} ms | {ours[key] / theirs[key]:.2f}")
    print(f"{'layout shift while loading (CLS)':44} | {ours['shift']:11.3f} | {theirs['shift']:11.3f} |")
    for key, what in (("change", "heaviest slide from the first, 2nd frame"),
                      ("next", "heaviest slide from the one before")):
        print(f"{what:44} | {ours[key]:8.0f} ms | {theirs[key]:8.0f} ms |")
        print(f"{'  its work (script, style, layout)':44} | {ours[key + '_work']:8.1f} ms | "
              f"{theirs[key + '_work']:8.1f} ms |")


if __name__ == "__main__":
    main()
