r"""A deck that names no notation is still checked for what its formulas say by themselves
(latexeval/notations/general.yaml): a free variable with its stated domain, numbers. What that leaves
unchecked is one warning for the deck, not one per formula."""
from __future__ import annotations

import html
import re

from conftest import build_into, write_deck

LOG_BOUND = r"t - 1 - \log t \ge 0, \; \forall t > 0"
WRONG_BOUND = r"t - 1 - \log t \le 0, \; \forall t > 0"
MODEL_FORMULA = r"p(\bm{x}; \theta) = \sum_{k=1}^K \alpha_k \mathcal{N}(\bm{x}; \bm{\mu}_k, \sigma_k^2)"


def _build(tmp_path, *formulas: str, prose: str = "", **kw):
    body = "<slide-section>\n\n## Bounds\n\n" + prose + "".join(f"$$\n{f}\n$$\n\n" for f in formulas) + \
           "</slide-section>\n"
    write_deck(tmp_path / "slides", "lecture.md", body)
    return build_into(tmp_path, tmp_path / "slides", **kw)


def _strengths(tmp_path) -> list[str]:
    page = (tmp_path / "_site" / "lecture" / "index.html").read_text(encoding="utf-8")
    return re.findall(r'class="formula-check"[^>]*data-strength="([^"]*)"', page) or \
        re.findall(r'data-strength="([^"]*)"', page)


def test_a_claim_about_a_free_variable_is_evaluated_in_a_deck_that_names_no_notation(tmp_path):
    result = _build(tmp_path, LOG_BOUND)
    assert result.decks[0].relations["evaluated"] == 1 and not result.report.items
    assert _strengths(tmp_path) == ["evaluated"]


def test_a_false_claim_in_a_deck_that_names_no_notation_is_flagged_at_its_line(tmp_path):
    result = _build(tmp_path, WRONG_BOUND)
    assert result.written and result.decks[0].relations["failing"] == 1
    (warning,) = result.report.warnings
    assert warning.line == 10 and "does not hold for the values it states" in warning.message
    assert "at t = " in warning.message and "on ?" not in warning.message  # where it fails, not a model's draw
    assert _strengths(tmp_path) == ["failing"]


def _titles(tmp_path) -> list[str]:
    page = (tmp_path / "_site" / "lecture" / "index.html").read_text(encoding="utf-8")
    return [html.unescape(t) for t in re.findall(r'class="formula-check"[^>]*title="([^"]*)"', page)]


def test_a_false_claims_mark_says_in_its_tooltip_where_it_fails(tmp_path):
    _build(tmp_path, WRONG_BOUND)
    (title,) = _titles(tmp_path)
    assert title.startswith("does not hold: ") and "lhs = " in title and "at t = " in title


def test_a_true_claims_mark_says_in_its_tooltip_what_it_was_evaluated_at(tmp_path):
    _build(tmp_path, LOG_BOUND)
    (title,) = _titles(tmp_path)
    assert title == ("evaluated: the slide's own formula computed at 256 values of t in the range it states "
                     "(no model needed): the left side is nowhere smaller than the right")


def test_a_marks_tooltip_speaks_the_decks_language(tmp_path):
    _build(tmp_path, WRONG_BOUND, prose="对所有正数 t 成立的不等式, 这里写错了方向。\n\n")
    (title,) = _titles(tmp_path)
    assert title.startswith("不成立: 在 t = ") and "处: 左边 = " in title and title.endswith("≤ 不成立")


def test_what_a_deck_without_notation_leaves_unchecked_is_one_warning_naming_the_remedy(tmp_path):
    result = _build(tmp_path, LOG_BOUND, MODEL_FORMULA, r"\bm{\mu}_k = \bm{x}_k",
                    prose=r"The $\textcircled{\small 1}$ step, and $\mathcal{L}(\theta)$ in prose." "\n\n")
    (warning,) = [d for d in result.report.warnings if "not checked" in d.message]
    assert warning.message.startswith("2 of the 3 formulas with a relation are not checked")
    assert warning.line == 16 and "notation: <name>" in warning.hint and "decks.yaml" in warning.hint
    assert result.decks[0].relations["evaluated"] == 1 and result.decks[0].relations["not checked"] == 2


def test_strict_makes_the_unchecked_formulas_of_a_deck_without_notation_an_error(tmp_path):
    result = _build(tmp_path, MODEL_FORMULA, strict=True)
    assert not result.written and any("not checked" in e.message for e in result.report.errors)


def test_a_deck_with_no_formula_that_states_a_relation_gets_no_warning(tmp_path):
    result = _build(tmp_path, prose=r"$\textcircled{\small 1}$ and $\mathcal{L}(\theta)$." "\n\n")
    assert not [d for d in result.report.items if "not checked" in d.message]


