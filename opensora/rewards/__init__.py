"""ORO rewards: frozen perception models scoring generated videos against simulated ground truth.

Each reward is registered in ``opensora.registry.REWARDS`` under its config ``type`` and is built
from one dict of the ``rewards`` config list; a run may combine several with weights::

    rewards = [dict(type="segmentation", weight=1.0, model="facebook/sam2.1-hiera-large", image_size=256)]

Calling a reward gives a per-sample loss ``[B]`` (lower is better) from

- ``video``: the generated frames, float ``[B, T', 3, H, W]`` in [0, 255] (with gradients),
- ``batch``: the training batch (ground-truth ``video`` in [-1, 1], and ``mask`` / ``depth`` /
  ``flow`` at the training size when the reward needs them: :func:`reward_needs`),
- ``frames``: which ground-truth frames ``video`` shows (a decoded subset, or all).

The loss arithmetic lives in pure functions (:func:`soft_iou_loss`, :func:`flow_l1`,
:func:`depth_mse`) that tests check by hand; the classes only hold the frozen models.
"""

from __future__ import annotations

import torch

from evaluation.core.errors import ConfigError
from opensora.registry import REWARDS
from opensora.rewards.losses import depth_mse, flow_l1, soft_iou_loss
from opensora.rewards.scorers import ColourSegmentationReward, DepthReward, FlowReward, SegmentationReward

__all__ = [
    "REWARDS",
    "ColourSegmentationReward",
    "DepthReward",
    "FlowReward",
    "RewardSet",
    "check_reward_configs",
    "reward_needs",
    "SegmentationReward",
    "depth_mse",
    "flow_l1",
    "soft_iou_loss",
]


def check_reward_configs(configs: list[dict]) -> list[dict]:
    """Types and keys of the ``rewards`` list, checked without loading any model."""
    import inspect

    if not configs:
        raise ConfigError("rewards: the list is empty; give at least one reward")
    out = []
    for i, c in enumerate(configs):
        c = dict(c)
        kind = c.get("type")
        if kind not in REWARDS.module_dict:
            raise ConfigError(f"rewards[{i}]: unknown type {kind!r}; known: {sorted(REWARDS.module_dict)}")
        allowed = set(inspect.signature(REWARDS.module_dict[kind]).parameters) - {"device"}
        unknown = sorted(set(c) - allowed - {"type", "weight"})
        if unknown:
            raise ConfigError(
                f"rewards[{i}] ({kind}): unknown key(s) {unknown}; allowed: {sorted(allowed | {'weight'})}"
            )
        out.append(c)
    return out


def reward_needs(configs: list[dict]) -> tuple[str, ...]:
    """Ground-truth files the configured rewards read (mask, depth, flow), known before any model loads."""
    return tuple(
        sorted({n for c in check_reward_configs(configs) for n in REWARDS.module_dict[c["type"]].needs_for(c)})
    )


class RewardSet:
    """Weighted sum of the configured rewards."""

    def __init__(self, configs: list[dict], device):
        self.items = []
        for c in check_reward_configs(configs):
            weight = float(c.pop("weight", 1.0))
            kind = c["type"]
            c.update(device=device)
            self.items.append((kind, weight, REWARDS.build(c)))

    def __call__(self, video: torch.Tensor, batch: dict, frames: list[int]) -> tuple[torch.Tensor, dict]:
        """``(weighted per-sample loss [B], {"reward/<type>": mean loss})``."""
        total, logs = 0.0, {}
        for kind, weight, reward in self.items:
            loss = reward(video, batch, frames)
            logs[f"reward/{kind}"] = float(loss.detach().mean())
            total = total + weight * loss
        return total, logs
