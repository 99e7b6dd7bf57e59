"""Physics-IQ's four metrics of one view, and the two benchmark scores (pure functions).

Computed as the release computes them (``code/calculate_and_write_metrics_to_csv.py`` and
``code/calculate_iq_score.py`` of google-deepmind/physics-IQ-benchmark, Apache-2.0); what changes
the numbers is reproduced and named here:

- **working resolution**: every video and mask is resized with ``cv2.resize`` (bilinear) to a
  quarter of the *real take 1's* width and height — a generated video of another aspect ratio is
  stretched, after its masks were computed at its own size; masks are binarised ``> 127`` after
  resizing;
- **MSE** per frame on frames scaled to [0, 1] (float64), differenced in **float32**;
- **spatiotemporal IoU** per frame (both empty → 1); **spatial IoU** of the masks' union over
  time; **weighted spatial IoU** of the per-pixel fraction of moving frames (Σ min / Σ max over
  pixels where either moves; none → 1);
- **physical variance**: the same metrics between take 1 and take 2 of the real scene;
- the release stores per-frame lists in a CSV and parses them back **rounded to 4 decimals**
  (spatial variance's mean to 5, the others' to 4) — :func:`released_round` reproduces it;
- the **Physics-IQ score**: ``((st_iou / var_st + spatial / var_sp + weighted / var_w) / 3 −
  (mse − var_mse)) × 100``, clipped to [0, 100] and rounded to 2 decimals, where each term is a
  mean over scenarios (per-frame metrics: the mean of the scenario's three views' frames).

The release silently truncates to the shorter of two frame lists (``zip``); here a frame-count
mismatch is an error naming the file (:class:`FrameMismatch`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

VIEWS = ("perspective-left", "perspective-center", "perspective-right")
PER_FRAME = ("mse", "spatiotemporal_iou")
SCALAR = ("spatial_iou", "weighted_spatial_iou")


class FrameMismatch(ValueError):
    """Two frame sequences that the metrics pair up have different lengths."""


def working_size(width: int, height: int) -> tuple[int, int]:
    """The release's working size ``(W // 4, H // 4)`` of the real take 1."""
    return width // 4, height // 4


def binarise(masks: np.ndarray) -> np.ndarray:
    """Resized grey masks → 0/1 ``uint8`` (``> 127``)."""
    return (masks > 127).astype(np.uint8)


# uint8 v → float32(v / 255.0): the release's conversion (divided in float64, then cast), as a table
UNIT = (np.arange(256) / 255.0).astype(np.float32)


def unit_frames(frames: np.ndarray) -> np.ndarray:
    """``uint8`` frames → float32 in [0, 1], value for value what ``(f / 255.0).astype(np.float32)`` gives.

    OpenCV's table look-up (about 15x faster than the division on 2 cores' worth of frames).
    """
    import cv2

    rows = np.ascontiguousarray(frames).reshape(-1, *frames.shape[-2:])  # [N·H, W, C]: OpenCV's image layout
    return cv2.LUT(rows, UNIT).reshape(frames.shape)


