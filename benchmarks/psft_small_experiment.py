"""A small real PSFT experiment on CPU: does fine-tuning on simulated drops improve PisaBench metrics?

Usage::

    python benchmarks/psft_small_experiment.py [--out outputs/experiments/psft_small] [--steps 600] [--minutes 18]

1. Simulates 80 drop clips (32x32, 16 frames at 16 fps, preview renderer; ~15 % held out as val.csv).
2. Trains STDiT3-tiny from scratch in pixel space (configs/post_training/tiny.py) on the training
   clips with the PSFT loss (image_head conditioning, logit-normal timesteps), stopping at
   ``--steps`` or after ``--minutes`` (whichever first; training resumes if rerun).
3. Scores the held-out clips before training (step 0) and after, generated from their first frame,
   segmented by the template tracker seeded with the ground-truth frame-0 masks, plus two
   references through the same tracker: the ground-truth frames (the best this segmenter allows)
   and the first frame held still (a model that learnt nothing about falling).

Prints one table of PisaBench metrics (L2, Chamfer, IoU and the physics metrics).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from evaluation.core.config import load_config

METRICS = ("l2", "chamfer_distance", "iou", "centroid_error_strict", "accel_ratio", "drop_time_error")


def reference_rows(cfg, run: Path) -> dict[str, dict]:
    """Ground truth and frozen first frame through the validator's segment-and-score path."""
    from evaluation.core.config import section
    from opensora.train.validate import ValArgs, Validator

    v = Validator(section(cfg, "validation", ValArgs), run, cfg.data)
    v.prepare_gt()
    return v.references()


def plot(run: Path, path: Path) -> Path:
    """Training loss, validation metrics over steps, and ground truth vs generated filmstrips."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evaluation.schema import read_frames

    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train = [(r["step"], r["loss"]) for r in recs if "loss" in r]
    val = [r for r in recs if "val/l2" in r]
    steps = sorted((run / "val").glob("step-*"))
    ids = sorted(p.name for p in (run / "val" / "gt").iterdir())[:2]
    fig = plt.figure(figsize=(12, 7))
    ax = fig.add_subplot(2, 2, 1)
    ax.plot(*zip(*train, strict=True))
    ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="PSFT loss", title="training loss")
    ax = fig.add_subplot(2, 2, 2)
    for key in ("val/l2", "val/chamfer_distance", "val/iou"):
        ax.plot([r["step"] for r in val], [r[key] for r in val], marker="o", label=key.removeprefix("val/"))
    ax.set(xlabel="step", title="held-out PisaBench metrics (template tracker)")
    ax.legend()
    for k, sid in enumerate(ids):
        ax = fig.add_subplot(4, 1, 3 + k)
        rows = [read_frames(run / "val" / src / sid)[::2] for src in ("gt", steps[-1].name)]
        ax.imshow(np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0))
        ax.set_axis_off()
        ax.set_title(
            f"clip {sid}: ground truth (top) vs generated at {steps[-1].name} (bottom), every 2nd frame", fontsize=9
        )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    """Simulate, train, score, print."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="outputs/experiments/psft_small")
    p.add_argument("--num-clips", type=int, default=80)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--minutes", type=float, default=18.0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--figure", help="where to save the figure (default: <out>/psft_small_experiment.png)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--sample-method",
        default="uniform",
        help="training timesteps: uniform (default here: a from-scratch model must learn the low-noise end, "
        "which logit-normal rarely samples) or logit-normal (PISA's fine-tuning setting)",
    )
    a = p.parse_args()
    out = Path(a.out)
    from sim_data.parallel import main as simulate

    t0 = time.perf_counter()
    assert simulate(["configs/sim/small.py", "--num-samples", str(a.num_clips), "--output-dir", str(out / "data")]) == 0
    t_sim = time.perf_counter() - t0
    run = out / "run"
    overrides = {
        "data.manifest": str(out / "data" / "psft.csv"),
        "validation.manifest": str(out / "data" / "val.csv"),
        "validation.limit": None,
        "validation.every": 200,
        "scheduler.sample_method": a.sample_method,
        "model.text_cache_dir": str(out / "cache"),
        "train.run_dir": str(run),
        "train.resume": "auto",
        "train.max_steps": a.steps,
        "train.batch_size": a.batch_size,
        "train.lr": a.lr,
        "train.ckpt_every": 50,
        "train.log_every": 10,
        "train.grad_checkpoint": False,
    }
    cfg = load_config("configs/post_training/tiny.py", overrides)
    from opensora.train.loop import fit
    from opensora.train.psft import PSFT

    class TimedPSFT(PSFT):
        """PSFT that ends the run (at the next checkpoint boundary) once the time budget is spent."""

    deadline = time.perf_counter() + a.minutes * 60
    job = TimedPSFT()
    original = job.loss

    def loss(model, batch, seed):
        if time.perf_counter() > deadline:
            raise TimeoutError("time budget spent")
        return original(model, batch, seed)

    job.loss = loss
    t1 = time.perf_counter()
    try:
        fit(cfg, job)
    except TimeoutError:
        print(f"stopped by the {a.minutes}-minute budget; rerun to continue from the last checkpoint")
    t_train = time.perf_counter() - t1
    steps = sorted((run / "val").glob("step-*"))
    before = json.loads((steps[0] / "summary.json").read_text())
    after = json.loads((steps[-1] / "summary.json").read_text())
    refs = reference_rows(cfg, run)
    rows = {
        "ground truth (segmenter ceiling)": refs["ground_truth"],
        "frozen first frame": refs["frozen_first_frame"],
        f"before training ({steps[0].name})": before,
        f"after training ({steps[-1].name})": after,
    }
    n = after["counts"]["evaluated"]
    print(f"\nsimulation {t_sim:.0f} s, training {t_train / 60:.1f} min; {n} held-out clips, 32x32, 16 frames\n")
    print(f"| {'':34s} | " + " | ".join(f"{m:>21s}" for m in METRICS) + " |")
    print(f"|{'-' * 36}|" + "|".join("-" * 23 for _ in METRICS) + "|")
    for name, s in rows.items():
        print(f"| {name:34s} | " + " | ".join(f"{s['metrics'][m]['mean']:21.4f}" for m in METRICS) + " |")
    losses = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    tl = [r["loss"] for r in losses if "loss" in r]
    print(f"\ntraining loss: first logged {tl[0]:.3f}, last logged {tl[-1]:.3f} ({len(tl)} records)")
    print(f"figure: {plot(run, Path(a.figure) if a.figure else out / 'psft_small_experiment.png')}")


if __name__ == "__main__":
    main()
