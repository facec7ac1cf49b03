"""One model library: the derivation checks and the evaluator compute on latexeval.families."""
from __future__ import annotations

import numpy as np
import pytest

from derivations import models as fixtures
from derivations import terms as T
from latexeval import families
from latexeval.relations import _draws, instance


def test_check_fixtures_are_built_on_the_evaluators_families():
    sym = fixtures.DISCRETE.symbolic_model()
    lg = fixtures.LINEAR_GAUSSIAN.symbolic_model()
    assert isinstance(sym.family, families.Mixture) and isinstance(lg.family, families.LinearGaussian)


def test_evaluator_instances_compute_with_the_same_families():
    assert isinstance(instance("gmm").family, families.Mixture)
    assert isinstance(instance("linear-gaussian").family, families.LinearGaussian)


def _gmm_draw():
    draws = _draws("gmm", (("phi", "variational"), ("theta", "model"), ("theta_hat", "model")), frozenset())
    return instance("gmm"), draws


def test_a_check_term_at_the_evaluators_draw_is_the_evaluators_q():
    gmm, d = _gmm_draw()
    M = gmm.latent_model(d["theta"], d["theta_hat"], d["phi"])
    np.testing.assert_allclose(T.q_function(M), gmm.expected_complete_loglik(d["theta"], d["theta_hat"]), rtol=1e-12)


def test_a_check_term_at_the_evaluators_draw_is_the_evaluators_elbo():
    gmm, d = _gmm_draw()
    M = gmm.latent_model(d["theta"], d["theta_hat"], d["phi"])
    np.testing.assert_allclose(T.elbo(M), gmm.elbo(d["phi"], d["theta"]), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong term overflows at some draws: it still differs
def test_a_wrong_check_term_differs_at_the_evaluators_draw():
    gmm, d = _gmm_draw()
    M = gmm.latent_model(d["theta"], d["theta_hat"], d["phi"])
    assert not np.allclose(T.evidence_minus_gap(M, sign=+1), T.evidence_minus_gap(M))


@pytest.mark.parametrize("name", ["linear-gaussian", "linear-gaussian-unit-q"])
def test_linear_gaussian_closed_forms_agree_with_the_families_posterior(name):
    lg = instance(name)
    d = _draws(name, (("phi", "variational"), ("theta", "model")), frozenset())
    M = lg.latent_model(d["theta"], None, d["phi"])
    np.testing.assert_allclose(M.elbo(), lg.elbo(d["phi"], d["theta"]), rtol=1e-12)


def _imported_modules(package: str) -> set[str]:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / package
    names = set()
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["latexeval", "derivations", "katexbridge"])
def test_libraries_import_nothing_from_the_application(package):
    assert not {m for m in _imported_modules(package) if m.split(".")[0] == "deckbuild"}


def test_the_katex_bridge_imports_neither_the_build_nor_the_evaluator():
    assert not {m for m in _imported_modules("katexbridge") if m.split(".")[0] in ("deckbuild", "latexeval")}
