"""Straightforward per-frame implementation of the released PISA metrics (the oracle).

This is the definition as the released ``utils/metrics.py`` states it: per frame, pixel
coordinates from ``np.argwhere``, centroids by ``np.mean``, nearest neighbours by a fresh
``scipy.spatial.cKDTree``, then ``np.nanmean``. It is slow on purpose and is used only as the
ground truth for ``evaluation.metrics`` in the tests and as the baseline in
``benchmarks/metrics_speed.py``; nothing else should call it.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial import cKDTree


def _centroid(frame: np.ndarray) -> np.ndarray:
    pts = np.argwhere(frame)
    if len(pts) == 0:
        return np.array([np.nan, np.nan])
    return pts.mean(axis=0)


def _quiet_nanmean(x) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slice: NaN is the answer
        return float(np.nanmean(x))


def scaled_l2_distance(pred: np.ndarray, gt: np.ndarray) -> float:
    """Released "L2": nanmean(sqrt((c_gt - c_pd)^2)) * (1/sqrt 2) / H."""
    c_gt = np.stack([_centroid(f) for f in gt])
    c_pd = np.stack([_centroid(f) for f in pred])
    return _quiet_nanmean(np.sqrt((c_gt - c_pd) ** 2)) * (1 / np.sqrt(2)) / gt.shape[1]


def chamfer_distance(pred: np.ndarray, gt: np.ndarray) -> float:
    """Released Chamfer: per frame two KD-trees, mean NN both ways, nanmean over frames."""
    per_frame = []
    for p, g in zip(pred, gt, strict=True):
        gp, pp = np.argwhere(g), np.argwhere(p)
        if len(gp) == 0 or len(pp) == 0:
            per_frame.append(np.nan)
            continue
        d1 = cKDTree(pp).query(gp)[0].mean()
        d2 = cKDTree(gp).query(pp)[0].mean()
        per_frame.append((d1 + d2) * (1 / np.sqrt(2)) / gt.shape[1])
    return _quiet_nanmean(per_frame)


def mask_iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Released IoU: per frame |p & g| / |p | g|, both empty = 1, mean over frames."""
    vals = []
    for p, g in zip(pred, gt, strict=True):
        union = np.logical_or(p, g).sum()
        vals.append(1.0 if union == 0 else np.logical_and(p, g).sum() / union)
    return float(np.mean(vals))
