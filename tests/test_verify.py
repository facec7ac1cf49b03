"""Slides and checks are held together: a changed row, a broken check or a wrong row fails, naming file:line and step."""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ARTIFACTS, ROOT, copy_of, build_into, write_deck
from deckbuild.diagnostics import Report
from deckbuild.evaluate import EvaluationCache, evaluate_deck
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck
from deckbuild.cache import Cache
from deckbuild.evaluate import RowTruth
from deckbuild.verify import DIFFERS, load_checks, tie_by_value, verify_links

DECK = ROOT / "slides" / "DAR-5-5.md"
CHAIN_ROW_5 = r"&= \sum_{i=1}^N \Big\{\log p(\bm{x}_i; \theta) - \text{KL}"


@pytest.fixture(scope="module")
def checks(warm_cache):
    return load_checks(Cache(warm_cache))


@pytest.fixture
def evaluations(cache_dir):
    """The evaluator's cache of this test's own, from the run's cold build: the deck's formulas the test leaves
    as they are were evaluated there, the ones it edits are evaluated here (as a rebuild after an edit does)."""
    return EvaluationCache(Cache(cache_dir))


def parsed(text: str):
    report = Report()
    deck = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", text, report), report)
    assert not report.errors
    return deck


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.slow
def test_every_linked_step_of_the_deck_is_verified(checks, evaluations, tmp_path):
    deck = parsed(DECK.read_text(encoding="utf-8"))
    report = Report()
    truths = evaluate_deck(deck, evaluations, report).rows
    statuses = verify_links(deck, checks, report, truths)
    bad = [(lid, s.index, s.status, s.evaluation) for lid, st in statuses.items() for s in st.steps if s.status != "verified"]
    assert bad == []
    assert sum(len(st.steps) for st in statuses.values()) >= 40


FALSE_CLAIM = "so $\\text{ELBO} \\ge \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)$ holds"  # the bound backwards
DAR_FRONT = 'title: "T"\ndate: "2025-01-01"\nnotation: dar-5-5'


