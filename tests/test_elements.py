"""The lecturer's elements and Markdown become the expected plain HTML at build time."""
from __future__ import annotations

import re
from pathlib import Path

from deckbuild.diagnostics import Report
from deckbuild.katex import Result
from deckbuild.parse import parse_deck
from deckbuild.render import Media, SlideRenderer
from deckbuild.source import read_deck


def render(body: str, kind: str = "slide-section"):
    report = Report()
    deck = parse_deck(read_deck("d.md", "d", f"<{kind}>\n{body}\n</{kind}>\n", report), report)
    maths = {m: Result(html=f"<span class=\"katex\">{m.tex}</span>") for m in deck.formulas()}
    slide = SlideRenderer(deck, maths, {}, Media(Path("."), {}), report).slides()[0]
    return slide, report


def test_image_size_becomes_its_max_width():
    slide, report = render('<slide-img src="https://e.org/a.png" size="70%"></slide-img>')
    assert 'class="slide-img" style="--img-size: 70%"' in slide.body


def test_columns_keep_their_ratios_and_markdown():
    slide, _ = render('<slide-cols>\n<!-- left -->\n<slide-col ratio="6">\n\n- **a**\n\n</slide-col>\n'
                      '<slide-col ratio="4">\n\n$x$\n\n</slide-col>\n</slide-cols>')
    body = re.sub(r"<!--.*?-->|\s+", "", slide.body)
    assert '<divclass="slide-cols"><divclass="slide-col"style="--col-ratio:6"><ul><li><strong>a</strong>' in body
    assert '<divclass="slide-col"style="--col-ratio:4"><p><spanclass="katex">x</span></p></div></div>' in body


def test_references_are_one_per_line():
    slide, _ = render("<slide-ref>\n  [1] First, $a$.\n  [2] Second.\n</slide-ref>")
    assert re.search(r'<div class="slide-ref"><p>\[1\] First, <span class="katex">a</span>.</p>\s*<p>\[2\] Second.</p>\s*</div>',
                     slide.body)


def test_highlight_is_inline_markdown_without_a_paragraph():
    slide, _ = render("<slide-highlight>**Why** $Q$?</slide-highlight>")
    assert '<div class="slide-highlight"><strong>Why</strong> <span class="katex">Q</span>?</div>' in slide.body


def test_fragment_attribute_with_and_without_order():
    slide, _ = render("<slide-highlight fragment>A</slide-highlight>\n\n<slide-highlight fragment=\"2\">B</slide-highlight>")
    assert '<div class="slide-highlight fragment">A</div>' in slide.body
    assert '<div class="slide-highlight fragment" data-fragment-index="2">B</div>' in slide.body


def test_fragment_mark_on_list_items_and_paragraphs():
    slide, _ = render("- one\n- two {+}\n- three {+3}\n\nA paragraph. {+}")
    assert "<li>one</li>" in slide.body
    assert '<li class="fragment">two</li>' in slide.body
    assert '<li class="fragment" data-fragment-index="3">three</li>' in slide.body
    assert '<p class="fragment">A paragraph.</p>' in slide.body


def test_fragment_block_wraps_a_display_formula():
    slide, _ = render('<slide-fragment index="1" effect="fade-up">\n\n$$\nx\n$$\n\n</slide-fragment>')
    assert '<div class="fragment fade-up" data-fragment-index="1"><div class="math-display">' in slide.body


def test_scale_block():
    slide, _ = render('<slide-scale factor="0.63">\n\n$$\nx\n$$\n\n</slide-scale>')
    assert '<div class="slide-scale" style="--scale: 0.63">' in slide.body


def test_speaker_notes_after_note_line():
    slide, _ = render("## T\n\nshown\n\nNote:\nsaid, with $x$")
    assert "said" not in slide.body and "shown" in slide.body
    assert '<p>said, with <span class="katex">x</span></p>' in slide.notes


def test_a_slide_with_only_a_heading_is_a_title_slide():
    assert "title-slide" in render("## Title")[0].classes
    assert "title-slide" not in render("## Title\n\ntext")[0].classes


