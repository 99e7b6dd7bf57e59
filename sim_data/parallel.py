r"""Simulate many drop samples in parallel and write the training / evaluation manifests.

Usage::

    python -m sim_data.parallel configs/sim/base.py --num-samples 1000 --workers 8 \
        --output-dir data/sim/psft [--launcher local|ray] [--renderer cycles]

Every seed ``start_seed .. start_seed + num_samples - 1`` becomes ``<output_dir>/samples/<seed:05d>``.
Workers are idempotent: a finished sample (its ``DONE`` record matches its files, and its stage
record says the same seed and settings made it) is skipped, a damaged one is made again, one made
with other settings is refused before any work (naming the settings that differ), an unfinished one never appears (samples are renamed into place),
and temporaries left by killed runs are removed; a killed batch rerun with the same arguments
completes with no duplicates. ``--output-dir`` must be new, empty or an earlier batch.

A sample that fails does not stop the batch. If any failed, the batch writes only
``failed-sim.json`` (every failure with its traceback, the config, the versions) and exits 1;
``--allow-failures`` writes the manifests of the finished samples as well.

Manifests written at the end of a successful batch (finished samples only, sorted by seed):

- ``psft.csv``, ``oro.csv``, ``val.csv``: Open-Sora style
  ``path,text,num_frames,height,width,aspect_ratio,resolution,sample,split,mask_strategy``; each
  seed goes to one of them by a deterministic hash (``batch.val_fraction``, ``batch.oro_fraction``;
  a batch whose hashes give no validation clip moves one training clip there);
- ``eval_sim.jsonl``: the evaluation manifest of these samples as a benchmark split
  (``gt_mask``, ``gt_fps``, ``pd_mask`` under ``batch.pred_root``, ``pd_fps``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from evaluation.core.batch import counts, finish, run_jobs, skipped
from evaluation.core.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.files import write_text
from evaluation.core.identity import refuse
from evaluation.core.outdirs import claim_output_dir, remove_stale_temporaries, sample_state
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, TRAINING_CSV_COLUMNS, read_clip_info
from sim_data.sample import is_done
from sim_data.scene import SimArgs
from sim_data.worker import (
    RenderArgs,
    add_scenario_flag,
    add_sim_flags,
    apply_sim_flags,
    generate_sample,
    sample_identity,
)

DEFAULT_CONFIG = "configs/sim/base.py"
I2V_MASK_STRATEGY = "0"  # Open-Sora: the first frame is the condition


@dataclass
class BatchArgs:
    """The ``batch`` config section."""

    output_dir: str = "data/sim/psft"
    num_samples: int = 8
    start_seed: int = 0
    workers: int = 1
    launcher: str = "local"  # local | ray
    ray_address: str | None = None  # None: start Ray locally; "auto" or host:port for a cluster
    val_fraction: float = 0.05
    oro_fraction: float = 0.2
    pred_root: str = "outputs/predictions/sim"  # where eval_sim.jsonl expects predicted masks
    allow_failures: bool = False

    def __post_init__(self):
        if self.launcher not in ("local", "ray"):
            raise ValueError(f"batch.launcher must be local or ray, got {self.launcher!r}")
        if self.start_seed < 0:
            raise ValueError(f"batch.start_seed must be >= 0 (seeds are non-negative integers), got {self.start_seed}")
        if self.num_samples < 0 or self.workers < 1:
            raise ValueError("batch.num_samples >= 0 and batch.workers >= 1 required")
        if not 0 <= self.val_fraction + self.oro_fraction <= 1:
            raise ValueError("batch.val_fraction + batch.oro_fraction must be within [0, 1]")


def sample_dir(root: str | Path, seed: int) -> Path:
    """Folder of one seed's sample."""
    return Path(root) / "samples" / f"{seed:05d}"


def make_sample(seed: int, sim: SimArgs, rargs: RenderArgs, root: str) -> dict:
    """Worker body: one seed's sample (an exception fails this seed only, in the batch runner)."""
    result = generate_sample(sim, rargs, seed, sample_dir(root, seed))
    return skipped(result) if result["status"] == "skipped" else result


def pending_seeds(root: Path, seeds: list[int], sim: SimArgs, rargs: RenderArgs) -> list[int]:
    """Seeds to make: absent or damaged samples (before any work).

    Raises:
        StaleResult: samples of these seeds made with other settings (names the first and what differs).
    """
    todo, stale = [], []
    for seed in seeds:
        state, diffs = sample_state(sample_dir(root, seed), sample_identity(sim, rargs, seed))
        if state == "changed":
            stale.append((seed, diffs))
        elif state != "same":
            todo.append(seed)
    if stale:
        seed, diffs = stale[0]
        remedy = "choose another --output-dir for these settings (or move the old samples away)"
        raise refuse(sample_dir(root, seed), diffs, remedy, more=len(stale) - 1)
    return todo


def _seed_key(seed: int) -> str:
    return f"seed {seed}"


