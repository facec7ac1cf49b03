"""A small variational autoencoder in plain numpy, trained on scikit-learn's 8x8 digits.

The lecture's figures must come from a model we can rebuild byte for byte on any
machine that has the pinned requirements: no deep-learning framework, no
download (the digits ship inside scikit-learn), and no source of randomness other
than one seeded generator. Gradients are written out by hand so that the code on
the slides' topic (ELBO = reconstruction - KL, reparameterisation) is the code
that made the pictures, and so that a finite-difference test can check them.

Determinism: every random draw comes from ``np.random.default_rng(seed)`` in a
fixed order, all arithmetic is float64, and BLAS is held to one thread while
training, because a multi-threaded BLAS may split sums differently from run to
run. Runs on different CPU models may still differ in the last bits (OpenBLAS
picks kernels per CPU), so the figure cache is per machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

PARAM_NAMES = ("W1", "b1", "Wm", "bm", "Wv", "bv", "W3", "b3", "W4", "b4")


@dataclass(frozen=True)
class VAEConfig:
    hidden: int = 128
    latent: int = 2
    epochs: int = 250
    batch_size: int = 64
    learning_rate: float = 3e-3
    seed: int = 0


@dataclass(frozen=True)
class TrainedVAE:
    params: dict[str, np.ndarray]
    config: VAEConfig
    # Mean ELBO per sample (nats) on the whole training set, measured with fixed
    # noise before training (index 0) and after every epoch.
    elbo_history: np.ndarray


def load_digit_pixels() -> tuple[np.ndarray, np.ndarray]:
    """Return the 1797 digits as rows of 64 intensities in [0, 1], and their labels.

    Intensities are treated as Bernoulli means, the usual choice for grey-level
    digits even though they are not binary.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data.astype(np.float64) / 16.0, digits.target.astype(np.int64)


def init_params(rng: np.random.Generator, n_in: int, hidden: int, latent: int) -> dict[str, np.ndarray]:
    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))

    return {
        "W1": glorot(n_in, hidden), "b1": np.zeros(hidden),
        "Wm": glorot(hidden, latent), "bm": np.zeros(latent),
        # A small log-variance head starts the posterior near unit variance
        # instead of letting early noise blow it up.
        "Wv": 0.1 * glorot(hidden, latent), "bv": np.zeros(latent),
        "W3": glorot(latent, hidden), "b3": np.zeros(hidden),
        "W4": glorot(hidden, n_in), "b4": np.zeros(n_in),
    }


def encode(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and log-variance of q(z|x; phi)."""
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["Wm"] + params["bm"], h @ params["Wv"] + params["bv"]


def decode_logits(params: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    h = np.tanh(z @ params["W3"] + params["b3"])
    return h @ params["W4"] + params["b4"]


def decode(params: dict[str, np.ndarray], z: np.ndarray) -> np.ndarray:
    """Bernoulli means of p(x|z; theta): the decoded picture."""
    return _sigmoid(decode_logits(params, z))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # tanh form: no overflow warnings for large |a|, unlike 1 / (1 + exp(-a)).
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def elbo_terms(params: dict[str, np.ndarray], x: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample reconstruction log-likelihood and KL(q || N(0, I)), one noise draw each."""
    mu, logvar = encode(params, x)
    z = mu + np.exp(0.5 * logvar) * eps
    logits = decode_logits(params, z)
    log_lik = np.sum(x * logits - np.logaddexp(0.0, logits), axis=1)
    kl = 0.5 * np.sum(mu * mu + np.exp(logvar) - 1.0 - logvar, axis=1)
    return log_lik, kl


def loss_and_grads(
    params: dict[str, np.ndarray], x: np.ndarray, eps: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Negative ELBO averaged over the batch, and its exact gradient.

    With the noise ``eps`` held fixed the loss is a smooth function of the
    parameters (the reparameterisation trick), which is what makes a
    backward pass by hand, and its finite-difference check, possible.
    """
    n = x.shape[0]
    h1 = np.tanh(x @ params["W1"] + params["b1"])
    mu = h1 @ params["Wm"] + params["bm"]
    logvar = h1 @ params["Wv"] + params["bv"]
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    h2 = np.tanh(z @ params["W3"] + params["b3"])
    logits = h2 @ params["W4"] + params["b4"]

    nll = np.sum(np.logaddexp(0.0, logits) - x * logits)
    kl = 0.5 * np.sum(mu * mu + std * std - 1.0 - logvar)
    loss = (nll + kl) / n

    d_logits = (_sigmoid(logits) - x) / n
    d_h2 = (d_logits @ params["W4"].T) * (1.0 - h2 * h2)
    d_z = d_h2 @ params["W3"].T
    d_mu = d_z + mu / n
    d_logvar = 0.5 * d_z * std * eps + 0.5 * (std * std - 1.0) / n
    d_h1 = (d_mu @ params["Wm"].T + d_logvar @ params["Wv"].T) * (1.0 - h1 * h1)
    grads = {
        "W4": h2.T @ d_logits, "b4": d_logits.sum(axis=0),
        "W3": z.T @ d_h2, "b3": d_h2.sum(axis=0),
        "Wm": h1.T @ d_mu, "bm": d_mu.sum(axis=0),
        "Wv": h1.T @ d_logvar, "bv": d_logvar.sum(axis=0),
        "W1": x.T @ d_h1, "b1": d_h1.sum(axis=0),
    }
    return float(loss), grads


def mean_elbo(params: dict[str, np.ndarray], x: np.ndarray, eps: np.ndarray) -> float:
    log_lik, kl = elbo_terms(params, x, eps)
    return float(np.mean(log_lik - kl))


def single_threaded_blas() -> threadpool_limits:
    """Hold BLAS to one thread: a threaded BLAS may split sums differently per run."""
    return threadpool_limits(limits=1, user_api="blas")


def train_vae(x: np.ndarray, config: VAEConfig = VAEConfig()) -> TrainedVAE:
    """Fit the VAE by Adam on minibatches; deterministic for a given config and data."""
    with single_threaded_blas():
        return _train(x, config)


def _train(x: np.ndarray, config: VAEConfig) -> TrainedVAE:
    rng = np.random.default_rng(config.seed)
    n, n_in = x.shape
    params = init_params(rng, n_in, config.hidden, config.latent)
    # One fixed noise draw for monitoring, so the history measures the model,
    # not the luck of the draw.
    eval_eps = rng.standard_normal((n, config.latent))
    history = [mean_elbo(params, x, eval_eps)]

    beta1, beta2, adam_eps = 0.9, 0.999, 1e-8
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    step = 0
    for _ in range(config.epochs):
        order = rng.permutation(n)
        for start in range(0, n, config.batch_size):
            batch = x[order[start:start + config.batch_size]]
            eps = rng.standard_normal((batch.shape[0], config.latent))
            _, grads = loss_and_grads(params, batch, eps)
            step += 1
            lr_t = config.learning_rate * np.sqrt(1.0 - beta2**step) / (1.0 - beta1**step)
            for name in PARAM_NAMES:
                g = grads[name]
                m[name] = beta1 * m[name] + (1.0 - beta1) * g
                v[name] = beta2 * v[name] + (1.0 - beta2) * (g * g)
                params[name] = params[name] - lr_t * m[name] / (np.sqrt(v[name]) + adam_eps)
        history.append(mean_elbo(params, x, eval_eps))
    return TrainedVAE(params=params, config=config, elbo_history=np.asarray(history))
