"""The DAR-5-5 deck in a real headless Chromium: ready, offline, every slide and fragment, math visible."""
from __future__ import annotations

import functools
import re
import http.server
import shutil
import threading

import pytest

from conftest import ARTIFACTS

pytestmark = pytest.mark.slow  # every test here drives Chromium over the built deck


@pytest.fixture(scope="module")
def server(project_site):
    site, _ = project_site
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class PageWatch:
    """Console errors, failed requests and any request that leaves the machine."""

    def __init__(self, on, origin: str):
        """`on`: the page's (or a lent tab's) way to add a listener."""
        self.errors, self.failed, self.outside = [], [], []
        on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        on("pageerror", lambda e: self.errors.append(str(e)))
        on("requestfailed", lambda r: self.failed.append(r.url))
        on("request", lambda r: r.url.startswith(("http:", "https:")) and not r.url.startswith(origin)
                and self.outside.append(r.url))


def open_deck(tab, url: str, origin: str):
    page = tab.page
    watch = PageWatch(tab.on, origin)
    page.goto(url)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.add_style_tag(content=".reveal .fragment, .reveal .slides section { transition: none !important; }")
    page.evaluate("Reveal.configure({transition: 'none'}); document.fonts.ready")
    return page, watch


def test_dar_deck_presents_offline_with_every_slide_and_fragment(tab, server):
    out = ARTIFACTS / "browser"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    total = page.evaluate("Reveal.getHorizontalSlides().length")  # the appendix is reached but not counted
    seen, fragment_steps, last = set(), 0, None
    for _ in range(400):
        h, f = page.evaluate("[Reveal.getIndices().h, Reveal.getIndices().f]")
        if (h, f) == last:
            break
        last = (h, f)
        if h not in seen:
            seen.add(h)
        else:
            fragment_steps += 1
        page.wait_for_timeout(60)
        if not page.evaluate("Reveal.availableFragments().next"):
            _assert_math_visible(page, h)
            page.screenshot(path=str(out / f"slide-{h + 1:02d}.png"))
        page.evaluate("Reveal.next()")
    assert len(seen) == total
    assert fragment_steps >= 6, "the build-up slides should step through their fragments"
    assert watch.errors == [] and watch.failed == [] and watch.outside == []


def _assert_math_visible(page, h):
    hidden = page.evaluate("""() => {
        const slide = Reveal.getCurrentSlide();
        return [...slide.querySelectorAll('.katex')].filter(k => !k.closest('aside.notes')).filter(k => {
            const r = k.getBoundingClientRect();
            return r.width < 1 || r.height < 1;
        }).length;
    }""")
    assert hidden == 0, f"slide {h + 1}: {hidden} formula(s) not visible"


def test_fonts_are_self_hosted_and_loaded(tab, server):
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate("Reveal.slide(5)")
    page.wait_for_timeout(300)
    page.evaluate("""Reveal.slide(Reveal.getHorizontalSlides().findIndex(s => s.textContent.includes('✅')))""")
    page.wait_for_timeout(300)
    loaded = page.evaluate("""() => { const s = new Set();
        document.fonts.forEach(f => { if (f.status === 'loaded') s.add(f.family.replace(/["']/g, '')); });
        return [...s]; }""")
    for family in ("KaTeX_Main", "Inter", "Source Sans 3", "Noto Sans SC", "Noto Color Emoji"):
        assert family in loaded, f"{family} not loaded: {loaded}"
    assert watch.failed == [] and watch.outside == []