def test_a_formula_that_defines_with_colon_equals_is_a_definition_in_a_deck_that_names_no_notation(tmp_path):
    result = _build(tmp_path, r"q = Q(x) := \mathop{\text{argmin}}_{k} \big|x - y_k\big|", r"\tilde{x} \coloneqq y_q \Delta",
                    MODEL_FORMULA)
    assert _strengths(tmp_path) == ["definition", "definition", "not checked"]
    (warning,) = [d for d in result.report.items if "not checked" in d.message]
    assert "1 of the 3 formulas with a relation are not checked" in warning.message


def test_prose_math_a_named_notation_cannot_read_is_no_claim(tmp_path):
    """$\\textcircled{1}$ in a deck with a notation: the evaluator cannot read it, but it states no relation, so it
    is neither marked nor warned about; an unreadable formula that does state one still is."""
    write_deck(tmp_path / "slides", "lecture.md", "<slide-section>\n\n## Steps\n\n"
               r"$\textcircled{\small 1}$ first, then $\textcircled{\small 2}$: $\hat{\theta} = \theta$." "\n\n"
               "</slide-section>\n", front='title: "T"\ndate: "2025-01-01"\nnotation: dar-5-5')
    result = build_into(tmp_path, tmp_path / "slides")
    unchecked = [d for d in result.report.items if "not checked" in d.message]
    assert len(unchecked) == 1 and "\\hat{\\theta} = \\theta" in unchecked[0].excerpt
    assert _strengths(tmp_path) == ["not checked"]


def test_the_lectures_own_files_are_read_with_its_notation_by_their_title(tmp_path):
    """latexeval/decks.yaml attaches dar-5-5 to the title DAR-5-5: the lecturer's current file and the old one."""
    import shutil

    from conftest import CORPUS, SEED, need_shared

    slides = tmp_path / "slides"
    slides.mkdir()
    shutil.copy(need_shared(CORPUS / "DAR_5_5.md"), slides)
    shutil.copy(need_shared(SEED), slides)
    result = build_into(tmp_path, slides, drafts=True)
    counts = {d.path.split("/")[-1]: d.relations for d in result.decks}
    assert all(c["evaluated"] >= 14 and c["failing"] == 0 for c in counts.values()) and len(counts) == 2


EVALUABLE = [LOG_BOUND, WRONG_BOUND, r"\log 2 < 1", r"3 < \pi", r"e^{\log 2} = 2", r"\sum_{k=1}^{3} k^2 = 14",
             r"\prod_{k=1}^{4} k = 24", r"x^2 \ge 0, \; x \in \mathbb{R}", r"\frac{a + b}{2} \ge \sqrt{ab}, \; \forall a, b > 0",
             r"\frac{\mathrm{d}}{\mathrm{d} x} x^2 = 2 x, \; \forall x \in \mathbb{R}",
             r"\mathbb{E}[\log Y] \le \log \mathbb{E}[Y], \; Y > 0", r"\max(0, x) \ge x, \; x \in \mathbb{R}",
             r"\int_0^1 x^2 \, \mathrm{d}x = \frac{1}{3}", r"\int_0^{\infty} e^{-x} \, \mathrm{d} x = 1",
             r"\binom{4}{2} = 6", r"4! = 24", r"\lfloor 2.5 \rfloor = 2", r"\arcsin 1 = \frac{\pi}{2}",
             r"x^2 \ge 0 \quad \forall x \in \mathbb{R}", r"t - 1 - \log t \ge 0 \quad (t > 0)",
             r"\cosh^2 x - \sinh^2 x = 1, \; \forall x \in \mathbb{R}",
             r"\frac{\mathrm{d}^2}{\mathrm{d}x^2} x^3 = 6x, \; \forall x \in \mathbb{R}",
             r"\mathbb{E}[XY] = \mathbb{E}[X]\mathbb{E}[Y], \quad X \perp Y"]


def test_every_formula_the_general_notation_reads_passes_the_cheap_test_before_it():
    """The test only spares the evaluator formulas it could not read: none it can read is left unchecked."""
    from deckbuild.evaluate import says_by_itself
    from latexeval import evaluate_formula

    assert all(evaluate_formula(f, "general").ok is not None for f in EVALUABLE)
    assert all(says_by_itself(f) for f in EVALUABLE)


def test_a_formula_with_a_letter_of_no_domain_or_only_an_unread_relation_is_spared_the_evaluator():
    from deckbuild.evaluate import says_by_itself

    assert not says_by_itself(MODEL_FORMULA) and not says_by_itself(r"\textcircled{1} \approx \textcircled{2}")
    assert not says_by_itself(r"\hat{\theta} = \theta")  # a Greek letter is a letter, if a command
    assert not says_by_itself(r"\Leftrightarrow") and not says_by_itself(r"f(\theta, \hat{\theta}) \Leftrightarrow g")
