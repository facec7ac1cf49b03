"""One build, start to end: sources -> parsed -> checked -> rendered -> written.

Each stage only reads what the previous one produced; problems are collected
in one Report. An error outside every deck writes nothing; errors in some decks
write the others, and each broken deck keeps the pages of its last good build.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import assets, code, elements, remote_images, site
from .diagnostics import BuildError, Report
from .evaluate import STRENGTHS, DeckTruth, EvaluationCache, evaluate_deck, report_rows
from .figure_cache import ensure_figures
from .katex import FormulaCache, KatexRenderer
from .language import PHRASES, deck_language, phrase
from .model import Deck, Element
from .outline import outline_of
from .panel import derivation_panels
from .parse import parse_deck
from .render import Media, SlideRenderer, typeset
from .source import PROJECT_FILE, decode_deck, read_deck, read_project_file
from .urls import deck_slug
from .verify import LinkStatus, load_checks, unused_checks, verify_links

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Options:
    root: Path = ROOT
    slides_dir: Path = ROOT / "slides"
    out_dir: Path = ROOT / "_site"
    cache_dir: Path = ROOT / ".cache"
    strict: bool = False
    drafts: bool = False
    check_cache: bool = True  # reuse cached derivation results when nothing changed
    require_all_checks_used: bool | None = None  # default: only for the project's own slides/
    quiet: bool = False
    write: bool = True  # False for `check`: validate everything, write nothing
    single_file: bool = False  # also write <slug>/<slug>.html with everything inlined
    mutants: bool = False  # `check --mutants`: score the verifier on generated wrong variants and rewrites
    offline: bool = False  # never touch the network: remote images come from mapped folders or the cache only


@dataclass
class DeckSummary:
    slug: str
    path: str
    title: str
    date: str
    draft: bool
    slides: int
    formulas: int
    steps: dict[str, int] = field(default_factory=dict)  # linked, verified, stale, failing, unverified
    # every relation of the deck (rows and other formulas) by strength: proved, evaluated, definition,
    # not checked, failing
    relations: dict[str, int] = field(default_factory=dict)
    mutants: dict | None = None  # `check --mutants`: {"wrong", "caught", "rewrites", "accepted"} (mutants.py)

    @property
    def mutation_score(self) -> str | None:
        """'caught/wrong wrong variants, accepted/rewrites rewrites' for the course index, once measured."""
        m = self.mutants
        if not m or not m.get("wrong"):
            return None
        return f"{m['caught']}/{m['wrong']} caught, {m['accepted']}/{m['rewrites']} rewrites accepted"
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


@dataclass
class BuildResult:
    report: Report
    decks: list[DeckSummary]
    written: bool
    seconds: float
    katex_started: int = 0
    broken: list[str] = field(default_factory=list)  # decks with errors: their last good pages were kept


def slug_of(path: Path) -> str:
    return deck_slug(path)[0]


def deck_files(slides_dir: Path, root: Path, report: Report) -> list[Path]:
    """The decks of a folder: its *.md files, without hidden ones (an editor's lock file `.#deck.md`)
    and without folders that happen to be named like a deck."""
    files = []
    for path in sorted(slides_dir.glob("*.md")):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not a readable file"
            report.warning(_shown(path, root), 1, 1, f"{path.name} is {what}, not a deck: skipped",
                           "rename it so that it does not end in .md")
            continue
        files.append(path)
    return files


def read_decks(opts: Options, report: Report) -> list[Deck]:
    files = deck_files(opts.slides_dir, opts.root, report)
    if not files:
        raise BuildError(f"no decks found: {opts.slides_dir} has no .md files")
    decks, slugs = [], {}
    for path in files:
        shown = _shown(path, opts.root)
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
        text = decode_deck(shown, data, report)
        if text is not None:
            decks.append(parse_deck(read_deck(shown, slug, text, report), report))
    return decks


def keep_remote_images(decks: list[Deck], opts: Options, report: Report) -> dict[str, Path]:
    """A local copy of every remote image the decks show (remote_images.py); a warning for each one missing."""
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
    kept = remote_images.keep(urls, remote_images.ImageStore(opts.cache_dir / "images"), opts.offline)
    for deck in decks:
        for image in deck.remote_images:
            reason = kept[image.url].reason
            if reason:
                report.warning(image.path, image.line, image.col, f"remote image not kept for offline use: {image.url} ({reason})",
                               "build once with the network on, or map its URL prefix to a local folder "
                               f"('images:' in the front matter or in {PROJECT_FILE}); until then it shows as a placeholder")
    return {url: k.path for url, k in kept.items() if k.path}


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def check_derivations(decks: list[Deck], opts: Options, report: Report) -> tuple[dict[str, dict[str, LinkStatus]],
                                                                                  dict[str, DeckTruth]]:
    """Every relation of every deck, by its meaning: (derivation statuses, formula truths) per deck slug."""
    cache = EvaluationCache(opts.cache_dir / "latexeval.json" if opts.check_cache else None)
    failing_is_error = not opts.write  # `check` fails on a false formula; a build marks it and still writes
    truths = {deck.slug: evaluate_deck(deck, cache, report, failing_is_error=failing_is_error) for deck in decks}
    cache.save()
    for deck in decks:
        for link in deck.links:
            if link.id in truths[deck.slug].rows:
                report_rows(link, truths[deck.slug].rows[link.id], report)
    if not any(deck.links for deck in decks):
        return {deck.slug: {} for deck in decks}, truths
    checks = load_checks(opts.cache_dir, use_cache=opts.check_cache, quiet=opts.quiet)
    statuses = {deck.slug: verify_links(deck, checks, report, truths[deck.slug].rows, failing_is_error=failing_is_error)
                for deck in decks}
    require = opts.require_all_checks_used
    if require is None:
        require = opts.slides_dir.resolve() == (opts.root / "slides").resolve()
    if require:
        for did in unused_checks(decks, checks):
            report.error("derivations/", 1, 1, f"derivation '{did}' is linked from no slide",
                         f"add <slide-derivation id=\"{did}\"> around its formula on a slide, or remove the check")
    return statuses, truths


def build(opts: Options, renderer: KatexRenderer | None = None) -> BuildResult:
    start = time.perf_counter()
    report = Report(strict=opts.strict)
    if opts.write:
        site.check_owned(opts.out_dir, _read_folders(opts))  # refuse a wrong --out before any work
    modules = assets.ensure_node_modules(opts.root, quiet=opts.quiet)
    own_renderer = renderer is None
    if renderer is None:
        renderer = KatexRenderer(assets.node_binary(), modules / "katex", FormulaCache(opts.cache_dir / "katex.json"))
    try:
        decks = read_decks(opts, report)
        kept_images = keep_remote_images(decks, opts, report)
        statuses, truths = check_derivations(decks, opts, report)
        figures = _figures(opts) if _uses_figures(decks) else {}
        files: dict[str, bytes | Path] = {}
        summaries, chars = [], set()
        env = site.environment()
        for deck in decks:
            maths = typeset(deck, statuses[deck.slug], renderer, report)
            media = Media(opts.slides_dir.resolve(), figures, kept_images)
            panels = derivation_panels(deck, statuses[deck.slug], renderer, deck_language(deck))
            slides = SlideRenderer(deck, maths, statuses[deck.slug], media, report,
                                   truths[deck.slug].formula_strengths(), panels).slides()
            summaries.append(_summary(deck, statuses[deck.slug], truths[deck.slug]))
            summaries[-1].mutants = _mutation_score(deck, truths[deck.slug], opts)
            if deck.draft and not opts.drafts:
                continue
            page = env.get_template("deck.html.j2").render(deck=deck, slides=slides, assets="../assets",
                                                           statuses=statuses[deck.slug], lang=deck_language(deck),
                                                           panel_words=_panel_words(deck_language(deck)))
            files[f"{deck.slug}/index.html"] = page.encode()
            files.update({f"{deck.slug}/{k}": v for k, v in media.files.items()})
            chars |= media.chars | set(page)
        broken = _broken_decks(decks, report)
        kept = _last_good_pages(broken, files, chars, summaries, opts.out_dir) if broken else {}
        listed = sorted((s for s in summaries if opts.drafts or not s.draft), key=lambda s: (s.date, s.title), reverse=True)
        chars |= set(index_page(env, listed).decode()) | {c for p in PHRASES.values() for w in p.values() for c in w}
        files.update(_asset_files(modules, chars))
        _add_printed_pdfs(listed, files, opts.cache_dir)
        if opts.single_file:
            _add_single_files([d for d in decks if d not in broken], files)
            for summary in listed:
                if f"{summary.slug}/{summary.slug}.html" in files:
                    summary.single_file = f"{summary.slug}/{summary.slug}.html"
        files.update(kept)
        files["index.html"] = index_page(env, listed)
        renderer.cache.save()
        # One broken deck does not stop the others: they are written, it keeps its last good pages.
        written = opts.write and (not report.errors or broken is not None and len(broken) < len(decks))
        if written:
            site.write_site(opts.out_dir, files, _read_folders(opts))
        return BuildResult(report, summaries, written, time.perf_counter() - start, renderer.started,
                           sorted({d.slug for d in broken or ()}))
    finally:
        if own_renderer:
            renderer.close()


def _broken_decks(decks: list[Deck], report: Report) -> list[Deck] | None:
    """The decks an error points into; None when an error lies outside every deck (nothing can be written)."""
    by_path = {deck.path: deck for deck in decks}
    if any(d.path not in by_path for d in report.errors):
        return None
    return [deck for deck in decks if any(d.path == deck.path for d in report.errors)]


def _last_good_pages(broken: list[Deck] | None, files: dict[str, bytes | Path], chars: set[str],
                     summaries: list[DeckSummary], out_dir: Path) -> dict[str, Path]:
    """Drop what a broken deck rendered; return the files of its last good build in `out_dir` to keep.

    Their characters join `chars`, so the font subsets still cover the kept page; a broken
    deck that was never built leaves the index."""
    kept: dict[str, Path] = {}
    for deck in broken or ():
        for name in [n for n in files if n.startswith(f"{deck.slug}/")]:
            del files[name]
        folder = out_dir / deck.slug
        page = folder / "index.html"
        if not page.is_file():
            summaries[:] = [s for s in summaries if s.slug != deck.slug]
            continue
        chars |= set(page.read_text(encoding="utf-8", errors="replace"))
        kept.update({f"{deck.slug}/{p.relative_to(folder).as_posix()}": p
                     for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()})
    return kept


def _figures(opts: Options) -> dict[str, Path]:
    """The generated figures; they live in the cache, so a cache disk that refuses them stops the build."""
    try:
        return ensure_figures(opts.root, opts.cache_dir / "figures", quiet=opts.quiet)
    except OSError as exc:
        raise BuildError(f"cannot write the generated figures into {opts.cache_dir / 'figures'}: "
                         f"{exc.strerror or exc}\n    hint: free space on that disk, or choose --cache elsewhere") from None


def _read_folders(opts: Options) -> list[Path]:
    """What the build reads: the output may be none of these and hold none of them."""
    return [opts.slides_dir, opts.root, opts.cache_dir]


def _mutation_score(deck: Deck, truth: DeckTruth, opts: Options) -> dict | None:
    """`check --mutants` measures and keeps the score; a build shows the kept score of an unchanged deck."""
    from .evaluate import _code_hash
    from .mutants import save_score, saved_score, score_deck

    path = opts.cache_dir / "mutants.json"
    if opts.mutants:
        score = score_deck(deck, truth, quiet=opts.quiet)
        save_score(path, deck, _code_hash(), score)
        return score
    return saved_score(path, deck, _code_hash()) if deck.links else None


def _add_printed_pdfs(summaries: list[DeckSummary], files: dict[str, bytes | Path], cache_dir: Path) -> None:
    """Handouts printed earlier stay in the site while their deck is unchanged (the site is rebuilt whole)."""
    from .pdf import MODES, assets_digest, cached_pdf, site_pdf_name

    for summary in summaries:
        page = files.get(f"{summary.slug}/index.html")
        if page is None:
            continue
        digest = assets_digest(files, summary.slug)
        for mode in MODES:
            found = cached_pdf(cache_dir, summary.slug, page, digest, mode)
            if found:
                files[f"{summary.slug}/{site_pdf_name(summary.slug, mode)}"] = found
                summary.pdfs[mode] = f"{summary.slug}/{site_pdf_name(summary.slug, mode)}"
                if mode == "slides":
                    summary.pdf = summary.pdfs[mode]


def _add_single_files(decks: list[Deck], files: dict[str, bytes | Path]) -> None:
    """One self-contained HTML per published deck, to e-mail or upload."""
    from .single_file import inline_deck

    for deck in decks:
        page = f"{deck.slug}/index.html"
        if page in files:  # drafts without --drafts have no page
            files[f"{deck.slug}/{deck.slug}.html"] = inline_deck(files[page].decode(), page, files).encode()


def _uses_figures(decks: list[Deck]) -> bool:
    """Generating figures trains a model: only do it (or check its cache) when a slide shows one."""
    for deck in decks:
        for slide in deck.slides:
            for node in slide.body.walk():
                file_attr = elements.kind_of(node).file_attr if isinstance(node, Element) else None
                if file_attr and (node.attrs.get(file_attr) or "").startswith("figures/"):
                    return True
    return False


def _asset_files(modules: Path, chars: set[str]) -> dict[str, bytes | Path]:
    files: dict[str, bytes | Path] = {}
    fonts_css, font_files = assets.font_assets(modules, chars)
    files["assets/fonts/fonts.css"] = fonts_css.encode()
    files.update({f"assets/{k}": v for k, v in font_files.items()})
    katex_css, katex_files = assets.katex_assets(modules)
    files["assets/katex/katex.css"] = katex_css.encode()
    files.update({f"assets/{k}": v for k, v in katex_files.items()})
    files.update({f"assets/{k}": v for k, v in assets.reveal_assets(modules).items()})
    files["assets/code.css"] = code.stylesheet().encode()
    files.update({f"assets/{k}": v for k, v in site.static_files().items()})
    return files


def _summary(deck: Deck, statuses: dict[str, LinkStatus], truth: DeckTruth) -> DeckSummary:
    steps = [s for st in statuses.values() for s in st.steps]
    counts = {"linked": len(steps)}
    for state in ("verified", "stale", "failing", "unverified"):
        counts[state] = sum(1 for s in steps if s.status == state)
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


def _panel_words(lang: str) -> dict[str, str]:
    """The details panel's own words, as data attributes of the deck's .reveal element (present.js reads them)."""
    return {f"data-panel-{key}": phrase(lang, f"panel.{key}") for key in ("title", "close", "empty")}


def index_page(env, listed: list[DeckSummary]) -> bytes:
    """The course index, in the language most of its decks are written in."""
    langs = [s.lang for s in listed]
    lang = max(sorted(set(langs)), key=langs.count) if langs else "en"
    words = {key.removeprefix("index."): phrase(lang, key) for key in PHRASES if key.startswith("index.")}
    return env.get_template("index.html.j2").render(decks=listed, assets="assets", lang=lang, words=words).encode()
