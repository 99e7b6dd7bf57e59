r"""PISA's loop in miniature on CPU: a model with wrong physics, then PSFT, then ORO — does each fix it?

Usage::

    python benchmarks/pisa_miniature.py [--out outputs/experiments/pisa_miniature] \
        [--pretrain-clips 300 --psft-clips 200 --heldout-clips 24] \
        [--pretrain-steps 1000 --psft-steps 400 --oro-steps 120 --grpo-steps 28 --dpo-steps 60] \
        [--seeds 42 43] [--stages oro grpo dpo grpo_physical] [--section.key=value ...]

Any ``--section.key=value`` goes to every training run (e.g. ``--train.batch_size=4``).

Every stage goes through the project's own commands and configs, and is skipped when its output
is complete (rerunning the script resumes where it stopped; training resumes from checkpoints):

1. **Worlds** (``configs/sim/miniature.py``: one red object dropped before a plain backdrop,
   32², 16 frames at 16 fps, preview renderer): a pretraining set with gravity × 0.25, a PSFT /
   ORO set with true gravity, a held-out set with true gravity (fixed seeds, no selection).
2. **Pretraining** (``configs/post_training/miniature.py``): STDiT3 in pixel space from scratch on
   the slow-gravity clips — a base model that believes objects fall slowly.
3. **PSFT** from the pretrained export on the true-gravity clips (same config).
4. **Post-training stages** from the same PSFT export, each once per training seed (``--seeds``,
   ``train.seed``: data order and sampling noise), with about the same wall time on 2 cores:

   - ``oro`` (``configs/post_training/oro_miniature.py``): reward backprop of the segmentation
     loss with the weight-free colour segmenter against the simulator's masks;
   - ``grpo`` (``grpo_miniature.py``): GRPO, groups of 4, reward 10·L2 + IoU + accel_log_error
     of the colour segmenter's masks against the simulator's;
   - ``dpo`` (``dpo_miniature.py``): ground-truth-anchored Diffusion-DPO (LoRA) — the simulated
     clip preferred over the model's own sample;
   - ``grpo_physical`` (``grpo_physical_miniature.py``): GRPO rewarded only by ``g_est``, the
     relative error of the gravity the generated fall implies, in m/s².
5. **Scores**: each run validates on the held-out clips (generated from the first frame,
   segmented by the colour segmenter seeded with the ground-truth frame-0 masks, PisaBench
   metrics with 95 % bootstrap intervals); the pretrained model is scored at the start of PSFT,
   the post-training stages at their end; two references go through the same segmenter: the
   ground-truth clips (the ceiling) and the first frame held still.

Budget on 2 cores (measured): a PSFT step ~1.3 s, a validation of 24 clips ~20 s, simulation
~0.25 s per clip; pretraining + PSFT ~35 minutes, each post-training stage ~3 minutes. Writes ``<out>/results.json``, ``<out>/results.md`` (the table) and ``<out>/pisa_miniature.png``
(per stage: ground truth vs generated filmstrip of held-out clip 0, and its centroid height y(t)
against the ground truth's).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

METRICS = ("l2", "chamfer_distance", "iou", "centroid_error_strict", "accel_ratio", "drop_time_error")
LOW_GRAVITY = -9.81 * 0.25
SEEDS = {"pretrain": 0, "psft": 100000, "heldout": 200000}  # disjoint seed ranges per world
# post-training stages: (training module, config flag, steps flag, table label)
POST = {
    "oro": ("opensora.train.oro", "oro_config", "oro_steps", "ORO (colour segmentation)"),
    "grpo": ("opensora.train.grpo", "grpo_config", "grpo_steps", "GRPO (L2 + IoU + accel)"),
    "dpo": ("opensora.train.dpo", "dpo_config", "dpo_steps", "DPO (ground truth vs own sample)"),
    "grpo_physical": ("opensora.train.grpo", "grpo_physical_config", "grpo_steps", "GRPO (g_est only)"),
}


def simulate(out: Path, name: str, clips: int, extra: list[str]) -> Path:
    """One world's clips (``sim_data.parallel``; finished clips are skipped on a rerun)."""
    from sim_data.parallel import main as sim_main

    folder = out / "sim" / name
    argv = ["configs/sim/miniature.py", "--output-dir", str(folder), "--num-samples", str(clips)]
    rc = sim_main([*argv, "--start-seed", str(SEEDS[name]), *extra])
    if rc != 0:
        raise SystemExit(f"simulating {name} failed (exit {rc}); see {folder}/failed-sim.json")
    return folder / "psft.csv"  # every clip (val_fraction = oro_fraction = 0)


