"""Every CJK character is painted by the shipped Noto Sans SC: slides, math, speaker view, PDFs.

Chromium is asked which font actually painted each text node (DevTools
protocol `CSS.getPlatformFontsForNode`), not which font the CSS names: on a
machine without system CJK fonts a missing fallback paints empty boxes, and on
one with them a system font would hide the mistake. Either way the answer must
be the web font the site ships.
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import threading

import pytest

from conftest import ARTIFACTS, build_into, write_deck
from pngread import colourful
from deckbuild import pdf

CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
SHIPPED_CJK = "Noto Sans SC"

DECK = r"""<slide-section>
## 从 EM 算法到 VAE

- 观测数据 $\bm{x}$，**隐变量** $\bm{z}$

$$
\underbrace{p(\bm{x})}_{\text{观测数据}} = \int p(\bm{x}, \bm{z}) \, d\bm{z}, \quad \textbf{隐变量}\ \bm{z}
$$

<slide-highlight>最大化 $Q$ 即最大化 $\text{下界}$</slide-highlight>

Note:
这里强调：$\log p(\bm{x}) \ge \text{ELBO}$，其中 $\text{隐变量}$ 是 $\bm{z}$。

$$
\text{证据} = \mathbb{E}_{q}\left[\log \frac{p(\bm{x}, \bm{z})}{q(\bm{z})}\right]
$$
</slide-section>

<slide-section>
## 表格与引用

| 方法 | 结果 |
| --- | --- |
| 期望最大化 | 收敛 ✅ |
| 梯度下降 | 发散 ❎ 🤔 😞 |

- 第二步 {+}

<slide-ref>
  [1] 李航. 统计学习方法.
</slide-ref>

