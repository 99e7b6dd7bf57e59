"""Stochastic sampler steps with log-densities: Flow-GRPO's SDE and the DDPM posterior (pure tensor functions).

Conventions: flow matching as in diffusers — ``x_σ = (1 − σ) x₀ + σ ε`` with σ from 1 (noise)
towards 0, velocity ``v = ε − x₀``; the deterministic Euler step is ``x + v (σ' − σ)``.

- :func:`flow_sde_step` — Flow-GRPO's step (arXiv 2505.05470, eq. 9 and its released
  ``sde_step_with_logprob``): the reverse SDE with the same marginals as the probability-flow
  ODE, ``dx = [v + s²/(2σ) (x + (1 − σ) v)] dσ + s √|dσ| ε`` with ``s = a √(σ / (1 − σ))``
  (``a`` = the noise level); ``a = 0`` is the Euler step exactly.
- :func:`ddpm_posterior_step` — for ε / v-prediction schedules (CogVideoX): the DDPM posterior
  ``q(x_{t−1} | x_t, x̂₀)``, as DDPO (arXiv 2305.13301) samples with η = 1.
- :func:`gaussian_log_prob` — the log-density of the drawn step, averaged over the latent's
  elements as Flow-GRPO does (a per-element scale keeps a ratio's clipping range meaningful
  across resolutions).
- :func:`step_kl` — KL between two Gaussian steps of the same std (policy vs reference).

:mod:`opensora.backbones.stochastic` samples with them; tests check each against its closed form
(``tests/opensora/test_objectives.py``).
"""

from __future__ import annotations

import math

import torch


def flow_sde_step(
    x: torch.Tensor,
    v: torch.Tensor,
    sigma: float,
    sigma_next: float,
    noise_level: float,
    noise: torch.Tensor | None = None,
    sigma_max: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """One reverse-SDE step from ``sigma`` to ``sigma_next`` (< sigma): ``(x_next, mean, std)``.

    ``std`` is the step's standard deviation ``s √(σ − σ')``; with ``noise_level = 0`` (or no
    ``noise``) ``x_next`` is the mean, the Euler step. At σ = 1 the diffusion coefficient
    ``√(σ/(1−σ))`` is infinite; as Flow-GRPO, ``sigma_max`` (the schedule's second-largest σ) is
    used in its denominator there.
    """
    if not sigma_next < sigma:
        raise ValueError(f"a reverse step needs sigma_next < sigma, got {sigma_next} and {sigma}")
    dt = sigma_next - sigma  # negative
    denom = 1 - (sigma_max if sigma >= 1 and sigma_max is not None else sigma)
    s = noise_level * math.sqrt(sigma / max(denom, 1e-6))
    mean = x + (v + s * s / (2 * sigma) * (x + (1 - sigma) * v)) * dt
    std = s * math.sqrt(-dt)
    if noise is None or std == 0:
        return mean, mean, std
    return mean + std * noise, mean, std


def ddpm_posterior_step(
    x_t: torch.Tensor,
    x0_pred: torch.Tensor,
    alpha_bar_t: float,
    alpha_bar_prev: float,
    noise: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The DDPM posterior ``q(x_{t−1} | x_t, x̂₀)``: ``(x_prev, mean, std)``.

    ``mean = (√ᾱ_{t−1} β_t x̂₀ + √α_t (1 − ᾱ_{t−1}) x_t) / (1 − ᾱ_t)``,
    ``var = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t)`` with ``α_t = ᾱ_t / ᾱ_{t−1}``, ``β_t = 1 − α_t``.
    """
    alpha_t = alpha_bar_t / alpha_bar_prev
    beta_t = 1 - alpha_t
    mean = (math.sqrt(alpha_bar_prev) * beta_t * x0_pred + math.sqrt(alpha_t) * (1 - alpha_bar_prev) * x_t) / (
        1 - alpha_bar_t
    )
    std = math.sqrt(max((1 - alpha_bar_prev) * beta_t / (1 - alpha_bar_t), 0.0))
    if noise is None or std == 0:
        return mean, mean, std
    return mean + std * noise, mean, std


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, std: float) -> torch.Tensor:
    """Mean over every element but the batch's of ``log N(x; mean, std²)``: ``[B]``."""
    if std <= 0:
        raise ValueError("a log-probability needs a stochastic step (std > 0)")
    lp = -((x.float() - mean.float()) ** 2) / (2 * std * std) - math.log(std) - 0.5 * math.log(2 * math.pi)
    return lp.flatten(1).mean(dim=1)


def step_kl(mean: torch.Tensor, mean_ref: torch.Tensor, std: float) -> torch.Tensor:
    """``KL(N(mean, std²) ‖ N(mean_ref, std²))`` per element, averaged: ``[B]``."""
    return ((mean.float() - mean_ref.float()) ** 2 / (2 * std * std)).flatten(1).mean(dim=1)