def train(module: str, config: str, run: Path, steps: int, manifest: Path, heldout: Path, extra: list[str]) -> Path:
    """A PSFT or ORO run to ``steps`` (resumed when its folder exists); returns its EMA export."""
    import importlib

    from evaluation.core.identity import differences, fingerprint, refuse, stage_identity

    export = run / "export" / "ema"
    done = run / "miniature-done.json"
    paths = {"config": config, "manifest": manifest, "heldout": heldout}
    paths |= {x: x.split("=", 1)[1] for x in extra if "=" in x and Path(x.split("=", 1)[1]).exists()}
    from evaluation.core.config import load_config
    from evaluation.core.identity import digest

    inputs = {k: fingerprint(v) for k, v in paths.items() if k != "config"}
    inputs["config"] = digest(load_config(config).to_dict(), 16)  # resolved: its _base_ files count too
    ident = stage_identity(
        "miniature_stage",
        2,
        inputs=inputs,
        settings={"module": module, "steps": steps, "extra": extra},
    )
    if done.is_file():
        old = json.loads(done.read_text()).get("identity")
        if old == ident and export.is_dir():
            return export
        diffs = [d for d in differences(old, ident) if not d.startswith("settings.steps:")]
        if diffs:  # more steps resume the run; anything else would mix two experiments in one folder
            raise SystemExit(f"error: {refuse(run, diffs, 'pass another --out for these settings')}")
    argv = [config, "--run-dir", str(run), "--max-steps", str(steps), f"--data.manifest={manifest}"]
    argv += [f"--validation.manifest={heldout}", f"--model.text_cache_dir={run.parent / 'cache' / 'text'}"]
    if (run / "checkpoints").is_dir():
        argv += ["--resume", "auto"]
    t = time.perf_counter()
    rc = importlib.import_module(module).main([*argv, *extra])
    if rc != 0:
        raise SystemExit(f"{module} {run} failed (exit {rc})")
    done.write_text(json.dumps({"steps": steps, "seconds": time.perf_counter() - t, "identity": ident}))
    return export


def val_summaries(run: Path) -> dict[int, dict]:
    """The run's validation summaries by step."""
    out = {}
    for d in sorted((run / "val").glob("step-*")):
        if (d / "summary.json").is_file():
            out[int(d.name.split("-")[1])] = json.loads((d / "summary.json").read_text())
    return out


def references(config: str, heldout: Path, run: Path) -> dict[str, dict]:
    """The ground truth and the frozen first frame through the same segmenter and metrics."""
    from evaluation.core.config import load_config, section
    from opensora.train.validate import ValArgs, Validator

    cfg = load_config(config, {"validation.manifest": str(heldout)})
    v = Validator(section(cfg, "validation", ValArgs), run, cfg.data)
    v.prepare_gt()
    return v.references()


