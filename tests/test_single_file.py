"""`--single-file`: one deck as one HTML file that presents with the network off.

The browser tests are the proof that matters (nothing loads, every slide shows,
the fonts arrive); the small tests pin down the choices a browser would only
show as a missing glyph: which font faces travel, and what cannot be inlined.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from conftest import ARTIFACTS, ROOT
from deckbuild import assets
from deckbuild.single_file import SingleFileError, inline_deck
from htmltext import read_page

DECK = "dar-5-5"
VIEW = {"width": 1280, "height": 800}
PAGE = f"{DECK}/index.html"
_FACE = re.compile(r"@font-face\s*{([^}]*)}")
_REMOTE_REF = re.compile(r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)\s*(?:https?:)?//""", re.IGNORECASE)


def site_files(site: Path) -> dict[str, Path]:
    """The pipeline's file map, read back from the written site: write_site writes every entry as is."""
    return {p.relative_to(site).as_posix(): p for p in sorted(site.rglob("*")) if p.is_file()}


def faces(html: str) -> set[tuple[str, str, str, str]]:
    """(family, weight, style, unicode-range) of every @font-face the file carries."""
    out = set()
    for body in _FACE.findall(html):
        d = {k.strip().lower(): v.strip() for k, _, v in (p.partition(":") for p in body.split(";")) if v}
        out.add((d["font-family"].strip("'\""), d.get("font-weight", "400"), d.get("font-style", "normal"),
                 d.get("unicode-range", "")))
    return out


def families(html: str) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for family, weight, style, _ in faces(html):
        out.setdefault(family, set()).add((weight, style))
    return out


@pytest.fixture(scope="module")
def single(project_site):
    site, _ = project_site
    files = site_files(site)
    html = inline_deck(files[PAGE].read_text(encoding="utf-8"), PAGE, files)
    out = ARTIFACTS / "single-file"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{DECK}.html"
    path.write_text(html, encoding="utf-8")
    return html, path, files


# --------------------------------------------------------------------------- the project's deck


@pytest.mark.slow
def test_deck_file_is_self_contained_and_deterministic(single, capsys):
    html, path, files = single
    assert not _REMOTE_REF.search(html), _REMOTE_REF.search(html).group(0)
    left = [r for r in read_page(html).refs if r[0] != "a" and not r[2].startswith(("data:", "#"))]
    assert left == [], left
    assert inline_deck(files[PAGE].read_text(encoding="utf-8"), PAGE, files) == html
    site_bytes = sum(files[p].stat().st_size for p in files if p.startswith(("assets/", f"{DECK}/")))
    per_family = Counter(f[0] for f in faces(html))
    with capsys.disabled():
        print(f"\n  single file {DECK}: {path.stat().st_size / 1e6:.2f} MB "
              f"(deck folder + all assets: {site_bytes / 1e6:.2f} MB); font faces: "
              + ", ".join(f"{f} {n}" for f, n in sorted(per_family.items())))


def test_deck_file_carries_the_notes_plugin_inert_as_text(single):
    html, _, files = single
    plugin = files["assets/reveal/plugin/notes.js"].read_text(encoding="utf-8")
    holder = re.search(r'<script type="text/x-on-demand" data-reveal-plugin="notes">\n(.*?)\n</script>', html, re.S)
    assert holder and holder.group(1) == plugin.replace("</script", "<\\/script")


def test_deck_file_drops_the_font_preloads_of_the_page(single):
    html, _, files = single
    assert "data-font-preload" in files[PAGE].read_text(encoding="utf-8")
    assert "data-font-preload" not in html


def test_deck_file_carries_the_katex_faces_its_formulas_ask_for(single):
    """Cross-check against the plain class -> family table of KaTeX's CSS."""
    html, _, files = single
    page = files[PAGE].read_text(encoding="utf-8")
    classes = set(" ".join(re.findall(r'class="([^"]*)"', page)).split())
    have = families(html)
    expect = {"KaTeX_Main": ("400", "normal")}
    if "mathnormal" in classes:
        expect["KaTeX_Math"] = ("400", "italic")
    if classes & {"mathbb", "amsrm", "textbb"}:
        expect["KaTeX_AMS"] = ("400", "normal")
    if "mathbf" in classes:
        expect["KaTeX_Main"] = ("700", "normal")
    for n in range(1, 5):
        if re.search(rf'class="[^"]*\bdelimsizing size{n}\b', page):
            expect[f"KaTeX_Size{n}"] = ("400", "normal")
    assert len(expect) >= 4, "the deck should exercise several KaTeX families"
    for family, face in expect.items():
        assert face in have.get(family, set()), (family, face, sorted(have))
    assert "KaTeX_Fraktur" not in have and "KaTeX_Typewriter" not in have


