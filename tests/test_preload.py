"""The fonts a deck's first view shows are named in its <head>, so they load beside the CSS."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deckbuild import assets
from deckbuild.preload import FIRST_VIEW, first_view, preload_fonts

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def modules() -> Path:
    return assets.ensure_node_modules(ROOT, quiet=True)


def _covering(modules: Path, family: str, weight: str, char: str) -> set[str]:
    found = {path for fam, w, style, ranges, path in assets.font_faces(modules)
             if fam == family and w == weight and style == "normal"
             and (ranges is None or assets.covers(ranges, [ord(char)]))}
    assert found, f"no {family} {weight} face covers {char!r}: the test would compare against nothing"
    return found


def test_a_chinese_heading_preloads_the_bold_cjk_subset_of_its_characters(modules):
    fonts = preload_fonts("<h2>变分</h2>", modules)
    assert _covering(modules, "Noto Sans SC", "700", "变") <= set(fonts)


def test_a_chinese_heading_preloads_no_regular_cjk_subset(modules):
    fonts = preload_fonts("<h2>变</h2>", modules)
    assert not _covering(modules, "Noto Sans SC", "400", "变") & set(fonts)


def test_latin_body_text_preloads_inter_regular(modules):
    assert preload_fonts("<p>ab</p>", modules) == sorted(_covering(modules, "Inter", "400", "a"))


def test_a_formula_preloads_katex_main_and_math_italic(modules):
    html = ('<span class="katex"><span class="katex-html"><span class="mord mathnormal">x</span>'
            '<span class="mrel">=</span></span></span>')
    assert preload_fonts(html, modules) == ["katex/fonts/KaTeX_Main-Regular.woff2",
                                            "katex/fonts/KaTeX_Math-Italic.woff2"]


def test_the_mathml_twin_preloads_nothing(modules):
    html = '<span class="katex">{}<span class="katex-html"><span class="mord">1</span></span></span>'
    twin = '<span class="katex-mathml"><math><mi>变</mi></math></span>'
    assert preload_fonts(html.format(twin), modules) == preload_fonts(html.format(""), modules)


def test_the_first_view_is_the_slides_reveal_lays_out_at_load():
    bodies = [f"<p>{i}</p>" for i in range(FIRST_VIEW + 2)]
    assert first_view(bodies).count("<p>") == FIRST_VIEW


def _preloaded(page: Path) -> list[str]:
    script = re.search(r"<script data-font-preload>(.*?)</script>", page.read_text(encoding="utf-8"), re.S)
    return json.loads(re.search(r"(\[.*?\])\.forEach", script.group(1)).group(1)) if script else []


def test_every_preloaded_font_is_a_file_of_the_site(project_site):
    site, _ = project_site
    hrefs = {(page.parent / h).resolve() for page in sorted(site.glob("*/index.html")) for h in _preloaded(page)}
    assert hrefs and all(h.is_file() for h in hrefs)


def test_an_edit_of_the_themes_body_stack_changes_what_latin_text_preloads(modules, tmp_path, monkeypatch):
    import os

    from deckbuild import site

    theme = site.STATIC / "theme.css"
    monkeypatch.setattr(site, "STATIC", tmp_path)  # a copy of the theme this test may edit (as during `serve`)
    copy = tmp_path / "theme.css"
    copy.write_text(theme.read_text(encoding="utf-8"), encoding="utf-8")
    assert preload_fonts("<p>ab</p>", modules) == sorted(_covering(modules, "Inter", "400", "a"))
    css = copy.read_text(encoding="utf-8")
    copy.write_text(css.replace('--pk-font-body:    "Inter", ', "--pk-font-body:    "), encoding="utf-8")
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 1_000_000))  # a later save
    fonts = preload_fonts("<p>ab</p>", modules)
    assert fonts and set(fonts) <= _covering(modules, "Noto Sans SC", "400", "a")  # the stack's first family now
