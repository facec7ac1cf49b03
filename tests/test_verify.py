"""Slides and checks are held together: a changed row, a broken check or a wrong row fails, naming file:line and step."""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, build_into, write_deck
from deckbuild.diagnostics import Report
from deckbuild.evaluate import EvaluationCache, evaluate_deck
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck
from deckbuild.verify import load_checks, verify_links

DECK = ROOT / "slides" / "DAR-5-5.md"
CHAIN_ROW_5 = r"&= \sum_{i=1}^N \Big\{\log p(\bm{x}_i; \theta) - \text{KL}"


@pytest.fixture(scope="module")
def checks():
    return load_checks(ROOT / ".cache")


def parsed(text: str):
    report = Report()
    deck = parse_deck(read_deck("slides/DAR-5-5.md", "dar-5-5", text, report), report)
    assert not report.errors
    return deck


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_every_linked_step_of_the_deck_is_verified(checks, tmp_path):
    deck = parsed(DECK.read_text(encoding="utf-8"))
    report = Report()
    truths = evaluate_deck(deck, EvaluationCache(None), report)
    statuses = verify_links(deck, checks, report, truths)
    bad = [(lid, s.index, s.status, s.evaluation) for lid, st in statuses.items() for s in st.steps if s.status != "verified"]
    assert bad == []
    assert sum(len(st.steps) for st in statuses.values()) >= 40


def test_check_command_passes_on_the_project():
    proc = subprocess.run([sys.executable, "build.py", "check"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"slides/DAR-5-5.md: \d+ slides, \d+ formulas, steps: (\d+) linked, \1 verified, 0 stale, 0 failing",
                     proc.stdout)


def test_a_changed_row_is_stale_and_check_names_the_line(tmp_path):
    text = DECK.read_text(encoding="utf-8")
    assert CHAIN_ROW_5 in text
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "DAR-5-5.md").write_text(text.replace(CHAIN_ROW_5, CHAIN_ROW_5.replace("- \\text{KL}", "+ \\text{KL}")),
                                       encoding="utf-8")
    proc = subprocess.run([sys.executable, "build.py", "check", "--slides", str(slides)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    line = line_of(text, CHAIN_ROW_5)
    assert re.search(rf"DAR-5-5.md:{line}:\d+: warning: derivation 'em-q-decomposition' step 5 is stale", proc.stderr), \
        proc.stderr[-2000:]


def test_a_failing_check_marks_its_step_failing(checks):
    deck = parsed(DECK.read_text(encoding="utf-8"))
    broken = copy.deepcopy(checks)
    broken["em-q-decomposition"]["results"][1]["ok"] = False
    broken["em-q-decomposition"]["results"][1]["detail"] = "lhs - rhs depends on theta"
    report = Report()
    status = verify_links(deck, broken, report)["em-q-decomposition"]
    assert [s.status for s in status.steps] == ["verified", "failing", "verified", "verified", "verified"]
    assert status.status == "failing"
    (warning,) = [d for d in report.items if "fails its check" in d.message]
    row = next(lk for lk in deck.links if lk.id == "em-q-decomposition").rows[1]
    assert "step 2" in warning.message and (warning.line, warning.col) == (row.line, row.col)


def test_a_wrong_row_fails_even_when_its_check_passes(checks):
    """The row is edited and its check 'updated' (fingerprint only): evaluating the slide's LaTeX catches it."""
    text = DECK.read_text(encoding="utf-8").replace(CHAIN_ROW_5, CHAIN_ROW_5.replace("- \\text{KL}", "+ \\text{KL}"))
    deck = parsed(text)
    link = next(lk for lk in deck.links if lk.id == "em-q-decomposition")
    fooled = copy.deepcopy(checks)
    fooled["em-q-decomposition"]["steps"][4]["fingerprint"] = link.rows[4].fingerprint
    report = Report()
    status = verify_links(deck, fooled, report, evaluate_deck(deck, EvaluationCache(None), report))
    assert status["em-q-decomposition"].steps[4].status == "failing"
    assert any("step 5" in d.message and "does not hold" in d.message and d.line == link.rows[4].line
               for d in report.items)


def _deck_with(tmp_path, derivation: str):
    body = f"<slide-section>\n\n{derivation}\n\n</slide-section>\n"
    write_deck(tmp_path / "slides", "d.md", body)
    return build_into(tmp_path, tmp_path / "slides", cache_dir=ROOT / ".cache")


def test_a_linked_derivation_without_a_check_is_an_error(tmp_path):
    result = _deck_with(tmp_path, '<slide-derivation id="no-such-check">\n\n$$\na = b\n$$\n\n</slide-derivation>')
    assert any("has no check" in d.message and d.line == 8 for d in result.report.errors)


def test_step_count_differing_from_the_check_is_an_error(tmp_path):
    result = _deck_with(tmp_path, '<slide-derivation id="em-to-vae-bound">\n\n$$\na = b\n$$\n\n</slide-derivation>')
    assert any("1 rows on the slide but its check declares 2 steps" in d.message for d in result.report.errors)


def test_relation_differing_from_the_check_is_an_error(tmp_path):
    result = _deck_with(tmp_path, '<slide-derivation id="elbo-bound">\n\n$$\n\\text{ELBO} \\ge \\sum_{i=1}^N \\log p(\\bm{x}_i; \\theta)\n$$\n\n</slide-derivation>')
    assert any("the slide says \\ge but the check proves \\le" in d.message and d.line == 11 for d in result.report.errors)


def test_a_check_used_by_no_slide_is_an_error(tmp_path):
    slides = tmp_path / "slides"
    shutil.copytree(ROOT / "slides", slides)
    deck = slides / "DAR-5-5.md"
    text = deck.read_text(encoding="utf-8")
    deck.write_text(text.replace('<slide-derivation id="elbo-bound">', "<slide-fragment>"), encoding="utf-8")
    result = build_into(tmp_path, slides, cache_dir=ROOT / ".cache", require_all_checks_used=True)
    assert any("'elbo-bound' is linked from no slide" in d.message for d in result.report.errors)


def test_pages_show_the_status_of_every_row(project_site):
    site, _ = project_site
    html = (site / "dar-5-5" / "index.html").read_text(encoding="utf-8")
    statuses = re.findall(r'dv-row[^>]*data-status="(\w+)"', html)
    assert statuses and set(statuses) == {"verified"}
    assert 'class="derivation-details"' in html
