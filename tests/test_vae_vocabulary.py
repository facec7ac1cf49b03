r"""The VAE's own vocabulary, evaluated: the encoder's μ_φ(x), σ_φ(x), the noise ε ~ N(0, I), ⊙,
the reparameterisation z = μ + σ ⊙ ε, and the closed-form KL of a diagonal Gaussian against N(0, I).

Each right formula holds on the linear-Gaussian model (q(z|x_i; φ) = N(m_i, v_i), so
μ_φ(x_i) = m_i and σ_φ(x_i) = √v_i) and is not applicable on the mixture (a discrete latent
has no encoder outputs); each wrong variant a lecturer might write fails there.
"""
from __future__ import annotations

import pytest

from conftest import ROOT
from latexeval import evaluate_formula

NOTATION = "dar-5-5"

KL = r"\text{KL}(q(\bm{z}|\bm{x}_i; \phi) \| p(\bm{z}))"
MU, SIGMA = r"\bm{\mu}_\phi(\bm{x}_i)", r"\bm{\sigma}_\phi(\bm{x}_i)"
NOISE = r"\mathbb{E}_{\bm{\epsilon} \sim \mathcal{N}(\bm{0}, \bm{I})}"
E_Q = r"\mathbb{E}_{q}[\log p(\bm{x}_i|\bm{z}; \theta)]"


def verdict(latex: str):
    return evaluate_formula(latex, NOTATION)


def holds(latex: str) -> bool | None:
    return verdict(latex).ok


def closed_form_kl(body: str, half: str = r"\frac{1}{2}") -> str:
    return rf"{KL} = {half} \sum_{{j=1}}^J \left( {body} \right)"


def reparameterised(z: str) -> str:
    return rf"{E_Q} = {NOISE}[\log p(\bm{{x}}_i | {z}; \theta)]"


RIGHT_KL = r"\mu_{ij}^2 + \sigma_{ij}^2 - \log \sigma_{ij}^2 - 1"
RIGHT_Z = rf"{MU} + {SIGMA} \odot \bm{{\epsilon}}"


def test_closed_form_kl_of_a_diagonal_gaussian_holds():
    assert holds(closed_form_kl(RIGHT_KL)) is True


def test_closed_form_kl_is_evaluated_on_the_continuous_latent_only():
    detail = verdict(closed_form_kl(RIGHT_KL)).detail
    assert "on linear-gaussian" in detail and "not on gmm" in detail


@pytest.mark.parametrize("wrong", [
    r"\mu_{ij}^2 + \sigma_{ij} - \log \sigma_{ij}^2 - 1",      # σ for σ²
    r"\mu_{ij}^2 + \sigma_{ij}^2 + \log \sigma_{ij}^2 - 1",    # sign of log σ²
    r"\mu_{ij}^2 + \sigma_{ij}^2 - \log \sigma_{ij} - 1",      # log σ for log σ²
    r"\mu_{ij} + \sigma_{ij}^2 - \log \sigma_{ij}^2 - 1",      # μ for μ²
    r"\mu_{ij}^2 + \sigma_{ij}^2 - \log \sigma_{ij}^2 + 1",    # sign of the constant
    r"\mu_{ij}^2 + \sigma_{ij}^2 - \log \sigma_{ij}^2",        # the constant dropped
])
def test_a_wrong_closed_form_kl_fails(wrong):
    assert holds(closed_form_kl(wrong)) is False


def test_closed_form_kl_without_its_half_fails():
    assert holds(closed_form_kl(RIGHT_KL, half="")) is False


def test_closed_form_kl_with_half_written_as_a_decimal_holds():
    assert holds(closed_form_kl(RIGHT_KL, half="0.5")) is True


def test_closed_form_kl_with_log_sigma_squared_as_twice_log_sigma_holds():
    assert holds(closed_form_kl(r"\mu_{ij}^2 + \sigma_{ij}^2 - 2 \log \sigma_{ij} - 1")) is True


def test_reparameterised_expectation_equals_the_expectation_under_q():
    assert holds(reparameterised(RIGHT_Z)) is True


@pytest.mark.parametrize("wrong", [
    rf"{MU} + {SIGMA} + \bm{{\epsilon}}",                    # + for ⊙
    rf"{MU} + \bm{{\sigma}}_\phi^2(\bm{{x}}_i) \odot \bm{{\epsilon}}",  # σ² for σ
    rf"{MU} \odot \bm{{\epsilon}}",                          # σ dropped, μ scaled
    rf"{MU} - {SIGMA} \odot \bm{{\epsilon}} + 1",            # shifted
    MU,                                                      # the noise dropped
])
def test_a_wrong_reparameterisation_fails(wrong):
    assert holds(reparameterised(wrong)) is False


def test_reparameterisation_with_the_sign_of_the_noise_flipped_holds():
    """ε and -ε have the same distribution N(0, I): a correct rewrite, not a wrong one."""
    assert holds(reparameterised(rf"{MU} - {SIGMA} \odot \bm{{\epsilon}}")) is True


def test_encoder_standard_deviation_for_its_variance_fails():
    latex = rf"q(\bm{{z}}|\bm{{x}}_i; \phi) = \mathcal{{N}}({MU}, \operatorname{{diag}}({SIGMA}))"
    assert holds(latex) is False


def test_prior_with_the_wrong_variance_fails():
    assert holds(r"p(\bm{z}) = \mathcal{N}(\bm{0}, 2 \bm{I})") is False


