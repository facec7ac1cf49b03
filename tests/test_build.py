"""Every deck builds; every slide and formula arrives in the page; the site is offline and deterministic."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT, build_into, need_shared, site_digest
from htmltext import read_page

_SLIDE_TAG = re.compile(r"<(slide-section|section)[\s>]", re.IGNORECASE)


def source_slide_count(path: Path) -> int:
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return len(_SLIDE_TAG.findall(text))


def deck_pages(site: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text(encoding="utf-8") for p in sorted(site.glob("*/index.html"))
            if p.parent.name != "assets"}


def test_project_has_the_dar_5_5_deck(project_site):
    site, result = project_site
    assert "dar-5-5" in deck_pages(site)
    dar = next(d for d in result.decks if d.slug == "dar-5-5")
    assert dar.slides >= 13 and dar.formulas >= 20


@pytest.mark.slow
@pytest.mark.parametrize("which", ["project", "corpus"])
def test_every_source_slide_becomes_a_section(which, project_site, corpus_site):
    site, result = project_site if which == "project" else corpus_site
    pages = deck_pages(site)
    for deck in result.decks:
        source = ROOT / deck.path if which == "project" else CORPUS / Path(deck.path).name
        html = pages[deck.slug]
        assert len(re.findall(r'<section id="slide-\d+"', html)) == source_slide_count(source), deck.path


@pytest.mark.slow
def test_corpus_has_all_hundred_lecturer_slides(corpus_site):
    need_shared(CORPUS)
    total = sum(len(re.findall(r"<slide-section[\s>]", re.sub(r"<!--.*?-->", "", p.read_text(), flags=re.DOTALL)))
                for p in CORPUS.glob("*.md"))
    assert total == 100
    site, result = corpus_site
    assert sum(d.slides for d in result.decks) >= total


@pytest.mark.parametrize("which", ["project", "corpus"])
def test_every_formula_is_typeset(which, project_site, corpus_site):
    site, result = project_site if which == "project" else corpus_site
    for slug, html in deck_pages(site).items():
        page = read_page(html)
        deck = next(d for d in result.decks if d.slug == slug)
        assert "katex-error" not in page.classes and "math-error" not in page.classes, slug
        assert page.classes.count("katex") >= deck.formulas, slug
        visible = "".join(page.text)
        assert "$$" not in visible, slug
        assert not re.search(r"\$[^$\s][^$]*\\[a-zA-Z]", visible), f"raw inline math left in {slug}"


@pytest.mark.parametrize("which", ["project", "corpus"])
def test_site_is_offline(which, project_site, corpus_site):
    site, _ = project_site if which == "project" else corpus_site
    for page_path in sorted(site.rglob("*.html")):
        page = read_page(page_path.read_text(encoding="utf-8"))
        for tag, attr, value in page.refs:
            remote = re.match(r"^(https?:)?//", value)
            if tag == "a" and remote:
                continue  # a link the audience may follow, not something the page loads
            assert not remote, f"{page_path.relative_to(site)}: <{tag} {attr}={value}>"
            if value.startswith(("#", "mailto:", "data:")):
                continue
            target = (page_path.parent / value.split("#")[0]).resolve()
            assert target.exists(), f"{page_path.relative_to(site)}: {value} does not exist"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"url\((['\"]?)(https?:)?//", text), css
        for ref in re.findall(r"url\(['\"]?([^)'\"]+)", text):
            if not ref.startswith("data:"):
                assert (css.parent / ref).exists(), f"{css.relative_to(site)}: {ref}"


def test_katex_ships_woff2_fonts_only(project_site):
    site, _ = project_site
    fonts = [p.suffix for p in (site / "assets").rglob("*") if p.suffix in (".woff", ".woff2", ".ttf", ".otf")]
    assert fonts and set(fonts) == {".woff2"}


def test_only_font_subsets_that_cover_the_text_are_shipped(project_site):
    site, _ = project_site
    cjk = list((site / "assets" / "fonts").glob("noto-sans-sc-*.woff2"))
    assert cjk, "the deck shows Chinese text, so some Noto Sans SC subsets must ship"
    assert len(cjk) < 100, "shipping every CJK subset means the unicode-range filter is not working"


def test_two_builds_are_byte_identical(tmp_path, project_site, cache_dir):
    """Two builds of the project from the same warm cache (without printed PDFs, which are an input of their
    own); a cold build against a warm one is compared in test_incremental."""
    first_site, first = project_site
    second = build_into(tmp_path / "b", ROOT / "slides", cache_dir=cache_dir)
    assert first.written and second.written
    assert site_digest(first_site) == site_digest(tmp_path / "b" / "_site")


@pytest.mark.slow
def test_course_index_lists_decks_and_hides_drafts(tmp_path):
    corpus = need_shared(CORPUS)
    build_into(tmp_path, corpus)
    index = (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert "Connection Bottleneck in Attention" in index and "2025-05-18" in index
    assert "Template" not in index and not (tmp_path / "_site" / "template").exists()
    build_into(tmp_path, corpus, drafts=True)
    assert "Template" in (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")


def _index_entry(site: Path, slug: str) -> str:
    index = (site / "index.html").read_text(encoding="utf-8")
    return re.search(rf'<li class="deck" data-deck="{slug}".*?</li>', index, re.DOTALL).group(0)


def test_index_shows_derivation_step_counts(project_site):
    site, result = project_site
    dar = next(d for d in result.decks if d.slug == "dar-5-5")
    entry = _index_entry(site, "dar-5-5")
    assert f'<span class="linked">{dar.steps["linked"]} 推导步骤</span>' in entry
    assert f'<span class="verified proved">{dar.steps["proved"]} 已证明</span>' in entry
    assert f'<span class="verified evaluated">{dar.steps["evaluated"]} 数值验证</span>' in entry


def test_index_splits_verified_steps_into_proved_and_evaluated(project_site):
    _, result = project_site
    dar = next(d for d in result.decks if d.slug == "dar-5-5")
    assert dar.steps["proved"] > 0 and dar.steps["proved"] + dar.steps["evaluated"] == dar.steps["verified"]


def test_index_names_the_topic_from_the_title_slide(project_site):
    site, _ = project_site
    assert '<p class="deck__subtitle">无监督学习: 变分自编码</p>' in _index_entry(site, "dar-5-5")


def test_index_shows_author_tags_date_and_the_lecture_and_appendix_slide_counts(project_site):
    entry = _index_entry(project_site[0], "dar-5-5")
    assert '<span class="author">MTandHJ</span>' in entry and '<time datetime="2025-12-11">' in entry
    assert '<span class="tag">Slide</span><span class="tag">DAR</span>' in entry
    assert '<span class="count">14 页 + 16 附录</span>' in entry


def test_index_links_the_single_file_when_it_was_built(tmp_path, cache_dir):
    build_into(tmp_path, ROOT / "slides", cache_dir=cache_dir, single_file=True)
    entry = _index_entry(tmp_path / "_site", "dar-5-5")
    assert '<a class="single" href="dar-5-5/dar-5-5.html">' in entry and (tmp_path / "_site" / "dar-5-5" / "dar-5-5.html").is_file()


def test_index_lists_the_newest_deck_first(corpus_site):
    index = (corpus_site[0] / "index.html").read_text(encoding="utf-8")
    dates = re.findall(r'<time datetime="([\d-]+)">', index)
    assert len(dates) >= 5 and dates == sorted(dates, reverse=True)


def test_index_titles_do_not_break_at_hyphens(project_site):
    assert '<h2 class="deck__title deck__title--word"><a href="dar-5-5/index.html">DAR-5-5</a>' in _index_entry(project_site[0], "dar-5-5")


def test_text_fonts_wait_rather_than_swap(project_site):
    """A fallback font swapped for the real one moves every line of a slide once it arrives."""
    site, _ = project_site
    css = (site / "assets" / "fonts" / "fonts.css").read_text(encoding="utf-8")
    assert "font-display: block" in css and "swap" not in css