def table(rows: dict[str, dict], seconds: dict[str, float] | None = None) -> str:
    """Markdown: one row per stage, each metric as mean [95 % interval], and its training wall time."""
    seconds = seconds or {}
    head = "| stage | " + " | ".join(METRICS) + " | train s |\n|---|" + "---|" * (len(METRICS) + 1) + "\n"
    lines = []
    for name, s in rows.items():
        cells = []
        for m in METRICS:
            v = s["metrics"].get(m)
            if v is None or v.get("mean") is None:
                cells.append("—")
            else:
                ci = v.get("ci95")
                cells.append(f"{v['mean']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""))
        wall = f"{seconds[name]:.0f}" if name in seconds else ""
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {wall} |")
    return head + "\n".join(lines) + "\n"


def figure(out: Path, stage_dirs: dict[str, Path], gt_dir: Path, path: Path) -> Path:
    """Per stage a filmstrip (ground truth above, generated below) and the centroid height y(t)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evaluation.npz import read_array
    from evaluation.schema import list_frames

    sample = sorted(p.name for p in gt_dir.iterdir() if p.is_dir())[0]

    def strip(d: Path) -> np.ndarray:
        from PIL import Image

        frames = list_frames(d / sample)
        return np.concatenate([np.asarray(Image.open(f).convert("RGB")) for f in frames[::3]], axis=1)

    def height(d: Path) -> np.ndarray:
        m = read_array(d / sample / "mask.npz", "mask")[:, -1]
        ys = [np.nonzero(f)[0].mean() if f.any() else np.nan for f in m]
        return np.asarray(ys)

    n = len(stage_dirs)
    fig, axes = plt.subplots(n, 2, figsize=(11, 2.2 * n), gridspec_kw={"width_ratios": [3, 1]}, squeeze=False)
    gt_strip, gt_y = strip(gt_dir), height(gt_dir)
    for r, (name, d) in enumerate(stage_dirs.items()):
        axes[r, 0].imshow(np.concatenate([gt_strip, strip(d)], axis=0))
        axes[r, 0].set_title(f"{name}: ground truth (top) vs generated, every 3rd frame", fontsize=9)
        axes[r, 0].axis("off")
        axes[r, 1].plot(gt_y, "k-", label="ground truth")
        axes[r, 1].plot(height(d), "r.-", label=name)
        axes[r, 1].invert_yaxis()
        axes[r, 1].set_ylabel("centroid row (px)", fontsize=8)
        axes[r, 1].legend(fontsize=7)
    axes[-1, 1].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    """Run (or resume) every stage and write the table and the figure."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="outputs/experiments/pisa_miniature")
    p.add_argument("--pretrain-clips", type=int, default=300)
    p.add_argument("--psft-clips", type=int, default=200)
    p.add_argument("--heldout-clips", type=int, default=24)
    p.add_argument("--pretrain-steps", type=int, default=1000, help="~1.3 s each on 2 cores (batch 8)")
    p.add_argument("--psft-steps", type=int, default=400)
    p.add_argument("--oro-steps", type=int, default=120, help="~1.2 s each (batch 1, 10 sampling steps, K = 1)")
    p.add_argument("--grpo-steps", type=int, default=28, help="GRPO and GRPO-physical steps (~5.5 s each: 4 videos)")
    p.add_argument("--dpo-steps", type=int, default=60, help="~2.3 s each (batch 2, sampling the rejected clips)")
    p.add_argument("--seeds", type=int, nargs="+", default=[42, 43], help="training seeds of the post-training stages")
    p.add_argument("--stages", nargs="+", default=list(POST), choices=list(POST), help="post-training stages")
    p.add_argument("--workers", type=int, default=2, help="simulation worker processes")
    p.add_argument("--config", default="configs/post_training/miniature.py")
    p.add_argument("--oro-config", default="configs/post_training/oro_miniature.py")
    p.add_argument("--grpo-config", default="configs/post_training/grpo_miniature.py")
    p.add_argument("--dpo-config", default="configs/post_training/dpo_miniature.py")
    p.add_argument("--grpo-physical-config", default="configs/post_training/grpo_physical_miniature.py")
    a, extra = p.parse_known_args(argv)
    bad = [x for x in extra if not (x.startswith("--") and "." in x.split("=")[0] and "=" in x)]
    if bad:
        p.error(f"unrecognized arguments: {' '.join(bad)} (other than --section.key=value overrides)")
    if any(x.replace(" ", "").lower() in ("--validation.at_start=false", "--validation.at_start=0") for x in extra):
        p.error(
            "--validation.at_start=False: the table's 'pretrained' row is the PSFT run's step-0 validation "
            "(the pretraining run already skips it); leave the flag out"
        )
    a.extra = extra  # --section.key=value: passed to every training run
    out = Path(a.out)
    clock = {}
    t = time.perf_counter()
    w = ["--workers", str(a.workers)]
    pre_csv = simulate(out, "pretrain", a.pretrain_clips, [*w, f"--sim.gravity={LOW_GRAVITY}"])
    psft_csv = simulate(out, "psft", a.psft_clips, w)
    held_csv = simulate(out, "heldout", a.heldout_clips, w)
    clock["simulate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    pre = train("opensora.train.psft", a.config, out / "pretrain", a.pretrain_steps, pre_csv, held_csv,
                ["--validation.at_start=False", *a.extra])  # fmt: skip
    clock["pretrain_s"] = time.perf_counter() - t
    t = time.perf_counter()
    psft = train("opensora.train.psft", a.config, out / "psft", a.psft_steps, psft_csv, held_csv,
                 [f"--model.model_path={pre}", *a.extra])  # fmt: skip
    clock["psft_s"] = time.perf_counter() - t
    post = {}  # (stage, seed) -> run folder
    for stage in a.stages:
        module, config_flag, steps_flag, _ = POST[stage]
        for seed in a.seeds:
            run = out / f"{stage}-seed{seed}"
            t = time.perf_counter()
            train(module, getattr(a, config_flag), run, getattr(a, steps_flag), psft_csv, held_csv,
                  [f"--model.model_path={psft}", f"--train.seed={seed}", "--validation.at_start=False", *a.extra])  # fmt: skip
            clock[f"{stage}-seed{seed}_s"] = time.perf_counter() - t
            post[stage, seed] = run
    t = time.perf_counter()
    refs = references(a.config, held_csv, out / "references")
    clock["references_s"] = time.perf_counter() - t
    psft_val = val_summaries(out / "psft")
    rows = {
        "frozen first frame": refs["frozen_first_frame"],
        "pretrained (gravity x0.25)": psft_val[0],
        "PSFT": psft_val[max(psft_val)],
    }
    seconds, finals = {}, {}
    for (stage, seed), run in post.items():
        vals = val_summaries(run)
        label = f"{POST[stage][3]}, seed {seed}"
        rows[label], finals[stage, seed] = vals[max(vals)], max(vals)
        seconds[label] = json.loads((run / "miniature-done.json").read_text())["seconds"]
    rows["ground truth (ceiling)"] = refs["ground_truth"]
    md = table(rows, seconds)
    clock["total_s"] = sum(clock.values())
    (out / "results.md").write_text(
        md + "\nwall time (s): " + json.dumps({k: round(v) for k, v in clock.items()}) + "\n"
    )
    (out / "results.json").write_text(
        json.dumps({"rows": rows, "train_seconds": seconds, "clock": clock, "args": vars(a)}, indent=2, default=str)
    )
    stage_dirs = {
        "pretrained": out / "psft" / "val" / "step-0000000",
        "PSFT": out / "psft" / "val" / f"step-{max(psft_val):07d}",
    }
    for stage in a.stages:  # the first seed of each stage
        seed = a.seeds[0]
        stage_dirs[f"{stage} (seed {seed})"] = post[stage, seed] / "val" / f"step-{finals[stage, seed]:07d}"
    figure(out, stage_dirs, out / "psft" / "val" / "gt", out / "pisa_miniature.png")
    print(md)
    print(f"wall time: {json.dumps({k: round(v) for k, v in clock.items()})}; figure {out / 'pisa_miniature.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
