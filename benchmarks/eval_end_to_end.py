"""The whole evaluation: ``python -m evaluation.run`` against a faithful re-implementation of the released loop.

Usage::

    python benchmarks/eval_end_to_end.py [--real 361] [--sim 60] [--repeats 2]

Builds a released-format manifest in a temporary folder: real-split-shaped lines (ground truth
240 frames at 120 fps with ``gt_annotation`` points, predictions 32 frames at 16 fps, 1–3
objects, 256², physically perturbed predictions from ``evaluation.analytic``) plus simulated
lines (32 frames at 16 fps, no annotation). Then times, in the same run and alternating:

- **released**: the loop of the released ``eval.py`` (load each ``mask.npz``, pick the object
  — highest positive point with an annotation, else the last —, align ``int(i·gt_fps/pd_fps)``,
  per-frame ``argwhere`` + two KD-trees, ``nanmean``; results to a JSON file), in one process;
- **ours**: ``python -m evaluation.run --config_file X --output_dir D`` as a user runs it (a
  fresh process: start-up, default workers and default output — summary, report, figures).

Prints both wall times and the ratio; the values of the three paper metrics must agree.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evaluation import analytic  # noqa: E402
from evaluation import metrics_reference as R  # noqa: E402
from evaluation.core.files import write_json  # noqa: E402
from evaluation.schema import write_mask  # noqa: E402

VARIANTS = [v for v in analytic.VARIANTS if v != "ground_truth"]


def build(root: Path, n_real: int, n_sim: int) -> Path:
    """Masks, annotations and a released-format manifest; returns the manifest."""
    lines = []
    for i in tqdm(range(n_real + n_sim), desc="building the manifest", unit="video"):
        real = i < n_real
        gt_frames, gt_fps = (240, 120.0) if real else (32, 16.0)
        rng_seed = 1000 + i
        gt_scene = analytic.sample_scene(
            np.random.default_rng(rng_seed), resolution=256, num_frames=gt_frames, fps=gt_fps, seed=i
        )
        pd_scene = analytic.sample_scene(
            np.random.default_rng(rng_seed), resolution=256, num_frames=32, fps=16.0, seed=i
        )
        _, gt_masks, pos = analytic.render(gt_scene)
        _, pd_masks, _ = analytic.render(pd_scene, VARIANTS[i % len(VARIANTS)])
        d = root / ("real" if real else "sim") / f"{i:04d}"
        write_mask(d / "gt" / "mask.npz", gt_masks)
        write_mask(d / "pd" / "mask.npz", pd_masks)
        line = {
            "gt_mask": str(d / "gt" / "mask.npz"),
            "gt_fps": gt_fps,
            "pd_mask": str(d / "pd" / "mask.npz"),
            "pd_fps": 16.0,
        }
        if real:
            info = analytic.clip_info(gt_scene, gt_masks, pos)
            write_json(d / "annotation.json", {"points": info["points"]})
            line["gt_annotation"] = str(d / "annotation.json")
        lines.append(line)
    manifest = root / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return manifest


def released_loop(manifest: Path, out: Path) -> dict[int, tuple[float, float, float]]:
    """The released eval.py's work, per line, in one process."""
    results = {}
    for i, line in enumerate(manifest.read_text().splitlines()):
        rec = json.loads(line)
        gt = np.load(rec["gt_mask"])["mask"]
        pd = np.load(rec["pd_mask"])["mask"]
        if rec.get("gt_annotation"):
            points = json.loads(Path(rec["gt_annotation"]).read_text())["points"]
            k = int(np.argmin([min(p[1] for p in o["positive"]) for o in points]))
        else:
            k = gt.shape[1] - 1
        idx = [int(j * rec["gt_fps"] / rec["pd_fps"]) for j in range(pd.shape[0])]
        idx = [j for j in idx if j < gt.shape[0]]
        g, p = gt[idx, k], pd[: len(idx), k]
        results[i] = (R.scaled_l2_distance(p, g), R.chamfer_distance(p, g), R.mask_iou(p, g))
    out.write_text(json.dumps({str(k): v for k, v in results.items()}))
    return results


def ours(manifest: Path, out: Path) -> float:
    """Wall time of the evaluation CLI as a user runs it."""
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "evaluation.run", "--config_file", str(manifest), "--output_dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    return dt


def main(argv=None) -> None:
    """Build the manifest, time both, print the ratio."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--real", type=int, default=361, help="real-split-shaped lines (PisaBench real has 361)")
    p.add_argument("--sim", type=int, default=60, help="simulated lines (PisaBench sim has 60)")
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = build(tmp / "data", a.real, a.sim)
        t_rel, t_ours = [], []
        for r in range(a.repeats):
            t0 = time.perf_counter()
            ref = released_loop(manifest, tmp / f"released_{r}.json")
            t_rel.append(time.perf_counter() - t0)
            t_ours.append(ours(manifest, tmp / f"ours_{r}"))
        recs = [json.loads(x) for x in (tmp / "ours_0" / "per_sample.jsonl").read_text().splitlines()]
        worst = 0.0
        for rec in recs:
            for name, v_ref in zip(("l2", "chamfer_distance", "iou"), ref[rec["index"]], strict=True):
                v = rec[name]
                if v is None or (isinstance(v_ref, float) and math.isnan(v_ref)):
                    continue
                worst = max(worst, abs(v - v_ref) / max(abs(v_ref), 1e-300))
        n = a.real + a.sim
        print(f"{n} videos ({a.real} real-shaped: 240 GT frames at 120 fps; {a.sim} simulated), best of {a.repeats}")
        print(f"released loop     {min(t_rel):7.2f} s  ({1e3 * min(t_rel) / n:.0f} ms/video)")
        print(f"evaluation.run    {min(t_ours):7.2f} s  ({1e3 * min(t_ours) / n:.0f} ms/video, default output)")
        print(f"speed-up          {min(t_rel) / min(t_ours):7.2f}x   (max rel diff of L2/CD/IoU: {worst:.1e})")


if __name__ == "__main__":
    main()
