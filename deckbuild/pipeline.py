"""One build, start to end: sources -> parsed -> checked -> rendered -> written.

Each stage only reads what the previous one produced; problems are collected
in one Report. An error outside every deck writes nothing; errors in some decks
write the others, and each broken deck keeps the pages of its last good build.

A build renders only the decks whose inputs changed (`incremental`): every
other deck's page, files and diagnostics come from the cache, and when no
deck and nothing else changed and the output still holds what the last build
wrote, nothing is written at all. The modules that parse, check and render
are imported only when some deck has to be rendered.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import assets, bundle, handouts, remote_images, site
from .cache import Cache, file_sha, key as cache_key
from .diagnostics import BuildError, Diagnostic, Report
from .incremental import DeckResult, DeckResults, code_digest, deck_key
from .options import ROOT, Options

__all__ = ["ROOT", "Options", "BuildResult", "DeckSummary", "build", "index_page"]


@dataclass
class DeckSummary:
    slug: str
    path: str
    title: str
    date: str
    draft: bool
    slides: int
    formulas: int
    # linked, verified (of which proved, evaluated), stale, failing, unverified
    steps: dict[str, int] = field(default_factory=dict)
    # every relation of the deck (rows and other formulas) by strength: proved, evaluated, definition,
    # not checked, failing
    relations: dict[str, int] = field(default_factory=dict)
    mutants: dict | None = None  # `check --mutants`: {"wrong", "caught", "rewrites", "accepted"} (mutants.py)
    pdf: str = ""  # the deck's handout, relative to the site, once `build.py pdf` has printed it
    subtitle: str = ""  # the title slide's heading (the topic), when it says more than the title
    author: str = ""
    tags: list[str] = field(default_factory=list)
    lang: str = "en"
    appendix: int = 0  # slides after the closing slide (included in `slides`)
    pdfs: dict[str, str] = field(default_factory=dict)  # mode (slides, steps, …) -> handout, relative to the site
    single_file: str = ""  # the self-contained page, relative to the site, with --single-file

    @property
    def lecture_slides(self) -> int:
        return self.slides - self.appendix

    @property
    def mutation_score(self) -> str | None:
        """'caught/wrong wrong variants, accepted/rewrites rewrites' for the course index, once measured."""
        m = self.mutants
        if not m or not m.get("wrong"):
            return None
        return f"{m['caught']}/{m['wrong']} caught, {m['accepted']}/{m['rewrites']} rewrites accepted"


@dataclass
class BuildResult:
    report: Report
    decks: list[DeckSummary]
    written: bool
    seconds: float
    katex_started: int = 0
    broken: list[str] = field(default_factory=list)  # decks with errors: their last good pages were kept
    rendered: list[str] = field(default_factory=list)  # the decks (as diagnostics name them) rendered, not reused


def slug_of(path: Path) -> str:
    from .urls import deck_slug

    return deck_slug(path)[0]


@dataclass
class Source:
    path: Path
    shown: str  # as diagnostics name it
    slug: str
    data: bytes


def deck_files(slides_dir: Path, root: Path, report: Report) -> list[Path]:
    """The decks of a folder: its *.md files, without hidden ones (an editor's lock file `.#deck.md`)
    and without folders that happen to be named like a deck."""
    files = []
    inside = slides_dir.resolve()
    for path in sorted(slides_dir.glob("*.md")):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            what = ("a folder" if path.is_dir() else "a link that leads to no file" if path.is_symlink()
                    else "not a readable file")
            report.warning(_shown(path, root), 1, 1, f"{path.name} is {what}, not a deck: skipped",
                           "rename it so that it does not end in .md")
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(inside):  # the confinement of the images
            report.error(_shown(path, root), 1, 1, f"{path.name} links to a file outside {slides_dir}: not read",
                         f"copy the deck into {slides_dir}, or point --slides at the folder that holds it")
            continue
        files.append(path)
    return files


def read_sources(opts: Options, report: Report) -> list[Source]:
    from .urls import deck_slug

    if opts.slides_dir.is_file():
        raise BuildError(f"--slides {opts.slides_dir} is a file: it names the folder that holds the decks "
                         f"(e.g. --slides {opts.slides_dir.parent})")
    files = deck_files(opts.slides_dir, opts.root, report)
    if not files and not report.errors:
        raise BuildError(f"no decks found: {opts.slides_dir} has no .md files")
    sources, slugs = [], {}
    folder, root = opts.slides_dir.resolve(), opts.root.resolve()  # once, not per deck: 200 decks, 200 resolves
    for path in files:
        shown = _shown_in(folder, path.name, root, path)
        slug, problem = deck_slug(path)
        if problem:
            report.error(shown, 1, 1, problem, "rename the file")
            continue
        if slug in slugs:
            report.error(shown, 1, 1, f"deck URL '{slug}/' is also used by {slugs[slug]} (URLs are the file name, "
                         "lower-cased, as Hugo gives them)", f"rename one of the two files so their URLs differ")
            continue
        slugs[slug] = shown
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.error(shown, 1, 1, f"cannot read the deck: {exc.strerror or exc}", "check the file's permissions")
            continue
        sources.append(Source(path, shown, slug, data))
    return sources


def parse_source(source: Source, report: Report):
    """The parsed deck, or None when its bytes are not text (reported)."""
    from .parse import parse_deck
    from .source import decode_deck, read_deck

    text = decode_deck(source.shown, source.data, report)
    return parse_deck(read_deck(source.shown, source.slug, text, report), report) if text is not None else None


def read_decks(opts: Options, report: Report) -> list:
    """Every deck of the slides folder, parsed (benchmarks and tools; the build parses only what changed)."""
    return [d for d in (parse_source(source, report) for source in read_sources(opts, report)) if d is not None]


def keep_remote_images(decks: list, opts: Options, report: Report, cache: Cache) -> dict[str, Path]:
    """A local copy of every remote image the decks show (remote_images.py); a warning for each one missing."""
    from .source import PROJECT_FILE, read_project_file

    from .source import decode_deck

    project = remote_images.PrefixMap()
    project_file = opts.slides_dir / PROJECT_FILE
    text = decode_deck(_shown(project_file, opts.root), project_file.read_bytes(), report) \
        if project_file.is_file() else None
    if text is not None:
        settings = read_project_file(_shown(project_file, opts.root), text, report)
        project = remote_images.PrefixMap.from_mapping(settings.get("images", {}), opts.slides_dir.resolve())
    urls: dict[str, remote_images.PrefixMap] = {}
    for deck in decks:
        own = remote_images.PrefixMap.from_mapping(deck.meta.get("images", {}), opts.slides_dir.resolve())
        for image in deck.remote_images:
            urls.setdefault(image.url, own.over(project))
    if not urls:
        return {}
    kept = remote_images.keep(urls, remote_images.ImageStore(cache), opts.offline)
    for deck in decks:
        for image in deck.remote_images:
            reason = kept[image.url].reason
            if reason:
                report.warning(image.path, image.line, image.col, f"remote image not kept for offline use: {image.url} ({reason})",
                               "build once with the network on, or map its URL prefix to a local folder "
                               f"('images:' in the front matter or in {PROJECT_FILE}); until then it shows as a placeholder")
    return {url: k.path for url, k in kept.items() if k.path}


def _shown(path: Path, root: Path) -> str:
    # the folder resolved, not the file: a linked deck is named where it is linked, a link loop is no error
    return _shown_in(path.parent.resolve(), path.name, root.resolve(), path)


def _shown_in(folder: Path, name: str, root: Path, given: Path) -> str:
    """`given`, named `name` in the resolved `folder`, relative to the resolved project `root` (else as given)."""
    try:
        return (folder / name).relative_to(root).as_posix()
    except ValueError:
        return given.as_posix()


def check_derivations(decks: list, opts: Options, report: Report, cache: Cache,
                      pending=None, evaluations=None) -> tuple[dict[str, dict], dict]:
    """Every relation of every deck, by its meaning: (derivation statuses, formula truths) per deck slug.
    `pending`: the derivation checks already running (verify.ChecksInBackground), else they are loaded here;
    `evaluations`: the evaluator's cache when the caller keeps one across decks (it hashes the evaluator's code)."""
    from .evaluate import EvaluationCache, evaluate_deck, report_rows
    from .verify import load_checks, verify_links

    evaluations = evaluations or EvaluationCache(cache)
    failing_is_error = not opts.write  # `check` fails on a false formula; a build marks it and still writes
    truths = {deck.slug: evaluate_deck(deck, evaluations, report, failing_is_error=failing_is_error) for deck in decks}
    for deck in decks:
        for link in deck.links:
            if link.id in truths[deck.slug].rows:
                report_rows(link, truths[deck.slug].rows[link.id], report)
    if not any(deck.links for deck in decks):
        return {deck.slug: {} for deck in decks}, truths
    checks = pending.result() if pending is not None else load_checks(cache, quiet=opts.quiet)
    statuses = {deck.slug: verify_links(deck, checks, report, truths[deck.slug].rows, failing_is_error=failing_is_error)
                for deck in decks}
    return statuses, truths


def check_all_used(results: list[DeckResult], opts: Options, report: Report, cache: Cache) -> None:
    """In the project's own slides, every derivation check must be linked from some slide."""
    require = opts.require_all_checks_used
    if require is None:
        require = opts.slides_dir.resolve() == (opts.root / "slides").resolve()
    if not require:
        return
    from .verify import load_checks

    linked = {did for r in results for did in r.links}
    for did in sorted(set(load_checks(cache, quiet=opts.quiet)) - linked):
        report.error("derivations/", 1, 1, f"derivation '{did}' is linked from no slide",
                     f"add <slide-derivation id=\"{did}\"> around its formula on a slide, or remove the check")


