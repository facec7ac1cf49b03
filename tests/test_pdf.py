"""PDF handouts printed by headless Chromium: pages, fragment steps, notes, vector math, fonts, the cache.

The PDFs are read without a PDF library: Chromium (Skia) writes plain objects
with Type0 fonts whose ToUnicode maps give the text back, which is all these
tests need (see `pages_text`).
"""
from __future__ import annotations

import os
import re
import time
import zlib

import pytest

from conftest import ROOT, build_into, in_thread, write_deck
from deckbuild import handouts, pdf
from deckbuild.cache import SUPERSEDED_GRACE_S, Cache
from deckbuild.browser import find_chromium
from deckbuild.diagnostics import BuildError

# Three slides; fragment steps: 2 on the first, 2 on the second (two blocks share index 1).
DECK = r"""<slide-section>
## Bound

- always shown
- first step {+}
- second step {+}

$$
\sum_{i=1}^{N} \log p(x_i; \theta) \ge \int q(z) \log \frac{p(x, z)}{q(z)} \, dz
$$

Note:
Say why the bound holds.
</slide-section>

<slide-section>
## Together

<slide-highlight fragment="1">shown with the next</slide-highlight>

<slide-fragment index="1">

$$\alpha + \beta = \gamma$$

</slide-fragment>

Last line appears alone {+2}
</slide-section>

<slide-section>
## Plain

No fragments here.

Note:
Closing notes.
</slide-section>
"""
SLIDES, STEPS, NOTES = 3, 3 + 2 + 2, 2


@pytest.fixture(scope="module")
def chromium():
    try:
        return find_chromium()
    except BuildError as exc:
        if os.environ.get("CI"):
            pytest.fail(exc.message)
        pytest.skip(exc.message)


@pytest.fixture(scope="module")
def deck_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf-deck") / "slides"
    write_deck(folder, "frag.md", DECK)
    return folder


@pytest.fixture(scope="module")
def site(deck_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf-site")
    result = build_into(tmp, deck_dir)
    assert not result.report.errors
    return tmp / "_site"


# ---------------------------------------------------------------- reading PDFs


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}


def _stream(obj: bytes) -> bytes:
    start = obj.index(b"stream") + len(b"stream")
    start += 2 if obj[start:start + 2] == b"\r\n" else 1
    raw = obj[start:obj.rindex(b"endstream")]
    return zlib.decompress(raw) if b"/FlateDecode" in obj[:start] else raw


def _ref(obj: bytes, key: bytes) -> int:
    return int(re.search(rb"/" + key + rb"\s+(\d+) 0 R", obj).group(1))


def _to_unicode(cmap: bytes) -> dict[int, str]:
    table = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(uni, 16)
            for code in range(int(lo, 16), int(hi, 16) + 1):
                table[code] = chr(first + code - int(lo, 16))
    return table


def _page_ids(objs: dict[int, bytes], node: int) -> list[int]:
    obj = objs[node]
    if re.search(rb"/Type\s*/Pages\b", obj):
        kids = re.search(rb"/Kids\s*\[([^\]]*)\]", obj).group(1)
        return [p for kid in re.findall(rb"(\d+) 0 R", kids) for p in _page_ids(objs, int(kid))]
    return [node]


def pages_text(data: bytes) -> list[str]:
    """The text of each page, in page order, decoded through the fonts' ToUnicode maps."""
    objs = _objects(data)
    catalog = next(o for o in objs.values() if re.search(rb"/Type\s*/Catalog", o))
    texts = []
    for page_id in _page_ids(objs, _ref(catalog, b"Pages")):
        page = objs[page_id]
        fonts = {name: _to_unicode(_stream(objs[_ref(objs[int(ref)], b"ToUnicode")]))
                 for name, ref in re.findall(rb"/(F\d+)\s+(\d+) 0 R", page)}
        content, font, out = _stream(objs[_ref(page, b"Contents")]), {}, []
        for name, hexes in re.findall(rb"/(F\d+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]+)>", content):
            if name:
                font = fonts[name]
            else:
                out += [font.get(int(hexes[i:i + 4], 16), "\ufffd") for i in range(0, len(hexes), 4)]
        texts.append("".join(out))
    return texts


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)]