def test_deck_opens_from_a_file_url(tab, project_site):
    site, _ = project_site
    page, failed = tab.page, []
    tab.on("requestfailed", lambda r: failed.append(r.url))
    page.goto((site / "dar-5-5" / "index.html").as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    assert page.evaluate("document.querySelectorAll('.katex').length") > 20
    assert failed == []


def _slide_of(page, derivation_id: str) -> int:
    return page.evaluate(f"""() => Reveal.getHorizontalSlides().indexOf(
        document.querySelector('[data-derivation="{derivation_id}"]').closest('section'))""")


def test_derivation_rows_carry_their_verified_marks(tab, server, project_site):
    _, result = project_site
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate(f"Reveal.slide({_slide_of(page, 'em-q-decomposition')}, 0, 99)")
    marks = page.evaluate("""() => [...Reveal.getCurrentSlide().querySelectorAll('.dv-row')].map(
        r => [r.dataset.step, r.dataset.status, getComputedStyle(r.lastElementChild, '::after').content])""")
    assert [m[0] for m in marks] == ["1", "2", "3", "4", "5"]
    assert all(m[1] == "verified" and m[2] not in ("none", "normal", "") for m in marks), marks
    page.screenshot(path=str(ARTIFACTS / "browser" / "derivation-marks.png"))


def test_derivation_rows_step_in_as_fragments(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate(f"Reveal.slide({_slide_of(page, 'em-q-decomposition')}, 0, -1)")
    visible = "() => [...Reveal.getCurrentSlide().querySelectorAll('.dv-row')].filter(r => getComputedStyle(r).opacity !== '0').length"
    page.wait_for_timeout(400)
    assert page.evaluate(visible) == 2
    for shown in (3, 4, 5):
        page.evaluate("Reveal.nextFragment()")
        page.wait_for_timeout(400)
        assert page.evaluate(visible) == shown


# the panel's one line on what was checked: both models, and as many draws as the evaluator made
_ONE_LINE_CHECKED = re.compile(r"对 2 个模型的 [1-9]\d* 组随机参数逐一计算")


def test_v_key_without_a_speaker_view_opens_the_verification_details_here(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate(f"Reveal.slide({_slide_of(page, 'em-q-decomposition')}, 0, 99)")
    page.keyboard.press("v")
    panel = page.locator(".pk-panel")
    panel.wait_for(state="visible")
    assert "第 5 行" in panel.inner_text() and _ONE_LINE_CHECKED.search(panel.inner_text())
    page.screenshot(path=str(ARTIFACTS / "browser" / "details-panel.png"))


def test_the_developer_details_stay_one_click_away(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate(f"Reveal.slide({_slide_of(page, 'em-q-decomposition')}, 0, 99)")
    page.keyboard.press("v")
    more = page.evaluate("document.querySelector('.pk-step--focus .pk-step__more').textContent")
    assert "derivations.em." in more and "holds:" in more


def test_speaker_view_opens_offline_with_notes(tab, server):
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate("Reveal.slide(2)")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_function("document.querySelector('.speaker-controls-notes .value') && "
                              "document.querySelector('.speaker-controls-notes .value').textContent.includes('责任度')",
                              timeout=10000)
    speaker.screenshot(path=str(ARTIFACTS / "browser" / "speaker-view.png"))
    notes = speaker.evaluate("document.querySelector('.speaker-controls-notes .value').innerHTML")
    assert "katex-html" in notes, "notes math is typeset like the slides"
    styles = speaker.evaluate("[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href.split('/').pop())")
    assert {"katex.css", "fonts.css", "theme.css"} <= set(styles), "the speaker window loads the deck's styles"
    assert watch.outside == [] and watch.failed == []


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site only below /slides/, as inside the lecturer's blog."""

    prefix = "/slides/"

    def translate_path(self, path):
        if not path.startswith(self.prefix):
            return "/nonexistent"
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, *args):
        pass


def test_site_works_below_a_sub_path(tab, project_site):
    site, _ = project_site
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_SubPathHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        page = tab.page
        watch = PageWatch(tab.on, origin)
        page.goto(f"{origin}/slides/index.html")
        page.evaluate("document.fonts.ready")  # leaving mid-load would cancel the index's font requests
        page.click("text=DAR-5-5")
        page.wait_for_function("window.Reveal && Reveal.isReady()")
        assert page.url == f"{origin}/slides/dar-5-5/index.html" or page.url.startswith(f"{origin}/slides/dar-5-5/index.html#")
        assert watch.failed == [] and watch.outside == [] and watch.errors == []
    finally:
        httpd.shutdown()


def test_help_overlay_lists_the_presenter_keys(tab, server):
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.keyboard.press("Shift+Slash")
    help_text = page.locator(".r-overlay-help").inner_text()
    for key in ("V", "S", "F"):
        assert re.search(rf"(^|\s){key}(\s|,|$)", help_text), f"{key} missing from the help overlay"
    assert "laser" in help_text.lower() and "derivation" in help_text.lower()
    page.wait_for_timeout(500)  # the overlay fades in
    page.screenshot(path=str(ARTIFACTS / "browser" / "help-overlay.png"))
    assert watch.errors == []


# Ink of the current slide at the audience's screen size: text boxes, images and the CSS check marks.
_INK_OUTSIDE = """() => {
    const slide = Reveal.getCurrentSlide(), box = Reveal.getSlidesElement().getBoundingClientRect();  // the 1100 x 700 frame
    const rects = [];
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.data.trim() || n.parentElement.closest('aside.notes, .katex-mathml, script')) continue;
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) rects.push(['text ' + n.data.trim().slice(0, 20), r.left, r.right, r.top, r.bottom]);
    }
    slide.querySelectorAll('img, svg').forEach(el => { const r = el.getBoundingClientRect();
        rects.push([el.tagName, r.left, r.right, r.top, r.bottom]); });
    slide.querySelectorAll('.dv-row > :last-child').forEach(el => {
        const st = getComputedStyle(el, '::after'), r = el.getBoundingClientRect();
        const k = r.width / (el.offsetWidth || 1) || 1;
        const right = r.right + k * (parseFloat(st.marginLeft) + parseFloat(st.width) + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight));
        rects.push(['mark', r.right, right, r.top, r.bottom]);
    });
    return rects.filter(([, l, r, t, b]) => l < box.left - 1 || r > box.right + 1 || t < box.top - 1 || b > box.bottom + 1)
        .map(([what, l, r]) => `${what}: ${Math.round(l - box.left)}..${Math.round(r - box.left)} of ${Math.round(box.width)}`);
}"""


def test_nothing_on_any_dar_slide_leaves_the_slide_at_1280x720(tab, server):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/dar-5-5/index.html")
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.add_style_tag(content="* { transition: none !important; }")
    page.evaluate("document.fonts.ready")
    outside = {}
    for h in range(page.evaluate("Reveal.getHorizontalSlides().length")):
        page.evaluate(f"Reveal.slide({h}, 0, 999)")
        page.wait_for_timeout(50)
        found = page.evaluate(_INK_OUTSIDE)
        if found:
            outside[h + 1] = found
    assert outside == {}


def _number_at(page, h: int) -> str:
    page.evaluate(f"Reveal.slide({h})")
    return page.evaluate("document.querySelector('.reveal > .slide-number').textContent.replace(/\\s+/g, '')")


def test_the_closing_slide_ends_the_count_and_the_progress_bar(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    closing = page.evaluate("Reveal.getHorizontalSlides().findIndex(s => s.classList.contains('thanks-slide'))")
    assert closing == 13
    assert _number_at(page, closing) == "14/14"
    assert page.evaluate("Reveal.getProgress()") == 1


def test_appendix_slides_are_numbered_apart_and_reached_in_order(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    assert _number_at(page, 14) == "附录1/16" and _number_at(page, 29) == "附录16/16"
    page.evaluate("Reveal.slide(13, 0, 999); Reveal.next()")
    assert page.evaluate("Reveal.getIndices().h") == 14


def test_the_closing_line_is_centred_on_the_slide(tab, server):
    page, _ = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.evaluate("Reveal.slide(13)")
    page.wait_for_timeout(100)
    slide, text = page.evaluate("""() => { const s = Reveal.getCurrentSlide(), r = document.createRange();
        r.selectNodeContents(s.querySelector('.thanks'));
        const box = r.getBoundingClientRect(), frame = Reveal.getSlidesElement().getBoundingClientRect();
        return [[frame.left, frame.top, frame.width, frame.height], [box.left, box.top, box.width, box.height]]; }""")
    slide_centre = (slide[0] + slide[2] / 2, slide[1] + slide[3] / 2)
    text_centre = (text[0] + text[2] / 2, text[1] + text[3] / 2)
    assert abs(slide_centre[0] - text_centre[0]) < 10 and abs(slide_centre[1] - text_centre[1]) < 30
    assert text[3] > 100, "the closing line is as large as the lecturer's own (10rem)"
    page.screenshot(path=str(ARTIFACTS / "browser" / "closing-slide.png"))


def _open_at_derivation(tab, server, derivation_id: str):
    page, watch = open_deck(tab, f"{server}/dar-5-5/index.html", server)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.evaluate(f"Reveal.slide({_slide_of(page, derivation_id)}, 0, 999)")
    page.wait_for_timeout(100)
    return page, watch


_PANEL_AND_FORMULA = """(selector = '.slide-derivation .katex-html') => {
    const panel = document.querySelector('.pk-panel'), p = panel.getBoundingClientRect();
    const boxes = [];
    const range = document.createRange();
    Reveal.getCurrentSlide().querySelectorAll(selector).forEach(k => {
        range.selectNodeContents(k);
        for (const r of range.getClientRects()) boxes.push(r);
    });
    const over = boxes.filter(r => r.width > 0 && r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top);
    return {hidden: panel.hidden, width: p.width, over: over.length, text: panel.innerText,  // what shows, not the collapsed details
            katex: panel.querySelectorAll('.katex').length,
            focused: [...panel.querySelectorAll('.pk-step--focus')].map(li => li.dataset.step),
            highlighted: [...Reveal.getCurrentSlide().querySelectorAll('.dv-row.pk-focus')].map(r => r.dataset.step)};
}"""


def test_shift_v_opens_a_small_panel_beside_the_formula_not_over_it(tab, server):
    page, watch = _open_at_derivation(tab, server, "em-q-decomposition")
    page.keyboard.press("Shift+V")
    panel = page.evaluate(_PANEL_AND_FORMULA)
    page.screenshot(path=str(ARTIFACTS / "browser" / "panel-audience.png"))
    assert not panel["hidden"] and panel["width"] <= 320 and panel["over"] == 0
    assert watch.errors == []


def test_the_panel_names_and_highlights_the_row_it_explains(tab, server):
    page, _ = _open_at_derivation(tab, server, "em-q-decomposition")
    page.keyboard.press("Shift+V")
    panel = page.evaluate(_PANEL_AND_FORMULA)
    assert panel["focused"] == ["5"] and panel["highlighted"] == ["5"] and "第 5 行" in panel["text"]
    page.evaluate("document.querySelector('.pk-step[data-step=\"2\"]').click()")
    assert page.evaluate(_PANEL_AND_FORMULA)["highlighted"] == ["2"]


def test_the_panel_speaks_the_decks_language_with_typeset_maths(tab, server):
    page, _ = _open_at_derivation(tab, server, "em-q-decomposition")
    page.keyboard.press("Shift+V")
    panel = page.evaluate(_PANEL_AND_FORMULA)
    assert "本页验证" in panel["text"] and _ONE_LINE_CHECKED.search(panel["text"])
    assert panel["katex"] > 0 and "<=>" not in panel["text"] and "theta_hat" not in panel["text"]


# Set when the speaker view's preview says hello on the deck's channel; the deck's own listener hears it next.
_HEARS_THE_SPEAKER = """new BroadcastChannel('present-kit').onmessage = e => {
  if (e.data && e.data.type === 'hello') window.__speakerSaidHello = true; };"""


def test_v_opens_the_panel_in_the_speaker_view_and_not_on_the_audience_screen(pages, server):
    context = pages.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.add_init_script(_HEARS_THE_SPEAKER)
    page.goto(f"{server}/dar-5-5/index.html")
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate(f"Reveal.slide({_slide_of(page, 'em-q-decomposition')}, 0, 999)")
    with context.expect_page() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    speaker.wait_for_function("""() => { const f = document.querySelector('#current-slide iframe');
        return f && f.contentWindow.Reveal && f.contentWindow.Reveal.isReady(); }""")
    page.wait_for_function("window.__speakerSaidHello")  # V goes to the speaker view once its hello is in
    page.keyboard.press("v")
    speaker.wait_for_selector(".pk-panel--docked:not([hidden])")
    docked = speaker.evaluate("document.querySelector('.pk-panel--docked').textContent")
    assert "第 1 行" in docked and "本页验证" in docked
    assert page.evaluate("!document.querySelector('.pk-panel') || document.querySelector('.pk-panel').hidden")
    speaker.screenshot(path=str(ARTIFACTS / "browser" / "panel-speaker.png"))
    context.close()


_CLAIMS_DECK = r"""<slide-section>

## Squares

$$
(a + b)^2 = a^2 + 2ab + b^2, \quad a, b \in \mathbb{R}
$$

$$
(a + b)^2 = a^2 + b^2, \quad a, b \in \mathbb{R}
$$

Step $\textcircled{1}$ of the argument.

</slide-section>

<slide-section>

## Prose only

Nothing to check here, not even $x$.

</slide-section>

<slide-section>

## A wide wrong formula

$$
(a + b)^2 = a^2 + b^2 + a^2 + b^2 + a^2 + b^2 + a^2 + b^2 + a^2 + b^2 - 4 a^2 - 4 b^2, \quad a, b \in \mathbb{R}
$$

</slide-section>

<slide-section>

## Six small facts

$$1 + 1 = 2$$

$$2 + 2 = 4$$

$$3 + 3 = 6$$

$$4 + 4 = 8$$

$$5 + 5 = 10$$

$$6 + 6 = 12$$

</slide-section>
"""

_CLAIMS_IN_PANEL = """() => Array.from(document.querySelectorAll('.pk-panel .pk-claim')).map(li => ({
  strength: li.getAttribute('data-strength'), label: li.querySelector('.pk-status, .pk-strength').textContent,
  how: li.querySelector('.pk-step__how').textContent}))"""


@pytest.fixture(scope="module")
def claims_server(tmp_path_factory):
    from conftest import build_into, write_deck

    tmp = tmp_path_factory.mktemp("claims")
    write_deck(tmp / "slides", "claims.md", _CLAIMS_DECK)
    assert build_into(tmp, tmp / "slides").written
    handler = functools.partial(_QuietHandler, directory=str(tmp / "_site"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_v_on_a_slide_without_a_derivation_lists_its_formulas_with_their_checks(tab, claims_server):
    page, watch = open_deck(tab, f"{claims_server}/claims/index.html", claims_server)
    page.keyboard.press("v")
    claims = page.evaluate(_CLAIMS_IN_PANEL)
    assert [c["strength"] for c in claims] == ["evaluated", "failing"]  # the circled 1 states nothing
    assert [c["label"] for c in claims] == ["evaluated", "failing"]
    assert re.search(r"\ba = ", claims[1]["how"]) and not claims[1]["how"].startswith("does not hold")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(100)
    assert page.evaluate(_PANEL_AND_FORMULA, ".katex-html")["over"] == 0  # nor over any maths of the slide
    page.screenshot(path=str(ARTIFACTS / "browser" / "panel-formulas.png"))
    assert watch.errors == []


def test_v_on_a_slide_that_states_nothing_says_so(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html#/1", claims_server)
    page.keyboard.press("v")
    assert page.evaluate(_CLAIMS_IN_PANEL) == []
    assert "No derivation or formula on this slide to check." in page.evaluate(
        "document.querySelector('.pk-panel').textContent")


# Each number on the slide: its text, whether it ends left of its formula's ink and sits within its height, and
# whether it is over the card; and the numbers of the card's entries.
_NUMBERS = """() => {
    const range = document.createRange(), card = document.querySelector('.pk-panel').getBoundingClientRect();
    const marks = [...Reveal.getCurrentSlide().querySelectorAll('.formula-check[data-strength]')];
    const numbers = [...Reveal.getCurrentSlide().querySelectorAll('.pk-claim-n')];
    return {card: [...document.querySelectorAll('.pk-panel .pk-claim__n')].map(n => n.textContent),
            slide: numbers.map((n, i) => {
                const b = n.getBoundingClientRect();
                range.selectNodeContents(marks[i].querySelector('.katex-html'));
                const ink = range.getBoundingClientRect();
                return {text: n.textContent, left_of_ink: b.right <= ink.left, beside: b.top < ink.bottom && b.bottom > ink.top,
                        under_card: b.left < card.right && b.right > card.left && b.top < card.bottom && b.bottom > card.top};
            })};
}"""


def test_shift_v_numbers_each_formula_on_the_slide_as_its_entry_in_the_card(tab, claims_server):
    page, watch = open_deck(tab, f"{claims_server}/claims/index.html", claims_server)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.keyboard.press("Shift+V")
    numbers = page.evaluate(_NUMBERS)
    assert numbers["card"] == ["1", "2"]
    assert [n["text"] for n in numbers["slide"]] == ["1", "2"]
    assert all(n["left_of_ink"] and n["beside"] and not n["under_card"] for n in numbers["slide"])
    page.screenshot(path=str(ARTIFACTS / "browser" / "panel-numbers.png"))
    assert watch.errors == []


def test_the_numbers_on_the_slide_go_when_the_card_closes(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html", claims_server)
    page.keyboard.press("Shift+V")
    page.keyboard.press("Escape")
    assert page.evaluate("document.querySelectorAll('.pk-claim-n').length") == 0


def test_a_numbered_formula_does_not_move_when_its_number_appears(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html", claims_server)
    where = "[...document.querySelectorAll('.formula-check .katex-html')].map(k => JSON.stringify(k.getBoundingClientRect()))"
    before = page.evaluate(where)
    page.keyboard.press("Shift+V")
    assert page.evaluate(where) == before


_FLAG_ABOVE = "document.querySelector('.present .formula-check[data-strength=\"failing\"]').classList.contains('pk-flag-above')"


def test_a_failing_displayed_formulas_flag_goes_beside_it_where_there_is_room(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html", claims_server)
    assert page.evaluate(_FLAG_ABOVE) is False


def test_a_failing_displayed_formulas_flag_goes_above_it_where_the_slide_ends_first(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html#/2", claims_server)
    assert page.evaluate(_FLAG_ABOVE) is True


_CARD = """() => { const p = document.querySelector('.pk-panel'), b = p.querySelector('.pk-panel__body');
    return {entries: p.querySelectorAll('.pk-claim').length, clipped: b.scrollHeight > b.clientHeight + 1,
            cue: p.classList.contains('pk-panel--more')}; }"""


def test_the_audience_card_is_as_tall_as_the_free_column_beside_the_maths(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html#/3", claims_server)
    page.set_viewport_size({"width": 1600, "height": 1000})  # a card of six entries is taller than 60% of it
    page.keyboard.press("Shift+V")
    assert page.evaluate(_CARD) == {"entries": 6, "clipped": False, "cue": False}


def test_an_audience_card_with_more_than_it_shows_fades_at_its_foot(tab, claims_server):
    page, _ = open_deck(tab, f"{claims_server}/claims/index.html#/3", claims_server)
    page.set_viewport_size({"width": 1280, "height": 420})
    page.keyboard.press("Shift+V")
    assert page.evaluate(_CARD) == {"entries": 6, "clipped": True, "cue": True}
    page.evaluate("(b => b.scrollTop = b.scrollHeight)(document.querySelector('.pk-panel__body'))")
    page.wait_for_timeout(100)
    assert page.evaluate(_CARD)["cue"] is False