def open_cache(opts: Options) -> Cache:
    """The build's cache; `check` (check_cache=False) reads nothing from it and trusts only what it computes,
    but the figures the build drew (pictures, not checked results; validated by digest on read)."""
    return Cache(opts.cache_dir, read=opts.check_cache, always_read=("figures",))


def build(opts: Options, renderer=None, cache: Cache | None = None, spare: site.Spare | None = None,
          keep_cache: bool = True) -> BuildResult:
    """Build (or with opts.write False, check) every deck. A long-lived caller passes its KaTeX renderer,
    its cache, a `site.Spare` to make each site out of the one before, and keep_cache=False to save the cache
    itself (`keep`) once the pages have reloaded: writing a catalogue's formula table was a third of a rebuild."""
    start = time.perf_counter()
    report = Report(strict=opts.strict)
    _check_cache_place(opts)
    if opts.write:
        site.check_owned(opts.out_dir, _read_folders(opts))  # refuse a wrong --out before any work
    modules = assets.ensure_node_modules(opts.root, quiet=opts.quiet)
    if cache is None:
        cache = open_cache(opts)
    katex = _Katex(modules, renderer)
    try:
        sources = read_sources(opts, report)
        stored = DeckResults(cache)
        if sources and not stored.table.entries and _processes(opts, len(sources), katex) <= 1:
            katex.start()  # nothing is kept, so every deck is rendered here: Node loads KaTeX while the keys are made
        code = code_digest(opts.root)
        options = _page_options(opts)
        keys = {s.slug: deck_key(code, options, s.shown, s.slug, s.data) for s in sources}
        results = {s.slug: stored.get(keys[s.slug]) for s in sources}
        todo = [s for s in sources if results[s.slug] is None]
        if todo:
            for result in render_decks(todo, opts, cache, katex):
                results[result.slug] = result
                stored.put(keys[result.slug], result)
        ordered = [results[s.slug] for s in sources]
        for result in ordered:
            report.items.extend(Diagnostic(**d) for d in result.diagnostics)
        if any(r.links for r in ordered):
            check_all_used(ordered, opts, report, cache)
        summaries = [_summary_of(r) for r in ordered if r.summary]
        _kept_scores(ordered, summaries, cache)
        checked = list(summaries)  # `check` reports every deck, a broken one too; the site lists what it holds
        # A deck's key says nothing of the images it shows; their digests are in its result.
        site_key = cache_key("site", code, options, sorted(keys.items()), [r.inputs for r in ordered],
                             _handouts_stored(cache), [s.mutants for s in summaries])
        unchanged = opts.write and not report.errors and _site_is(cache, opts.out_dir, site_key)
        broken = _broken_decks(ordered, report)
        if unchanged:
            _link_written_files(summaries, opts)
        else:
            files = _site_files(ordered, summaries, opts, modules, cache, broken or [])
        if keep_cache:
            keep(cache, opts, report)
        # One broken deck does not stop the others: they are written, it keeps its last good pages.
        written = opts.write and (not report.errors or broken is not None and len(broken) < len(ordered))
        if written and not unchanged:
            contents = site.write_site(opts.out_dir, files, _read_folders(opts), _written_contents(cache, opts.out_dir),
                                       spare)
            _remember_site(cache, opts.out_dir, site_key, contents)
            if keep_cache:
                keep(cache, opts, report)
        return BuildResult(report, summaries if opts.write else checked, written, time.perf_counter() - start,
                           katex.started,
                           sorted(broken or ()), [s.shown for s in todo])
    finally:
        katex.close()


