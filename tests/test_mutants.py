"""`check --mutants` on the project: the check command passes, generated wrong variants are caught, generated
rewrites accepted, no edit crashes."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from deckbuild.cache import Cache
from deckbuild.diagnostics import Report
from deckbuild.evaluate import EvaluationCache, evaluate_deck
from deckbuild.mutants import score_deck
from deckbuild.parse import parse_deck
from deckbuild.source import read_deck
from latexeval import fixed_statements
from latexeval.mutate import variants

def _operators(latex: str, kind: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in variants(latex):
        if v.kind == kind:
            out.setdefault(v.operator, []).append(v.latex)
    return out


def test_a_sign_is_flipped():
    assert "a - b" in _operators("a + b", "wrong")["sign flip"]


def test_kl_arguments_are_swapped():
    swapped = _operators(r"\text{KL}(p \| q)", "wrong")["KL(p‖q) → KL(q‖p)"]
    assert swapped == [r"\text{KL}(q \| p)"]


def test_sine_becomes_cosine_and_cosine_sine():
    ops = _operators(r"\sin^2 t + \cos^2 t = 1", "wrong")
    assert ops["sin → cos"] == [r"\cos^2 t + \cos^2 t = 1"] and ops["cos → sin"] == [r"\sin^2 t + \sin^2 t = 1"]


def test_the_max_of_numbers_becomes_their_min():
    assert _operators(r"\max(a, b) \ge a", "wrong")["max → min"] == [r"\min(a, b) \ge a"]


def test_theta_becomes_theta_hat():
    assert r"p(x; \hat{\theta})" in _operators(r"p(x; \theta)", "wrong")["θ → θ̂"]


def test_a_bound_is_reversed_and_made_an_equality():
    ops = _operators(r"a \le b", "wrong")
    assert {"\\le → \\ge", "\\le → ="} <= set(ops)


def test_an_equality_is_not_weakened_into_a_bound():
    assert not any("→" in op and op.startswith("=") for op in _operators("a = b", "wrong"))


def test_dropping_a_log_on_the_larger_side_of_a_bound_is_no_wrong_variant():
    assert "dropped log" not in _operators(r"a \le \sum_{i=1}^N \log p(x_i)", "wrong")  # log t < t: still true


def test_dropping_a_log_on_the_lesser_side_of_a_bound_is_a_wrong_variant():
    assert _operators(r"\sum_{i=1}^N \log p(x_i) \le a", "wrong")["dropped log"] == [r"\sum_{i=1}^N p(x_i) \le a"]


def test_dropping_a_subtracted_log_on_the_larger_side_is_a_wrong_variant():
    assert _operators(r"a \le - \log 2", "wrong")["dropped log"] == [r"a \le - 2"]


def test_raising_a_bound_s_constant_is_no_wrong_variant():
    assert "coefficient change" not in _operators(r"a \le \log 2", "wrong")


def test_raising_the_lesser_side_s_constant_is_a_wrong_variant():
    assert _operators(r"0 \le a \le \log 2", "wrong")["coefficient change"] == [r"1 \le a \le \log 2"]


def test_symbols_an_evaluation_point_makes_equal_are_not_swapped_inside_it():
    ops = _operators(r"\left. p(x; \hat{\theta}) q(\theta) \right|_{\hat{\theta} = \theta} = p(x; \theta)", "wrong")
    assert ops["θ → θ̂"] == [r"\left. p(x; \hat{\theta}) q(\theta) \right|_{\hat{\theta} = \hat{\theta}} = p(x; \theta)",
                           r"\left. p(x; \hat{\theta}) q(\theta) \right|_{\hat{\theta} = \theta} = p(x; \hat{\theta})"]


def test_log_of_a_ratio_is_rewritten_as_a_difference():
    (rewrite,) = _operators(r"\log \frac{a}{b}", "rewrite")["log(a/b) → log a − log b"]
    assert rewrite == r"\left(\log \left(a\right) - \log \left(b\right)\right)"


def test_log_of_a_ratio_of_products_keeps_each_product_under_its_log():
    (rewrite,) = _operators(r"\log \frac{a b}{c}", "rewrite")["log(a/b) → log a − log b"]
    assert rewrite == r"\left(\log \left(a b\right) - \log \left(c\right)\right)"


def test_a_summation_index_is_renamed_everywhere():
    (rewrite,) = _operators(r"\sum_{i=1}^N x_i", "rewrite")["index i → j"]
    assert rewrite == r"\sum_{j=1}^N x_j"


def test_words_in_text_are_not_edited():
    assert all("KL" in v.latex for v in variants(r"\text{KL}(p \| q) + 1"))


def test_a_free_variable_s_domain_gets_no_wrong_variant():
    latex = r"t - 1 - \log t \ge 0, \; \forall t > 0"
    fixed = fixed_statements(latex, "dar-5-5")
    assert fixed == {1} and all("\\forall t > 0" in v.latex for v in variants(latex, fixed=fixed) if v.kind == "wrong")


def test_the_claim_beside_a_domain_still_gets_wrong_variants():
    latex = r"t - 1 - \log t \ge 0, \; \forall t > 0"
    assert "\\ge → \\le" in {v.operator for v in variants(latex, fixed=fixed_statements(latex, "dar-5-5"))}


def test_a_row_s_own_definition_gets_no_wrong_variant():
    row = r"&= \frac{1}{2} \left(t - \frac{1}{t} - 2 \log t\right), \quad t = \frac{\sigma_1^2}{\sigma_2^2}"
    fixed = fixed_statements(row, "divergences", row=True)
    wrong = [v.latex for v in variants(row, fixed=fixed) if v.kind == "wrong"]
    assert fixed == {1} and wrong and all(r"t = \frac{\sigma_1^2}{\sigma_2^2}" in w for w in wrong)


def test_a_second_definition_of_a_name_is_a_claim_that_gets_wrong_variants():
    latex = r"w \ge 1, \; w = t^2 + 1, \; w = 1 + t^2, \; \forall t > 0"
    assert fixed_statements(latex, "dar-5-5") == {1, 3}


def test_a_name_the_notation_knows_is_no_definition_to_leave_alone():
    assert fixed_statements(r"\text{ELBO} \le 0, \; \text{ELBO} = \text{ELBO}(\phi, \theta)", "dar-5-5") == set()


def test_flipping_the_sign_of_zero_mean_noise_is_a_rewrite():
    latex = (r"\mathbb{E}_{\bm{\epsilon} \sim \mathcal{N}(\bm{0}, \bm{I})} [\log p(\bm{x}_i | \bm{\mu}_\phi(\bm{x}_i) "
             r"+ \bm{\sigma}_\phi(\bm{x}_i) \odot \bm{\epsilon}; \theta)]")
    assert "ε → −ε (a zero-mean normal is symmetric)" in _operators(latex, "rewrite")
    assert "sign flip" not in _operators(latex, "wrong")


def test_flipping_the_sign_of_noise_that_is_not_zero_mean_is_wrong():
    latex = r"\mathbb{E}_{\bm{\epsilon} \sim \mathcal{N}(\bm{1}, \bm{I})} [a + b \bm{\epsilon}]"
    assert "sign flip" in _operators(latex, "wrong")


CONTINUED = """---
title: "T"
notation: dar-5-5
---