@pytest.fixture(scope="module")
def failing_check(tmp_path_factory, warm_cache):
    """One `build.py check` (every SymPy check run again: it trusts no cache) over a folder of three decks, each
    wrong in one way: the DAR deck with a sign flipped in a row, a new derivation whose last row is the wrong
    variant, and a false formula outside any derivation. Each test reads its own deck's lines of the output."""
    tmp = tmp_path_factory.mktemp("failing-check")
    slides = tmp / "slides"
    slides.mkdir()
    text = DECK.read_text(encoding="utf-8")
    assert CHAIN_ROW_5 in text
    (slides / "DAR-5-5.md").write_text(text.replace(CHAIN_ROW_5, CHAIN_ROW_5.replace("- \\text{KL}", "+ \\text{KL}")),
                                       encoding="utf-8")
    write_deck(slides, "variant.md", "<slide-section>\n\n" + NEW_DERIVATION.replace(r"&\ge", r"&\le") +
               "\n\n</slide-section>\n", DAR_FRONT)
    write_deck(slides, "false.md", f"<slide-section>\n\n{FALSE_CLAIM}\n\n</slide-section>\n", DAR_FRONT)
    return subprocess.run([sys.executable, "build.py", "check", "--slides", str(slides),
                           "--cache", str(copy_of(warm_cache, tmp / "cache"))], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.slow
def test_a_wrong_row_fails_check_naming_line_model_draw_and_values(failing_check):
    assert failing_check.returncode == 1
    line = line_of(DECK.read_text(encoding="utf-8"), CHAIN_ROW_5)
    assert re.search(rf"DAR-5-5.md:{line}:\d+: error: derivation 'em-q-decomposition' row 5 does not hold: "
                     r"on [a-z-]+ at draw \d+: lhs = \S+, rhs = \S+", failing_check.stderr), failing_check.stderr[-2000:]


@pytest.mark.slow
def test_a_failing_python_check_leaves_the_row_evaluated_not_proved(checks, evaluations):
    deck = parsed(DECK.read_text(encoding="utf-8"))
    broken = copy.deepcopy(checks)
    broken["em-q-decomposition"]["results"][1]["ok"] = False
    broken["em-q-decomposition"]["results"][1]["detail"] = "lhs - rhs depends on theta"
    report = Report()
    truths = evaluate_deck(deck, evaluations, report).rows
    step = verify_links(deck, broken, report, truths)["em-q-decomposition"].steps[1]
    assert (step.status, step.strength) == ("verified", "evaluated")
    assert "its Python check fails" in step.reason
    (warning,) = [d for d in report.items if "its Python check" in d.message]
    row = next(lk for lk in deck.links if lk.id == "em-q-decomposition").rows[1]
    assert (warning.line, warning.col) == (row.line, row.col)


@pytest.mark.slow
def test_a_wrong_row_fails_even_when_its_check_passes(checks, evaluations):
    text = DECK.read_text(encoding="utf-8").replace(CHAIN_ROW_5, CHAIN_ROW_5.replace("- \\text{KL}", "+ \\text{KL}"))
    deck = parsed(text)
    link = next(lk for lk in deck.links if lk.id == "em-q-decomposition")
    report = Report()
    status = verify_links(deck, checks, report, evaluate_deck(deck, evaluations, report).rows)
    step = status["em-q-decomposition"].steps[4]
    assert (step.status, step.strength) == ("failing", "failing")
    assert any("row 5" in d.message and "does not hold" in d.message and d.line == link.rows[4].line
               for d in report.items)


def _explanation(text: str, checks, evaluations, did: str, index: int) -> dict:
    statuses, _ = _statuses(text, checks, evaluations)
    return statuses[did].steps[index - 1].explanation


ROW_4 = r"\left(\log p(\bm{x}_i; \theta) + \log"


@pytest.mark.slow
def test_a_failing_row_is_explained_by_the_edit_from_the_row_before(checks, evaluations):
    text = DECK.read_text(encoding="utf-8").replace(CHAIN_ROW_5, CHAIN_ROW_5.replace(
        r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})"))
    why = _explanation(text, checks, evaluations, "em-q-decomposition", 5)
    assert (why["from_row"], why["to_row"]) == (4, 5)
    assert why["lhs"] != why["rhs"] and why["draw"] >= 1 and why["instance"]
    assert why["text"].startswith("row 4 → 5: `") and "does not preserve the value" in why["text"]


@pytest.mark.slow
def test_theta_become_theta_hat_is_named_although_the_row_also_regroups_the_integral(checks, evaluations):
    """Row 4 -> 5 turns the integral into a KL (a legitimate regrouping) and, here, θ into θ̂ (the error)."""
    text = DECK.read_text(encoding="utf-8").replace(CHAIN_ROW_5, CHAIN_ROW_5.replace(
        r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})"))
    why = _explanation(text, checks, evaluations, "em-q-decomposition", 5)
    assert (why["before"], why["after"]) == (r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})")
    assert why["confirmed"] is True


@pytest.mark.slow
def test_an_edit_inside_a_regrouping_row_is_named_where_it_is(checks, evaluations):
    """Row 3 -> 4 splits the log of a product into a sum (legitimate); θ̂ for θ inside it is the error."""
    text = DECK.read_text(encoding="utf-8")
    assert ROW_4 in text
    why = _explanation(text.replace(ROW_4, ROW_4.replace(r"\theta)", r"\hat{\theta})")), checks, evaluations,
                       "em-q-decomposition", 4)
    assert (why["before"], why["after"]) == (r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})")
    assert why["confirmed"] is True


@pytest.mark.slow
def test_an_edit_no_undo_can_locate_names_no_place(checks, evaluations):
    """+KL for -KL where row 4 has no KL: undoing no single difference restores the row, so none is blamed."""
    text = DECK.read_text(encoding="utf-8").replace(CHAIN_ROW_5, CHAIN_ROW_5.replace("- \\text{KL}", "+ \\text{KL}"))
    why = _explanation(text, checks, evaluations, "em-q-decomposition", 5)
    assert why["confirmed"] is False and (why["before"], why["after"]) == ("", "")
    assert why["text"].startswith("row 4 → 5: this does not preserve the value (")


