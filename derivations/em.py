"""EM and the ELBO: the chain of slide "(期望) 对数似然间的关系" and what follows from it.

Every identity is checked on both latent fixtures: the discrete one (any joint
table, the GMM case) and the linear-Gaussian one (continuous z, closed forms).
"<=>" is always "in theta": theta_hat is where EM froze its posterior.
"""

from __future__ import annotations

from . import engine as E
from . import terms as T
from .models import DISCRETE, LINEAR_GAUSSIAN
from .registry import derivation

LATENT = (DISCRETE, LINEAR_GAUSSIAN)


def _kl_gaps(M):
    return [E.kl_term(p, q) for p, q in T.gap_terms(M)]


# --------------------------------------------------------------------------- #
Q = derivation("em-q-decomposition", "(期望) 对数似然间的关系")


@Q.step(1, "=", "Q is a sum of per-sample posterior expectations")
def q_is_sum_of_posterior_expectations():
    """E over all z = (z_1..z_N) of sum_i log p(x_i, z_i) splits per sample only because
    each posterior integrates to 1: a real fact, not notation."""
    return E.equal(T.expected_loglik_all_z, T.expected_complete_loglik, LATENT)


@Q.step(2, "<=>", "dividing by p(z|x_i; theta_hat) only adds a theta-free entropy")
def q_equivalent_to_posterior_bound():
    return E.equivalent(T.expected_complete_loglik, T.posterior_bound, "theta", LATENT)


@Q.step(3, "=", "Bayes: p(x_i, z) = p(z|x_i) p(x_i)")
def bayes_rule_inside_the_log():
    return E.equal(T.posterior_bound, T.bayes_rewrite, LATENT)


@Q.step(4, "=", "log of a product is a sum of logs")
def log_of_product():
    return E.equal(T.bayes_rewrite, T.log_split, LATENT)


@Q.step(5, "=", "the posterior integrates to 1; what remains is -KL")
def evidence_minus_kl_gap():
    return E.equal(T.log_split, T.evidence_minus_gap, LATENT)


@Q.wrong(1, "sum over i stops at N-1")
def _q_sum_misses_a_sample():
    return E.equal(T.expected_loglik_all_z, lambda M: T.expected_complete_loglik(M, drop_last=True), LATENT)


@Q.wrong(2, "p(z|x_i; theta) in the denominator instead of p(z|x_i; theta_hat)")
def _denominator_at_theta():
    return E.equivalent(T.expected_complete_loglik,
                        lambda M: T.posterior_bound(M, denominator_at=lambda m: m.theta), "theta", LATENT)


@Q.wrong(2, "'=' instead of '<=>' (the entropy term is not zero)")
def _equal_instead_of_equivalent():
    return E.equal(T.expected_complete_loglik, T.posterior_bound, LATENT)


@Q.wrong(3, "p(x_i; theta_hat) for p(x_i; theta) in Bayes' rule")
def _bayes_with_theta_hat():
    return E.equal(T.posterior_bound, lambda M: T.bayes_rewrite(M, evidence_at=lambda m: m.theta_hat), LATENT)


@Q.wrong(4, "log p(x_i; theta) dropped")
def _dropped_evidence():
    return E.equal(T.bayes_rewrite, lambda M: T.log_split(M, keep_evidence=False), LATENT)


@Q.wrong(5, "+KL for -KL")
def _plus_kl():
    return E.equal(T.log_split, lambda M: T.evidence_minus_gap(M, sign=+1), LATENT)


@Q.wrong(5, "KL arguments swapped")
def _swapped_kl():
    return E.equal(T.log_split, lambda M: T.evidence_minus_gap(M, swap=True), LATENT)


@Q.wrong(5, "log p(x_i; theta_hat) for log p(x_i; theta)")
def _evidence_at_theta_hat():
    return E.equal(T.log_split, lambda M: T.evidence_minus_gap(M, evidence_at=lambda m: m.theta_hat), LATENT)


# --------------------------------------------------------------------------- #
B = derivation("em-to-vae-bound", "从 EM 算法到 VAE")


@B.step(1, "<=>", "Q and the posterior bound have the same maximisers in theta")
def q_equivalent_to_bound():
    return E.equivalent(T.q_function, T.posterior_bound, "theta", LATENT)


