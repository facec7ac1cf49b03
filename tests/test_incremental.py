"""Rebuilds render only what changed, and give exactly the site a full build gives."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, build_into, site_digest, write_deck

from deckbuild import incremental, pipeline

WARNED = "<slide-section>\n\n$x_{观测}$\n\n</slide-section>\n"  # KaTeX strict mode warns: text in math
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>{}</text></svg>'


def _small_decks(slides: Path) -> None:
    write_deck(slides, "alpha.md", "<slide-section>\n\n## Alpha $a^2$\n\n</slide-section>\n")
    write_deck(slides, "beta.md", '<slide-section>\n\n## Beta $b_1$\n\n<slide-img src="pic.svg"></slide-img>\n\n'
                                  "</slide-section>\n")
    (slides / "pic.svg").write_text(SVG.format("one"), encoding="utf-8")


@pytest.fixture
def rendered(monkeypatch):
    """The slugs of the decks each build had to render."""
    calls: list[list[str]] = []
    original = pipeline.render_decks

    def recording(sources, *args, **kw):
        calls.append(sorted(s.slug for s in sources))
        return original(sources, *args, **kw)

    monkeypatch.setattr(pipeline, "render_decks", recording)
    return calls


def test_an_incremental_build_equals_a_full_build(tmp_path, cache_dir):
    slides = tmp_path / "slides"
    shutil.copytree(ROOT / "slides", slides)
    _small_decks(slides)
    full_cache = tmp_path / "full-cache"
    shutil.copytree(cache_dir, full_cache)
    build_into(tmp_path / "inc", slides, cache_dir=cache_dir)
    (slides / "alpha.md").write_text((slides / "alpha.md").read_text().replace("Alpha", "Alpha, edited $c$"))
    (slides / "pic.svg").write_text(SVG.format("two"), encoding="utf-8")
    incremental_build = build_into(tmp_path / "inc", slides, cache_dir=cache_dir)
    full_build = build_into(tmp_path / "full", slides, cache_dir=full_cache)
    assert incremental_build.written and full_build.written
    assert site_digest(tmp_path / "inc" / "_site") == site_digest(tmp_path / "full" / "_site")


def test_an_edited_deck_alone_is_rendered_again(tmp_path, rendered):
    slides = tmp_path / "slides"
    _small_decks(slides)
    build_into(tmp_path, slides)
    (slides / "alpha.md").write_text((slides / "alpha.md").read_text().replace("Alpha", "Alpha two"))
    build_into(tmp_path, slides)
    assert rendered == [["alpha", "beta"], ["alpha"]]
    assert "Alpha two" in (tmp_path / "_site" / "alpha" / "index.html").read_text(encoding="utf-8")


def test_a_changed_image_renders_its_deck_again(tmp_path, rendered):
    slides = tmp_path / "slides"
    _small_decks(slides)
    build_into(tmp_path, slides)
    (slides / "pic.svg").write_text(SVG.format("two"), encoding="utf-8")
    build_into(tmp_path, slides)
    assert rendered[-1] == ["beta"]
    assert "<text>two</text>" in (tmp_path / "_site" / "beta" / "index.html").read_text(encoding="utf-8")


def test_a_missing_image_that_appears_renders_its_deck_again(tmp_path):
    slides = tmp_path / "slides"
    _small_decks(slides)
    (slides / "pic.svg").unlink()
    assert any("image not found" in d.message for d in build_into(tmp_path, slides).report.errors)
    (slides / "pic.svg").write_text(SVG.format("late"), encoding="utf-8")
    assert not build_into(tmp_path, slides).report.errors


def test_nothing_changed_renders_and_writes_nothing(tmp_path, rendered):
    slides = tmp_path / "slides"
    _small_decks(slides)
    first = build_into(tmp_path, slides)
    page = tmp_path / "_site" / "alpha" / "index.html"
    before = page.stat()
    second = build_into(tmp_path, slides)
    assert rendered == [["alpha", "beta"]]
    assert second.written and page.stat().st_ino == before.st_ino and page.stat().st_mtime_ns == before.st_mtime_ns
    assert [d.format() for d in second.report.sorted()] == [d.format() for d in first.report.sorted()]
    assert [d.slug for d in second.decks] == [d.slug for d in first.decks]


def test_a_hand_edited_site_is_written_again(tmp_path):
    slides = tmp_path / "slides"
    _small_decks(slides)
    build_into(tmp_path, slides)
    page = tmp_path / "_site" / "alpha" / "index.html"
    good = page.read_bytes()
    page.write_bytes(b"edited by hand")
    build_into(tmp_path, slides)
    assert page.read_bytes() == good


def test_warnings_are_reported_again_by_a_build_that_renders_nothing(tmp_path, rendered):
    slides = tmp_path / "slides"
    write_deck(slides, "w.md", WARNED)
    build_into(tmp_path, slides)
    again = build_into(tmp_path, slides)
    assert len(rendered) == 1 and any("strict mode" in d.message for d in again.report.warnings)


def test_the_code_digest_follows_templates_and_code(tmp_path):
    for folder in incremental.CODE_FOLDERS:
        (tmp_path / folder).mkdir()
    (tmp_path / "templates" / "deck.html.j2").write_text("one")
    before = incremental.code_digest(tmp_path)
    (tmp_path / "templates" / "deck.html.j2").write_text("two")
    after_template = incremental.code_digest(tmp_path)
    (tmp_path / "deckbuild" / "render.py").write_text("# new")
    after_code = incremental.code_digest(tmp_path)
    assert len({before, after_template, after_code}) == 3


def test_strict_is_part_of_a_decks_key(tmp_path):
    slides = tmp_path / "slides"
    write_deck(slides, "w.md", WARNED)
    assert not build_into(tmp_path, slides).report.errors
    assert build_into(tmp_path, slides, strict=True).report.errors


def test_decks_rendered_in_worker_processes_give_the_same_site(tmp_path):
    slides = tmp_path / "slides"
    for i in range(8):
        write_deck(slides, f"d{i}.md", f"<slide-section>\n\n## Deck {i} $x_{i}^2$\n\n</slide-section>\n")
    one = build_into(tmp_path / "one", slides, workers=1)
    two = build_into(tmp_path / "two", slides, workers=2)
    assert one.written and two.written
    assert site_digest(tmp_path / "one" / "_site") == site_digest(tmp_path / "two" / "_site")
    again = build_into(tmp_path / "two", slides, workers=2)  # what the workers typeset was kept
    assert again.katex_started == 0


def test_a_build_from_a_warm_cache_gives_the_cold_builds_site(project_site, warm_cache):
    """What lets every test read a site built from the session's cache as if it were built cold."""
    assert site_digest(project_site[0]) == site_digest(warm_cache.parent / "_site")


