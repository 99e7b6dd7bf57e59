"""Pure, differentiable reward losses (PISA ORO: the release's scripts/oro_{seg,flow,depth}.py)."""

from __future__ import annotations

import torch

IOU_EPS = 1e-6


def soft_iou_loss(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``mean over frames and objects of 1 − Σp·g / (Σp + Σg − Σp·g + 1e-6)`` → one value per leading index.

    ``probs``, ``target``: ``[B, T, N, H, W]`` (soft masks in [0, 1]; ground truth 0/1).
    """
    g = target.to(probs.dtype)
    inter = (probs * g).sum(dim=(-2, -1))
    union = probs.sum(dim=(-2, -1)) + g.sum(dim=(-2, -1)) - inter + IOU_EPS
    return (1.0 - inter / union).flatten(1).mean(dim=1)


def flow_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per sample; ``[B, ...]`` flows in pixels."""
    return (pred - target.to(pred.dtype)).abs().flatten(1).mean(dim=1)


def minmax_255(d: torch.Tensor) -> torch.Tensor:
    """Per-frame min-max normalisation of ``[..., H, W]`` to [0, 255] (PISA's depth reward)."""
    from evaluation.perception.depth import minmax_per_frame

    return minmax_per_frame(d.reshape(-1, *d.shape[-2:])).reshape(d.shape)


def depth_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE per sample between min-max-normalised depths ``[B, T, H, W]`` (target detached)."""
    return ((minmax_255(pred) - minmax_255(target.to(pred.dtype)).detach()) ** 2).flatten(1).mean(dim=1)
