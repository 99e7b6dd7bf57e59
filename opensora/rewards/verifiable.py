"""Verifiable rewards: the benchmark's own metrics of a generated video against the simulated ground truth.

No gradient flows through them (GRPO and reward-ranked DPO only need the number). A generated
video is segmented the way the benchmark segments a prediction — seeded with the ground
truth's frame-0 masks: the weight-free colour segmenter on plain scenes (the miniature), or any
segmenter with the benchmark's ``segment(frames, masks=...)`` call (SAM 2) — and scored with
:func:`evaluation.metrics.compute_all` against the simulator's exact masks, physical-unit metrics
included when the clip records its geometry (``evaluation/physical.py``). The reward is
``Σ weight · (+value if the metric is higher-better else −value)``; metrics with a target
instead of a direction (``accel_ratio``) are refused — use their log-error form.

A video whose reward cannot be computed (the object is lost, an estimate cannot be made) is a
failure with its reason; :func:`fill_failures` gives it its group's lowest reward and counts it,
so a step never sees NaN.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from evaluation import metrics as M
from evaluation.core.errors import ConfigError


def check_metric_weights(weights: dict) -> dict[str, float]:
    """``{metric: weight}`` of a verifiable reward, checked against the registry (before any model loads)."""
    if not weights:
        raise ConfigError("verifiable reward: metrics is empty; give {metric: weight}, e.g. {'l2': 1.0, 'iou': 1.0}")
    out = {}
    for name, w in weights.items():
        if name not in M.METRICS:
            raise ConfigError(f"verifiable reward: unknown metric {name!r}; known: {sorted(M.METRICS)}")
        if M.METRICS[name].higher_is_better is None:
            raise ConfigError(f"verifiable reward: {name} has a target, not a direction; use its error form")
        out[name] = float(w)
    return out


def reward_of(values: dict, weights: dict[str, float]) -> tuple[float | None, str | None]:
    """The weighted, signed sum of ``values`` (one video's metrics); ``(None, reason)`` when a term is missing."""
    total = 0.0
    for name, w in weights.items():
        v = values.get(name)
        if v is None or not math.isfinite(v):
            why = (values.get("physics") or {}).get("failures", {}).get(name) or "no value (object lost?)"
            return None, f"{name}: {why}"
        total += w * (v if M.METRICS[name].higher_is_better else -v)
    return total, None


def score_video(
    frames: np.ndarray,
    gt_masks: np.ndarray,
    fps: float,
    weights: dict[str, float],
    segmenter,
    geometry=None,
    main: int | None = None,
) -> tuple[float | None, dict, str | None]:
    """One generated video's reward: ``(reward or None, metric values, failure reason or None)``.

    Args:
        frames: ``uint8 [T, H, W, 3]`` generated frames aligned with ``gt_masks``' frames.
        gt_masks: ``bool [T, N, H, W]`` the simulator's masks (frame 0 seeds the segmenter).
        geometry: :class:`evaluation.physical.Geometry` of the clip (physical-unit metrics), or None.
        main: the scored object (default: the last, as the benchmark scores simulated clips).
    """
    main = gt_masks.shape[1] - 1 if main is None else main
    visible = gt_masks[0].reshape(gt_masks.shape[1], -1).any(axis=1)
    if not visible[main]:
        return None, {}, "the scored object is not visible in the ground truth's frame 0"
    pred = np.zeros_like(gt_masks)
    pred[:, visible] = segmenter.segment(frames, masks=gt_masks[0, visible])
    physics = M.PhysicsInputs(pred, gt_masks, geometry, main) if geometry is not None else None
    values = M.compute_all(pred[:, main], gt_masks[:, main], fps, list(weights), physics=physics)
    reward, failure = reward_of(values, weights)
    return reward, values, failure


def fill_failures(rewards: list[float | None], groups: list[int]) -> tuple[torch.Tensor, int]:
    """Failed rewards become their group's lowest (0 when the whole group failed); returns ``(rewards [B], failed)``."""
    out, failed = [], 0
    for r, g in zip(rewards, groups, strict=True):
        if r is None:
            failed += 1
            ok = [x for x, h in zip(rewards, groups, strict=True) if h == g and x is not None]
            r = min(ok) if ok else 0.0
        out.append(r)
    return torch.tensor(out, dtype=torch.float32), failed
