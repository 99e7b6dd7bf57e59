"""Metric throughput: our PisaBench metrics vs a straightforward per-frame cKDTree implementation.

Usage::

    python benchmarks/metrics_speed.py [--videos 361] [--frames 32] [--resolution 256]

Two workloads of ``bool [32, 256, 256]`` (prediction, ground truth) pairs:

- **near**: synthetic drop videos (``evaluation.analytic``): ground truth plus a physically
  perturbed prediction that stays close to it;
- **far-off**: what a model that gets physics wrong produces: wrong gravity (×0.1–0.5 or ×2–3),
  horizontal drift of 40–140 px, objects of 1,000–2,500 px, a third of the predictions split into
  two blobs, a few empty frames.

For each it times, in the same run, (a) Chamfer alone, (b) the three paper metrics (L2,
Chamfer, IoU: ``evaluation.metrics.compute_all`` with those names, as the evaluator calls them),
(c) the same three through the public per-metric API (``METRICS[name].compute``, one call each)
and (d) IoU alone,
against ``evaluation.metrics_reference`` (argwhere + two cKDTrees per frame, as released): each
contender makes passes over all the videos in order, as an evaluation does (the masks come from
memory, not from the cache, for both), and the best pass of each is reported. Ours is timed on
one thread and, where the machine has more cores, on all of them (the kernel splits a video's
frames between threads; the reference is single-threaded). Prints per-video times, the speed-up
ratios and the largest relative difference between the two (the values must agree to 1e-9). The
compiled kernel is compiled or loaded from numba's cache before timing.
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

try:
    from evaluation import metrics_kernel as K
except ImportError:  # numba missing: the numpy path is measured
    K = None

PERTURBATIONS = [v for v in analytic.VARIANTS if v != "ground_truth"]


def make_videos(n: int, frames: int, resolution: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (prediction, ground truth) pairs of the dropped object's masks (the near workload)."""
    pairs = []
    for i in tqdm(range(n), desc="building videos", unit="video"):
        scene = analytic.sample_scene(
            np.random.default_rng(seed + i), resolution=resolution, num_frames=frames, fps=16, seed=i
        )
        # contiguous, as the evaluator passes them (it selects the object with a fancy index)
        gt = np.ascontiguousarray(analytic.render(scene)[1][:, -1])
        pd = np.ascontiguousarray(analytic.render(scene, PERTURBATIONS[i % len(PERTURBATIONS)])[1][:, -1])
        pairs.append((pd, gt))
    return pairs


def _ellipse(m: np.ndarray, cy: float, cx: float, ry: float, rx: float) -> None:
    h, w = m.shape
    y, x = np.ogrid[:h, :w]
    m |= ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0