def test_an_accent_added_inside_a_call_is_an_edit_of_the_whole_call():
    from latexeval.treediff import edits

    (edit,) = edits(r"a + \log p(x; \theta)", r"a + \log p(x; \hat{\theta})")
    assert edit[:2] == (r"\log p(x; \theta)", r"\log p(x; \hat{\theta})")


def test_a_call_the_row_before_writes_as_it_is_is_no_edit():
    from latexeval.treediff import edits

    assert edits(r"\int q(z) \log p(x; \theta) \mathrm{d} z", r"\log p(x; \theta)") == []


def test_the_changed_part_of_a_flipped_sign_is_the_term_around_it():
    from latexeval.treediff import changed_part

    assert changed_part("a + \\log b - c", "a - \\log b - c") == ("a + \\log b", "a - \\log b")


def _statuses(text: str, checks, evaluations):
    deck = parsed(text)
    report = Report()
    return verify_links(deck, checks, report, evaluate_deck(deck, evaluations, report).rows), report


REWRITTEN = (r"\log \frac{p(\bm{x}_i, \bm{z}; \theta)}{p(\bm{z}|\bm{x}_i; \hat{\theta})}",
             r"\left(\log p(\bm{x}_i, \bm{z}; \theta) - \log p(\bm{z}|\bm{x}_i; \hat{\theta})\right)")


@pytest.mark.slow
def test_a_meaning_preserving_rewrite_stays_verified_with_derivations_untouched(checks, evaluations):
    text = DECK.read_text(encoding="utf-8")
    assert REWRITTEN[0] in text
    statuses, report = _statuses(text.replace(*REWRITTEN, 1), checks, evaluations)
    assert all(s.status == "verified" for st in statuses.values() for s in st.steps)
    assert not report.errors


@pytest.mark.slow
def test_a_meaning_preserving_rewrite_stays_proved_with_derivations_untouched(checks, evaluations):
    text = DECK.read_text(encoding="utf-8")
    before, _ = _statuses(text, checks, evaluations)
    after, _ = _statuses(text.replace(*REWRITTEN, 1), checks, evaluations)
    strengths = [s.strength for s in before["em-q-decomposition"].steps]
    assert strengths.count("proved") >= 4  # row 1 states two relations, a check ties one: evaluated only
    assert [s.strength for s in after["em-q-decomposition"].steps] == strengths


@pytest.mark.slow
def test_a_row_is_proved_only_by_a_check_tied_to_it_by_value(checks, evaluations):
    statuses, _ = _statuses(DECK.read_text(encoding="utf-8"), checks, evaluations)
    proved = [s for st in statuses.values() for s in st.steps if s.strength == "proved"]
    assert len(proved) >= 26
    assert all("tied to the row by value" in s.reason for s in proved)


@pytest.mark.slow
def test_a_row_of_two_relations_is_not_proved_by_a_check_of_one(checks, evaluations):
    statuses, _ = _statuses(DECK.read_text(encoding="utf-8"), checks, evaluations)
    first = statuses["em-q-decomposition"].steps[0]  # Q(θ, θ̂) = Σ E[…] = Σ ∫ …: the check ties the first =
    assert first.strength == "evaluated" and "several relations" in first.reason


@pytest.mark.slow
def test_checks_swapped_between_two_derivations_do_not_prove_their_equivalence_rows(checks, evaluations):
    """Same row texts and relations, each id naming the other's check: '<=> in phi' is no proof of '<=> in theta'."""
    text = DECK.read_text(encoding="utf-8")
    swapped = text.replace('id="vae-e-step"', 'id="@"').replace('id="vae-m-step"', 'id="vae-e-step"') \
        .replace('id="@"', 'id="vae-m-step"')
    statuses, _ = _statuses(swapped, checks, evaluations)
    for did in ("vae-e-step", "vae-m-step"):
        assert statuses[did].steps[1].strength == "evaluated"
        assert "not tied to this row by value" in statuses[did].steps[1].reason