def mse_per_frame(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Per-frame MSE of frames in [0, 1] (uint8 in, divided by 255 in float64, differenced in float32).

    ``a`` and ``b`` may already be :func:`unit_frames` (float32): the values are the same.
    """
    if len(a) != len(b):
        raise FrameMismatch(f"{len(a)} vs {len(b)} frames")
    a = a if a.dtype == np.float32 else unit_frames(a)
    b = b if b.dtype == np.float32 else unit_frames(b)
    return [float(np.mean((fa - fb) ** 2)) for fa, fb in zip(a, b, strict=True)]


def iou_per_frame(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Per-frame IoU of binary masks (both empty → 1)."""
    if len(a) != len(b):
        raise FrameMismatch(f"{len(a)} vs {len(b)} frames")
    inter = np.logical_and(a, b).reshape(len(a), -1).sum(axis=1)
    union = np.logical_or(a, b).reshape(len(a), -1).sum(axis=1)
    return [1.0 if u == 0 else float(i / u) for i, u in zip(inter, union, strict=True)]


def spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of the two masks' unions over time."""
    return iou_per_frame(a.max(axis=0)[None] > 0, b.max(axis=0)[None] > 0)[0]


def weighted_mask(masks: np.ndarray) -> np.ndarray:
    """Per pixel, the fraction of frames in which it moves."""
    return np.sum(masks, axis=0, dtype=np.uint16) / len(masks)


def weighted_spatial_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Σ min / Σ max of the weighted masks over pixels where either moves (none → 1)."""
    wa, wb = weighted_mask(a), weighted_mask(b)
    lo, hi = np.minimum(wa, wb), np.maximum(wa, wb)
    valid = hi > 0
    if not valid.any():
        return 1.0
    return float(np.sum(lo[valid]) / np.sum(hi[valid]))


@dataclass
class RealView:
    """One view's real takes at the working size: frames (BGR uint8) and 0/1 masks of take 1 and take 2."""

    take1: np.ndarray
    take2: np.ndarray
    mask1: np.ndarray
    mask2: np.ndarray

    @functools.cached_property
    def units(self) -> tuple[np.ndarray, np.ndarray]:
        """Both takes as :func:`unit_frames`, converted once for every prediction scored against them."""
        return unit_frames(self.take1), unit_frames(self.take2)

    @functools.cached_property
    def physical_variance(self) -> dict:
        """:meth:`variance`, computed once per view (every seed's prediction shares it)."""
        return self.variance()

    def variance(self) -> dict:
        """The physical variance: the metrics between the two takes."""
        wa, wb = weighted_mask(self.mask1), weighted_mask(self.mask2)
        union = np.maximum(wa, wb)
        weighted = 1.0 if np.sum(union) == 0 else float(np.sum(np.minimum(wa, wb)) / np.sum(union))
        return {
            "variance_mse": mse_per_frame(*self.units),
            "variance_spatiotemporal_iou": iou_per_frame(self.mask1, self.mask2),
            "variance_spatial": spatial_iou(self.mask1, self.mask2),
            "variance_weighted_spatial": weighted,
        }


def view_metrics(real: RealView, pred: np.ndarray, pred_masks: np.ndarray) -> dict:
    """The release's per-view record: metrics of the prediction against take 1 and take 2, and the variance."""
    unit = unit_frames(pred)
    return {
        "v1_mse": mse_per_frame(real.units[0], unit),
        "v2_mse": mse_per_frame(real.units[1], unit),
        "spatiotemporal_iou_v1": iou_per_frame(real.mask1, pred_masks),
        "spatiotemporal_iou_v2": iou_per_frame(real.mask2, pred_masks),
        "spatial_iou_v1": spatial_iou(real.mask1, pred_masks),
        "spatial_iou_v2": spatial_iou(real.mask2, pred_masks),
        "weighted_spatial_iou_v1": weighted_spatial_iou(real.mask1, pred_masks),
        "weighted_spatial_iou_v2": weighted_spatial_iou(real.mask2, pred_masks),
        **real.physical_variance,
    }


def released_round(values: list[float]) -> list[float]:
    """A per-frame list as the release reads it back from its CSV: each value rounded to 4 decimals."""
    bad = [v for v in values if not math.isfinite(v)]
    if bad:  # the release's parsing regex drops nan / inf silently; they cannot arise from these metrics
        raise ValueError(f"non-finite per-frame value {bad[0]}")
    return [round(float(v), 4) for v in values]


def _mean_of_views(records: list[dict], key: str) -> float:
    """Mean over scenarios of the mean over the concatenation of the scenario's views' per-frame lists."""
    return float(np.mean([np.mean(np.concatenate([released_round(r[v][key]) for v in VIEWS])) for r in records]))


def _scalar_mean(records: list[dict], key: str) -> float:
    """Mean over views of the mean over scenarios (the release's ``df[cols].mean().mean()``)."""
    return float(np.mean([np.mean([r[v][key] for r in records]) for v in VIEWS]))


def physical_variance(records: list[dict]) -> dict:
    """The benchmark's physical variance of each metric (rounded as the release rounds them)."""

    def frames_mean(key: str) -> float:  # per view: the mean over every frame of every scenario
        return float(np.mean([np.mean(np.concatenate([released_round(r[v][key]) for r in records])) for v in VIEWS]))

    return {
        "mse": round(frames_mean("variance_mse"), 4),
        "spatiotemporal_iou": round(frames_mean("variance_spatiotemporal_iou"), 4),
        "spatial_iou": round(_scalar_mean(records, "variance_spatial"), 5),
        "weighted_spatial_iou": round(_scalar_mean(records, "variance_weighted_spatial"), 4),
    }


def physics_iq_score(records: list[dict], variance: dict | None = None) -> dict:
    """The released Physics-IQ score of scenario records ``{view: view_metrics(...)}`` (and its terms).

    ``variance``: the physical variance to divide by (default: of these records' real takes).
    """
    var = physical_variance(records) if variance is None else variance
    terms = {
        "mse": _mean_of_views(records, "v1_mse"),
        "spatiotemporal_iou": _mean_of_views(records, "spatiotemporal_iou_v1"),
        "spatial_iou": _scalar_mean(records, "spatial_iou_v1"),
        "weighted_spatial_iou": _scalar_mean(records, "weighted_spatial_iou_v1"),
    }
    ratio = (
        terms["spatiotemporal_iou"] / var["spatiotemporal_iou"]
        + terms["spatial_iou"] / var["spatial_iou"]
        + terms["weighted_spatial_iou"] / var["weighted_spatial_iou"]
    ) / 3
    raw = (ratio - (terms["mse"] - var["mse"])) * 100
    return {"score": round(max(min(raw, 100.0), 0.0), 2), "unclipped": raw, "terms": terms, "variance": var}


def verified_sample_score(view: dict) -> float:
    """One scenario view's score by Physics-IQ Verified's rule as this project reads it (0–1).

    Physics-IQ Verified (arXiv 2606.18943) weights every sample and metric equally: per view, each
    metric's ratio to the same view's physical variance — ``st_iou / var_st``, ``spatial /
    var_spatial``, ``weighted / var_weighted`` and, lower being better, ``var_mse / mse`` — is
    clipped to [0, 1], and the four are averaged (a zero variance with a zero metric counts as a
    match, 1). Its released code was not available to check against (see the README).
    """

    def clipped(num: float, den: float) -> float:
        if den <= 0:
            return 1.0 if num <= 0 else 0.0
        return min(max(num / den, 0.0), 1.0)

    st = float(np.mean(view["spatiotemporal_iou_v1"]))
    var_st = float(np.mean(view["variance_spatiotemporal_iou"]))
    mse, var_mse = float(np.mean(view["v1_mse"])), float(np.mean(view["variance_mse"]))
    parts = [
        clipped(st, var_st),
        clipped(view["spatial_iou_v1"], view["variance_spatial"]),
        clipped(view["weighted_spatial_iou_v1"], view["variance_weighted_spatial"]),
        clipped(var_mse, mse),
    ]
    return float(np.mean(parts))


@dataclass
class Aggregates:
    """Per-scenario sums of the score's terms, so a resampled set of scenarios is scored without the lists."""

    mse: np.ndarray  # [S] mean over the scenario's frames (all views) of the rounded per-frame MSE
    st: np.ndarray  # [S] same for the spatiotemporal IoU
    spatial: np.ndarray  # [S, 3]
    weighted: np.ndarray  # [S, 3]
    var_sums: np.ndarray  # [S, 3, 2] per view: Σ of the rounded variance MSE, Σ of the variance st-IoU
    var_counts: np.ndarray  # [S, 3]
    var_spatial: np.ndarray  # [S, 3]
    var_weighted: np.ndarray  # [S, 3]

    @staticmethod
    def of(records: list[dict]) -> Aggregates:
        """From scenario records ``{view: view_metrics(...)}``."""

        def cat(r, key):
            return np.concatenate([released_round(r[v][key]) for v in VIEWS])

        return Aggregates(
            np.array([np.mean(cat(r, "v1_mse")) for r in records]),
            np.array([np.mean(cat(r, "spatiotemporal_iou_v1")) for r in records]),
            np.array([[r[v]["spatial_iou_v1"] for v in VIEWS] for r in records]),
            np.array([[r[v]["weighted_spatial_iou_v1"] for v in VIEWS] for r in records]),
            np.array(
                [
                    [
                        [sum(released_round(r[v][k])) for k in ("variance_mse", "variance_spatiotemporal_iou")]
                        for v in VIEWS
                    ]
                    for r in records
                ]
            ),  # fmt: skip
            np.array([[len(r[v]["variance_mse"]) for v in VIEWS] for r in records]),
            np.array([[r[v]["variance_spatial"] for v in VIEWS] for r in records]),
            np.array([[r[v]["variance_weighted_spatial"] for v in VIEWS] for r in records]),
        )

    def score(self, idx: np.ndarray) -> float:
        """The unclipped Physics-IQ score of the scenarios ``idx`` (repeats allowed), as :func:`physics_iq_score`."""
        counts = self.var_counts[idx].sum(axis=0)
        var_frames = self.var_sums[idx].sum(axis=0) / counts[:, None]  # [3 views, 2]
        var_mse, var_st = (round(float(np.mean(var_frames[:, k])), 4) for k in (0, 1))
        var_sp = round(float(np.mean(self.var_spatial[idx].mean(axis=0))), 5)
        var_w = round(float(np.mean(self.var_weighted[idx].mean(axis=0))), 4)
        sp, w = float(np.mean(self.spatial[idx].mean(axis=0))), float(np.mean(self.weighted[idx].mean(axis=0)))
        ratio = (float(np.mean(self.st[idx])) / var_st + sp / var_sp + w / var_w) / 3
        return (ratio - (float(np.mean(self.mse[idx])) - var_mse)) * 100


def bootstrap_scores(agg: Aggregates, samples: int, seed: int) -> np.ndarray:
    """Unclipped scores of ``samples`` resamplings of the scenarios (with replacement)."""
    rng = np.random.default_rng(seed)
    n = len(agg.mse)
    return np.array([agg.score(rng.integers(0, n, n)) for _ in range(samples)])