def _summary_of(result: DeckResult) -> DeckSummary:
    """A copy (its fields are flat): the index adds handouts to a summary, and a kept result must stay as stored."""
    return DeckSummary(**{k: v.copy() if isinstance(v, (dict, list)) else v for k, v in result.summary.items()})


class _Katex:
    """The KaTeX renderer, started only when some deck has to be rendered (the caller's, if given)."""

    def __init__(self, modules: Path, given=None):
        self.modules, self.given, self.own = modules, given, None

    def start(self) -> None:
        """Let Node load KaTeX now, beside this process's work (a caller's renderer may have nothing to start)."""
        renderer = self.get()
        if hasattr(renderer, "start"):
            renderer.start()

    def get(self):
        if self.given is not None:
            return self.given
        if self.own is None:
            from .katex import KatexRenderer

            self.own = KatexRenderer(assets.node_binary(), self.modules / "katex")
        return self.own

    @property
    def started(self) -> int:
        renderer = self.given or self.own
        return renderer.started if renderer is not None else 0

    def close(self) -> None:
        if self.own is not None:
            self.own.close()


def _page_options(opts: Options) -> dict:
    """The options a deck's page and diagnostics depend on (part of every deck's key)."""
    from .source import PROJECT_FILE

    # `check` reports a false formula as an error where a build warns: its results are its own.
    return {"strict": opts.strict, "drafts": opts.drafts, "root": str(opts.root.resolve()),
            "slides": str(opts.slides_dir.resolve()), "project": file_sha(opts.slides_dir / PROJECT_FILE),
            "offline": opts.offline, "check": not opts.write, "mutants": opts.mutants}