@B.step(2, "=", "bound = marginal likelihood - GAP")
def bound_is_evidence_minus_gap():
    return E.equal(T.posterior_bound, T.evidence_minus_gap, LATENT)


@B.wrong(1, "<=> taken in theta_hat instead of theta")
def _equivalent_in_theta_hat():
    return E.equivalent(T.q_function, T.posterior_bound, "theta_hat", LATENT)


@B.wrong(2, "+GAP for -GAP")
def _plus_gap():
    return E.equal(T.posterior_bound, lambda M: T.evidence_minus_gap(M, sign=+1), LATENT)


@B.wrong(2, "GAP with swapped KL arguments")
def _gap_swapped():
    return E.equal(T.posterior_bound, lambda M: T.evidence_minus_gap(M, swap=True), LATENT)


# --------------------------------------------------------------------------- #
LB = derivation("em-lower-bound", "最大化 Q ⇔ 最大化似然下界")


@LB.step(1, "<=>", "maximising Q maximises likelihood minus GAP")
def q_equivalent_to_evidence_minus_gap():
    return E.equivalent(T.q_function, T.evidence_minus_gap, "theta", LATENT)


@LB.step(2, "<=", "GAP = KL >= 0, so it is a lower bound")
def evidence_minus_gap_is_lower_bound():
    return E.bound(T.evidence_minus_gap, T.log_evidence, "<=", _kl_gaps, LATENT)


@LB.wrong(1, "KL(p(z|x;theta) || p(z|x;theta_hat)) inside: not theta-free")
def _reverse_kl_gap():
    return E.equivalent(T.q_function, lambda M: T.evidence_minus_gap(M, swap=True), "theta", LATENT)


@LB.wrong(2, ">= for <=")
def _upper_bound_claim():
    return E.bound(T.evidence_minus_gap, T.log_evidence, ">=", _kl_gaps, LATENT)


# --------------------------------------------------------------------------- #
TB = derivation("em-tight-bound", "θ̂ = θ 时下界是紧的")


def _bound_at_theta(M):
    return T.posterior_bound(M.with_params(theta_hat=M.theta))


@TB.step(1, "=", "at theta_hat = theta the GAP vanishes")
def bound_tight_at_theta_hat():
    return E.equal(_bound_at_theta, T.log_evidence, LATENT)


@TB.wrong(1, "without theta_hat = theta")
def _tight_everywhere():
    return E.equal(T.posterior_bound, T.log_evidence, LATENT)


# --------------------------------------------------------------------------- #
AE = derivation("em-argmax-elbo", "ELBO (Evidence Lower Bound): EM 的 M 步")


@AE.step(1, "=", "EM's M-step maximises the posterior-weighted ELBO")
def m_step_is_argmax_of_elbo():
    """argmax is invariant under '<=>': the bound differs from Q by a theta-free term,
    and the closed-form GMM M-step is Q's global maximiser (gmm-m-step)."""
    from .gmm import m_step_maximises

    return E.combine(E.equivalent(T.q_function, T.posterior_bound, "theta", LATENT),
                     m_step_maximises("bound"))


@AE.wrong(1, "p(z|x_i; theta) in the denominator: the objective becomes the log-likelihood")
def _argmax_of_likelihood():
    from .gmm import m_step_maximises

    return m_step_maximises("loglik")


# --------------------------------------------------------------------------- #
EK = derivation("elbo-kl", "ELBO = 对数似然 − KL")


@EK.step(1, "=", "the ELBO integral equals its closed form")
def elbo_integral_matches_closed_form():
    return E.equal(T.elbo, T.elbo_integral, LATENT)


@EK.step(2, "=", "Bayes inside the log")
def elbo_bayes_rewrite():
    return E.equal(T.elbo_integral, T.elbo_bayes, LATENT)


@EK.step(3, "=", "ELBO = log-likelihood - KL(q || posterior)")
def elbo_is_evidence_minus_kl():
    return E.equal(T.elbo_bayes, T.evidence_minus_kl, LATENT)


@EK.wrong(2, "p(z) for p(z|x_i; theta)")
def _prior_for_posterior():
    return E.equal(T.elbo_integral, lambda M: T.elbo_bayes(M, use_prior=True), LATENT)


@EK.wrong(3, "KL(posterior || q) instead of KL(q || posterior)")
def _elbo_swapped_kl():
    return E.equal(T.elbo_bayes, lambda M: T.evidence_minus_kl(M, swap=True), LATENT)
