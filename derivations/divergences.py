"""KL and JS divergences (the homework "了解 KL 散度距离的非对称性以及 JS 散度").

GAP = KL >= 0 with equality iff p = q carries every inequality in the deck; it
rests on G(t) = t - 1 - log t >= 0 (zero only at t = 1), proved in engine.gibbs_lemma.
Identities are checked for categorical pairs and, where the integrals are
Gaussian, for normal pairs; JS of two normals has no closed form, so JS is
checked on categorical pairs only.
"""

from __future__ import annotations

import sympy as sp

from . import engine as E
from .engine import Categorical
from .models import CATEGORICAL_PAIR, NORMAL_PAIR, ZERO_MEAN_NORMAL_PAIR
from .registry import derivation

PAIRS = (CATEGORICAL_PAIR, NORMAL_PAIR)


def _kl(M):
    return M.p.kl(M.q)


def _kl_integral(M, flip_log=False):
    """int p log(p / q) dz  (log(q / p) if flip_log)"""
    return M.p.expect(lambda z: M.ops.log((M.q.pdf(z) / M.p.pdf(z)) if flip_log else (M.p.pdf(z) / M.q.pdf(z))))


def _distinct(M):
    """p and q differ somewhere (so KL must be strictly positive)."""
    if isinstance(M.p, Categorical):
        return sum(abs(a - b) for a, b in zip(M.p.probs, M.q.probs)) > 1e-3
    return abs(M.p.mean - M.q.mean) + abs(M.p.var - M.q.var) > 1e-3


def _gibbs_form(M):
    """int p (q/p - 1 - log(q/p)) dz"""
    return M.p.expect(lambda z: E.gibbs(M.q.pdf(z) / M.p.pdf(z)))


# --------------------------------------------------------------------------- #
NN = derivation("kl-nonnegative", "GAP = KL ≥ 0")


@NN.step(1, "=", "KL as an expectation of t - 1 - log t (p and q both integrate to 1)")
def kl_as_expected_gibbs():
    return E.chain(_kl, _kl_integral, _gibbs_form, fixtures=PAIRS)


def _kl_sign(relation):
    return E.bound(_gibbs_form, lambda M: 0, relation,
                   lambda M: [E.expected_gibbs(M.p, lambda z: M.q.pdf(z) / M.p.pdf(z))], PAIRS)


@NN.step(2, ">=", "KL >= 0, and KL = 0 only when p = q")
def kl_nonnegative_zero_iff_equal():
    same = E.equal(lambda M: M.p.kl(M.p), lambda M: 0, PAIRS)
    strict = [E.positive_where(_kl, fx, _distinct) for fx in PAIRS]
    return E.combine(E.gibbs_lemma(), _kl_sign(">="), same, *strict)


@NN.wrong(1, "log(q/p) for log(p/q)")
def _flipped_log():
    return E.equal(_kl, lambda M: _kl_integral(M, flip_log=True), PAIRS)


@NN.wrong(2, "<= for >=")
def _kl_nonpositive():
    return _kl_sign("<=")


# --------------------------------------------------------------------------- #
AS = derivation("kl-asymmetry", "KL 散度的非对称性")


def _kl_difference(M):
    return M.p.kl(M.q) - M.q.kl(M.p)


def _mixed_integral(M, sign=+1):
    """int (p + q) log(p / q) dz  ((p - q) if sign = -1)"""
    f = lambda z: M.ops.log(M.p.pdf(z) / M.q.pdf(z))  # noqa: E731
    return M.p.expect(f) + sign * M.q.expect(f)


def _variance_ratio_form(M, log_sign=-1):
    """(t - 1/t - 2 log t) / 2 with t = sigma_1^2 / sigma_2^2"""
    t = M.p.var / M.q.var
    return (t - 1 / t + log_sign * 2 * M.ops.log(t)) / 2


@AS.step(1, "=", "KL(p||q) - KL(q||p) = int (p + q) log(p/q)")
def kl_difference_integral():
    return E.equal(_kl_difference, _mixed_integral, PAIRS)


@AS.step(2, "=", "for zero-mean normals the difference is (t - 1/t - 2 log t)/2, non-zero for t != 1")
def kl_difference_for_normals():
    zero_mean = (ZERO_MEAN_NORMAL_PAIR,)
    identity = E.equal(_mixed_integral, _variance_ratio_form, zero_mean)
    t = sp.Symbol("t", positive=True)
    witness = sp.nsimplify((t - 1 / t - 2 * sp.log(t)).subs(t, 2)) != 0
    asymmetric = E.positive_where(lambda M: abs(_kl_difference(M)), ZERO_MEAN_NORMAL_PAIR,
                                  lambda M: abs(M.p.var / M.q.var - 1) > 0.05)
    return E.combine(identity, E.Outcome(witness, "symbolic", 1, 0.0, "t = 2 gives 3/4 - log 2 != 0"), asymmetric)


