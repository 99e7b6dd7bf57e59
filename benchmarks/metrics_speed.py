"""Metric throughput: our PisaBench metrics vs a straightforward per-frame cKDTree implementation.

Usage::

    python benchmarks/metrics_speed.py [--videos 361] [--frames 32] [--resolution 256]

Builds synthetic drop videos (``evaluation.analytic``: ground truth plus a physically perturbed
prediction, both ``bool [32, 256, 256]``), then times, in the same run and interleaved per
video, (a) Chamfer alone and (b) the three paper metrics (L2, Chamfer, IoU), with
``evaluation.metrics`` and with ``evaluation.metrics_reference`` (argwhere + two cKDTrees per
frame, as released). Prints per-video times, the speed-up ratio and the largest relative
difference between the two (the values must agree to 1e-9).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from tqdm import tqdm

from evaluation import analytic
from evaluation import metrics as M
from evaluation import metrics_reference as R

PERTURBATIONS = [v for v in analytic.VARIANTS if v != "ground_truth"]


def make_videos(n: int, frames: int, resolution: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (prediction, ground truth) pairs of the dropped object's masks."""
    pairs = []
    for i in tqdm(range(n), desc="building videos", unit="video"):
        scene = analytic.sample_scene(
            np.random.default_rng(seed + i), resolution=resolution, num_frames=frames, fps=16, seed=i
        )
        gt = analytic.render(scene)[1][:, -1]
        pd = analytic.render(scene, PERTURBATIONS[i % len(PERTURBATIONS)])[1][:, -1]
        pairs.append((pd, gt))
    return pairs


def _time(fn, pd, gt):
    t0 = time.perf_counter()
    out = fn(pd, gt)
    return time.perf_counter() - t0, out


def _rel(a, b) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return abs(a - b) / max(abs(b), 1e-300)


def main(argv=None) -> None:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=361, help="number of videos (PisaBench real has 361)")
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    pairs = make_videos(a.videos, a.frames, a.resolution, a.seed)
    sizes = [gt.sum(axis=(1, 2)).mean() for _, gt in pairs]
    suites = {
        "chamfer": ((M.chamfer_distance,), (R.chamfer_distance,)),
        "paper (L2+CD+IoU)": (
            (M.scaled_l2_distance, M.chamfer_distance, M.mask_iou),
            (R.scaled_l2_distance, R.chamfer_distance, R.mask_iou),
        ),
    }
    print(f"{a.videos} videos, {a.frames} frames at {a.resolution}², object area {np.mean(sizes):.0f} px on average")
    print(f"{'suite':<20}{'ours ms/video':>15}{'cKDTree ms/video':>18}{'speed-up':>10}{'max rel diff':>14}")
    for name, (ours, ref) in suites.items():
        t_ours = t_ref = 0.0
        worst = 0.0
        for pd, gt in tqdm(pairs, desc=name, unit="video", leave=False):
            for f_ours, f_ref in zip(ours, ref, strict=True):
                dt_o, v_o = _time(f_ours, pd, gt)
                dt_r, v_r = _time(f_ref, pd, gt)
                t_ours += dt_o
                t_ref += dt_r
                worst = max(worst, _rel(v_o, v_r))
        n = len(pairs)
        print(f"{name:<20}{1e3 * t_ours / n:>15.2f}{1e3 * t_ref / n:>18.2f}{t_ref / t_ours:>9.1f}x{worst:>14.1e}")


if __name__ == "__main__":
    main()