def test_a_deck_with_a_printed_handout_is_not_rendered_again(tmp_path, rendered):
    """Listing a handout on the index must not alter the deck's kept result (else it never matches again)."""
    from deckbuild import handouts, pdf
    from deckbuild.cache import Cache

    slides = tmp_path / "slides"
    _small_decks(slides)
    build_into(tmp_path, slides)
    files = pdf.site_files(tmp_path / "_site")
    page = files["alpha/index.html"].read_bytes()
    cache = Cache(tmp_path / "cache")
    handouts.store(cache, "alpha", pdf.pdf_key(page, pdf.assets_digest(files, "alpha"), "slides"), b"%PDF-1.4 printed")
    cache.save()
    build_into(tmp_path, slides)
    assert (tmp_path / "_site" / "alpha" / "alpha.pdf").read_bytes() == b"%PDF-1.4 printed"
    (slides / "beta.md").write_text((slides / "beta.md").read_text().replace("Beta", "Beta two"))
    build_into(tmp_path, slides)  # rendering beta again writes the decks' table, alpha's entry with it
    build_into(tmp_path, slides)
    assert rendered == [["alpha", "beta"], ["beta"]]


def _live(slides: Path, tmp_path: Path):
    """serve's builder, as a live preview keeps it: one cache, one spare site."""
    from deckbuild.options import Options
    from deckbuild.serve import Rebuilder

    return Rebuilder(Options(slides_dir=slides, out_dir=tmp_path / "_site", cache_dir=tmp_path / "cache",
                             quiet=True, offline=True))


@pytest.fixture
def rebuilder(tmp_path):
    _small_decks(tmp_path / "slides")
    live = _live(tmp_path / "slides", tmp_path)
    yield live
    live.close()


def _rebuilt(live) -> None:
    state = live.build([live.opts.slides_dir / "alpha.md"])
    assert state["ok"] and state["build"], state
    live.keep_cache()