# --------------------------------------------------------------------------- in Chromium, network off

OFFLINE_URL = "http://offline.invalid/dar-5-5.html"


class Offline:
    """The page served from memory; every other request is refused and remembered."""

    def __init__(self, context, html: str):
        self.blocked, self.failed, self.errors = [], [], []
        self.page = context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.route("**/*", lambda route: self._route(route, html))

    def _route(self, route, html: str):
        url = route.request.url
        if url == OFFLINE_URL:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        elif url.startswith("data:"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def walk(page) -> tuple[int, int]:
    """Every slide and every fragment step in order; formulas (not the hidden notes' ones) must have a size."""
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate("Reveal.configure({transition: 'none'})")
    seen, last = set(), None
    for _ in range(500):
        indices = page.evaluate("[Reveal.getIndices().h, Reveal.getIndices().f]")
        if indices == last:
            break
        last = indices
        seen.add(indices[0])
        if not page.evaluate("Reveal.availableFragments().next"):
            page.wait_for_timeout(40)
            hidden = page.evaluate("""() => [...Reveal.getCurrentSlide().querySelectorAll('.katex')]
                .filter(k => !k.closest('aside.notes'))
                .filter(k => { const r = k.getBoundingClientRect(); return r.width < 1 || r.height < 1; }).length""")
            assert hidden == 0, f"slide {indices[0] + 1}: {hidden} formula(s) not visible"
        page.evaluate("Reveal.next()")
    page.evaluate("document.fonts.ready")
    return len(seen), page.evaluate("Reveal.getHorizontalSlides().length")


_LOADED = """() => { const s = [];
    document.fonts.forEach(f => { if (f.status === 'loaded')
        s.push([f.family.replace(/["']/g, ''), f.weight, f.style, f.unicodeRange]); });
    return s; }"""


@pytest.fixture(scope="module")
def offline_walk(browser, single):
    """The single file walked once, slide by slide and step by step, with every request refused: what it showed
    and which font faces it loaded. The page is closed before the module's next test."""
    html, _, _ = single
    context = browser.new_context(viewport=VIEW)
    try:
        off = Offline(context, html)
        off.page.goto(OFFLINE_URL)
        seen, total = walk(off.page)
        (ARTIFACTS / "single-file").mkdir(parents=True, exist_ok=True)
        off.page.screenshot(path=str(ARTIFACTS / "single-file" / "last-slide.png"))
        return {"seen": seen, "total": total, "loaded": {tuple(f) for f in off.page.evaluate(_LOADED)},
                "formulas": off.page.evaluate("document.querySelectorAll('.katex').length"),
                "blocked": off.blocked, "failed": off.failed, "errors": off.errors}
    finally:
        context.close()


@pytest.mark.slow
def test_single_file_presents_with_the_network_off(offline_walk):
    assert offline_walk["seen"] == offline_walk["total"] >= 13
    loaded = {f[0] for f in offline_walk["loaded"]}
    for family in ("KaTeX_Main", "KaTeX_Math", "Noto Sans SC", "Inter", "Source Sans 3"):
        assert family in loaded, f"{family} not loaded: {sorted(loaded)}"
    assert offline_walk["formulas"] > 20
    assert offline_walk["blocked"] == [] and offline_walk["failed"] == [] and offline_walk["errors"] == []


@pytest.mark.slow
def test_single_file_loads_every_face_the_site_loads(pages, offline_walk, project_site):
    """The real judge of the font pruning: what Chromium fetched for the folder site, the single file (with the
    network off) has."""
    site, _ = project_site
    folder = pages.new_page(viewport=VIEW)
    folder.goto((site / PAGE).as_uri())
    walk(folder)
    wanted = {tuple(f) for f in folder.evaluate(_LOADED)}
    assert len({f[0] for f in wanted}) >= 6 and wanted <= offline_walk["loaded"], sorted(wanted - offline_walk["loaded"])


@pytest.mark.slow
def test_speaker_view_and_details_panel_work_from_the_file(pages, single):  # noqa: F811
    """Opened from disk the notes plugin loads the file itself into its previews: nothing else may be asked for."""
    _, path, _ = single
    context = pages.new_context(viewport=VIEW)
    elsewhere, errors = [], []
    context.on("request", lambda r: r.url.split("?")[0] != path.as_uri() and not r.url.startswith("data:")
               and elsewhere.append(r.url))
    context.on("weberror", lambda e: errors.append(str(e.error)))
    page = context.new_page()
    page.add_init_script("window.requestIdleCallback = () => 0;")  # S, not the idle time, runs the notes plugin
    page.goto(path.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    assert not page.evaluate("Reveal.hasPlugin('notes')")
    page.evaluate("Reveal.slide(2)")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    popup.value.wait_for_function("(document.querySelector('.speaker-controls-notes .value') || {}).textContent"
                                  " && document.querySelectorAll('iframe').length == 2", timeout=10000)
    page.bring_to_front()
    page.keyboard.press("Shift+V")  # V goes to the speaker view; Shift+V shows the details on this screen
    page.locator(".pk-panel").wait_for(state="visible")
    assert elsewhere == [] and errors == []
    context.close()


def test_inlined_script_text_keeps_its_end_tags(pages):  # noqa: F811
    files = {"a.js": b"window.s = '</script><!-- -->'; window.t = `</SCRIPT >`;"}
    out = inline_deck('<script src="../a.js"></script><script>window.after = 1;</script>', "d/index.html", files)
    page = pages.new_page()
    page.set_content(out)
    assert page.evaluate("[window.s, window.t, window.after]") == ["</script><!-- -->", "</SCRIPT >", 1]


# --------------------------------------------------------------------------- small pages


@pytest.mark.slow
def test_styles_scripts_and_images_are_inlined_relative_to_their_file():
    png = b"\x89PNG\r\n\x1a\nfake"
    files = {
        "d/index.html": b"",
        "assets/site.css": b"body { background: url(img/bg.png) } /* url(no.png) */ .q::after { content: 'url(x)' }",
        "assets/img/bg.png": png,
        "assets/app.js": b"var x = 1;",
        "d/media/photo.png": png,
    }
    page = ('<link rel="stylesheet" href="../assets/site.css" media="screen"><script src="../assets/app.js"></script>'
            '<img src="media/photo.png" alt="p"><a href="https://example.org">x</a>')
    out = inline_deck(page, "d/index.html", files)
    data = "data:image/png;base64,iVBORw0KGgpmYWtl"
    assert out.count(data) == 2 and '<style media="screen">' in out and "var x = 1;" in out
    assert "url(no.png)" in out and "'url(x)'" in out and 'href="https://example.org"' in out
    assert "<link" not in out and "src=" not in out.replace(f'src="{data}"', "")


@pytest.mark.parametrize("page, message", [
    ('<link rel="stylesheet" href="../assets/missing.css">', "'assets/missing.css' is not among"),
    ('<img src="https://example.org/a.png">', "on the network"),
    ('<script src="//cdn.example.org/a.js"></script>', "on the network"),
    ('<img srcset="a.png 2x" src="a.png">', "srcset"),
    ('<script defer src="a.js"></script>', "deferred"),
    ('<script src="b.js"></script>', "'<!--' followed by '<script'"),  # the end tag would be swallowed
])
def test_what_cannot_be_inlined_is_a_clear_error(page, message):
    with pytest.raises(SingleFileError, match=re.escape(message)):
        inline_deck(page, "d/index.html", {"d/a.png": b"x", "d/a.js": b"", "d/b.js": b"s = '<!-- <script>'"})


def test_a_url_inside_css_that_points_nowhere_names_the_stylesheet():
    files = {"assets/t.css": b".a { background: url(gone.png) }"}
    with pytest.raises(SingleFileError, match=r"'gone\.png' \(in assets/t\.css\)"):
        inline_deck('<link rel="stylesheet" href="/assets/t.css">', "d/index.html", files)


@pytest.fixture(scope="module")
def katex_files() -> dict[str, bytes | Path]:
    css, fonts = assets.katex_assets(assets.ensure_node_modules(ROOT, quiet=True))
    return {"assets/katex/katex.css": css.encode(), **{f"assets/{k}": v for k, v in fonts.items()}}


def _math_page(inner: str, extra_css: str = "", outside: str = "") -> tuple[str, dict]:
    page = ('<link rel="stylesheet" href="../assets/katex/katex.css"><link rel="stylesheet" href="../assets/t.css">'
            f'{outside}<span class="katex"><span class="katex-html">{inner}</span></span>')
    return page, {"assets/t.css": extra_css.encode()}


MAIN = {("400", "normal"), ("400", "italic")}  # weights and styles meet across formulas: no cascade is computed
MAIN_ALL = MAIN | {("700", "normal"), ("700", "italic")}


@pytest.mark.parametrize("inner, extra_css, outside, expect", [
    ('<span class="mord mathnormal">x</span>', "", "", {"KaTeX_Main": MAIN, "KaTeX_Math": {("400", "italic")}}),
    ('<span class="mord mathrm">x</span>', "", "", {"KaTeX_Main": {("400", "normal")}}),
    ('<span class="mord mathbf">x</span><span class="mord mathbb">R</span>', "", "",
     {"KaTeX_Main": {("400", "normal"), ("700", "normal")}, "KaTeX_AMS": {("400", "normal")}}),
    ('<span class="boldsymbol">x</span><span class="delimsizing size3">(</span>', "", "",
     {"KaTeX_Main": MAIN_ALL, "KaTeX_Math": {("400", "italic"), ("700", "italic")},
      "KaTeX_Size3": {("400", "normal")}}),
    # size3 on a sizing span is a font size; only on a delimiter does it ask for KaTeX_Size3
    ('<span class="sizing reset-size6 size3">y</span>', "", "", {"KaTeX_Main": {("400", "normal")}}),
    # another stylesheet's rules count when they can reach into a formula
    ('<span class="mathnormal">x</span>', ".em { font-weight: bold }", "",
     {"KaTeX_Main": MAIN, "KaTeX_Math": {("400", "italic")}}),
    ('<span class="mathnormal em">x</span>', ".em { font-weight: bold }", "",
     {"KaTeX_Main": MAIN_ALL, "KaTeX_Math": {("400", "italic"), ("700", "italic")}}),
    # a KaTeX family used outside formulas: the cascade there is unknown, so every face of it
    ('<span class="mord">1</span>', ".rel { font-family: KaTeX_SansSerif }", '<b class="rel">=</b>',
     {"KaTeX_Main": {("400", "normal")}, "KaTeX_SansSerif": {("400", "normal"), ("700", "normal"), ("400", "italic")}}),
])
def test_katex_faces_follow_the_classes_of_the_formulas(katex_files, inner, extra_css, outside, expect):
    page, extra = _math_page(inner, extra_css, outside)
    assert families(inline_deck(page, "d/index.html", {**katex_files, **extra})) == expect


def test_no_formula_no_katex_fonts(katex_files):
    page, extra = _math_page("")
    out = inline_deck(page.replace('<span class="katex">', "<span>"), "d/index.html", {**katex_files, **extra})
    assert faces(out) == set()


@pytest.mark.slow
def test_text_fonts_keep_the_subsets_the_page_needs():
    modules = assets.ensure_node_modules(ROOT, quiet=True)
    css, fonts = assets.font_assets(modules, set("Hello 你好 Привет"))
    files = {"assets/fonts/fonts.css": css.encode(), **{f"assets/{k}": v for k, v in fonts.items()},
             "assets/t.css": b"body { font-family: Inter, 'Noto Sans SC' }"}
    page = '<link rel="stylesheet" href="../assets/fonts/fonts.css"><link rel="stylesheet" href="../assets/t.css">'

    def cyrillic(text: str) -> set:
        return {f for f in faces(inline_deck(page + text, "d/index.html", files)) if "U+0400-045F" in f[3].upper()}

    latin_and_chinese = faces(inline_deck(page + "<p>Hello 你好</p>", "d/index.html", files))
    assert {f[0] for f in latin_and_chinese} == {"Inter", "Noto Sans SC"}  # Source Sans 3 is never named here
    assert cyrillic("<p>Hello 你好</p>") == set() and cyrillic("<p>Привет</p>")