<slide-section>
## T

<slide-derivation id="continued">

$$
\\begin{align*}
Q(\\theta, \\hat{\\theta})
&\\Leftrightarrow \\sum_{i=1}^N \\int_{\\bm{z}} p(\\bm{z}|\\bm{x}_i; \\hat{\\theta})
\\log \\frac{p(\\bm{x}_i, \\bm{z}; \\theta)}{p(\\bm{z}|\\bm{x}_i; \\hat{\\theta})} \\mathrm{d} \\bm{z} \\\\
&= \\sum_{i=1}^N \\int_{\\bm{z}} p(\\bm{z}|\\bm{x}_i; \\hat{\\theta})
\\log \\frac{p(\\bm{z}| \\bm{x}_i; \\theta) p(\\bm{x}_i; \\theta)}{p(\\bm{z}|\\bm{x}_i; \\hat{\\theta})} \\mathrm{d} \\bm{z} \\\\
&= \\sum_{i=1}^N \\Big\\{\\log p(\\bm{x}_i; \\theta) - \\text{KL}(p(\\bm{z}|\\bm{x}_i; \\hat{\\theta}) \\| p(\\bm{z}|\\bm{x}_i; \\theta)) \\Big\\}
\\end{align*}
$$

</slide-derivation>
</slide-section>
"""


def _score_of(text: str) -> dict:
    report = Report()
    deck = parse_deck(read_deck("slides/T.md", "t", text, report), report)
    return score_deck(deck, evaluate_deck(deck, EvaluationCache(Cache(None)), report), quiet=True)


@pytest.mark.slow
def test_a_rewrite_of_a_row_after_a_continued_row_is_read_with_the_rows_before_it():
    score = _score_of(CONTINUED)
    assert score["rewrites"] > 0 and score["rejected"] == []


@pytest.fixture(scope="module")
def mutants_command(tmp_path_factory, warm_cache):
    """`build.py check --mutants` on the project, run once for this module: the check command's verdict on
    slides/ (it trusts no cache: every SymPy check is run again) and every generated edit of every formula
    through the command. The figures come from a copy of the session's cache."""
    cache = tmp_path_factory.mktemp("mutants") / "cache"
    shutil.copytree(warm_cache, cache)
    return subprocess.run([sys.executable, "build.py", "check", "--mutants", "--cache", str(cache)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.mark.slow
def test_check_command_passes_on_the_project(mutants_command):
    assert mutants_command.returncode == 0, mutants_command.stderr[-3000:]
    assert re.search(r"slides/DAR-5-5.md: \d+ slides, \d+ formulas, steps: (\d+) linked, \1 verified, 0 stale, 0 failing",
                     mutants_command.stdout)


SCORE_LINE = re.compile(r"^  slides/DAR-5-5\.md: wrong caught (\d+)/(\d+) \([^)]*\), rewrites accepted (\d+)/(\d+) ", re.M)


@pytest.fixture(scope="module")
def dar_score(mutants_command):
    """DAR-5-5's score as the command prints it (deckbuild.mutants.format_score)."""
    caught, wrong, accepted, rewrites = map(int, SCORE_LINE.search(mutants_command.stdout).groups())
    slipped = [line.split("slipped through: ", 1)[1] for line in mutants_command.stdout.splitlines()
               if line.startswith("    slipped through: ")]
    return {"wrong": wrong, "caught": caught, "rewrites": rewrites, "accepted": accepted,
            "slipped": [{"where": item} for item in slipped]}


@pytest.mark.slow
def test_dar_5_5_catches_most_generated_wrong_variants(dar_score):
    assert dar_score["wrong"] >= 1000  # measured 1069
    # measured 0.988 (1056/1069; the target is 0.98): of the 13 that slip, 12 are true formulas in disguise (README)
    assert dar_score["caught"] / dar_score["wrong"] >= 0.987


@pytest.mark.slow
def test_dar_5_5_accepts_most_generated_rewrites(dar_score):
    assert dar_score["rewrites"] >= 340  # measured 352
    assert dar_score["accepted"] == dar_score["rewrites"]  # measured 1.0 (352/352); the target is 0.95


@pytest.mark.slow
def test_every_slipped_variant_is_named_by_file_line_and_column(dar_score):
    assert len(dar_score["slipped"]) == dar_score["wrong"] - dar_score["caught"]
    assert all(re.match(r"slides/DAR-5-5\.md:\d+:\d+: ", s["where"]) for s in dar_score["slipped"])


@pytest.mark.slow
def test_no_edit_of_any_formula_gives_a_traceback(mutants_command):
    """Every generated edit of every formula of the deck goes through the command: messages, never a traceback."""
    assert "Traceback" not in mutants_command.stderr and "Traceback" not in mutants_command.stdout
    assert "wrong caught" in mutants_command.stdout
