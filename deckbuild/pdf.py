"""PDF handouts: each built deck printed by headless Chromium in Reveal's own print view.

`python build.py pdf [deck-slug …] [--steps] [--notes] [--slides DIR] [--out DIR]`

Reveal's print view (`?print-pdf`) already lays every slide out on its own
page; reveal 6 merges the query string into the config after the deck's
`Reveal.initialize` options, so the print settings below travel in the URL and
the deck template needs no print-specific code. Printing starts only when the
page says it is done: Reveal's `pdf-ready` event, then every web font and image
loaded, never a fixed sleep, so a slow machine gives the same PDF, not a PDF
with fallback fonts. Chromium keeps text as text, so KaTeX's math stays vector
and searchable, with the self-hosted fonts embedded as subsets.

Printing costs seconds, so PDFs are cached under `<cache>/pdf/` by a key over
everything that can change the printed pages: the deck's page, every file it
references (CSS, scripts, fonts, images) and the print mode. A later build can
then put the handout into the site for free (`handouts.cached_pdf`).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import browser as chromium_browser
from . import progress
from .cache import Cache
from .diagnostics import BuildError, printed
from .handouts import MODES, check_mode, assets_digest, pdf_key, site_files, site_pdf_name, store
from .options import add_site_options

ROOT = Path(__file__).resolve().parent.parent

SLIDE_SIZE = (1100, 700)  # px, as in templates/deck.html.j2
READY_TIMEOUT_MS = 60_000

# Reveal 6 reads these from the query string (Util.getQueryHash, merged over the init options).
_PRINT_QUERY = "print-pdf&margin=0&pdfMaxPagesPerSlide=1&pdfSeparateFragments={steps}{notes}"

_MARK_READY = "document.addEventListener('pdf-ready', () => { window.__deckbuildPdfReady = true; }, true);"

# Fonts start loading only once the print layout shows their glyphs, so wait a
# frame after pdf-ready before trusting document.fonts, and loop while new
# faces keep starting.
_SETTLE = """async () => {
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    do { await document.fonts.ready; } while (document.fonts.status !== 'loaded');
    await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
}"""

# Reveal puts a slide's notes page right after its first page, before the pages of
# its fragment steps; a reader expects the notes after the slide's last step. A
# notes page also forces a page break after itself, a blank last page when the
# last slide has notes.
_NOTES_AFTER_STEPS = """() => {
    for (const notes of document.querySelectorAll('.speaker-notes-pdf[data-layout="separate-page"]')) {
        const id = notes.previousElementSibling?.querySelector('section')?.id;
        let last = notes;
        while (last.nextElementSibling?.matches('.pdf-page')
               && last.nextElementSibling.querySelector('section')?.id === id) {
            last = last.nextElementSibling;
        }
        last.after(notes);
    }
    const end = document.querySelector('.reveal .slides').lastElementChild;
    if (end && end.matches('.speaker-notes-pdf')) end.style.breakAfter = 'avoid';
}"""

def mode_name(steps: bool = False, notes: bool = False) -> str:
    return "-".join(part for part, on in (("steps", steps), ("notes", notes)) if on) or "slides"


def _query(mode: str) -> str:
    check_mode(mode)
    notes = "&showNotes=separate-page" if "notes" in mode else ""
    return _PRINT_QUERY.format(steps=str("steps" in mode).lower(), notes=notes)


# ---------------------------------------------------------------- printing


def print_deck(browser, url: str, mode: str = "slides", timeout_ms: int = READY_TIMEOUT_MS) -> bytes:
    """The PDF bytes of the deck at `url`.

    A failed request is an error rather than a warning: a handout printed with a
    fallback font or without a figure looks fine at a glance and is only found
    out in front of the students.
    """
    page = browser.new_page(viewport={"width": SLIDE_SIZE[0], "height": SLIDE_SIZE[1]})
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico") and failed.append(r.url))
    page.set_default_timeout(timeout_ms)  # every wait, the navigation and the printing itself
    page.set_default_navigation_timeout(timeout_ms)
    try:
        page.add_init_script(_MARK_READY)
        _load(page, f"{url}?{_query(mode)}", url, timeout_ms)
        _wait_ready(page, url, timeout_ms)
        if failed:
            raise BuildError(f"{url}: could not load " + ", ".join(sorted(set(failed))))
        if "notes" in mode:
            page.evaluate(_NOTES_AFTER_STEPS)
        return page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.close()


def _load(page, address: str, url: str, timeout_ms: int) -> None:
    """Navigate, or BuildError when the page never arrives (a server that does not answer)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(address, timeout=timeout_ms)
    except PlaywrightError as exc:
        reason = (f"did not load within {timeout_ms / 1000:g} s" if "Timeout" in str(exc)
                  else "could not be loaded: " + str(exc).splitlines()[0])
        raise BuildError(f"{url}: the page {reason}; no PDF printed") from None