def _split_hash(seed: int) -> float:
    return int(hashlib.sha256(f"split-{seed}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def assign_split(seed: int, val_fraction: float, oro_fraction: float) -> str:
    """``val``, ``oro`` or ``psft`` for a seed, by a deterministic hash."""
    u = _split_hash(seed)
    if u < val_fraction:
        return "val"
    return "oro" if u < val_fraction + oro_fraction else "psft"


def write_manifests(root: Path, seeds: list[int], args: BatchArgs) -> dict[str, int]:
    """Write psft/oro/val CSVs and eval_sim.jsonl over the finished samples; returns row counts."""
    rows: dict[str, list[dict]] = {"psft": [], "oro": [], "val": []}
    evals = []
    finished = [s for s in sorted(seeds) if is_done(sample_dir(root, s))]
    parts = {s: assign_split(s, args.val_fraction, args.oro_fraction) for s in finished}
    train = [s for s in finished if parts[s] == "psft"]
    if args.val_fraction > 0 and "val" not in parts.values() and len(train) >= 2:
        # a small batch whose hashes gave no validation clip: the training seed nearest to the val
        # range takes its place, so validation (on by default in PSFT) has a clip to score
        parts[min(train, key=_split_hash)] = "val"
    for seed in finished:
        d = sample_dir(root, seed)
        info = read_clip_info(d / CLIP_INFO_FILE)
        part = parts[seed]
        h, w = info["height"], info["width"]
        rows[part].append(
            {
                "path": str(d),
                "text": info["text"],
                "num_frames": info["num_frames"],
                "height": h,
                "width": w,
                "aspect_ratio": h / w,
                "resolution": h * w,
                "sample": f"{seed:05d}",
                "split": "val" if part == "val" else "train",
                "mask_strategy": I2V_MASK_STRATEGY,
            }
        )
        evals.append(
            {
                "sample_id": f"{seed:05d}",
                "gt_mask": str(d / MASK_FILE),
                "gt_fps": info["fps"],
                "pd_mask": str(Path(args.pred_root) / f"{seed:05d}" / MASK_FILE),
                "pd_fps": info["fps"],
            }
        )
    for part, recs in rows.items():
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=TRAINING_CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(recs)
        write_text(root / f"{part}.csv", buf.getvalue())
    write_text(root / "eval_sim.jsonl", "".join(json.dumps(e) + "\n" for e in evals))
    return {k: len(v) for k, v in rows.items()}


MANIFEST_NAMES = ("psft.csv", "oro.csv", "val.csv", "eval_sim.jsonl")


def run(cfg) -> int:
    """Generate the batch; returns the exit status."""
    sim, rargs, args = (
        section(cfg, "sim", SimArgs),
        section(cfg, "render", RenderArgs),
        section(cfg, "batch", BatchArgs),
    )
    root = claim_output_dir(args.output_dir, "sim")
    for p in remove_stale_temporaries(root / "samples"):
        print(f"removed {p} (left by a killed run)")
    seeds = list(range(args.start_seed, args.start_seed + args.num_samples))
    todo = pending_seeds(root, seeds, sim, rargs)
    print(
        f"{len(seeds)} samples in {root}: {len(seeds) - len(todo)} already done, {len(todo)} to make "
        f"({rargs.renderer}, {args.workers} workers, {args.launcher})"
    )
    outcomes = run_jobs(
        todo,
        partial(make_sample, sim=sim, rargs=rargs, root=str(root)),
        key=_seed_key,
        workers=args.workers,
        desc="simulating",
        unit="clip",
        catch=(Exception,),  # any crash of one sample (mesh, render) must not stop the batch
        ordered=False,
        launcher=args.launcher,
        ray_address=args.ray_address,
    )
    done = [o.value for o in outcomes if o.status == "done"]
    if done:
        mean = {k: sum(r[k] for r in done) / len(done) for k in ("physics_s", "render_s", "write_s")}
        print("seconds per clip: " + ", ".join(f"{k} {v:.2f}" for k, v in mean.items()))
    n = counts(outcomes)
    print(f"made {n['done']}, skipped {len(seeds) - len(todo) + n['skipped']}, failed {n['failed']}")

    def write_results() -> None:
        rows = write_manifests(root, seeds, args)
        print(f"manifests: {rows} + eval_sim.jsonl in {root}")

    for p in remove_stale_temporaries(root / "samples"):  # writers that were still being reaped at the start
        print(f"removed {p} (left by a killed run)")
    return finish(
        root,
        "sim",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        write_results=write_results,
        result_names=MANIFEST_NAMES,
        info={"config": config_to_dict(cfg)},
    )


def main(argv=None) -> int:
    """Parse the command line and run the batch."""

    def flags(p):
        p.add_argument("--output-dir", "--output_dir", dest="output_dir", help="batch folder (samples/, manifests)")
        p.add_argument("--num-samples", "--num_samples", dest="num_samples", type=int, help="number of seeds")
        p.add_argument("--start-seed", "--start_seed", dest="start_seed", type=int, help="first seed")
        p.add_argument("--workers", type=int, help="parallel worker processes")
        p.add_argument("--launcher", choices=["local", "ray"], help="local process pool (default) or Ray")
        p.add_argument(
            "--allow-failures",
            dest="allow_failures",
            action="store_true",
            default=None,
            help="exit 0 despite failed samples",
        )
        add_sim_flags(p)
        add_scenario_flag(p)

    args, cfg = parse_cli(
        argv, prog="python -m sim_data.parallel", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    apply_sim_flags(cfg, args)
    copy_flags(cfg, "batch", args, ("output_dir", "num_samples", "start_seed", "workers", "launcher", "allow_failures"))
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