def embedded_fonts(data: bytes) -> set[str]:
    """Base names of the fonts whose program is inside the PDF (FontFile2), subset tag removed."""
    objs = _objects(data)
    return {re.search(rb"/FontName\s*/(?:[A-Z]{6}\+)?([\w-]+)", o).group(1).decode()
            for o in objs.values() if b"/FontDescriptor" in o and b"/FontFile" in o}


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- tests


@pytest.mark.slow
def test_handout_has_one_page_per_slide_at_slide_size_with_math_as_text(chromium, deck_dir, tmp_path):
    out, cache = tmp_path / "_site", tmp_path / "cache"  # the command, with the Chromium it starts itself
    assert in_thread(pdf.main, ["--slides", str(deck_dir), "--out", str(out), "--cache", str(cache), "--quiet"]) == 0
    data = (out / "frag" / "frag.pdf").read_bytes()
    assert pdf.page_count(data) == SLIDES
    # Chromium sizes pages in 1/300 in: 1100 × 700 px (825 × 525 pt) comes out as 824.88 × 525.12 pt.
    assert all(abs(w - 825) < 0.2 and abs(h - 525) < 0.2 for w, h in page_sizes(data)), page_sizes(data)
    pages = pages_text(data)
    first = _squeeze(pages[0])
    for symbol in ("∑", "θ", "≥", "∫", "log", "N", "i=1"):
        assert symbol in first, f"{symbol!r} is not text on page 1: {pages[0]!r}"
    assert "second step" in pages[0], "fragments must be shown in their final state"
    assert {"α", "β", "γ"} <= set(pages[1])
    fonts = embedded_fonts(data)
    for family in ("KaTeX_Main-Regular", "KaTeX_Math-Italic", "Inter-Regular"):
        assert family in fonts, fonts


@pytest.mark.slow
def test_second_run_takes_the_pdf_from_the_cache_without_a_browser(chromium, deck_dir, tmp_path, monkeypatch, capsys):
    out, cache = tmp_path / "_site", tmp_path / "cache"
    args = ["--slides", str(deck_dir), "--out", str(out), "--cache", str(cache)]
    assert in_thread(pdf.main, args) == 0
    [cached] = (cache / "pdf").glob("frag-slides-*.pdf")
    stamp = cached.stat().st_mtime_ns
    capsys.readouterr()
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))  # printing again would fail
    assert pdf.main(args) == 0
    assert "from the cache" in capsys.readouterr().out
    assert cached.stat().st_mtime_ns == stamp
    assert (out / "frag" / "frag.pdf").read_bytes() == cached.read_bytes()


@pytest.mark.slow
def test_steps_give_one_page_per_fragment_step(browser, site, tmp_path):
    [handout] = pdf.export(site, ["frag"], tmp_path, "steps", browser=browser)
    assert handout.printed and handout.pages == STEPS
    pages = pages_text(handout.path.read_bytes())
    assert len(pages) == STEPS
    assert "always shown" in pages[0] and "first step" not in pages[0]
    assert "first step" in pages[1] and "second step" not in pages[1]
    assert "second step" in pages[2]
    assert "shown with the next" not in pages[3] and "α" not in pages[3]
    assert "shown with the next" in pages[4] and "α" in pages[4] and "Last line" not in pages[4]
    assert "Last line" in pages[5]
    assert "No fragments here" in pages[6]


@pytest.mark.slow
def test_notes_pages_follow_the_last_step_of_their_slide(browser, site, tmp_path):
    [handout] = pdf.export(site, ["frag"], tmp_path, "steps-notes", browser=browser)
    pages = pages_text(handout.path.read_bytes())
    assert len(pages) == handout.pages == STEPS + NOTES
    assert "second step" in pages[2] and "Say why the bound holds" in pages[3]
    assert "No fragments here" in pages[7] and "Closing notes" in pages[8]
    [plain] = pdf.export(site, ["frag"], tmp_path, "notes", browser=browser)
    assert plain.pages == SLIDES + NOTES


def test_unknown_deck_is_an_error(deck_dir, tmp_path, capsys):
    code = pdf.main(["nope", "--slides", str(deck_dir), "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c")])
    assert code == 1 and "no built deck named nope" in capsys.readouterr().err


