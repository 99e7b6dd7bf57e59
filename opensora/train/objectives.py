"""Objectives of post-training with verifiable rewards (GRPO, Diffusion-DPO): pure tensor functions.

The group-relative advantages and the clipped policy loss of GRPO, and the Diffusion-DPO loss
(the sampler's stochastic steps and their log-densities: :mod:`opensora.schedulers.sde`). Tests
check each against its closed form (``tests/opensora/test_objectives.py``).

- :func:`group_advantages` — ``(r − mean_group) / (std_group + ε)``, clipped.
- :func:`clipped_policy_loss` — PPO's clipped surrogate on ``exp(log p − log p_old)``.
- :func:`diffusion_dpo_loss` — Diffusion-DPO (arXiv 2311.12908, eq. 14): ``−log σ(−β/2 · Δ)``
  with ``Δ = (e_w − e_w,ref) − (e_l − e_l,ref)`` of the denoising errors; ``ln 2`` when the
  policy is the reference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def group_advantages(rewards: torch.Tensor, groups: torch.Tensor, eps: float = 1e-4, clip: float = 5.0) -> torch.Tensor:
    """``(r − mean_group) / (std_group + eps)``, clipped to ``±clip``: ``[B]``.

    ``groups`` ``[B]`` names each sample's group (the prompt it was sampled for); a group whose
    rewards are all equal gets advantage 0 (it carries no preference).
    """
    adv = torch.zeros_like(rewards, dtype=torch.float32)
    for g in torch.unique(groups):
        idx = groups == g
        r = rewards[idx].float()
        std = r.std(unbiased=False) if r.numel() > 1 else torch.zeros((), device=r.device)
        adv[idx] = (r - r.mean()) / (std + eps)
    return adv.clamp(-clip, clip)


def clipped_policy_loss(
    log_prob: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor, clip_range: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped surrogate ``mean(max(−A r, −A clip(r, 1 ± ε)))`` and the fraction of clipped ratios."""
    ratio = torch.exp(log_prob - old_log_prob)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1 - clip_range, 1 + clip_range)
    loss = torch.maximum(unclipped, clipped).mean()
    frac = ((ratio - 1).abs() > clip_range).float().mean()
    return loss, frac


def diffusion_dpo_loss(
    err_w: torch.Tensor, err_l: torch.Tensor, ref_err_w: torch.Tensor, ref_err_l: torch.Tensor, beta: float
) -> torch.Tensor:
    """Per-pair Diffusion-DPO loss ``−log σ(−β/2 · ((e_w − e_w,ref) − (e_l − e_l,ref)))``: ``[B]``.

    ``e_*`` are the per-sample denoising errors (the backbone's own training loss) of the
    preferred (``w``) and rejected (``l``) clip at the same timestep and noise, under the policy
    and under the reference.
    """
    delta = (err_w - ref_err_w) - (err_l - ref_err_l)
    return -F.logsigmoid(-0.5 * beta * delta)