def _edit(deck: Path, old: str, new: str) -> None:
    deck.write_text(deck.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _spare_of_a_first_site(live) -> Path:
    """Two builds with an edit between: the spare then holds the first site."""
    _rebuilt(live)
    _edit(live.opts.slides_dir / "alpha.md", "Alpha", "Alpha one")
    _rebuilt(live)
    return live.spare.path


def _is_the_full_builds_site(tmp_path: Path) -> bool:
    full = build_into(tmp_path / "full", tmp_path / "slides")
    return full.written and site_digest(tmp_path / "_site") == site_digest(tmp_path / "full" / "_site")


def test_serves_rebuilds_from_its_spare_site_give_the_full_builds_site(tmp_path, rebuilder):
    slides = tmp_path / "slides"
    spare = _spare_of_a_first_site(rebuilder)
    assert spare is not None and spare.parent == tmp_path
    write_deck(slides, "gamma.md", "<slide-section>\n\n## Gamma $g$\n\n</slide-section>\n")
    (slides / "pic.svg").write_text(SVG.format("two"), encoding="utf-8")
    _rebuilt(rebuilder)
    (slides / "beta.md").unlink()
    _rebuilt(rebuilder)
    _edit(slides / "alpha.md", "one", "one, edited $c$")
    _rebuilt(rebuilder)
    assert sorted(p.name for p in (tmp_path / "_site").iterdir() if p.is_dir()) == ["alpha", "assets", "gamma"]
    assert _is_the_full_builds_site(tmp_path)


def test_what_was_changed_in_the_spare_or_the_site_does_not_reach_the_next_site(tmp_path, rebuilder):
    """The spare shares its unchanged files' inodes with the site: an edit in place shows in both."""
    spare = _spare_of_a_first_site(rebuilder)
    (spare / "alpha" / "index.html").write_bytes(b"edited in the spare")
    (spare / "beta" / "stray.html").write_bytes(b"not the build's")
    (spare / "assets" / "theme.css").unlink()
    with open(tmp_path / "_site" / "index.html", "r+b") as shared:  # in place: the spare's link sees it too
        shared.write(b"<!-- by hand -->")
    _edit(tmp_path / "slides" / "alpha.md", "one", "two")
    _rebuilt(rebuilder)
    assert _is_the_full_builds_site(tmp_path)


def test_a_build_beside_serve_may_remove_its_spare_and_serve_goes_on(tmp_path, rebuilder):
    slides = tmp_path / "slides"
    spare = _spare_of_a_first_site(rebuilder)
    _edit(slides / "beta.md", "Beta", "Beta one")
    build_into(tmp_path, slides)  # a command beside the preview: it removes what it takes for a leftover
    assert not spare.exists()
    _edit(slides / "alpha.md", "one", "two")
    _rebuilt(rebuilder)
    assert _is_the_full_builds_site(tmp_path)


def test_a_link_put_in_place_of_the_spare_is_never_followed(tmp_path, rebuilder):
    """Nothing outside the output is deleted, even when the spare's name leads elsewhere."""
    import shutil as sh

    spare = _spare_of_a_first_site(rebuilder)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "alpha").mkdir(parents=True)
    (elsewhere / "alpha" / "index.html").write_text("a file of someone else's")
    sh.rmtree(spare)
    spare.symlink_to(elsewhere, target_is_directory=True)
    _edit(tmp_path / "slides" / "alpha.md", "one", "two")
    _rebuilt(rebuilder)
    assert (elsewhere / "alpha" / "index.html").read_text() == "a file of someone else's"
    assert "Alpha two" in (tmp_path / "_site" / "alpha" / "index.html").read_text(encoding="utf-8")


def test_serve_prints_again_only_the_warnings_of_the_decks_it_rendered_again(tmp_path, capsys):
    slides = tmp_path / "slides"
    write_deck(slides, "alpha.md", WARNED)
    beta = write_deck(slides, "beta.md", WARNED.replace("观测", "隐变量"))
    live = _live(slides, tmp_path)
    try:
        live.build()
        first = capsys.readouterr().err
        _edit(beta, "隐变量", "隐变量 z")
        live.build([beta])
        second = capsys.readouterr().err
    finally:
        live.close()
    assert "alpha.md" in first and "beta.md" in first
    assert "beta.md" in second and "alpha.md" not in second and "1 warning(s) of unchanged decks" in second