def test_elbo_with_the_kl_added_fails():
    assert holds(rf"\text{{ELBO}}(\phi, \theta) = \sum_{{i=1}}^N {E_Q} + \sum_{{i=1}}^N {KL}") is False


def test_elbo_with_the_kl_arguments_swapped_fails():
    swapped = r"\text{KL}(p(\bm{z}) \| q(\bm{z}|\bm{x}_i; \phi))"
    assert holds(rf"\text{{ELBO}}(\phi, \theta) = \sum_{{i=1}}^N {E_Q} - \sum_{{i=1}}^N {swapped}") is False


def test_noise_outside_an_expectation_is_not_evaluable():
    result = verdict(rf"{MU} + {SIGMA} \odot \bm{{\epsilon}} = 0")
    assert result.ok is None and "\\epsilon" in result.not_evaluable


def test_encoder_output_at_an_x_that_is_no_data_point_is_not_evaluable():
    result = verdict(r"\int_{\bm{x}} \bm{\mu}_\phi(\bm{x}) p(\bm{x}; \theta) \mathrm{d} \bm{x} = 0")
    assert result.ok is None


def test_a_number_for_the_latent_of_the_mixture_is_not_a_component():
    result = verdict(r"\sum_{k=1}^K p(\bm{x}_1 | 2; \theta) = 1")
    assert result.ok is None and "gmm" in result.not_evaluable


# --------------------------------------------------------------------------- #
# in two dimensions (notation "vae": the linear-Gaussian model and a VAE with z, x in R^2)

VAE = "vae"


def holds_2d(latex: str) -> bool | None:
    return evaluate_formula(latex, VAE).ok


def test_the_vae_notation_evaluates_on_a_two_dimensional_latent():
    assert "vae-diagonal" in evaluate_formula(closed_form_kl(RIGHT_KL), VAE).detail


def test_closed_form_kl_holds_in_two_dimensions():
    assert holds_2d(closed_form_kl(RIGHT_KL)) is True


def test_closed_form_kl_with_its_sum_over_j_dropped_fails():
    assert holds_2d(rf"{KL} = \frac{{1}}{{2}} \left( {RIGHT_KL} \right)") is False


def test_closed_form_kl_of_the_first_coordinate_alone_fails():
    one = RIGHT_KL.replace("{ij}", "{i1}")
    assert holds_2d(rf"{KL} = \frac{{1}}{{2}} \left( {one} \right)") is False


def test_closed_form_kl_without_its_half_fails_in_two_dimensions():
    assert holds_2d(closed_form_kl(RIGHT_KL, half="")) is False


def test_closed_form_kl_with_sigma_for_its_square_fails_in_two_dimensions():
    assert holds_2d(closed_form_kl(r"\mu_{ij}^2 + \sigma_{ij} - \log \sigma_{ij}^2 - 1")) is False


def test_a_coordinate_beyond_the_latent_dimension_does_not_exist():
    assert holds_2d(rf"{KL} = \frac{{1}}{{2}} \sum_{{j=1}}^{{J+1}} \left( {RIGHT_KL} \right)") is False


def test_reparameterisation_holds_in_two_dimensions():
    assert holds_2d(reparameterised(RIGHT_Z)) is True


def test_reparameterisation_with_plus_for_the_entrywise_product_fails_in_two_dimensions():
    assert holds_2d(reparameterised(rf"{MU} + {SIGMA} + \bm{{\epsilon}}")) is False


def test_reparameterisation_with_the_variance_for_the_standard_deviation_fails_in_two_dimensions():
    assert holds_2d(reparameterised(rf"{MU} + \bm{{\sigma}}_\phi^2(\bm{{x}}_i) \odot \bm{{\epsilon}}")) is False


BOTH = pytest.mark.parametrize("notation", [NOTATION, VAE])  # one dimension, and z, x in R^2


@BOTH
def test_elbo_is_the_reconstruction_term_minus_the_kl_to_the_prior(notation):
    latex = rf"\text{{ELBO}}(\phi, \theta) = \sum_{{i=1}}^N {E_Q} - \sum_{{i=1}}^N {KL}"
    assert evaluate_formula(latex, notation).ok is True


@BOTH
def test_encoder_outputs_are_the_mean_and_standard_deviation_of_a_diagonal_gaussian_q(notation):
    latex = rf"q(\bm{{z}}|\bm{{x}}_i; \phi) = \mathcal{{N}}({MU}, \operatorname{{diag}}(\bm{{\sigma}}_\phi^2(\bm{{x}}_i)))"
    assert evaluate_formula(latex, notation).ok is True


@BOTH
def test_prior_is_the_standard_normal(notation):
    assert evaluate_formula(r"p(\bm{z}) = \mathcal{N}(\bm{0}, \bm{I})", notation).ok is True


def test_encoder_with_the_identity_for_its_covariance_fails_in_two_dimensions():
    assert holds_2d(rf"q(\bm{{z}}|\bm{{x}}_i; \phi) = \mathcal{{N}}({MU}, \bm{{I}})") is False


def test_the_vae_slides_read_the_two_dimensional_notation():
    text = (ROOT / "slides" / "DAR-5-5.md").read_text(encoding="utf-8")
    assert 'id="vae-kl-closed-form" notation="vae"' in text and 'id="vae-reparameterised-elbo" notation="vae"' in text
