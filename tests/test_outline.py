"""Where a lecture ends: the closing slide is found the way the lecturer writes it, the appendix after it counts apart."""
from __future__ import annotations

import pytest

from conftest import CORPUS, ROOT, need_shared
from deckbuild.diagnostics import Report
from deckbuild.outline import outline_of
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck

SEED_CLOSING = """<section>


<div style="
  display: flex;
  justify-content: center;
  align-items: center;
  height: 40%;
  font-size: 10rem;
">
  Thanks!
</div>

</section>
"""


def deck(*slides: str):
    text = '---\ntitle: "T"\n---\n\n' + "\n<!-- ---- -->\n".join(slides)
    return parse_deck(read_deck("slides/t.md", "t", text, Report()), Report())


def content(title: str) -> str:
    return f"<slide-section>\n## {title}\n\n- a point\n</slide-section>\n"


TITLE = "<slide-section>\n## A lecture\n</slide-section>\n"


def test_the_lecturers_inline_styled_thanks_is_the_closing_slide():
    assert outline_of(deck(TITLE, content("a"), SEED_CLOSING)).closing == 3


def test_a_thanks_div_with_a_class_is_the_closing_slide():
    assert outline_of(deck(TITLE, content("a"), '<section>\n<div class="thanks">Thanks!</div>\n</section>\n')).closing == 3


def test_chinese_thanks_is_a_closing_slide():
    assert outline_of(deck(TITLE, content("a"), "<slide-section>\n谢谢!\n</slide-section>\n", content("b"))).closing == 3


def test_slides_after_the_closing_slide_are_the_appendix():
    outline = outline_of(deck(TITLE, content("a"), SEED_CLOSING, content("b"), content("c")))
    assert (outline.lecture, outline.appendix) == (3, 2)
    assert [outline.appendix_number(n) for n in range(1, 6)] == [None, None, None, 1, 2]


def test_a_one_line_slide_mid_deck_is_not_a_closing_slide_unless_it_says_thanks():
    outline = outline_of(deck(TITLE, "<slide-section>\nBreak\n</slide-section>\n", content("b")))
    assert outline.closing is None and outline.appendix == 0


def test_a_plain_last_line_closes_the_deck():
    assert outline_of(deck(TITLE, content("a"), "<section>\n<div>See you next week</div>\n</section>\n")).closing == 3


def test_a_slide_with_a_list_or_formula_is_content():
    assert outline_of(deck(TITLE, "<slide-section>\n- Thanks\n</slide-section>\n")).closing is None
    assert outline_of(deck(TITLE, "<slide-section>\nThanks $x$\n</slide-section>\n")).closing is None


def test_heading_only_slides_are_title_slides():
    assert outline_of(deck(TITLE, content("a"), SEED_CLOSING, TITLE)).title_slides == frozenset({1, 4})


def test_dar_5_5_lecture_ends_at_slide_14_and_keeps_16_appendix_slides():
    path = ROOT / "slides" / "DAR-5-5.md"
    parsed = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", path.read_text(encoding="utf-8"), Report()), Report())
    outline = outline_of(parsed)
    assert (outline.closing, outline.appendix) == (14, 16)


@pytest.mark.parametrize("name", ["Attention Connection Bottleneck.md", "DAR_5_5.md", "How-To-Use-AI.md", "I.md",
                                  "MPT.md", "SOLO.md", "_template.md"])
def test_every_corpus_deck_closes_on_its_thanks_slide(name):
    path = need_shared(CORPUS) / name
    parsed = parse_deck(read_deck(name, "x", path.read_text(encoding="utf-8"), Report()), Report())
    outline = outline_of(parsed)
    assert outline.closing == len(parsed.slides) and outline.appendix == 0