@pytest.mark.slow
def test_a_check_that_computes_another_formula_is_flagged_on_its_row(checks, evaluations):
    """Its text unchanged, the row no longer means what the check proves (here: the check's values are row 1's)."""
    other = copy.deepcopy(checks)
    results = other["em-q-decomposition"]["results"]
    results[2]["values"] = results[0]["values"]
    deck = parsed(DECK.read_text(encoding="utf-8"))
    report = Report()
    step = verify_links(deck, other, report, evaluate_deck(deck, evaluations, report).rows)[
        "em-q-decomposition"].steps[2]
    assert (step.status, step.strength) == ("verified", "evaluated")
    (flag,) = [d for d in report.items if "proves another formula than the row" in d.message]
    row = next(lk for lk in deck.links if lk.id == "em-q-decomposition").rows[2]
    assert (flag.line, flag.col) == (row.line, row.col) and "step 3" in flag.message


def _truth(lhs, rhs, draws="d"):
    return RowTruth(1, True, "", sides={"gmm": {"draws": draws, "lhs": lhs, "rhs": rhs}})


def _values(lhs, rhs, draws="d"):
    return {"gmm": {"draws": draws, "lhs": lhs, "rhs": rhs}}


def test_a_check_equal_to_the_row_at_every_draw_is_tied():
    assert tie_by_value(_values([1.0, 2.0], [3.0, 4.0]), _truth([1.0, 2.0], [3.0, 4.0])) is True


def test_a_check_that_differs_at_one_draw_is_not_tied():
    assert tie_by_value(_values([1.0, 2.0], [3.0, 4.0]), _truth([1.0, 2.0], [3.0, 4.1])).startswith(DIFFERS)


def test_a_check_on_other_draws_is_not_tied():
    assert tie_by_value(_values([1.0], [3.0], "a"), _truth([1.0], [3.0], "b")) == "no model instance in common"


def test_a_check_finite_on_too_few_draws_is_not_tied():
    assert tie_by_value(_values([1.0, None, None], [3.0, None, None]), _truth([1.0, 5.0, 6.0], [3.0, 5.0, 6.0])) \
        == "its values are not finite on enough draws"


def _deck_with(tmp_path, body: str, notation: str | None = "dar-5-5", **kw):
    front = 'title: "T"\ndate: "2025-01-01"' + (f"\nnotation: {notation}" if notation else "")
    write_deck(tmp_path / "slides", "d.md", f"<slide-section>\n\n{body}\n\n</slide-section>\n", front)
    return build_into(tmp_path, tmp_path / "slides", **kw)


NEW_DERIVATION = r"""<slide-derivation id="my-new-step">

$$
\begin{align*}
\log \frac{p(\bm{x}_1, \bm{z}; \theta)}{p(\bm{z}|\bm{x}_1; \theta)}
&= \log p(\bm{x}_1, \bm{z}; \theta) - \log p(\bm{z}|\bm{x}_1; \theta) \\
&= \log p(\bm{x}_1; \theta) \\
&\ge \log p(\bm{x}_1; \theta) - \text{KL}(q(\bm{z}|\bm{x}_1; \phi) \| p(\bm{z}|\bm{x}_1; \theta))
\end{align*}
$$

</slide-derivation>"""


def test_a_new_derivation_with_only_its_notation_is_evaluated_without_python(tmp_path, cache_dir):
    result = _deck_with(tmp_path, NEW_DERIVATION, cache_dir=cache_dir)
    assert not result.report.errors, [d.format() for d in result.report.errors]
    (deck,) = result.decks
    assert deck.steps["linked"] == 3 and deck.steps["verified"] == 3
    assert deck.relations["evaluated"] == 3 and deck.relations["failing"] == 0
    html = (tmp_path / "_site" / "d" / "index.html").read_text(encoding="utf-8")
    assert html.count('data-strength="evaluated"') >= 3


@pytest.mark.slow
def test_the_wrong_variant_of_a_new_derivation_fails_check(failing_check):
    assert failing_check.returncode == 1
    assert re.search(r"variant.md:16:\d+: error: derivation 'my-new-step' row 3 does not hold: on \S+ at draw \d+: "
                     r"lhs = \S+, rhs = \S+", failing_check.stderr), failing_check.stderr[-2000:]


