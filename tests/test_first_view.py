"""The deck's first view: one script to wait for, only the current slide laid out before Reveal is ready,
its neighbours once that slide shows in its fonts, the rest of the deck while the page is idle; the speaker
notes plugin run when the speaker view is wanted or the page is idle, never before the first slide."""
from __future__ import annotations

from deckbuild import bundle
from test_browser import server  # noqa: F401 (the module's site on 127.0.0.1, a fixture)


# A record of which slides Reveal displays at its 'ready' event, taken before the deck's own scripts run.
_AT_READY = """
document.addEventListener('ready', () => {
  window.__displayedAtReady = [...document.querySelectorAll('.reveal .slides > section')]
    .map((s, i) => [i, s.style.display]).filter(([, d]) => d !== 'none' && d !== '').map(([i]) => i);
}, true);
"""


def _displayed(page) -> list[int]:
    return page.evaluate("""[...document.querySelectorAll('.reveal .slides > section')]
        .map((s, i) => [i, s.style.display]).filter(([, d]) => d === 'block').map(([i]) => i)""")


def test_the_deck_page_waits_for_one_script(project_site):
    site, _ = project_site
    page = (site / "dar-5-5" / "index.html").read_text(encoding="utf-8")
    assert page.count("<script src=") == 1 and 'src="../assets/deck.js"' in page


def test_the_deck_script_is_reveal_then_presentkit_in_that_order():
    files = {part: f"/* {part} */\n//# sourceMappingURL=x.map\n".encode() for part in bundle.JS_PARTS}
    js = bundle.deck_bundles(files)[bundle.DECK_JS].decode()
    order = [next(part for part in bundle.JS_PARTS if key in part) for key in ("reveal.js", "present")]
    positions = [js.index(f"/* {part} */") for part in order]  # the order a deck needs, written out here
    assert positions == sorted(positions) and "sourceMappingURL" not in js


def _recording(pages, url: str, script: str):
    """The deck at `url` in a new page, `script` run in it before the page's own scripts."""
    page = pages.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(script)
    page.goto(url)
    return page


def test_only_the_current_slide_is_laid_out_when_reveal_is_ready(pages, server):
    page = _recording(pages, f"{server}/dar-5-5/index.html", _AT_READY)
    page.wait_for_function("window.__displayedAtReady")
    assert page.evaluate("window.__displayedAtReady") == [0]


def _settled(pages, url: str):
    """The deck at `url` in a new page, once Reveal is ready and the first slide's fonts are in."""
    page = pages.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate("document.fonts.ready")
    return page


# Every view distance the deck sets after Reveal's 'ready', in order (configure() writes it into the config).
_DISTANCES = """
window.__distances = [];
document.addEventListener('ready', () => {
  const config = Reveal.getConfig();
  let distance = config.viewDistance;
  Object.defineProperty(config, 'viewDistance', {configurable: true, enumerable: true, get: () => distance,
    set: (value) => { window.__distances.push(value); distance = value; }});
}, true);
"""


_EVERY_SLIDE_LAID_OUT = """[...document.querySelectorAll('.reveal .slides section')]
    .every(s => getComputedStyle(s).display !== 'none')"""


def test_the_neighbours_are_laid_out_once_the_first_slide_shows_in_its_fonts_then_the_rest_of_the_deck(pages, server):
    page = _recording(pages, f"{server}/dar-5-5/index.html#/4", _DISTANCES)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    assert not page.evaluate(_EVERY_SLIDE_LAID_OUT)
    page.wait_for_function(_EVERY_SLIDE_LAID_OUT, timeout=30_000)
    # the neighbours through Reveal's view distance, once; the rest without asking Reveal to sync the deck again
    assert page.evaluate("window.__distances") == [3]
    assert page.evaluate("Reveal.getConfig().viewDistance") == 3
    page.keyboard.press("ArrowRight")  # Reveal hides what lies beyond its view distance again: still laid out
    assert page.evaluate(_EVERY_SLIDE_LAID_OUT)


def test_a_wider_view_distance_asked_for_in_the_url_is_kept(pages, server):
    page = _settled(pages, f"{server}/dar-5-5/index.html?viewDistance=1000")
    page.wait_for_timeout(200)
    assert page.evaluate("Reveal.getConfig().viewDistance") == 1000
    assert len(_displayed(page)) == page.evaluate("Reveal.getHorizontalSlides().length")