MIN_DECKS_PER_PROCESS = 4  # below this, starting a process costs more than it saves


def render_decks(sources: list[Source], opts: Options, cache: Cache, katex: _Katex) -> list[DeckResult]:
    """Parse, check and render these decks: their pages, files, characters and diagnostics.

    Many decks are shared out to worker processes (both cores of a laptop), each with its own
    KaTeX process typesetting its decks in batches; a caller's own renderer (the live preview's)
    keeps the work in this process."""
    workers = _processes(opts, len(sources), katex)
    if workers > 1:
        return _render_in_processes(sources, opts, cache, katex.modules, workers)
    return _render_here(sources, opts, cache, katex)


def _processes(opts: Options, decks: int, katex: _Katex) -> int:
    """How many worker processes render `decks` decks (1: this process does)."""
    if katex.given is not None:
        return 1
    workers = opts.workers if opts.workers is not None else (os.cpu_count() or 1)
    return max(1, min(workers, decks // MIN_DECKS_PER_PROCESS))


_FORKED: tuple | None = None  # what worker processes inherit: (options, cache, node_modules)


def _render_in_processes(sources: list[Source], opts: Options, cache: Cache, modules: Path,
                         workers: int) -> list[DeckResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED
    # What every deck shares is made once, here, before the processes inherit the cache: the figures are
    # drawn while the derivation checks run in their worker processes.
    from .verify import checks_meanwhile

    with checks_meanwhile(cache, opts.quiet, any(b"<slide-derivation" in s.data for s in sources)) as pending:
        if any(b"figures/" in s.data for s in sources):
            from .figure_cache import ensure_figures

            ensure_figures(opts.root, cache, quiet=opts.quiet)
        if pending is not None:
            pending.result()
    import katexbridge

    katexbridge.shared(modules / "katex", assets.node_binary()).close()  # each process starts its own
    chunks = [sources[i::workers] for i in range(workers)]
    _FORKED = (opts, cache, modules)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            outcomes = list(pool.map(_render_chunk, chunks))
    finally:
        _FORKED = None
    done: dict[str, DeckResult] = {}
    for results, additions in outcomes:
        cache.merge(additions)
        done.update((r.slug, r) for r in results)
    return [done[s.slug] for s in sources]


def _render_chunk(chunk: list[Source]) -> tuple[list[DeckResult], dict]:
    """In a worker process: render some decks; hand back their results and the cache entries made."""
    opts, cache, modules = _FORKED
    cache.reset_additions()
    katex = _Katex(modules)
    try:
        return _render_here(chunk, opts, cache, katex), cache.additions()
    finally:
        katex.close()


def _render_here(sources: list[Source], opts: Options, cache: Cache, katex: _Katex) -> list[DeckResult]:
    katex.start()  # (if not already) Node loads KaTeX while this process imports the renderer and parses the decks
    renderer = katex.get()
    from .evaluate import EvaluationCache
    from .katex import formula_table

    reports = {s.slug: Report(strict=opts.strict) for s in sources}
    parsed = [(s, parse_source(s, reports[s.slug])) for s in sources]
    unreadable = [DeckResult(s.slug, s.shown, {}, [d.to_dict() for d in reports[s.slug].items]) for s, d in parsed if d is None]
    decks = [d for _, d in parsed if d is not None]
    formulas = formula_table(cache)
    evaluations = EvaluationCache(cache)  # once for all these decks: its key hashes the evaluator's code
    typeset_ahead = _typeset_beside_checks(decks, renderer, formulas)
    try:
        return _checked_and_rendered(sources, decks, reports, unreadable, opts, cache, katex, formulas, evaluations,
                                     typeset_ahead)
    finally:
        typeset_ahead()  # never left working beside the next build (it holds the KaTeX process)


def _typeset_beside_checks(decks: list, renderer, formulas) -> Callable[[], dict]:
    """While this process checks the decks, Node parses their formulas for the evaluator, then typesets every
    formula whose HTML no check changes (all but derivations, whose rows carry their marks), letting the
    evaluator's requests go first: a cold build waited for the checks and the typesetting one after the other.
    Returns the wait for it, {job: result}; empty if the typesetting met a problem (the deck's own typeset
    meets it again and reports it)."""
    from .render import formula_jobs

    jobs = list(dict.fromkeys(job for deck in decks for job in formula_jobs(deck).values()))
    done: dict = {}

    def work() -> None:
        try:
            if hasattr(renderer, "parse_ahead"):
                for deck in decks:
                    renderer.parse_ahead([m.tex for m in deck.formulas()], deck.meta.get("macros") or {})
            done.update(zip(jobs, renderer.render(jobs, formulas, give_way=True)))
        except Exception:  # noqa: BLE001 - see above
            done.clear()

    thread = threading.Thread(target=work, name="typeset-ahead", daemon=True)
    if jobs:
        thread.start()

    def wait() -> dict:
        if jobs:
            thread.join()
        return done

    return wait


def _checked_and_rendered(sources: list[Source], decks: list, reports: dict, unreadable: list, opts: Options,
                          cache: Cache, katex: _Katex, formulas, evaluations, typeset_ahead) -> list[DeckResult]:
    from .language import deck_language
    from .panel import derivation_panels, formula_reason
    from .preload import FIRST_VIEW, VIEW_DISTANCE, first_view, preload_fonts
    from .render import Media, SlideRenderer, typeset
    from .verify import checks_meanwhile

    renderer = katex.get()
    statuses: dict[str, dict] = {}
    truths: dict = {}
    # the checks run while this process draws, typesets and evaluates
    with checks_meanwhile(cache, opts.quiet, any(deck.links for deck in decks)) as pending:
        figures = _figures(decks, opts, cache)  # before the first deck waits for the checks
        for deck in decks:  # one report per deck, so that each deck's diagnostics are kept with it
            deck_statuses, deck_truths = check_derivations([deck], opts, reports[deck.slug], cache, pending, evaluations)
            statuses.update(deck_statuses)
            truths.update(deck_truths)
    images_report = Report(strict=opts.strict)
    kept_images = keep_remote_images(decks, opts, images_report, cache)
    slug_by_path = {s.shown: s.slug for s in sources}
    for item in images_report.items:  # each warning with its deck; one about the project file with every deck
        for slug in [slug_by_path[item.path]] if item.path in slug_by_path else list(reports):
            reports[slug].items.append(item)
    prepared = _prepared_beside_node(katex.modules)
    ahead = typeset_ahead()
    results = []
    for deck in decks:
        report = reports[deck.slug]
        maths = typeset(deck, statuses[deck.slug], renderer, report, formulas, ahead)
        media = Media(opts.slides_dir.resolve(), figures, kept_images)
        lang = deck_language(deck)
        panels = derivation_panels(deck, statuses[deck.slug], renderer, lang, formulas)
        slides = SlideRenderer(deck, maths, statuses[deck.slug], media, report, truths[deck.slug].formula_strengths(),
                               panels, {f.math: formula_reason(f, lang) for f in truths[deck.slug].formulas}).slides()
        summary = _summary(deck, statuses[deck.slug], truths[deck.slug])
        summary.mutants = _mutation_score(deck, truths[deck.slug], opts, cache, evaluations.code)
        result = DeckResult(deck.slug, deck.path, asdict(summary), links=sorted({link.id for link in deck.links}),
                            mutants_key=_mutants_key(deck, evaluations.code))
        if not (deck.draft and not opts.drafts):
            prepared.join()
            fonts = [f"../assets/{font}" for font in preload_fonts(first_view([s.body for s in slides]), katex.modules)]
            page = site.environment().get_template("deck.html.j2").render(
                deck=deck, slides=slides, assets="../assets", statuses=statuses[deck.slug], lang=lang,
                page_words=_page_words(lang), preload_fonts=fonts, first_view=FIRST_VIEW,
                view_distance=VIEW_DISTANCE)
            result.page = page.encode()
            result.media = {k: str(v) for k, v in media.files.items()}
            result.chars = "".join(sorted(media.chars | set(page)))
        result.inputs = {str(p): file_sha(p) for p in sorted(media.read)}
        result.diagnostics = [d.to_dict() for d in report.items]
        # Online, an image that could not be kept may be fetched next time: such a deck is rendered again.
        result.final = opts.offline or not any(image.url not in kept_images for image in deck.remote_images)
        results.append(result)
    prepared.join()  # its work is done for the site's assets even when every deck was a draft
    return results + unreadable


def _mutants_key(deck, code: str) -> str:
    """The key of a deck's mutation score: its formulas and `code`, the evaluator's (EvaluationCache.code)."""
    from .mutants import score_key

    return score_key(deck, code)


def _mutation_score(deck, truth, opts: Options, cache: Cache, code: str) -> dict | None:
    """`check --mutants` measures the score and keeps it; a build takes the kept score later (`_kept_scores`),
    so a deck rendered before the score was measured shows it too."""
    if not opts.mutants:
        return None
    from .mutants import save_score, score_deck

    score = score_deck(deck, truth, quiet=opts.quiet)
    save_score(cache, _mutants_key(deck, code), score)
    return score


def _kept_scores(results: list[DeckResult], summaries: list[DeckSummary], cache: Cache) -> None:
    """A deck with derivations shows the mutation score `check --mutants` kept for its formulas, if any."""
    from .mutants import saved_score

    by_slug = {r.slug: r for r in results}
    for summary in summaries:
        result = by_slug.get(summary.slug)
        if summary.mutants is None and result is not None and result.links and result.mutants_key:
            summary.mutants = saved_score(cache, result.mutants_key)


# what each badge on a slide says (theme.css: `content: var(--pk-say-…)`), by the phrase that says it
_BADGES = {"failing": "status.failing", "stale": "status.stale", "unverified": "status.unverified",
           "derivation-unverified": "badge.derivation-unverified", "derivation-failing": "badge.derivation-failing",
           "derivation-stale": "badge.derivation-stale"}


def _page_words(lang: str) -> dict[str, str]:
    """The words the page says by itself, in the deck's language, as attributes of its .reveal element: the
    details panel's (data attributes present.js reads) and the badges' (custom properties the stylesheet shows,
    inherited by every slide)."""
    from .language import phrase

    from .evaluate import STRENGTHS
    from .render import REASONED

    words = {f"data-panel-{key}": phrase(lang, f"panel.{key}") for key in ("title", "close", "empty", "formulas")}
    words["data-panel-strengths"] = json.dumps({s: phrase(lang, f"strength.{s}") for s in STRENGTHS},
                                               ensure_ascii=False, sort_keys=True)
    words["data-panel-because"] = json.dumps({s: phrase(lang, f"because.{s}") for s in REASONED},
                                             ensure_ascii=False, sort_keys=True)  # the marks' tooltips start so
    words["style"] = "; ".join(f"--pk-say-{name}: {json.dumps(phrase(lang, key), ensure_ascii=False)}"
                               for name, key in _BADGES.items())  # a JSON string is a CSS string here
    return words


def _figures(decks: list, opts: Options, cache: Cache) -> dict[str, Path]:
    if not _uses_figures(decks):
        return {}
    from .figure_cache import ensure_figures

    return ensure_figures(opts.root, cache, quiet=opts.quiet)


def _broken_decks(results: list[DeckResult], report: Report) -> list[str] | None:
    """The slugs of the decks an error points into; None when an error lies outside every deck
    (nothing can be written)."""
    by_path = {r.path: r.slug for r in results}
    if any(d.path not in by_path for d in report.errors):
        return None
    return sorted({by_path[d.path] for d in report.errors})


def _last_good_pages(broken: list[str], chars: set[str], summaries: list[DeckSummary],
                     out_dir: Path) -> dict[str, Path]:
    """The files of each broken deck's last good build in `out_dir`, to keep.

    Their characters join `chars`, so the font subsets still cover the kept page; a broken
    deck that was never built leaves the index."""
    kept: dict[str, Path] = {}
    for slug in broken:
        folder = out_dir / slug
        page = folder / "index.html"
        if not page.is_file():
            summaries[:] = [s for s in summaries if s.slug != slug]
            continue
        chars |= set(page.read_text(encoding="utf-8", errors="replace"))
        kept.update({f"{slug}/{p.relative_to(folder).as_posix()}": p
                     for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()})
    return kept


def _site_files(results: list[DeckResult], summaries: list[DeckSummary], opts: Options, modules: Path,
                cache: Cache, broken: list[str]) -> dict[str, bytes | Path]:
    """Every file of the site, from the decks' results: pages, their files, assets, the course index;
    a broken deck's files are those of its last good build."""
    files: dict[str, bytes | Path] = {}
    chars: set[str] = set()
    for result in results:
        if result.page is None or result.slug in broken:
            continue
        files[f"{result.slug}/index.html"] = result.page
        files.update({f"{result.slug}/{k}": Path(v) for k, v in result.media.items()})
        chars.update(result.chars)
    from .language import PHRASES

    kept = _last_good_pages(broken, chars, summaries, opts.out_dir) if broken else {}
    env = site.environment()
    listed = sorted((s for s in summaries if opts.drafts or not s.draft), key=lambda s: (s.date, s.title), reverse=True)
    chars |= set(index_page(env, listed).decode()) | {c for p in PHRASES.values() for w in p.values() for c in w}
    files.update(_asset_files(modules, chars))
    _add_printed_pdfs(listed, files, cache)
    if opts.single_file:
        _add_single_files([r.slug for r in results if r.slug not in broken], files)
        for summary in listed:
            if f"{summary.slug}/{summary.slug}.html" in files:
                summary.single_file = f"{summary.slug}/{summary.slug}.html"
    files.update(kept)
    files["index.html"] = index_page(env, listed)
    return files


def index_page(env, listed: list[DeckSummary]) -> bytes:
    """The course index, in the language most of its decks are written in."""
    from .language import PHRASES, phrase

    langs = [s.lang for s in listed]
    lang = max(sorted(set(langs)), key=langs.count) if langs else "en"
    words = {key.removeprefix("index."): phrase(lang, key) for key in PHRASES if key.startswith("index.")}
    return env.get_template("index.html.j2").render(decks=listed, assets="assets", lang=lang, words=words).encode()


def keep(cache: Cache, opts: Options, report: Report) -> None:
    """Save the cache; a problem writing it is a warning (the build goes on without it)."""
    cache.save()
    for problem in cache.problems:
        report.warning(_shown(opts.cache_dir, opts.root), 1, 1, problem,
                       "the build goes on without keeping results; free space or fix the folder's permissions")
    cache.problems.clear()


# ---------------------------------------------------------------- nothing changed, nothing written


def _sites(cache: Cache):
    return cache.table("sites", lambda v: isinstance(v, dict) and isinstance(v["key"], str)
                       and isinstance(v["files"], dict))


def _site_is(cache: Cache, out_dir: Path, site_key: str) -> bool:
    """Whether `out_dir` holds exactly what the last build of these inputs wrote there, untouched."""
    last = _sites(cache).get(str(out_dir.resolve()))
    return last is not None and last["key"] == site_key and _stat_files(out_dir) == last["files"]


def _remember_site(cache: Cache, out_dir: Path, site_key: str, contents: site.Contents) -> None:
    _sites(cache).put(str(out_dir.resolve()), {"key": site_key, "files": _stat_files(out_dir), "contents": contents})


def _written_contents(cache: Cache, out_dir: Path) -> site.Contents:
    """What the last build wrote into `out_dir`, file by file (the next write links what is unchanged)."""
    last = _sites(cache).get(str(out_dir.resolve()))
    contents = last.get("contents") if last is not None else None
    return contents if isinstance(contents, dict) else {}


def _stat_files(out_dir: Path) -> dict[str, list[int]]:
    """Every file below `out_dir` with its size and modification time: a cheap witness of "untouched"."""
    found: dict[str, list[int]] = {}
    base = str(out_dir)
    for dirpath, _, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        for name in filenames:
            st = os.stat(os.path.join(dirpath, name))
            found[name if rel == "." else f"{rel}/{name}"] = [st.st_size, st.st_mtime_ns]
    return found


def _handouts_stored(cache: Cache) -> list[str]:
    """The printed handouts in the cache: printing one changes the site even when no deck changed."""
    return cache.stored("pdf")


def _check_cache_place(opts: Options) -> None:
    """The cache writes and evicts files of its own: never among the decks, never over the project."""
    cache, slides, root = opts.cache_dir.resolve(), opts.slides_dir.resolve(), opts.root.resolve()
    for folder, what in ((slides, "the slides"), (root, "the project")):
        if cache == folder or folder.is_relative_to(cache) or (folder == slides and cache.is_relative_to(slides)):
            where = "is" if cache == folder else "holds" if folder.is_relative_to(cache) else "is inside"
            raise BuildError(f"refusing to keep the cache in {opts.cache_dir}: it {where} {what} ({folder}); "
                             "nothing was written\n    hint: choose a folder of its own, e.g. --cache .cache")


def _read_folders(opts: Options) -> list[Path]:
    """What the build reads: the output may be none of these and hold none of them."""
    return [opts.slides_dir, opts.root, opts.cache_dir]


def _add_printed_pdfs(summaries: list[DeckSummary], files: dict[str, bytes | Path], cache: Cache) -> None:
    """Handouts printed earlier stay in the site while their deck is unchanged (the site is rebuilt whole)."""
    printed = _handouts_stored(cache)
    for summary in summaries:
        page = files.get(f"{summary.slug}/index.html")
        if page is None or not any(k.startswith(f"{summary.slug}-") for k in printed):
            continue
        page_bytes = page if isinstance(page, bytes) else page.read_bytes()
        digest = handouts.assets_digest(files, summary.slug)
        for mode in handouts.MODES:
            found = handouts.cached_pdf(cache, summary.slug, page_bytes, digest, mode)
            if found:
                name = f"{summary.slug}/{handouts.site_pdf_name(summary.slug, mode)}"
                files[name] = found
                summary.pdfs[mode] = name
                if mode == "slides":
                    summary.pdf = name


def _link_written_files(summaries: list[DeckSummary], opts: Options) -> None:
    """The summaries of an unchanged site name the handouts and single files it already holds
    (the site is known to be exactly what the last build of these inputs wrote)."""
    for summary in summaries:
        if not (opts.drafts or not summary.draft):
            continue
        for mode in handouts.MODES:
            name = f"{summary.slug}/{handouts.site_pdf_name(summary.slug, mode)}"
            if (opts.out_dir / name).is_file():
                summary.pdfs[mode] = name
                if mode == "slides":
                    summary.pdf = name
        if opts.single_file and (opts.out_dir / summary.slug / f"{summary.slug}.html").is_file():
            summary.single_file = f"{summary.slug}/{summary.slug}.html"


def _add_single_files(slugs: list[str], files: dict[str, bytes | Path]) -> None:
    """One self-contained HTML per published deck, to e-mail or upload."""
    from .single_file import inline_deck

    for slug in slugs:
        page = f"{slug}/index.html"
        if page in files:  # drafts without --drafts have no page
            content = files[page]
            text = (content if isinstance(content, bytes) else content.read_bytes()).decode()
            files[f"{slug}/{slug}.html"] = inline_deck(text, page, files).encode()


def _uses_figures(decks: list) -> bool:
    """Generating figures trains a model: only do it (or check its cache) when a slide shows one."""
    from . import elements
    from .model import Element

    for deck in decks:
        for slide in deck.slides:
            for node in slide.body.walk():
                file_attr = elements.kind_of(node).file_attr if isinstance(node, Element) else None
                if file_attr and (node.attrs.get(file_attr) or "").startswith("figures/"):
                    return True
    return False


@functools.lru_cache(maxsize=1)
def _code_stylesheet() -> str:
    from . import code

    return code.stylesheet()


def _prepare_pages(modules: Path) -> None:
    """What every page and the site's assets need and no formula changes: the templates compiled, the
    fonts' faces and KaTeX's font rules read, the code stylesheet made (each kept for the process)."""
    from .preload import warm as warm_preload

    try:
        env = site.environment()
        for name in ("deck.html.j2", "index.html.j2"):
            env.get_template(name)
        warm_preload(modules)
        _code_stylesheet()
    except Exception:  # noqa: BLE001 - the build meets the same problem where it reports it (a template's error)
        pass


def _prepared_beside_node(modules: Path) -> threading.Thread:
    """_prepare_pages in a thread of its own, started while Node typesets: this process would otherwise
    wait for the formulas with nothing to do (a wait that releases the GIL). Joined before the first page."""
    thread = threading.Thread(target=_prepare_pages, args=(modules,), name="prepare-pages", daemon=True)
    thread.start()
    return thread


def _asset_files(modules: Path, chars: set[str]) -> dict[str, bytes | Path]:
    files: dict[str, bytes | Path] = {}
    fonts_css, font_files = assets.font_assets(modules, chars)
    files["assets/fonts/fonts.css"] = fonts_css.encode()
    files.update({f"assets/{k}": v for k, v in font_files.items()})
    katex_css, katex_files = assets.katex_assets(modules)
    files["assets/katex/katex.css"] = katex_css.encode()
    files.update({f"assets/{k}": v for k, v in katex_files.items()})
    files.update({f"assets/{k}": v for k, v in assets.reveal_assets(modules).items()})
    files["assets/code.css"] = _code_stylesheet().encode()
    files.update({f"assets/{k}": v for k, v in site.static_files().items()})
    files.update(bundle.deck_bundles(files))
    return files


def _summary(deck, statuses: dict, truth) -> DeckSummary:
    from .evaluate import STRENGTHS
    from .language import deck_language
    from .outline import outline_of

    steps = [s for st in statuses.values() for s in st.steps]
    counts = {"linked": len(steps)}
    for state in ("verified", "stale", "failing", "unverified"):
        counts[state] = sum(1 for s in steps if s.status == state)
    for strength in ("proved", "evaluated"):  # what "verified" means, row by row: a proof tied by value, or draws
        counts[strength] = sum(1 for s in steps if s.strength == strength)
    strengths = [s.strength for s in steps] + [f.strength for f in truth.formulas]
    relations = {kind: strengths.count(kind) for kind in STRENGTHS}
    outline = outline_of(deck)
    titles = sorted(outline.title_slides)
    subtitle = deck.slides[titles[0] - 1].title if titles else ""
    tags = deck.meta.get("tags") or []
    return DeckSummary(deck.slug, deck.path, deck.title, str(deck.meta.get("date", "")), deck.draft,
                       len(deck.slides), len(deck.formulas()), counts, relations,
                       subtitle="" if subtitle.strip() == deck.title.strip() else subtitle,
                       author=str(deck.meta.get("author") or ""),
                       tags=[str(t) for t in (tags if isinstance(tags, list) else [tags])],
                       lang=deck_language(deck), appendix=outline.appendix)