Note:
第二页的备注，带公式 $\theta^\ast = \arg\max_\theta \text{似然}$。
</slide-section>
"""

_PROBE = """(chars) => {
    // Each run of CJK characters in a laid-out text node gets its own span, so the fonts
    // Chromium reports for the span are the fonts of those characters alone. Not painted, so not
    // probed: the MathML twin, and Reveal's live region for screen readers (clipped to nothing, in a
    // local font: theme.css).
    const run = new RegExp(chars + '+', 'gu');
    const nodes = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        const el = t.parentElement;
        run.lastIndex = 0;
        if (!el || !run.test(t.data) || el.closest('.katex-mathml, .aria-status, script, style, title, [data-cjk-probe], [data-cjk-probed]')) continue;
        if (el.getClientRects().length) nodes.push(t);
    }
    for (const t of nodes) {
        const parts = t.data.split(new RegExp('(' + chars + '+)', 'u'));
        const frag = document.createDocumentFragment();
        parts.forEach((part, i) => {
            if (i % 2) {  // in a figure's SVG text an SVG <tspan>, which is painted where an HTML <span> is not
                const s = t.parentElement instanceof SVGElement
                    ? document.createElementNS('http://www.w3.org/2000/svg', 'tspan') : document.createElement('span');
                s.setAttribute('data-cjk-probe', ''); s.textContent = part; frag.append(s);
            }
            else if (part) frag.append(part);
        });
        t.replaceWith(frag);
    }
    return document.querySelectorAll('[data-cjk-probe]').length;
}"""
EMOJI = r"[\u2705\u274e\u{1F300}-\u{1FAFF}]"  # JavaScript regex syntax, as CJK


def painted_fonts(page, chars: str = CJK) -> dict[str, list[dict]]:
    """For each laid-out run of `chars` (a regex class): its text and the platform fonts Chromium used for it."""
    if not page.evaluate(_PROBE, chars):
        return {}
    client = page.context.new_cdp_session(page)
    try:
        client.send("DOM.enable")
        client.send("CSS.enable")
        root = client.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found, nodes = {}, {}
        for node in client.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-cjk-probe]"})["nodeIds"]:
            text = client.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
            nodes[re.sub(r"<[^>]+>", "", text)[:60]] = node
        for _ in range(5):  # a run the probe's own spans re-laid out may not be painted yet: ask again after a frame
            for text, node in nodes.items():
                if not found.get(text):
                    found[text] = client.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            if all(found.values()):
                break
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
                          ".then(() => document.fonts.ready)")
        return found
    finally:
        client.detach()
        page.evaluate("document.querySelectorAll('[data-cjk-probe]').forEach(s => "
                      "{ s.removeAttribute('data-cjk-probe'); s.setAttribute('data-cjk-probed', ''); })")


def not_shipped(fonts: dict[str, list[dict]]) -> dict[str, list[str]]:
    """CJK runs painted (also) by something other than the shipped Noto Sans SC web font."""
    bad = {}
    for text, used in fonts.items():
        if not used or any(not (f["isCustomFont"] and f["familyName"].startswith(SHIPPED_CJK)) for f in used):
            bad[text] = sorted(f"{f['familyName']}{'' if f['isCustomFont'] else ' (system)'}" for f in used)
    return bad


@pytest.fixture(scope="module")
def cjk_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cjk")
    write_deck(tmp / "slides", "cjk.md", DECK)
    result = build_into(tmp, tmp / "slides")
    assert not result.report.errors, "\n".join(d.format() for d in result.report.errors)
    return tmp / "_site"


@pytest.fixture(scope="module")
def origin(cjk_site):
    handler = functools.partial(_Quiet, directory=str(cjk_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_deck(tab, url: str):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(url)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")
    page.evaluate("Reveal.configure({transition: 'none'}); document.fonts.ready")
    return page


def slide_fonts(page) -> dict[str, list[dict]]:
    """Painted fonts of every slide, each shown with all its fragments."""
    found = {}
    for index in range(page.evaluate("Reveal.getTotalSlides()")):
        page.evaluate(f"Reveal.slide({index}); document.querySelectorAll('.present .fragment')"
                      ".forEach(f => f.classList.add('visible'))")
        page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
                      ".then(() => document.fonts.ready)")
        for text, used in painted_fonts(page).items():  # every run of the same words counts, not only the last
            found.setdefault(text, []).extend(used or [NOT_PAINTED])
    return found


NOT_PAINTED = {"familyName": "(no font: not painted)", "isCustomFont": False}


def test_cjk_text_and_math_on_slides_are_painted_by_the_shipped_font(tab, origin):
    page = open_deck(tab, f"{origin}/cjk/index.html")
    fonts = slide_fonts(page)
    assert {"方法", "期望最大化", "第二步"} <= set(fonts), sorted(fonts)
    assert not_shipped(fonts) == {}


def test_cjk_in_katex_text_is_painted_by_the_shipped_font(tab, origin):
    page = open_deck(tab, f"{origin}/cjk/index.html")
    fonts = {t: f for t, f in slide_fonts(page).items() if t in ("观测数据", "隐变量", "下界")}
    assert set(fonts) == {"观测数据", "隐变量", "下界"}
    assert not_shipped(fonts) == {}, fonts


def test_emoji_are_painted_in_colour_by_the_shipped_font(tab, origin):
    page = open_deck(tab, f"{origin}/cjk/index.html")
    page.evaluate("Reveal.slide(1)")
    page.evaluate("document.fonts.ready")
    fonts = painted_fonts(page, EMOJI)
    assert set("".join(fonts)) == set("✅❎🤔😞"), sorted(fonts)
    assert all({(f["familyName"], f["isCustomFont"]) for f in used} == {("Noto Color Emoji", True)}
               for used in fonts.values()), fonts
    # Painted is not enough: an OpenType-SVG emoji font is "used" by Chromium yet draws nothing.
    shown = page.locator(".reveal .slides [data-cjk-probed]").all()
    assert len(shown) == 4
    for probe in shown:
        assert colourful(probe.screenshot()) > 20, f"{probe.text_content()} is not drawn in colour"


@pytest.mark.slow
def test_the_lecturers_deck_paints_every_cjk_character_with_the_shipped_font(tab, project_site):
    site, _ = project_site
    page = open_deck(tab, (site / "dar-5-5" / "index.html").as_uri())
    fonts = slide_fonts(page)
    assert len(fonts) > 50
    assert not_shipped(fonts) == {}
    out = ARTIFACTS / "cjk"
    out.mkdir(parents=True, exist_ok=True)
    for words in ("观测数据", "✅"):
        page.evaluate(f"Reveal.slide(Reveal.getSlides().findIndex(s => s.textContent.includes('{words}')))")
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / f"dar-5-5-{'math' if words != '✅' else 'emoji'}.png"))


def test_speaker_view_paints_notes_with_the_deck_fonts_and_typesets_their_math(tab, origin):
    page = open_deck(tab, f"{origin}/cjk/index.html")
    with page.expect_popup() as popup:
        page.keyboard.press("s")
    speaker = popup.value
    for index, words in ((0, "这里强调"), (1, "第二页的备注")):
        page.evaluate(f"Reveal.slide({index})")
        speaker.wait_for_function(f"document.querySelector('.speaker-controls-notes .value')?.textContent.includes('{words}')",
                                  timeout=10000)
        speaker.wait_for_function("document.fonts.ready.then(() => document.fonts.status === 'loaded')")
        notes = speaker.locator(".speaker-controls-notes .value")
        assert notes.locator(".katex-html").count() >= 1, "formulas in notes are KaTeX's HTML, as on the slides"
        fonts = painted_fonts(speaker)
        assert any(words in text for text in fonts) and not_shipped(fonts) == {}
    out = ARTIFACTS / "cjk"
    out.mkdir(parents=True, exist_ok=True)
    speaker.screenshot(path=str(out / "speaker-view.png"))
    speaker.close()


def _pdffonts(data: bytes, tmp_path) -> list[tuple[str, bool]]:
    path = tmp_path / "deck.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        cols = line.split()
        name = re.sub(r"^[A-Z]{6}\+", "", cols[0])
        if name == "[none]" and cols[1:3] == ["Type", "3"]:
            name = "Type3-colour-glyphs"  # Skia draws colour (COLR) emoji as an unnamed Type 3 font
        rows.append((name, cols[-5] == "yes"))  # name, emb
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["slides", "steps", "notes"])
def test_pdfs_embed_the_shipped_fonts_and_no_other(browser, origin, mode, tmp_path):
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (poppler-utils) is not installed")
    data = pdf.print_deck(browser, f"{origin}/cjk/index.html", mode)
    fonts = _pdffonts(data, tmp_path)
    names = {name for name, _ in fonts}
    assert all(embedded for _, embedded in fonts), fonts
    assert any(name.startswith("NotoSansSC") for name in names), names
    shipped = ("NotoSansSC", "KaTeX_", "Inter", "SourceSans3", "NotoColorEmoji", "NotoSansSymbols2", "Type3-colour-glyphs")
    assert [n for n in names if not n.startswith(shipped)] == []
    cjk_text = re.findall(CJK + "+", "".join(_pdf_text(data)))
    assert cjk_text, "the CJK text is in the PDF as text"
    if mode == "notes":
        assert "这里强调" in "".join(_pdf_text(data))


def _pdf_text(data: bytes) -> list[str]:
    from test_pdf import pages_text

    return pages_text(data)