def test_two_derivations_with_one_id_are_an_error_naming_both(tmp_path, cache_dir):
    body = NEW_DERIVATION + "\n\n" + NEW_DERIVATION
    result = _deck_with(tmp_path, body, cache_dir=cache_dir)
    (err,) = [d for d in result.report.errors if "used twice" in d.message]
    assert err.line == 22 and "d.md:9:1" in err.message


@pytest.mark.slow
def test_a_false_formula_outside_derivations_fails_check_with_file_line_and_values(failing_check):
    assert failing_check.returncode == 1
    assert re.search(r"false.md:9:5: error: this formula does not hold on the deck's models \(dar-5-5\): "
                     r"on \S+ at draw \d+: lhs = \S+, rhs = \S+", failing_check.stderr), failing_check.stderr[-2000:]


@pytest.mark.slow
def test_check_counts_the_relations_of_decks_that_fail(failing_check):
    out = failing_check.stdout
    assert failing_check.returncode == 1 and "checked 3 deck(s)" in out, out
    assert re.search(r"false.md: 1 slides, 1 formulas\n\s+relations: 0 proved, 0 evaluated, 0 definition, 0 assumed, "
                     r"0 not checked, 1 failing", out), out
    assert re.search(r"variant.md: .*steps: 3 linked, 2 verified, 0 stale, 1 failing", out), out


def test_a_false_formula_is_marked_on_the_slide_and_the_site_still_written(tmp_path):
    result = _deck_with(tmp_path, FALSE_CLAIM)
    assert result.written and not result.report.errors
    html = (tmp_path / "_site" / "d" / "index.html").read_text(encoding="utf-8")
    assert 'class="formula-check" data-strength="failing"' in html


def _in_chromium(tab, tmp_path, script: str, screenshot: str | None = None):
    """`script` evaluated in the deck `_deck_with` built, opened from its file once Reveal is ready."""
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto((tmp_path / "_site" / "d" / "index.html").as_uri())
    page.wait_for_selector(".reveal.ready")
    value = page.evaluate(script)
    if screenshot:
        (ARTIFACTS / "verify").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "verify" / screenshot))
    return value


@pytest.mark.slow
def test_a_false_formula_is_flagged_where_the_audience_sees_it_and_a_true_one_is_not(tmp_path, tab):
    """The lecturer presents from a site `python build.py` wrote despite a false formula: the slide shows it."""
    result = _deck_with(tmp_path, "wrong: $\\text{ELBO} \\ge \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)$, right: "
                                  "$\\text{ELBO} \\le \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)$")
    assert result.written
    marks = _in_chromium(tab, tmp_path, """[...document.querySelectorAll('.formula-check')].map(e => ({
        strength: e.dataset.strength, outline: getComputedStyle(e).outlineStyle,
        badge: getComputedStyle(e, '::after').content, display: getComputedStyle(e).display}))""",
                         screenshot="failing-formula.png")
    # an inline outline is drawn round each of KaTeX's chunks (overlapping boxes); one box round an atomic inline
    assert marks[0].pop("display") == "inline-block" and marks[1].pop("display") == "inline"
    assert marks == [{"strength": "failing", "outline": "dashed", "badge": '"✗ failing"'},
                     {"strength": "evaluated", "outline": "none", "badge": "none"}]


# A derivation's and its rows' marks in every state, put on the deck's first slide: the words its stylesheet shows.
_BADGES_IN_EVERY_STATE = """() => {
  const slide = document.querySelector('.reveal .slides > section');
  const said = {};
  for (const state of ['failing', 'stale', 'unverified']) {
    const derivation = document.createElement('div');
    derivation.className = 'slide-derivation';
    derivation.dataset.status = state;
    derivation.innerHTML = `<span class="katex"><span class="dv-row" data-status="${state}"><span>x</span></span></span>`;
    slide.append(derivation);
    said['derivation ' + state] = getComputedStyle(derivation, '::before').content;
    said['row ' + state] = getComputedStyle(derivation.querySelector('.dv-row > :last-child'), '::after').content;
  }
  said.formula = getComputedStyle(document.querySelector('.formula-check[data-strength="failing"]'), '::after').content;
  return said;
}"""