def _wait_ready(page, url: str, timeout_ms: int = READY_TIMEOUT_MS) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.wait_for_function("window.__deckbuildPdfReady === true", timeout=timeout_ms)
        # evaluate() has no timeout of its own: a font or image that never loads must not hang the print
        settled = page.evaluate(f"() => Promise.race([({_SETTLE})().then(() => true), "
                                f"new Promise(done => setTimeout(() => done(false), {timeout_ms}))])")
    except PlaywrightError:
        raise BuildError(f"{url}: Reveal's print view did not become ready within "
                         f"{timeout_ms / 1000:g} s (a script error on the page?)") from None
    if not settled:
        raise BuildError(f"{url}: fonts or images were still loading after {timeout_ms / 1000:g} s; no PDF printed")


def page_count(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it (no object streams), without a PDF library."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


@dataclass
class Handout:
    slug: str
    path: Path  # in the cache
    pages: int
    printed: bool  # False: taken from the cache
    seconds: float


def export(site_dir: Path, slugs: Iterable[str], cache_dir: Path, mode: str = "slides",
           quiet: bool = True, browser=None) -> list[Handout]:
    """One PDF per deck of a built site, printed only when its cache entry is missing.

    Chromium is started only when some deck has to be printed, so an all-cached
    run needs no browser at all; `browser`, a Playwright Browser already running, is used instead of starting one.
    """
    slugs = list(slugs)
    files = site_files(site_dir)
    cache = Cache(cache_dir)
    todo, done = [], []
    for slug in slugs:
        page = files[f"{slug}/index.html"].read_bytes()
        key = pdf_key(page, assets_digest(files, slug), mode)
        hit = cache.blob("pdf", f"{slug}-{key}")
        if hit is not None:
            done.append(Handout(slug, hit, page_count(hit.read_bytes()), False, 0.0))
        else:
            todo.append((slug, key))
    try:
        if todo:
            done += _print_all(site_dir, todo, cache, mode, quiet, browser)
    finally:
        cache.save()
    if cache.problems:
        raise BuildError(cache.problems[0] + "; the handouts could not be kept")
    return sorted(done, key=lambda h: slugs.index(h.slug))


def _print_all(site_dir: Path, todo: list[tuple[str, str]], cache: Cache, mode: str, quiet: bool,
               browser=None) -> list[Handout]:
    out = []
    with (progress.task(f"printing {mode} PDFs", total=len(todo), quiet=quiet) as job,
          chromium_browser.launched(browser) as browser, chromium_browser.serve(site_dir) as origin):
        for slug, key in todo:
            start = time.perf_counter()
            data = print_deck(browser, f"{origin}/{slug}/index.html", mode)
            path = store(cache, slug, key, data)
            if path is not None:
                out.append(Handout(slug, path, page_count(data), True, time.perf_counter() - start))
            job.advance(slug)
    return out


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python build.py pdf",
                                description="Build the site, then print one PDF handout per deck.")
    p.add_argument("decks", nargs="*", metavar="deck-slug", help="decks to print (default: every deck built)")
    p.add_argument("--steps", action="store_true", help="one page per fragment step instead of one per slide")
    p.add_argument("--notes", action="store_true", help="add a page of speaker notes after each slide that has notes")
    add_site_options(p, "--slides", "--out", "--cache", "--drafts", "--quiet", "--offline")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    mode = mode_name(args.steps, args.notes)
    try:
        slugs = _build(args)
        handouts = export(args.out, slugs, args.cache, mode, quiet=args.quiet)
    except BuildError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    # The build puts every cached handout beside its deck and links it from the course index.
    _build(argparse.Namespace(**{**vars(args), "quiet": True}), report=False)
    for h in handouts:
        target = args.out / h.slug / site_pdf_name(h.slug, mode)
        if not args.quiet:
            how = f"printed in {h.seconds:.1f} s" if h.printed else "unchanged, from the cache"
            print(f"  {target}: {h.pages} pages ({how})")
    return 0


def _build(args: argparse.Namespace, report: bool = True) -> list[str]:
    """Build the site as `python build.py` does; the slugs to print, or BuildError."""
    from .options import Options
    from .pipeline import build

    result = build(Options(slides_dir=args.slides, out_dir=args.out, cache_dir=args.cache, drafts=args.drafts,
                           quiet=args.quiet, offline=args.offline))
    for text in printed(result.report.sorted()) if report else ():
        print(text, file=sys.stderr)
    if result.report.errors:
        raise BuildError(f"{len(result.report.errors)} error(s) in the decks; no PDF printed")
    built = [d.slug for d in result.decks if args.drafts or not d.draft]
    unknown = [s for s in args.decks if s not in built]
    if unknown:
        raise BuildError(f"no built deck named {', '.join(unknown)}; the decks are: {', '.join(built)}")
    return args.decks or built