@pytest.mark.slow
def test_the_lecture_deck_prints_one_page_per_slide(browser, project_site, tmp_path):
    site, result = project_site
    [deck] = [d for d in result.decks if d.slug == "dar-5-5"]
    [handout] = pdf.export(site, ["dar-5-5"], tmp_path, browser=browser)
    assert handout.pages == deck.slides
    assert "变分自编码" in _squeeze(pages_text(handout.path.read_bytes())[0])


# ---------------------------------------------------------------- cache key (no browser)


def test_key_covers_page_assets_and_mode(site, tmp_path):
    files = pdf.site_files(site)
    page = files["frag/index.html"].read_bytes()
    digest = pdf.assets_digest(files, "frag")
    key = pdf.pdf_key(page, digest, "slides")
    assert key != pdf.pdf_key(page + b" ", digest, "slides")
    assert key != pdf.pdf_key(page, digest + "0", "slides")
    assert len({pdf.pdf_key(page, digest, m) for m in pdf.MODES}) == len(pdf.MODES)
    with pytest.raises(ValueError):
        pdf.pdf_key(page, digest, "bogus")
    cache = Cache(tmp_path)
    assert handouts.cached_pdf(cache, "frag", page, digest, "slides") is None
    stored = handouts.store(cache, "frag", key, b"%PDF-1.4 stand-in")
    assert handouts.cached_pdf(cache, "frag", page, digest, "slides") == stored
    assert stored.read_bytes() == b"%PDF-1.4 stand-in"


def test_a_tampered_handout_is_not_served(site, tmp_path):
    files = pdf.site_files(site)
    page = files["frag/index.html"].read_bytes()
    digest = pdf.assets_digest(files, "frag")
    cache = Cache(tmp_path)
    stored = handouts.store(cache, "frag", pdf.pdf_key(page, digest, "slides"), b"%PDF-1.4 printed")
    cache.save()
    stored.write_bytes(b"%PDF-1.4 swapped")
    assert handouts.cached_pdf(Cache(tmp_path), "frag", page, digest, "slides") is None


def test_assets_digest_follows_the_page_through_css_to_fonts(site):
    files = dict(pdf.site_files(site))
    digest = pdf.assets_digest(files, "frag")
    font = next(rel for rel in files if rel.startswith("assets/katex/fonts/KaTeX_Main-Regular"))
    assert pdf.assets_digest({**files, font: b"other font"}, "frag") != digest
    assert pdf.assets_digest({**files, "index.html": b"another course index"}, "frag") == digest
    assert pdf.assets_digest({**files, "frag/frag.pdf": b"the handout itself"}, "frag") == digest


def test_store_keeps_one_pdf_per_deck_and_mode(tmp_path):
    cache = Cache(tmp_path)
    old = handouts.store(cache, "a", "slides-" + "0" * 16, b"old")
    steps = handouts.store(cache, "a", "steps-" + "0" * 16, b"steps")
    other = handouts.store(cache, "a-slides", "slides-" + "0" * 16, b"other deck")
    new = handouts.store(cache, "a", "slides-" + "1" * 16, b"new")
    assert cache.blob("pdf", "a-slides-" + "0" * 16) is None and new.read_bytes() == b"new"
    long_ago = time.time() - SUPERSEDED_GRACE_S - 1  # the superseded file waits out builds still copying it
    os.utime(old, (long_ago, long_ago))
    cache.save()
    assert not old.exists() and steps.exists() and other.exists() and new.exists()


def test_missing_chromium_is_a_clear_build_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(BuildError, match="CHROMIUM="):
        find_chromium()
    monkeypatch.delenv("CHROMIUM")
    monkeypatch.setattr("deckbuild.browser.CANDIDATES", ("no-such-chromium-binary",))
    with pytest.raises(BuildError, match="apt-get install chromium"):
        find_chromium()


def test_modes_and_names():
    args = pdf._parser().parse_args([])
    assert args.slides == ROOT / "slides" and args.out == ROOT / "_site" and args.cache == ROOT / ".cache"
    modes = [pdf.mode_name(s, n) for s in (False, True) for n in (False, True)]
    assert modes == ["slides", "notes", "steps", "steps-notes"]
    assert pdf.site_pdf_name("x") == "x.pdf" and pdf.site_pdf_name("x", "steps") == "x-steps.pdf"