def test_two_space_nested_lists_nest():
    slide, _ = render("- a\n  - b\n    - c")
    assert re.search(r"<li>a\s*<ul>\s*<li>b\s*<ul>\s*<li>c</li>", slide.body)


def test_gfm_table_with_math_in_cells():
    slide, _ = render("|| EM | VAE |\n|:-:|:-:|:-:|\n|后验| $p(z\\vert x)$ | $q$ |")
    assert "<table>" in slide.body and '<td style="text-align:center"><span class="katex">p(z\\vert x)</span></td>' in slide.body


def test_display_math_inside_raw_html_keeps_its_wrapper():
    slide, _ = render('<p style="font-size: 0.63em">\n$$\nx\n$$\n</p>')
    assert re.search(r'<p style="font-size: 0.63em">\s*<span class="katex">\s*x\s*</span>\s*</p>', slide.body)


def test_raw_html_section_is_kept():
    slide, _ = render('\n<div style="font-size: 10rem;">\n  Thanks!\n</div>\n', kind="section")
    assert '<div style="font-size: 10rem;">' in slide.body and "Thanks!" in slide.body


def test_a_new_element_is_one_declaration(monkeypatch):
    from deckbuild import elements

    aside = elements.ElementKind("slide-aside", {"fragment": elements.FRAGMENT}, elements.box("slide-aside"))
    monkeypatch.setitem(elements.ELEMENTS, "slide-aside", aside)
    slide, report = render("<slide-aside fragment>\n\n**a** $x$\n\n</slide-aside>")
    assert not report.errors
    assert '<div class="slide-aside fragment"><p><strong>a</strong> <span class="katex">x</span></p>\n</div>' in slide.body


def test_declared_attributes_are_validated():
    _, report = render('<slide-col ratio="-1">x</slide-col>')
    assert [d.message for d in report.errors] == ['<slide-col ratio="-1">: ratio must be a positive number']


def test_formulas_of_a_definition_are_not_claims():
    from deckbuild.evaluate import free_formulas

    report = Report()
    deck = parse_deck(read_deck("d.md", "d", "<slide-section>\n$a=1$\n<slide-definition>$b=2$</slide-definition>\n"
                                "</slide-section>\n", report), report)
    assert [m.tex for m in free_formulas(deck)] == ["a=1"]


def test_quotes_curl_as_the_lecturers_renderer_does():
    slide, _ = render('He said "it\'s fine" -- twice.')
    assert "He said “it’s fine” – twice." in slide.body


def test_typography_never_reaches_math_or_code():
    slide, _ = render('A "quote" with $a"b$ and `x -- "y"`')
    assert '<span class="katex">a"b</span>' in slide.body and '<code>x -- &quot;y&quot;</code>' in slide.body


def test_a_fenced_block_with_a_language_is_highlighted_at_build_time():
    slide, _ = render('```python\ndef f(x):\n    return "a"\n```')
    assert '<pre><code class="highlight language-python">' in slide.body
    assert '<span class="k">def</span>' in slide.body and '<span class="s2">"a"</span>' in slide.body


def test_a_fence_without_a_known_language_stays_plain():
    slide, _ = render("```\nx = 1\n```\n\n```nosuchlanguage\ny = 2\n```")
    assert "<pre><code>x = 1\n</code></pre>" in slide.body and '<span class="' not in slide.body


def test_a_list_directly_inside_columns_becomes_a_column_with_a_warning():
    slide, report = render('<slide-cols>\n\n- stray\n\n<slide-col ratio="2">\n\nkept\n\n</slide-col>\n</slide-cols>')
    assert not report.errors
    assert [w.message for w in report.warnings] == ["content directly inside <slide-cols> is shown as a <slide-col> of its own"]
    body = re.sub(r"\s+", "", slide.body)
    assert ('<divclass="slide-cols"><divclass="slide-col"style="--col-ratio:1"><ul><li>stray</li></ul></div>'
            '<divclass="slide-col"style="--col-ratio:2"><p>kept</p></div></div>') in body


def test_comments_between_columns_are_not_stray():
    _, report = render('<slide-cols>\n<!-- a -->\n<slide-col>\n\nx\n\n</slide-col>\n</slide-cols>')
    assert not report.warnings and not report.errors
