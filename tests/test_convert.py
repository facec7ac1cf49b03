"""`python build.py import`: old-format decks become current-format decks that build and lose nothing."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import OLD_CORPUS, ROOT, SEED, build_into, need_shared
from deckbuild.convert import convert, main
from deckbuild.mathscan import scan_math

OLD_DECKS = sorted(OLD_CORPUS.glob("*.md")) + [SEED]
_SLIDE_TAG = re.compile(r"<(slide-section|section)[\s>]", re.IGNORECASE)
FIRST_BODY_LINE = 8  # in decks made by old(): 4 lines of front matter, a blank, <section>, <textarea>


def old(*bodies: str) -> str:
    """An old-format deck with one <section data-markdown><textarea> per body."""
    sections = "\n\n<!-- --------------------------------------------------------- -->\n\n".join(
        f"<section data-markdown>\n<textarea data-template>\n{body}\n</textarea>\n</section>" for body in bodies)
    return f'---\ntitle: "T"\ndate: "2025-01-01"\n---\n\n{sections}\n'


def slides_of(text: str) -> int:
    return len(_SLIDE_TAG.findall(re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)))


def formulas(text: str) -> Counter:
    return Counter((span.tex, span.display) for span in scan_math(text)[0])


def rows(tex: str) -> list[str]:
    body = re.sub(r"\\(begin|end)\{[^}]*\}", "", tex)
    return [" ".join(r.split()) for r in body.split("\\\\") if r.strip()]


def plain_lines(text: str) -> set[str]:
    """The text a reader sees, line by line: markup dropped, whitespace normalised."""
    plain = re.sub(r"<[^<>]*>", " ", text)
    return {" ".join(line.split()) for line in plain.splitlines()} - {""}


@pytest.fixture(scope="module")
def converted() -> dict[str, tuple[str, object]]:
    need_shared(OLD_CORPUS)
    need_shared(SEED)
    decks = {}
    for path in OLD_DECKS:
        source = path.read_text(encoding="utf-8")
        decks[path.name] = (source, convert(source, str(path)))
    return decks


# --- the lecturer's old decks -------------------------------------------------------------


def test_the_old_corpus_is_there():
    assert len(list(need_shared(OLD_CORPUS).glob("*.md"))) >= 5


@pytest.mark.slow
def test_every_converted_deck_builds_without_errors(converted, tmp_path, cache_dir):
    slides = tmp_path / "slides"
    slides.mkdir()
    for name, (_, conv) in converted.items():
        (slides / name).write_text(conv.text, encoding="utf-8")
    result = build_into(tmp_path, slides, drafts=True, cache_dir=cache_dir)
    assert not result.report.errors, "\n".join(d.format() for d in result.report.errors)
    assert len(result.decks) == len(converted)
    seed_page = next((tmp_path / "_site").glob("dar-5-5-vae*/index.html")).read_text(encoding="utf-8")
    assert 'class="slide-highlight fragment"' in seed_page


@pytest.mark.parametrize("path", OLD_DECKS, ids=lambda p: p.name)
def test_no_formula_is_lost(converted, path):
    source, conv = converted[need_shared(path).name]
    before, after = formulas(source), formulas(conv.text)
    assert not after - before, "formulas the source does not have"
    if not any("build-up" in message for _, message in conv.problems):
        assert after == before
    for tex, display in before - after:  # copies dropped by merging build-up slides
        extended = any(rows(tex) == rows(other)[:len(rows(tex))] for other, _ in after)
        assert after[(tex, display)] >= 1 or extended, f"lost: {tex[:80]}"


@pytest.mark.parametrize("path", OLD_DECKS, ids=lambda p: p.name)
def test_every_image_url_note_and_text_line_is_kept(converted, path):
    source, conv = converted[need_shared(path).name]
    urls = [a or b for a, b in re.findall(r'\bsrc="([^"]+)"|!\[[^\]]*\]\(([^)\s]+)\)', source)]
    for url in urls:
        assert url in conv.text
    for note in re.findall(r"^Note:(.*?)</textarea>", source, re.MULTILINE | re.DOTALL):
        for line in note.splitlines():
            assert line.strip() in conv.text
    seen = " ".join(re.sub(r"<[^<>]*>", " ", conv.text).split())
    missing = [line for line in plain_lines(source) if line not in seen]
    assert not missing


def test_seed_build_ups_merge_into_slides_with_fragments(converted):
    source, conv = converted[SEED.name]
    assert slides_of(source) == 18
    assert slides_of(conv.text) == 13
    assert "<slide-highlight fragment>与 EM、VAE 核心思想一脉相承</slide-highlight>" in conv.text
    assert "<slide-ref fragment>\n  Kullback-Leibler Divergence:" in conv.text
    # two highlights added on one slide appear together, on the same click
    assert conv.text.count('<slide-highlight fragment="1">$\\textcircled{\\small ') == 2
    # the third ELBO slide added a spacer and a formula at once: one fragment holds both
    assert re.search(r"<slide-fragment>\n\n&nbsp;\n\n\$\$\n\\text\{ELBO:\}", conv.text)
    # the 2-row align* is folded into the 5-row one that extends it, and that is reported where it stands
    first_row = r"&= \mathbb{E}_{\bm{z}} \left[\ell (\bm{x}, \bm{z}; \theta) \right]"
    assert source.count(first_row) == 2 and conv.text.count(first_row) == 1
    scale = [i for i, line in enumerate(source.splitlines(), 1) if line == '<p style="font-size: 0.63em">']
    assert any(line == scale[1] + 1 and "rows 3-5" in message for line, message in conv.problems)


def test_old_decks_without_build_ups_keep_every_slide(converted):
    for name, (source, conv) in converted.items():
        if name != SEED.name:
            assert slides_of(conv.text) == slides_of(source), name


# --- one construct at a time ----------------------------------------------------------------


def test_image_size_comes_from_max_width():
    conv = convert(old('<div class="slide-img">\n<img src="https://e.org/a.png" \nalt="Image" \n'
                       'style="max-width: 60%; height: auto;margin: 0 auto;">\n</div>'), "old.md")
    assert '<slide-img src="https://e.org/a.png" size="60%"></slide-img>' in conv.text
    assert "<div" not in conv.text and not conv.problems


def test_image_keeps_a_real_alt_and_reports_the_style_it_drops():
    conv = convert(old("## T\n\n"
                       '<div class="slide-img">\n  <img src="a.png" alt="EM loop" style="max-width: 40%; border: 1px solid;">\n</div>'),
                   "old.md")
    assert '<slide-img src="a.png" size="40%" alt="EM loop"></slide-img>' in conv.text
    assert conv.problems == [(FIRST_BODY_LINE + 2, "<slide-img>: dropped border: 1px solid")]


def test_references_become_one_line_each_without_the_drawn_rule():
    conv = convert(old('<div class="slide-ref">\n'
                       '    <div style="width: 100px; height: 1px; background: black; margin-bottom: 5px;"></div>\n'
                       '    <p style="margin: 2px 0;">[1] A. First $x$. 2021.</p>\n'
                       '    <p style="margin: 2px 0;">\n    <strong>B</strong>, Second.\n    <i>Venue</i>, 2024.\n    </p>\n'
                       "</div>"), "old.md")
    assert ("<slide-ref>\n  [1] A. First $x$. 2021.\n  <strong>B</strong>, Second. <i>Venue</i>, 2024.\n</slide-ref>"
            in conv.text)
    assert not conv.problems


@pytest.mark.parametrize("wrapper", ["<div class='slide-highlight'>\n{}\n</div>",
                                     '<div class="slide-highlight">\n\n{}\n\n</div>',
                                     '<span class="slide-highlight">{}</span>'])
def test_highlights_in_either_quote_style_become_one_element(wrapper):
    conv = convert(old(wrapper.format("最大化 $Q$ ⇔ 下界")), "old.md")
    assert "<slide-highlight>最大化 $Q$ ⇔ 下界</slide-highlight>" in conv.text
    assert not conv.problems


def test_highlight_with_fragment_class_keeps_its_order():
    conv = convert(old('<div class="slide-highlight fragment" data-fragment-index="2">A</div>'), "old.md")
    assert '<slide-highlight fragment="2">A</slide-highlight>' in conv.text


@pytest.mark.parametrize("size, factor", [("0.63em", "0.63"), ("80%", "0.8")])
def test_font_size_wrapper_becomes_slide_scale(size, factor):
    conv = convert(old(f'<p style="font-size: {size}">\n$$\na &= b \\\\\n&= c\n$$\n</p>'), "old.md")
    assert f'<slide-scale factor="{factor}">\n$$\na &= b \\\\\n&= c\n$$\n</slide-scale>' in conv.text
    assert not conv.problems


def test_columns_become_slide_cols_with_ratios():
    conv = convert(old('<div class="slide-cols">\n\n<!-- left -->\n<div class="slide-col-6">\n\n- a\n\n</div>\n\n'
                       '<div class="slide-col-half">\n\n$b$\n\n</div>\n\n</div>'), "old.md")
    assert ('<slide-cols>\n\n<!-- left -->\n<slide-col ratio="6">\n\n- a\n\n</slide-col>\n\n'
            '<slide-col ratio="1">\n\n$b$\n\n</slide-col>\n\n</slide-cols>') in conv.text
    assert not conv.problems


def test_unconvertible_constructs_are_kept_and_reported_with_their_line():
    conv = convert(old("## T\n\n"
                       '<div class="slide-banner">Hello</div>\n\n'
                       '<p style="font-size:1rem">small print</p>\n\n'
                       'text <div class="slide-highlight">inline</div>'), "old.md")
    assert '<div class="slide-banner">Hello</div>' in conv.text
    assert '<p style="font-size:1rem">small print</p>' in conv.text
    assert 'text <div class="slide-highlight">inline</div>' in conv.text
    lines = {line: message for line, message in conv.problems}
    assert "unknown wrapper" in lines[FIRST_BODY_LINE + 2]
    assert "font-size: 1rem" in lines[FIRST_BODY_LINE + 4]
    assert "inside a line" in lines[FIRST_BODY_LINE + 6]


def test_formulas_and_code_are_never_read_as_markup():
    body = '$a <div class="slide-img"> b$\n\n```\n<div class="slide-highlight">x</div>\n```'
    conv = convert(old(body), "old.md")
    assert body in conv.text and not conv.problems


def test_notes_are_kept_and_old_spellings_become_note():
    conv = convert(old("## T\n\nbody\n\nnotes: say $x$ here\nand this"), "old.md")
    assert "body\n\nNote:\nsay $x$ here\nand this\n\n</slide-section>" in conv.text
    assert conv.problems == [(FIRST_BODY_LINE + 4, "'notes:' becomes 'Note:'")]


def test_plain_sections_stay_raw_html_and_title_slides_stay_compact():
    text = '---\ntitle: "T"\n---\n\n<section data-markdown>\n## Title\n</section>\n\n<section>\n<div>Thanks!</div>\n</section>\n'
    conv = convert(text, "old.md")
    assert "<slide-section>\n## Title\n</slide-section>" in conv.text
    assert "<section>\n<div>Thanks!</div>\n</section>" in conv.text


def test_a_dash_line_split_the_old_slide_and_splits_the_new_one():
    conv = convert(old("## A\n\none\n\n---\n\n## B\n\ntwo"), "old.md")
    assert slides_of(conv.text) == 2
    assert conv.problems[0][0] == FIRST_BODY_LINE + 4 and "split" in conv.problems[0][1]


def test_commented_out_slides_are_converted_but_stay_commented_out():
    text = ('---\ntitle: "T"\n---\n\n<section data-markdown>\n## A\n</section>\n\n'
            '<!-- <section data-markdown>\n<textarea data-template>\n\n<div class="slide-highlight">\nB\n</div>\n\n'
            "</textarea>\n</section> -->\n")
    conv = convert(text, "old.md")
    assert "<!--\n<slide-section>\n<slide-highlight>B</slide-highlight>\n</slide-section>\n-->" in conv.text
    assert slides_of(conv.text) == 1
    assert conv.problems == [(9, "commented-out slide converted; it stays commented out")]


def test_vertical_stacks_become_consecutive_slides():
    text = ('---\ntitle: "T"\n---\n\n<section>\n<section data-markdown>\n## A\n</section>\n'
            "<section data-markdown>\n## B\n</section>\n</section>\n")
    conv = convert(text, "old.md")
    assert "<slide-section>\n## A\n</slide-section>" in conv.text and "<slide-section>\n## B\n</slide-section>" in conv.text
    assert slides_of(conv.text) == 2 and conv.problems[0][0] == 5


def test_a_deck_already_in_the_current_format_is_left_alone():
    text = '---\ntitle: "T"\n---\n\n<slide-section>\n## A\n</slide-section>\n'
    conv = convert(text, "new.md")
    assert conv.text == text and "already in the current format" in conv.problems[0][1]


def test_front_matter_fields_the_build_ignores_are_reported():
    conv = convert('---\ntitle: "T"\nweight: 3\n---\n\n<section data-markdown>\n## A\n</section>\n', "old.md")
    assert conv.text.startswith('---\ntitle: "T"\nweight: 3\n---\n')
    assert conv.problems == [(1, "front matter field 'weight' is kept but the current format ignores it")]


# --- build-ups ------------------------------------------------------------------------------


def test_a_chain_of_build_ups_numbers_its_steps():
    first = "## T\n\n- a\n\n- b"
    conv = convert(old(first, first + "\n\n- c\n\n<div class=\"slide-highlight\">\nH\n</div>",
                       first + "\n\n- c\n\n<div class=\"slide-highlight\">\nH\n</div>\n\n$$\nx\n$$\n\nNote:\nlast"), "old.md")
    assert slides_of(conv.text) == 1
    assert ("- a\n\n- b\n\n- c {+1}\n\n<slide-highlight fragment=\"1\">H</slide-highlight>\n\n"
            '<slide-fragment index="2">\n\n$$\nx\n$$\n\n</slide-fragment>\n\nNote:\nlast') in conv.text


def test_a_single_added_block_per_step_needs_no_index():
    conv = convert(old("## T\n\ntext", "## T\n\ntext\n\n- more\n  - nested"), "old.md")
    assert "text\n\n- more {+}\n  - nested" in conv.text


def test_slides_that_change_or_drop_a_block_are_not_merged():
    conv = convert(old("## T\n\none\n\ntwo", "## T\n\none\n\nthree", "## T\n\nthree\n\nfour"), "old.md")
    assert slides_of(conv.text) == 3
    assert "fragment" not in conv.text


def test_a_title_slide_is_not_the_start_of_a_build_up():
    conv = convert(old("## T", "## T\n\ncontent"), "old.md")
    assert slides_of(conv.text) == 2


def test_an_extended_align_keeps_the_final_formula_once_and_says_so():
    short = "## T\n\n$$\n\\begin{align*}\na &= b \\\\\n\\end{align*}\n$$"
    long = "## T\n\n$$\n\\begin{align*}\na &= b \\\\\n&= c \\\\\n&= d\n\\end{align*}\n$$"
    conv = convert(old(short, long), "old.md")
    assert slides_of(conv.text) == 1
    assert "&= d" in conv.text and conv.text.count("a &= b") == 1
    assert any('reveal="2-"' in message for _, message in conv.problems)


def test_extended_derivation_reveals_the_added_rows():
    short = '## T\n\n<slide-derivation id="d">\n\n$$\n\\begin{align*}\na &= b\n\\end{align*}\n$$\n\n</slide-derivation>'
    long = short.replace("a &= b", "a &= b \\\\\n&= c \\\\\n&= d")
    conv = convert(old(short, long), "old.md")
    assert '<slide-derivation id="d" reveal="2-">' in conv.text


# --- the command ---------------------------------------------------------------------------


def test_import_writes_the_deck_and_warns_with_old_line_numbers(tmp_path, capsys):
    src = tmp_path / "OLD.md"
    src.write_text(old('<div class="slide-weird">x</div>'), encoding="utf-8")
    out = tmp_path / "slides" / "NEW.md"
    assert main([str(src), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == convert(src.read_text(encoding="utf-8"), str(src)).text
    assert capsys.readouterr().err.startswith(f"{src}:{FIRST_BODY_LINE}: warning: ")


def test_import_prints_to_stdout_without_o(tmp_path, capsys):
    src = tmp_path / "OLD.md"
    src.write_text(old("## T"), encoding="utf-8")
    assert main([str(src)]) == 0
    assert "<slide-section>\n## T\n</slide-section>" in capsys.readouterr().out


def test_import_of_an_unreadable_file_fails(tmp_path, capsys):
    assert main([str(tmp_path / "missing.md")]) == 1
    assert "cannot read" in capsys.readouterr().err
