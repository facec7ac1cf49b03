"""The quantities written on the slides, each spelled the way its row spells it.

Each function takes a model (symbolic or numeric) and returns the value of one
slide expression; the optional arguments exist so a wrong variant is the same
expression with one deliberate change (a sign, an argument order, a parameter,
a summation range) rather than a second hand-written copy.
"""

from __future__ import annotations

from .engine import expect_all, kl_term


def _range(M, drop_last: bool):
    return M.samples[:-1] if drop_last else M.samples


# --- EM: expected log-likelihood and its rewritings ------------------------- #


def expected_loglik_all_z(M):
    """E_z[l(x, z; theta)] over z = (z_1..z_N), z_i ~ p(z | x_i; theta_hat) independently."""
    posts = [M.posterior(i, M.theta_hat) for i in M.samples]
    return expect_all(posts, lambda zs: sum(M.log_joint(i, z, M.theta) for i, z in zip(M.samples, zs)))


def expected_complete_loglik(M, drop_last=False):
    """Q(theta, theta_hat) = sum_i int p(z|x_i; theta_hat) log p(x_i, z; theta) dz.

    Equal to expected_loglik_all_z (row 1 of em-q-decomposition proves it), and far
    cheaper symbolically, so every other step uses this form of Q."""
    return sum(M.posterior(i, M.theta_hat).expect(lambda z, i=i: M.log_joint(i, z, M.theta))
               for i in _range(M, drop_last))


q_function = expected_complete_loglik


def posterior_bound(M, denominator_at=None):
    """sum_i int p(z|x_i; theta_hat) log [p(x_i, z; theta) / p(z|x_i; theta_hat)] dz"""
    den = M.theta_hat if denominator_at is None else denominator_at(M)

    def term(i):
        post = M.posterior(i, M.theta_hat)
        return post.expect(lambda z: M.ops.log(M.joint(i, z, M.theta) / M.posterior(i, den).pdf(z)))

    return sum(term(i) for i in M.samples)


def bayes_rewrite(M, evidence_at=None):
    """sum_i int p(z|x_i; theta_hat) log [p(z|x_i; theta) p(x_i; theta) / p(z|x_i; theta_hat)] dz"""
    ev = M.theta if evidence_at is None else evidence_at(M)

    def term(i):
        post = M.posterior(i, M.theta_hat)
        return post.expect(lambda z: M.ops.log(
            M.posterior(i, M.theta).pdf(z) * M.marginal(i, ev) / post.pdf(z)))

    return sum(term(i) for i in M.samples)


def log_split(M, keep_evidence=True):
    """sum_i int p(z|x_i; theta_hat) (log p(x_i; theta) + log [p(z|x_i; theta) / p(z|x_i; theta_hat)]) dz"""

    def term(i):
        post = M.posterior(i, M.theta_hat)
        ev = M.ops.log(M.marginal(i, M.theta)) if keep_evidence else 0
        return post.expect(lambda z: ev + M.ops.log(M.posterior(i, M.theta).pdf(z) / post.pdf(z)))

    return sum(term(i) for i in M.samples)


def evidence_minus_gap(M, sign=-1, swap=False, evidence_at=None, drop_last=False):
    """sum_i { log p(x_i; theta) - KL(p(z|x_i; theta_hat) || p(z|x_i; theta)) }"""
    ev = M.theta if evidence_at is None else evidence_at(M)
    total = 0
    for i in _range(M, drop_last):
        a, b = M.posterior(i, M.theta_hat), M.posterior(i, M.theta)
        kl = b.kl(a) if swap else a.kl(b)
        total += M.ops.log(M.marginal(i, ev)) + sign * kl
    return total


def gap_terms(M):
    """The GAP_i = KL(p(z|x_i; theta_hat) || p(z|x_i; theta)) as (p, q) pairs."""
    return [(M.posterior(i, M.theta_hat), M.posterior(i, M.theta)) for i in M.samples]


def log_evidence(M, samples=None):
    """sum_i log p(x_i; theta), p(x_i; theta) in closed form."""
    return M.log_evidence(M.theta, samples)


# --- ELBO with a variational q --------------------------------------------- #


def elbo(M):
    """ELBO(phi, theta) from the model's own closed form (a second derivation)."""
    return M.elbo()


def elbo_integral(M):
    """sum_i int q(z|x_i; phi) log [p(x_i, z; theta) / q(z|x_i; phi)] dz"""
    return sum(M.q(i).expect(lambda z, i=i: M.ops.log(M.joint(i, z, M.theta) / M.q(i).pdf(z)))
               for i in M.samples)


def elbo_bayes(M, use_prior=False):
    """sum_i int q log [p(z|x_i; theta) p(x_i; theta) / q] dz  (p(z) for p(z|x_i) if use_prior)"""

    def term(i):
        q = M.q(i)
        pz = M.prior(M.theta) if use_prior else M.posterior(i, M.theta)
        return q.expect(lambda z: M.ops.log(pz.pdf(z) * M.marginal(i, M.theta) / q.pdf(z)))

    return sum(term(i) for i in M.samples)


def kl_to_posterior(M, swap=False):
    """sum_i KL(q(z|x_i; phi) || p(z|x_i; theta))"""
    pairs = [(M.q(i), M.posterior(i, M.theta)) for i in M.samples]
    return sum((b.kl(a) if swap else a.kl(b)) for a, b in pairs)


def kl_to_posterior_certificate(M):
    """The slack of ELBO <= log-likelihood: one KL(q || p(z|x_i; theta)) >= 0 per sample."""
    return [kl_term(M.q(i), M.posterior(i, M.theta)) for i in M.samples]


def evidence_minus_kl(M, sign=-1, swap=False):
    """sum_i log p(x_i; theta) - sum_i KL(q(z|x_i; phi) || p(z|x_i; theta))"""
    return log_evidence(M) + sign * kl_to_posterior(M, swap)


def reconstruction(M):
    """sum_i E_q[log p(x_i | z; theta)]"""
    return sum(M.q(i).expect(lambda z, i=i: M.log_lik(i, z, M.theta)) for i in M.samples)


def kl_to_prior(M):
    """sum_i KL(q(z|x_i; phi) || p(z))"""
    return sum(M.q(i).kl(M.prior(M.theta)) for i in M.samples)


def with_exact_posterior(M):
    """The model with q(z|x_i) := p(z|x_i; theta): EM's choice of q."""
    return M.with_q(lambda i: M.posterior(i, M.theta))
