"""From VAE back to EM: coordinate ascent on the ELBO is EM when q is unrestricted, and
leaves a GAP when the posterior is outside q's family.

"<=>" is in phi for the E-step and in theta for the M-step.  The M-step
equivalence needs p(z) free of theta (true for a VAE); with a learnable prior (a
GMM's alpha) it fails, and that failure is one of the wrong variants.
"""

from __future__ import annotations

from . import engine as E
from . import terms as T
from .engine import Normal
from .models import DISCRETE, DISCRETE_FIXED_PRIOR, LINEAR_GAUSSIAN, LINEAR_GAUSSIAN_UNIT_Q
from .registry import derivation

LATENT = (DISCRETE, LINEAR_GAUSSIAN)
VAE_LATENT = (DISCRETE_FIXED_PRIOR, LINEAR_GAUSSIAN)


def _neg_kl(M, swap=False):
    return -T.kl_to_posterior(M, swap)


def _recon_minus_prior_kl(M, drop_kl=False):
    """sum_i E_q[log p(x_i|z; theta)] - sum_i KL(q(z|x_i; phi) || p(z))"""
    return T.reconstruction(M) - (0 if drop_kl else T.kl_to_prior(M))


# --------------------------------------------------------------------------- #
ES = derivation("vae-e-step", "从 VAE 到 EM: E 步")


@ES.step(1, "=", "ELBO = log-likelihood - KL(q || posterior)")
def elbo_splits_for_e_step():
    return E.equal(T.elbo, T.evidence_minus_kl, LATENT)


@ES.step(2, "<=>", "with theta fixed, only -KL depends on phi")
def e_step_equivalent_to_neg_kl():
    return E.equivalent(T.evidence_minus_kl, _neg_kl, "phi", LATENT)


@ES.wrong(1, "+KL for -KL")
def _e_plus_kl():
    return E.equal(T.elbo, lambda M: T.evidence_minus_kl(M, sign=+1), LATENT)


@ES.wrong(2, "<=> in theta instead of phi (log p(x_i; theta) moves)")
def _e_step_in_theta():
    return E.equivalent(T.evidence_minus_kl, _neg_kl, "theta", LATENT)


@ES.wrong(2, "KL(p(z|x_i) || q) instead of KL(q || p(z|x_i))")
def _e_step_swapped_kl():
    return E.equivalent(T.evidence_minus_kl, lambda M: _neg_kl(M, swap=True), "phi", LATENT)


# --------------------------------------------------------------------------- #
POST = derivation("vae-posterior", "从 VAE 到 EM: 不受限的 q 即 EM 的后验")


def _elbo_at_posterior(M):
    return T.elbo(T.with_exact_posterior(M))


def _elbo_at_prior(M):
    return T.elbo(M.with_q(lambda i: M.prior(M.theta)))


@POST.step(1, "=", "the ELBO's maximiser over q is the exact posterior")
def posterior_maximises_elbo():
    """ELBO(q) = ELBO(posterior) - sum_i KL(q || posterior) for every q, and KL vanishes only
    at q = posterior: the posterior is the unique argmax (EM's E-step)."""
    return E.bound(T.elbo, _elbo_at_posterior, "<=", T.kl_to_posterior_certificate, LATENT)


@POST.wrong(1, "the prior p(z) as the maximiser")
def _prior_maximises():
    return E.bound(T.elbo, _elbo_at_prior, "<=",
                   lambda M: [E.kl_term(M.q(i), M.prior(M.theta)) for i in M.samples], LATENT)


# --------------------------------------------------------------------------- #
MS = derivation("vae-m-step", "从 VAE 到 EM: M 步")


@MS.step(1, "=", "ELBO = reconstruction - KL(q || prior)")
def elbo_splits_for_m_step():
    return E.equal(T.elbo, _recon_minus_prior_kl, VAE_LATENT)


@MS.step(2, "<=>", "with phi fixed and p(z) parameter-free, only the reconstruction depends on theta")
def m_step_equivalent_to_reconstruction():
    return E.equivalent(_recon_minus_prior_kl, T.reconstruction, "theta", VAE_LATENT)


