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

:class:`VideoScorer` is what GRPO and reward-ranked DPO call: it decodes a sampled latent, scores
it as above and adds the ORO rewards of the config's ``rewards`` list evaluated without gradient
(``− weight × loss``), on a worker thread so the next video is sampled while this one is scored
(by default when sampling runs on a GPU; the decode stays in the sampling thread: a VAE may keep
state while it decodes).
Its settings are the ``verifiable`` config section (:class:`VerifiableArgs`), one for both jobs.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

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


@dataclass
class VerifiableArgs:
    """The ``verifiable`` config section: the reward of GRPO and of reward-ranked DPO pairs."""

    metrics: dict = field(default_factory=lambda: {"iou": 1.0, "centroid_error_strict": 1.0})  # {metric: weight}
    segmenter: str = "colour"  # colour (plain scenes: the miniature) | a SAM 2 hub id or folder
    tolerance: float = 60.0  # the colour segmenter's RGB distance
    overlap: bool | None = None  # score on a worker thread while the next video is sampled; None: on a GPU only

    def __post_init__(self):
        self.metrics = check_metric_weights(dict(self.metrics or {})) if self.metrics else {}

    def needs(self) -> tuple[str, ...]:
        """Ground truth the metrics read: masks, and the camera geometry for physical-unit metrics."""
        if not self.metrics:
            return ()
        return ("mask", "geometry") if any(M.METRICS[m].physical for m in self.metrics) else ("mask",)


def reward_terms_needs(args: VerifiableArgs, oro_rewards: list[dict], job: str) -> tuple[str, ...]:
    """What a job's reward reads from each clip (checked before any model loads); its terms must not be empty."""
    if not args.metrics and not oro_rewards:
        raise ConfigError(f"{job}: verifiable.metrics and rewards are both empty; give the reward at least one term")
    needs = set(args.needs())
    if oro_rewards:
        from opensora.rewards import reward_needs

        needs |= set(reward_needs(oro_rewards))
    return tuple(sorted(needs))


@dataclass
class Scored:
    """One scored video: its reward (None = failed), the reason, and the per-term values."""

    reward: float | None
    failure: str | None
    terms: dict
    seconds: float


class VideoScorer:
    """Decode latents and score them without gradient: verifiable metrics + ORO rewards (``− weight × loss``).

    ``submit(latents, batch, b)`` returns a future (or a done one with ``overlap=False``);
    :meth:`gather` turns a group's futures into rewards with failures filled (:func:`fill_failures`).
    """

    def __init__(self, args: VerifiableArgs, oro_rewards: list[dict], backbone, resolution: int, device):
        self.args, self.backbone, self.resolution = args, backbone, resolution
        self.segmenter = None
        if args.metrics:
            if args.segmenter == "colour":
                from evaluation.perception.colour import ColourSegmenter

                self.segmenter = ColourSegmenter(args.tolerance)
            else:
                from evaluation.perception.sam2 import Sam2Segmenter

                self.segmenter = Sam2Segmenter(args.segmenter, device=str(device))
        self.oro = None
        if oro_rewards:
            from opensora.rewards import RewardSet

            self.oro = RewardSet(list(oro_rewards), device)
        overlap = args.overlap if args.overlap is not None else torch.device(device).type == "cuda"
        # on CPU the sampler already uses every core: a second thread only competes (benchmarks/grpo_step.py)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reward") if overlap else None

    def submit(self, latents: torch.Tensor, batch: dict, b: int) -> Future:
        """Score clip ``b``'s generated ``latents`` (``[1, C, T, H, W]``).

        The decode runs here, in the caller's thread (a VAE may keep state while it decodes — Wan's
        causal cache — and the sampler uses it to encode conditions); segmentation, metrics and ORO
        rewards run on the worker thread.
        """
        t0 = time.perf_counter()
        with torch.no_grad():
            pix = self.backbone.to_square(self.backbone.decode(latents.detach()).float(), self.resolution)
        frames = ((pix[0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # [3, T, H, W]
        decode_s = time.perf_counter() - t0
        if self.pool is not None:
            return self.pool.submit(self._score, frames, batch, b, decode_s)
        done: Future = Future()
        done.set_result(self._score(frames, batch, b, decode_s))
        return done

    def _score(self, frames: torch.Tensor, batch: dict, b: int, decode_s: float) -> Scored:
        t0 = time.perf_counter()
        total, terms, failure = 0.0, {}, None
        if self.args.metrics:
            gt = batch["mask"][b].cpu().numpy().astype(bool)
            t = min(frames.shape[1], len(gt))
            geometry = batch["geometry"][b] if "geometry" in batch else None
            video = frames.permute(1, 2, 3, 0).cpu().numpy()[:t]
            fps = float(self.backbone.geometry.fps)
            r, values, failure = score_video(video, gt[:t], fps, self.args.metrics, self.segmenter, geometry)
            terms.update({k: values.get(k) for k in self.args.metrics})
            total = None if r is None else total + r
        if self.oro is not None and total is not None:
            sub = {k: v[b : b + 1] for k, v in batch.items()}
            video = frames.permute(1, 0, 2, 3)[None].float()  # [1, T, 3, H, W] in [0, 255]
            with torch.no_grad():
                loss, logs = self.oro(video, sub, list(range(video.shape[1])))
            total -= float(loss[0])
            terms.update(logs)
        return Scored(total, failure, terms, decode_s + time.perf_counter() - t0)

    @staticmethod
    def gather(futures: list[Future], groups: list[int]) -> tuple[torch.Tensor, int, list[Scored]]:
        """Rewards ``[N]`` (failures take their group's lowest), the number failed, and each video's record."""
        scored = [f.result() for f in futures]
        rewards, failed = fill_failures([s.reward for s in scored], groups)
        return rewards, failed, scored

    @staticmethod
    def term_logs(scored: list[Scored]) -> dict:
        """Mean and standard deviation of each reward term over the scored videos (failed ones left out)."""
        out = {}
        for name in sorted({k for s in scored for k in s.terms}):
            vals = [s.terms[name] for s in scored if s.terms.get(name) is not None and math.isfinite(s.terms[name])]
            if vals:
                key = name if name.startswith("reward/") else f"reward/{name}"
                out[f"{key}_mean"], out[f"{key}_std"] = float(np.mean(vals)), float(np.std(vals))
        return out