# The fonts fetched by the time the first view's fonts are ready (before the deck widens its view), and
# what asked for each: a preload of the page's <head> ("link"), or a rule met in a layout ("css").
_FETCHED_FOR_FIRST_VIEW = """
document.addEventListener('ready', () => {
  document.fonts.ready.then(() => {
    window.__firstFonts = performance.getEntriesByType('resource').filter(e => e.name.endsWith('.woff2'))
      .map(e => [e.name.split('/').pop(), e.initiatorType]);
  });
}, true);
"""


def test_every_font_the_first_view_fetches_was_preloaded(pages, server):
    page = _recording(pages, f"{server}/dar-5-5/index.html", _FETCHED_FOR_FIRST_VIEW)
    page.wait_for_function("window.__firstFonts")
    fetched = page.evaluate("window.__firstFonts")
    assert fetched and [f for f in fetched if f[1] != "link"] == []  # nothing found late by a layout


_IDLE_PERIODS = "n => new Promise(done => { const wait = k => k ? requestIdleCallback(() => wait(k - 1)) : done(); wait(n); })"


# ---- Reveal's notes plugin (most of it a Markdown parser) runs when the speaker view is wanted, not at load.

# Whether the notes plugin was fetched or run by Reveal's 'ready', recorded before the deck's own scripts run.
_NOTES_AT_READY = """
document.addEventListener('ready', () => {
  window.__notesAtReady = {run: typeof window.RevealNotes !== 'undefined' || Reveal.hasPlugin('notes'),
    fetched: performance.getEntriesByType('resource').some(e => e.name.endsWith('/notes.js'))};
}, true);
"""

# A page whose idle time never comes: what loads the notes plugin early is then only what asks for it.
_NO_IDLE_TIME = "window.requestIdleCallback = () => 0;"

_SPEAKER_VIEW_READY = ("[...document.querySelectorAll('iframe')].filter(f => f.contentWindow.Reveal"
                       " && f.contentWindow.Reveal.isReady()).length === 2")


def test_the_notes_plugin_is_neither_fetched_nor_run_before_reveal_is_ready_then_runs_in_idle_time(pages, server):
    page = _recording(pages, f"{server}/dar-5-5/index.html", _NOTES_AT_READY)
    page.wait_for_function("window.__notesAtReady")
    assert page.evaluate("window.__notesAtReady") == {"run": False, "fetched": False}
    page.wait_for_function("Reveal.hasPlugin('notes')", timeout=10_000)
    assert page.evaluate("typeof Reveal.getPlugin('notes').open") == "function"


def test_notes_in_the_url_opens_the_speaker_view_at_load_and_its_previews_lay_out_only_what_reveal_shows(pages, server):
    page = pages.new_page(viewport={"width": 1280, "height": 800})
    with page.expect_popup(timeout=15_000) as popup:
        page.goto(f"{server}/dar-5-5/index.html?notes")
    speaker = popup.value
    speaker.wait_for_function(_SPEAKER_VIEW_READY, timeout=15_000)
    assert speaker.locator(".speaker-controls-notes").count() == 1
    page.wait_for_function(_EVERY_SLIDE_LAID_OUT, timeout=30_000)
    previews = [f for f in speaker.frames if "receiver" in f.url]
    assert len(previews) == 2
    for frame in previews:  # as many idle periods as the audience screen takes to lay out every slide, and more
        frame.evaluate(_IDLE_PERIODS, 2 * page.evaluate("document.querySelectorAll('.reveal .slides section').length"))
        assert not frame.evaluate(_EVERY_SLIDE_LAID_OUT), frame.url


def test_S_opens_the_speaker_view_before_the_notes_plugin_has_loaded_and_it_reconnects_after_a_reload(pages, server):
    page = _recording(pages, f"{server}/dar-5-5/index.html", _NO_IDLE_TIME)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    assert not page.evaluate("Reveal.hasPlugin('notes')")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_function(_SPEAKER_VIEW_READY, timeout=15_000)
    assert speaker.locator(".speaker-controls-notes").count() == 1
    page.reload()  # no idle time here either: the speaker window's heartbeat is what runs the plugin
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.wait_for_function("Reveal.hasPlugin('notes')", timeout=5_000)  # the speaker window beats once a second
    page.evaluate("Reveal.slide(3)")
    current = next(f for f in speaker.frames if "postMessageEvents=true" in f.url)  # the current-slide preview
    current.wait_for_function("Reveal.getIndices().h === 3", timeout=5_000)