@MS.wrong(1, "KL(q || p(z)) dropped")
def _m_dropped_kl():
    return E.equal(T.elbo, lambda M: _recon_minus_prior_kl(M, drop_kl=True), VAE_LATENT)


@MS.wrong(2, "a learnable prior (GMM weights alpha in theta)")
def _m_learnable_prior():
    return E.equivalent(_recon_minus_prior_kl, T.reconstruction, "theta", (DISCRETE,))


# --------------------------------------------------------------------------- #
GAP = derivation("vae-gap", "近似后验的代价: VAE 的 GAP")
UNIT_Q = (LINEAR_GAUSSIAN_UNIT_Q,)


def _gap_at_phi(M):
    """sum_i log p(x_i; theta) - ELBO(phi, theta)"""
    return T.log_evidence(M) - T.elbo(M)


def _ratio(M):
    """a^2 / s^2: 1/sigma^2 = 1 + a^2/s^2 for the posterior variance sigma^2 = s^2 / (a^2 + s^2)."""
    return M.theta["a"] ** 2 / M.theta["s2"]


def _min_gap(M, inverted=False):
    """N/2 (a^2/s^2 - log(1 + a^2/s^2)) = N/2 G(1/sigma^2); `inverted` uses sigma^2 instead."""
    t = 1 + _ratio(M)
    return M.N * E.gibbs(1 / t if inverted else t) / 2


def _q_at_posterior_mean(M):
    return M.with_q(lambda i: Normal(M.ops, M.posterior(i, M.theta).mean, 1))


def _at_best_q(f):
    return lambda M: f(_q_at_posterior_mean(M))


@GAP.step(1, "=", "for every phi the gap is sum_i KL(q || posterior), so at the best phi too")
def gap_is_kl_to_posterior():
    """The row speaks of the best phi (max ELBO, min KL): stated there first, then for every phi."""
    return E.combine(E.equal(_at_best_q(_gap_at_phi), _at_best_q(T.kl_to_posterior), UNIT_Q),
                     E.equal(_gap_at_phi, T.kl_to_posterior, UNIT_Q))


def _min_over_means(inverted=False):
    """KL(N(m_i, 1) || N(mu_i, sigma^2)) = G(1/sigma^2)/2 + (m_i - mu_i)^2 / (2 sigma^2):
    never below N/2 G(1/sigma^2), attained at m_i = mu_i."""
    def squares(M):
        return [E.square(M.q(i).mean - M.posterior(i, M.theta).mean, 1 / (2 * M.posterior(i, M.theta).var))
                for i in M.samples]

    return E.combine(
        E.equal(_at_best_q(T.kl_to_posterior), lambda M: _min_gap(M, inverted), UNIT_Q),
        E.bound(lambda M: _min_gap(M, inverted), T.kl_to_posterior, "<=", squares, UNIT_Q),
    )


@GAP.step(2, "=", "the best q = N(m_i, 1) sits at the posterior mean")
def min_gap_closed_form():
    return _min_over_means()


@GAP.step(3, ">=", "GAP_VAE >= 0 = GAP_EM, strictly when a != 0")
def vae_gap_positive_em_gap_zero():
    em_gap = E.equal(lambda M: T.log_evidence(M) - T.elbo(T.with_exact_posterior(M)), lambda M: 0, LATENT)
    nonneg = E.bound(_min_gap, lambda M: 0, ">=", lambda M: [E.gibbs_term(1 + _ratio(M), M.N / 2)], UNIT_Q)
    strict = E.positive_where(_min_gap, LINEAR_GAUSSIAN_UNIT_Q, lambda M: abs(M.theta["a"]) > 0.05)
    return E.combine(nonneg, E.gibbs_lemma(), strict, em_gap)


@GAP.wrong(2, "sigma^2 / 1 instead of 1 / sigma^2 inside G")
def _inverted_ratio():
    return _min_over_means(inverted=True)


@GAP.wrong(3, "GAP_VAE = 0 (as if q could reach the posterior)")
def _vae_gap_zero():
    return E.equal(_min_gap, lambda M: 0, UNIT_Q)