def far_off_videos(n: int, frames: int, resolution: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` (prediction, ground truth) pairs where the prediction's physics is wrong (the far-off workload)."""
    rng = np.random.default_rng(seed)
    s = resolution / 256
    pairs = []
    for _ in tqdm(range(n), desc="building far-off videos", unit="video"):
        area = rng.uniform(1000, 2500) * s * s
        aspect = rng.uniform(0.6, 1.6)
        ry, rx = math.sqrt(area / math.pi * aspect), math.sqrt(area / math.pi / aspect)
        floor = resolution - 8 * s - ry
        x0, y0 = rng.uniform(0.3, 0.7) * resolution, rng.uniform(0.1, 0.3) * resolution
        g = rng.uniform(400, 900) * s  # px / s² at 16 fps
        gain = rng.choice([rng.uniform(0.1, 0.5), rng.uniform(2.0, 3.0)])
        drift = rng.choice([-1, 1]) * rng.uniform(40, 140) * s
        split = rng.random() < 1 / 3
        empty = set(rng.choice(frames, size=rng.integers(0, 4), replace=False).tolist())
        gt = np.zeros((frames, resolution, resolution), bool)
        pd = np.zeros_like(gt)
        for t in range(frames):
            sec = t / 16
            _ellipse(gt[t], min(y0 + 0.5 * g * sec**2, floor), x0, ry, rx)
            if t in empty:
                continue
            y = min(y0 + 0.5 * g * gain * sec**2, floor)
            x = float(np.clip(x0 + drift * t / (frames - 1), rx, resolution - rx))
            if split:  # two blobs of half the area each, drifting apart
                sep = (rx + 10 * s) * (1 + t / frames)
                _ellipse(pd[t], y, x - sep, ry / math.sqrt(2), rx / math.sqrt(2))
                _ellipse(pd[t], y + 6 * s, x + sep, ry / math.sqrt(2), rx / math.sqrt(2))
            else:
                _ellipse(pd[t], y, x, ry, rx)
        pairs.append((pd, gt))
    return pairs


def _rel(a, b) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return abs(a - b) / max(abs(b), 1e-300)


def _pass(fn, pairs) -> tuple[float, list]:
    """Seconds for ``fn`` over every video, in order (as the evaluator calls it), and its values."""
    t0 = time.perf_counter()
    values = [fn(pd, gt) for pd, gt in pairs]
    return time.perf_counter() - t0, values


def main(argv=None) -> None:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=120, help="videos per workload (PisaBench real has 361)")
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3, help="passes of each contender; the best is reported")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    M.compute_all(*make_videos(1, a.frames, a.resolution, a.seed)[0], 16, names=PAPER)  # compile / load the kernel
    workloads = {
        "near": make_videos(a.videos, a.frames, a.resolution, a.seed),
        "far-off": far_off_videos(a.videos, a.frames, a.resolution, a.seed),
    }
    cores = K.default_threads() if M.backend() == "numba" else 1
    settings = [1, cores] if cores > 1 else [1]
    print(
        f"{a.videos} videos per workload, {a.frames} frames at {a.resolution}², best of {a.repeats} passes; "
        f"kernel: {M.backend()}"
    )
    print(
        f"{'workload':<10}{'suite':<20}{'object px':>10}{'threads':>8}{'ours ms/video':>15}{'cKDTree ms/video':>18}"
        f"{'speed-up':>10}{'max rel diff':>14}"
    )
    for wname, pairs in workloads.items():
        size = np.mean([gt.sum(axis=(1, 2)).mean() for _, gt in pairs])
        for name, ours, refs in SUITES:
            ref_fn = lambda pd, gt, refs=refs: [r(pd, gt) for r in refs]  # noqa: E731
            t_ref, v_ref = min(_pass(ref_fn, pairs) for _ in range(a.repeats))
            for threads in settings:
                if M.backend() == "numba":
                    K.set_threads(threads)
                t_ours, v_ours = min(_pass(ours, pairs) for _ in range(a.repeats))
                worst = max(
                    _rel(x, y) for vo, vr in zip(v_ours, v_ref, strict=True) for x, y in zip(vo, vr, strict=True)
                )
                n = len(pairs)
                print(
                    f"{wname:<10}{name:<20}{size:>10.0f}{threads:>8}{1e3 * t_ours / n:>15.2f}{1e3 * t_ref / n:>18.2f}"
                    f"{t_ref / t_ours:>9.1f}x{worst:>14.1e}"
                )
            if M.backend() == "numba":
                K.set_threads(1)


PAPER = ["l2", "chamfer_distance", "iou"]
SUITES = [
    ("chamfer", lambda pd, gt: [M.chamfer_distance(pd, gt)], (R.chamfer_distance,)),
    (
        "paper (L2+CD+IoU)",
        lambda pd, gt: list(M.compute_all(pd, gt, 16, names=PAPER).values())[:3],
        (R.scaled_l2_distance, R.chamfer_distance, R.mask_iou),
    ),
    (  # the public per-metric API: each call one pass of the geometry at most
        "paper, one call each",
        lambda pd, gt: [M.METRICS[n].compute(pd, gt, 16) for n in PAPER],
        (R.scaled_l2_distance, R.chamfer_distance, R.mask_iou),
    ),
    ("iou alone", lambda pd, gt: [M.METRICS["iou"].compute(pd, gt, 16)], (R.mask_iou,)),  # no distance transforms
]


if __name__ == "__main__":
    main()