@AS.wrong(1, "(p - q) for (p + q)")
def _difference_with_minus():
    return E.equal(_kl_difference, lambda M: _mixed_integral(M, sign=-1), PAIRS)


@AS.wrong(1, "KL symmetric (difference 0)")
def _kl_symmetric():
    return E.equal(_kl_difference, lambda M: 0, PAIRS)


@AS.wrong(2, "+2 log t for -2 log t")
def _log_sign():
    return E.equal(_mixed_integral, lambda M: _variance_ratio_form(M, log_sign=+1), (ZERO_MEAN_NORMAL_PAIR,))


# --------------------------------------------------------------------------- #
JS = derivation("js-divergence", "JS 散度 (Jensen-Shannon Divergence)")
CAT = (CATEGORICAL_PAIR,)


def _mid(M):
    return Categorical(M.ops, [(a + b) / 2 for a, b in zip(M.p.probs, M.q.probs)])


def _half_kls(M, first="p", sign=+1):
    """KL(first || m)/2 + sign * KL(other || m)/2 with m = (p + q)/2"""
    a, b = (M.p, M.q) if first == "p" else (M.q, M.p)
    m = _mid(M)
    return a.kl(m) / 2 + sign * b.kl(m) / 2


def _entropy(d):
    return -sum(p * d.ops.log(p) for p in d.probs)


def _js_entropy_form(M, first="p"):
    """JS = H(m) - H(p)/2 - H(q)/2: an independent formula, symmetric by inspection only in p, q order."""
    a, b = (M.p, M.q) if first == "p" else (M.q, M.p)
    return _entropy(_mid(M)) - _entropy(a) / 2 - _entropy(b) / 2


def _js_nonneg(sign=+1):
    return E.bound(lambda M: 0, lambda M: _half_kls(M, sign=sign), "<=",
                   lambda M: [E.kl_term(M.p, _mid(M), sp.Rational(1, 2)), E.kl_term(M.q, _mid(M), sp.Rational(1, 2))],
                   CAT)


@JS.step(1, "<=", "JS is half a KL to the midpoint plus half another: >= 0")
def js_nonnegative():
    return E.combine(_js_nonneg(), E.equal(_half_kls, _js_entropy_form, CAT))


@JS.step(2, "=", "JS is symmetric")
def js_symmetric():
    return E.chain(_js_entropy_form, lambda M: _half_kls(M, first="q"), lambda M: _js_entropy_form(M, first="q"),
                   fixtures=CAT)


def _log2_slack(M):
    """log 2 - JS = sum_k [p_k (-log s_k) + q_k (-log(1 - s_k))] / 2 with s_k = p_k / (p_k + q_k) <= 1,
    and -log s = G(s) + (1 - s)."""
    terms = []
    for p, q in zip(M.p.probs, M.q.probs):
        s, c = p / (p + q), q / (p + q)
        terms += [E.gibbs_term(s, p / 2), E.nonneg(p * c / 2), E.gibbs_term(c, q / 2), E.nonneg(q * s / 2)]
    return terms


def _js_upper(relation="<=", bound=None):
    return E.bound(lambda M: _js_entropy_form(M, first="q"),
                   (lambda M: M.ops.log(2)) if bound is None else bound, relation, _log2_slack, CAT)


@JS.step(3, "<=", "JS <= log 2")
def js_at_most_log2():
    return _js_upper()


@JS.wrong(1, "1/2 KL(p||m) - 1/2 KL(q||m) >= 0")
def _js_difference_nonneg():
    return _js_nonneg(sign=-1)


@JS.wrong(2, "the symmetrised KL (KL(p||q) + KL(q||p))/2 for JS")
def _js_as_symmetrised_kl():
    return E.equal(_js_entropy_form, lambda M: (M.p.kl(M.q) + M.q.kl(M.p)) / 2, CAT)


@JS.wrong(3, ">= for <=")
def _js_above_log2():
    return _js_upper(">=")


@JS.wrong(3, "JS <= log(2)/2")
def _js_below_half_log2():
    return _js_upper(bound=lambda M: M.ops.log(2) / 2)