@pytest.mark.slow
def test_the_marks_on_a_chinese_deck_speak_chinese(tmp_path, tab):
    result = _deck_with(tmp_path, "这一页的公式写错了: $\\text{ELBO} \\ge \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)$, "
                                  "讲课时一眼就能看到。")
    assert result.written
    said = _in_chromium(tab, tmp_path, _BADGES_IN_EVERY_STATE)
    assert said == {"formula": '"✗ 不成立"',
                    "derivation failing": '"✗ 推导不成立"', "row failing": '"✗ 不成立"',
                    "derivation stale": '"? 推导已过期"', "row stale": '"? 已过期"',
                    "derivation unverified": '"推导未验证"', "row unverified": '"未验证"'}


def test_a_definition_that_states_a_false_claim_fails(tmp_path):
    result = _deck_with(tmp_path, "<slide-definition>$\\text{ELBO} \\ge \\sum_{i=1}^N "
                                  "\\log p(\\bm{x}_i; \\theta)$</slide-definition>")
    assert result.decks[0].relations["failing"] == 1
    assert any("\"definition\" states a claim" in d.message for d in result.report.items)


def test_a_definition_that_introduces_a_name_is_honoured(tmp_path):
    result = _deck_with(tmp_path, "<slide-definition>$r_i = \\log p(\\bm{x}_i; \\theta) + 1$</slide-definition> "
                                  "and <slide-definition>$F \\triangleq \\text{ELBO}$</slide-definition>")
    assert result.decks[0].relations["definition"] == 2 and not result.report.items


def test_a_true_claim_marked_as_a_definition_is_evaluated(tmp_path):
    result = _deck_with(tmp_path, "<slide-definition>$\\text{ELBO} \\le \\sum_{i=1}^N "
                                  "\\log p(\\bm{x}_i; \\theta)$</slide-definition>")
    assert result.decks[0].relations["evaluated"] == 1


def test_formulas_that_cannot_be_evaluated_are_counted_and_strict_makes_them_errors(tmp_path):
    body = "where $\\mathbb{E}[\\log Y] \\le \\log \\mathbb{E}[Y]$ by Jensen"
    relaxed = _deck_with(tmp_path / "a", body)
    assert relaxed.decks[0].relations["not checked"] == 1 and not relaxed.report.errors
    strict = _deck_with(tmp_path / "b", body, strict=True)
    assert any("not checked" in d.message for d in strict.report.errors)


def test_relation_differing_from_the_check_fails_by_evaluation(tmp_path, cache_dir):
    result = _deck_with(tmp_path, '<slide-derivation id="elbo-bound">\n\n$$\n\\text{ELBO} \\ge \\sum_{i=1}^N '
                                  '\\log p(\\bm{x}_i; \\theta)\n$$\n\n</slide-derivation>', cache_dir=cache_dir)
    assert result.decks[0].steps["failing"] == 1


def test_a_check_used_by_no_slide_is_an_error(tmp_path, cache_dir):
    slides = tmp_path / "slides"
    shutil.copytree(ROOT / "slides", slides)
    deck = slides / "DAR-5-5.md"
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text.replace('<slide-derivation id="elbo-bound">', "<slide-fragment>"), encoding="utf-8")
    result = build_into(tmp_path, slides, cache_dir=cache_dir, require_all_checks_used=True)
    assert any("'elbo-bound' is linked from no slide" in d.message for d in result.report.errors)


def test_pages_show_the_status_of_every_row(project_site):
    site, _ = project_site
    html = (site / "dar-5-5" / "index.html").read_text(encoding="utf-8")
    statuses = re.findall(r'dv-row[^>]*data-status="(\w+)"', html)
    assert statuses and set(statuses) == {"verified"}
    assert 'class="derivation-details"' in html
