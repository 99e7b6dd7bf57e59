"""Stochastic sampling with log-probabilities, for GRPO on every backbone.

:func:`sample_with_log_probs` runs a backbone's denoising loop (the same ``start`` /
``model_input`` / ``predict`` / ``finish`` calls as :func:`opensora.backbones.sampling.sample_latents`)
but replaces the update of the steps in ``sde_steps`` by a stochastic one and records, for each,
what :func:`step_log_prob` needs to recompute that step's log-probability under another set of
weights (with gradients): the denoiser input, the step's state, the drawn latents and the old
log-probability.

- Flow-matching backbones (Open-Sora v1.2's rectified flow, Wan, LTX-Video; ``Backbone.sde ==
  "flow"``): Flow-GRPO's SDE step (:func:`opensora.train.objectives.flow_sde_step`) on the
  backbone's σ (``flow_sigmas``) and velocity (``flow_velocity``); steps outside the window are
  its noise-free Euler step. For Open-Sora and LTX-Video that is their own sampler (noise level
  0 reproduces :func:`sample_latents` exactly); Wan's UniPC is replaced by Euler on the same σ.
- CogVideoX (``"ddpm"``): the DDPM posterior on its ᾱ from the v-prediction (DDPO's sampler);
  steps outside the window are DDIM steps (η = 0) instead of its DPM solver.

Positions the backbone keeps as a condition (``generated`` = 0: the first latent frame) take the
backbone's own deterministic update and carry no density. The SDE noise comes from its own
generator, so the initial noise (``generator``) is the same with and without it — the group
members of a prompt can share the initial noise (PhysRVG, DanceGRPO) and differ only in the SDE.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

from opensora.schedulers.sde import ddpm_posterior_step, flow_sde_step, gaussian_log_prob


@dataclass
class StepRecord:
    """One stochastic step: enough to recompute its log-probability under other weights."""

    i: int
    x: torch.Tensor  # the latents the step started from (after model_input)
    model_input: torch.Tensor
    state: dict  # the trajectory's state at the step (shallow copy)
    x_next: torch.Tensor
    std: float
    log_prob: torch.Tensor  # [B], under the sampling weights


@dataclass
class Rollout:
    """Latents of the sampled videos, the stochastic steps, and the trajectory they came from."""

    latents: torch.Tensor
    steps: list[StepRecord] = field(default_factory=list)
    template: object = None  # the Trajectory (timesteps, conditions, features) for recomputation


def _guided(backbone, model, traj, i: int, x_in: torch.Tensor, guidance_scale: float) -> torch.Tensor:
    cond, uncond = backbone.predict(model, traj, i, x_in)
    return cond if uncond is None else uncond + guidance_scale * (cond - uncond)


def _mean_and_std(backbone, traj, i: int, guided: torch.Tensor, noise_level: float, sigma_max: float | None):
    """The step's mean and std in float32 (its noise-free update when ``noise_level`` is 0)."""
    x = traj.x.float()
    if backbone.sde == "flow":
        s, s_next = backbone.flow_sigmas(traj, i)
        v = backbone.flow_velocity(traj, i, guided).float()
        _, mean, std = flow_sde_step(x, v, s, s_next, noise_level, None, sigma_max=sigma_max)
        return mean, std
    a_t, a_prev = backbone.ddpm_alphas(traj, i)
    x0 = backbone.x0_prediction(traj, i, guided)
    if noise_level == 0:  # DDIM, η = 0
        eps = (x - a_t**0.5 * x0) / (1 - a_t) ** 0.5
        return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps, 0.0
    _, mean, std = ddpm_posterior_step(x, x0, a_t, a_prev)  # DDPO's η = 1: any noise level > 0 is this step
    return mean, std


def _sigma_max(backbone, traj) -> float | None:
    return backbone.flow_sigmas(traj, 1)[0] if backbone.sde == "flow" and len(traj.timesteps) > 1 else None


def sample_with_log_probs(
    backbone,
    model,
    first_frames: torch.Tensor,
    features: dict,
    *,
    steps: int,
    guidance_scale: float,
    generator: torch.Generator,
    sde_generator: torch.Generator,
    noise_level: float,
    sde_steps: list[int] | None = None,
) -> Rollout:
    """Sample with the stochastic step on ``sde_steps`` (None: every step); no gradients.

    Raises:
        ValueError: ``sde_steps`` names a step outside ``[0, steps)``.
    """
    model = backbone.denoiser() if model is None else model
    with torch.no_grad():
        first = backbone.to_canvas(first_frames[:, :, None])[:, :, 0]
        traj = backbone.start(first, features, generator, steps, guidance=backbone.uses_guidance(guidance_scale))
        n = len(traj.timesteps)
        window = set(range(n)) if sde_steps is None else set(sde_steps)
        if not window <= set(range(n)):
            raise ValueError(f"grpo.sde_steps must be within [0, {n}), got {sorted(window)}")
        sigma_max = _sigma_max(backbone, traj)
        records = []
        for i in range(n):
            x_in = backbone.model_input(traj, i)
            guided = _guided(backbone, model, traj, i, x_in, guidance_scale)
            stochastic = i in window and noise_level > 0
            mean, std = _mean_and_std(backbone, traj, i, guided, noise_level if stochastic else 0.0, sigma_max)
            gen_mask = backbone.generated(traj).float()
            keep = backbone.step(traj, i, guided).float()  # conditions as the backbone keeps them
            x_next = mean
            if stochastic and std > 0:
                noise = torch.randn(mean.shape, generator=sde_generator, device=sde_generator.device).to(mean.device)
                x_next = mean + std * noise
            x_next = gen_mask * x_next + (1 - gen_mask) * keep
            if stochastic and std > 0:
                lp = gaussian_log_prob(gen_mask * x_next, gen_mask * mean, std)
                records.append(StepRecord(i, traj.x, x_in, dict(traj.state), x_next, std, lp))
            traj.x = x_next.to(traj.x.dtype)
        template = copy.copy(traj)
        return Rollout(backbone.finish(traj), records, template)


def step_mean(backbone, model, rollout: Rollout, record: StepRecord, guidance_scale: float, noise_level: float):
    """The mean of ``record``'s step under ``model`` (generated positions; with gradients when enabled)."""
    traj = copy.copy(rollout.template)
    traj.x, traj.state = record.x, dict(record.state)
    guided = _guided(backbone, model, traj, record.i, record.model_input, guidance_scale)
    mean, _ = _mean_and_std(backbone, traj, record.i, guided, noise_level, _sigma_max(backbone, traj))
    return backbone.generated(traj).float() * mean


def step_log_prob(backbone, model, rollout: Rollout, record: StepRecord, guidance_scale: float, noise_level: float):
    """Log-probability ``[B]`` of ``record``'s drawn latents under ``model`` (with gradients)."""
    mean = step_mean(backbone, model, rollout, record, guidance_scale, noise_level)
    traj = copy.copy(rollout.template)
    traj.state = dict(record.state)
    return gaussian_log_prob(backbone.generated(traj).float() * record.x_next, mean, record.std)
