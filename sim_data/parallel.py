r"""Simulate many drop samples in parallel and write the training / evaluation manifests.

Usage::

    python -m sim_data.parallel configs/sim/base.py --num-samples 1000 --workers 8 \
        --output-dir data/sim/psft [--launcher local|ray] [--renderer cycles]

Every seed ``start_seed .. start_seed + num_samples - 1`` becomes ``<output_dir>/samples/<seed:05d>``.
Workers are idempotent (finished samples have a ``DONE`` file and are skipped; unfinished ones
are redone from scratch in a temporary folder), so a killed batch rerun with the same arguments
completes with no duplicates. A sample that fails is logged to ``failures.jsonl`` and does not
stop the batch; the batch ends with a summary and exit status 1 if anything failed.

Manifests written at the end (finished samples only, sorted by seed):

- ``psft.csv``, ``oro.csv``, ``val.csv``: Open-Sora style
  ``path,text,num_frames,height,width,aspect_ratio,resolution,sample,split,mask_strategy``; each
  seed goes to one of them by a deterministic hash (``batch.val_fraction``, ``batch.oro_fraction``);
- ``eval_sim.jsonl``: the evaluation manifest of these samples as a benchmark split
  (``gt_mask``, ``gt_fps``, ``pd_mask`` under ``batch.pred_root``, ``pd_fps``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import traceback
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from evaluation.config import copy_flags, parse_cli, run_reporting_errors, section
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, read_clip_info, write_text
from sim_data.sample import is_done
from sim_data.scene import SimArgs
from sim_data.worker import RenderArgs, add_sim_flags, apply_sim_flags, generate_sample

DEFAULT_CONFIG = "configs/sim/base.py"
CSV_COLUMNS = [
    "path",
    "text",
    "num_frames",
    "height",
    "width",
    "aspect_ratio",
    "resolution",
    "sample",
    "split",
    "mask_strategy",
]
I2V_MASK_STRATEGY = "0"  # Open-Sora: the first frame is the condition


@dataclass
class BatchArgs:
    """The ``batch`` config section."""

    output_dir: str = "data/sim/run"
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
        if self.num_samples < 0 or self.workers < 1:
            raise ValueError("batch.num_samples >= 0 and batch.workers >= 1 required")
        if not 0 <= self.val_fraction + self.oro_fraction <= 1:
            raise ValueError("batch.val_fraction + batch.oro_fraction must be within [0, 1]")


def sample_dir(root: str | Path, seed: int) -> Path:
    """Folder of one seed's sample."""
    return Path(root) / "samples" / f"{seed:05d}"


def run_one(seed: int, sim: SimArgs, rargs: RenderArgs, root: str) -> dict:
    """Worker body: never raises; a failure comes back as a record with the traceback."""
    try:
        return generate_sample(sim, rargs, seed, sample_dir(root, seed))
    except Exception as e:  # any crash of one sample (mesh, render) must not stop the batch
        tb = traceback.format_exc(limit=4)
        return {"seed": seed, "status": "failed", "error": f"{type(e).__name__}: {e}", "traceback": tb}


def _run_local(seeds, fn, workers):
    if workers == 1:
        yield from map(fn, seeds)
        return
    with get_context("spawn").Pool(workers) as pool:
        yield from pool.imap_unordered(fn, seeds)


def _run_ray(seeds, fn: partial, workers, address):
    try:
        import ray
    except ImportError as e:
        raise ImportError("--launcher ray needs Ray: pip install 'ray[default]'") from e
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else workers, log_to_driver=False)
    try:
        remote = ray.remote(fn.func)  # Ray needs a plain function; the partial's arguments go along
        pending = [remote.remote(s, **fn.keywords) for s in seeds]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def assign_split(seed: int, val_fraction: float, oro_fraction: float) -> str:
    """``val``, ``oro`` or ``psft`` for a seed, by a deterministic hash."""
    u = int(hashlib.sha256(f"split-{seed}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if u < val_fraction:
        return "val"
    return "oro" if u < val_fraction + oro_fraction else "psft"


def write_manifests(root: Path, seeds: list[int], args: BatchArgs) -> dict[str, int]:
    """Write psft/oro/val CSVs and eval_sim.jsonl over the finished samples; returns row counts."""
    rows: dict[str, list[dict]] = {"psft": [], "oro": [], "val": []}
    evals = []
    for seed in sorted(seeds):
        d = sample_dir(root, seed)
        if not is_done(d):
            continue
        info = read_clip_info(d / CLIP_INFO_FILE)
        part = assign_split(seed, args.val_fraction, args.oro_fraction)
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
        writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(recs)
        write_text(root / f"{part}.csv", buf.getvalue())
    write_text(root / "eval_sim.jsonl", "".join(json.dumps(e) + "\n" for e in evals))
    return {k: len(v) for k, v in rows.items()}


def run(cfg) -> int:
    """Generate the batch; returns the exit status."""
    sim, rargs, args = (
        section(cfg, "sim", SimArgs),
        section(cfg, "render", RenderArgs),
        section(cfg, "batch", BatchArgs),
    )
    root = Path(args.output_dir)
    root.mkdir(parents=True, exist_ok=True)
    seeds = list(range(args.start_seed, args.start_seed + args.num_samples))
    todo = [s for s in seeds if not is_done(sample_dir(root, s))]
    print(
        f"{len(seeds)} samples in {root}: {len(seeds) - len(todo)} already done, {len(todo)} to make ({rargs.renderer}, {args.workers} workers, {args.launcher})"
    )
    fn = partial(run_one, sim=sim, rargs=rargs, root=str(root))
    results = []
    runner = (
        _run_ray(todo, fn, args.workers, args.ray_address)
        if args.launcher == "ray"
        else _run_local(todo, fn, args.workers)
    )
    with open(root / "failures.jsonl", "a") as failures:
        for res in tqdm(runner, total=len(todo), desc="simulating", unit="clip", disable=None):
            results.append(res)
            if res["status"] == "failed":
                failures.write(json.dumps(res) + "\n")
                failures.flush()
    failed = [r for r in results if r["status"] == "failed"]
    counts = write_manifests(root, seeds, args)
    done = [r for r in results if r["status"] == "done"]
    if done:
        mean = {k: sum(r[k] for r in done) / len(done) for k in ("physics_s", "render_s", "write_s")}
        print("seconds per clip: " + ", ".join(f"{k} {v:.2f}" for k, v in mean.items()))
    print(
        f"made {len(done)}, skipped {len(seeds) - len(todo)}, failed {len(failed)}; manifests: {counts} + eval_sim.jsonl"
    )
    for r in failed:
        print(f"  FAILED seed {r['seed']}: {r['error']}", file=sys.stderr)
    if failed:
        print(f"failures logged in {root / 'failures.jsonl'}", file=sys.stderr)
    return 1 if failed and not args.allow_failures else 0


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

    args, cfg = parse_cli(
        argv, prog="python -m sim_data.parallel", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    apply_sim_flags(cfg, args)
    copy_flags(cfg, "batch", args, ("output_dir", "num_samples", "start_seed", "workers", "launcher", "allow_failures"))
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
