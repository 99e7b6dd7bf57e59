r"""Simulate a PisaBench-sim-shaped test split: seen and unseen halves with evaluation manifests.

Usage::

    python -m sim_data.pisabench_sim [configs/sim/pisabench_sim.py] [--output-dir DIR] \
        [--num-samples 30] [--workers W] [--renderer cycles|preview] [--allow-failures]

PisaBench's simulated test set has 30 clips with objects and backgrounds seen in training and 30
with unseen ones (arXiv 2503.09595). Each half here is one batch of :mod:`sim_data.parallel` with
``sim.split`` set for it (objects and procedural environments / HDRIs are split by the same
hash), written to ``<output_dir>/<half>_<resolution>/`` — ``sim_seen_256``, ``sim_unseen_256``:
the folders ``bash scripts/evaluation/score_model.sh --split sim_seen|sim_unseen`` reads — in the
simulator's sample layout (frames, ``movie.mp4``, ``mask.npz``, ``clip_info.json`` with points).
After a half succeeds its evaluation manifest is written to ``<output_dir>/<half>.jsonl``
(``gt_mask``, ``gt_fps``, ``pd_mask`` under ``batch.pred_root/<half>/``, ``pd_fps``) for
``bash scripts/evaluation/eval_sim.sh --config_file <output_dir>/sim_seen.jsonl --split sim_seen``.
Resumable like any batch. Exit status: 0 when both halves succeeded, else 1 (a failed half's
manifest is not written, and one left by an earlier run is removed).
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path

from evaluation.core.config import copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError, InputError
from evaluation.core.files import write_text
from evaluation.core.identity import fingerprint, read_record, record_path, stage_identity, write_record
from sim_data import parallel
from sim_data.worker import add_sim_flags, apply_sim_flags

DEFAULT_CONFIG = "configs/sim/pisabench_sim.py"


@dataclass
class PisaBenchSimArgs:
    """The ``pisabench`` config section: each half's first seed."""

    seen_start_seed: int = 100000
    unseen_start_seed: int = 200000

    def __post_init__(self):
        if min(self.seen_start_seed, self.unseen_start_seed) < 0:
            raise ValueError("pisabench.seen_start_seed and unseen_start_seed must be >= 0")


HALVES = {"sim_seen": "seen", "sim_unseen": "unseen"}  # PisaBench's split name → sim.split


def half_config(cfg, name: str, args: PisaBenchSimArgs):
    """The batch config of one half."""
    sub = copy.deepcopy(cfg)
    sub.pop("pisabench", None)
    root = Path(cfg.batch.output_dir)
    sub.sim.split = HALVES[name]
    sub.batch.start_seed = args.seen_start_seed if HALVES[name] == "seen" else args.unseen_start_seed
    sub.batch.output_dir = str(root / f"{name}_{cfg.sim.resolution}")
    sub.batch.pred_root = str(Path(cfg.batch.pred_root) / name)
    return sub


MANIFEST_STAGE = "pisabench_sim_manifest"


def run(cfg) -> int:
    """Both halves, then their manifests; returns the exit status."""
    args = section(cfg, "pisabench", PisaBenchSimArgs)
    n = cfg.batch.num_samples
    seeds = {h: (s, s + n) for h, s in (("seen", args.seen_start_seed), ("unseen", args.unseen_start_seed))}
    if seeds["seen"][0] < seeds["unseen"][1] and seeds["unseen"][0] < seeds["seen"][1]:
        raise ConfigError(f"pisabench: the halves' seed ranges overlap ({seeds}) with batch.num_samples={n}")
    subs = {name: half_config(cfg, name, args) for name in HALVES}
    return run_batches(subs, Path(cfg.batch.output_dir), MANIFEST_STAGE, "pisabench_sim")


def run_batches(subs: dict, root: Path, stage: str, prog: str) -> int:
    """Each named batch config in ``subs``, then its evaluation manifest ``<root>/<name>.jsonl``.

    The root may be shared (``data/pisabench``): only manifests this stage wrote are replaced (checked
    before any work). A batch that fails keeps no manifest (one from an earlier run is removed)
    unless it allows failures. Returns the first non-zero status (all batches run).
    """
    for name in subs:
        manifest = root / f"{name}.jsonl"
        if manifest.exists() and (read_record(manifest) or {}).get("stage") != stage:
            raise InputError(
                manifest,
                f"exists and was not written by {prog}; nothing was written — move it away or pass another --output-dir",
            )
    status = 0
    for name, sub in subs.items():
        print(f"== {name}: {sub.batch.num_samples} clips, split {sub.sim.split}, in {sub.batch.output_dir}")
        rc = parallel.run(sub)
        manifest = root / f"{name}.jsonl"
        batch_manifest = Path(sub.batch.output_dir) / "eval_sim.jsonl"
        if rc == 0 or (sub.batch.allow_failures and batch_manifest.is_file()):
            write_text(manifest, batch_manifest.read_text())
            write_record(
                manifest,
                stage_identity(stage, 1, inputs={"batch": fingerprint(batch_manifest)}, settings={"half": name}),
            )
            print(f"{name}: evaluation manifest {manifest}")
        elif manifest.is_file():
            manifest.unlink()
            record_path(manifest).unlink(missing_ok=True)
            print(f"{name}: removed {manifest} from an earlier run (this half failed)")
        status = status or rc
    return status


SPLIT_FLAG_KEYS = ("output_dir", "num_samples", "workers", "allow_failures")  # copied into ``batch``


def add_split_flags(p, per: str) -> None:
    """The flags of the test-split generators (this one and :mod:`sim_data.newton`); ``per``: what a batch is."""
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", help="root of the split and its manifests")
    p.add_argument("--num-samples", "--num_samples", dest="num_samples", type=int, help=f"clips per {per}")
    p.add_argument("--workers", type=int, help="parallel worker processes")
    p.add_argument(
        "--allow-failures",
        dest="allow_failures",
        action="store_true",
        default=None,
        help=f"write a {per}'s manifest despite failed clips",
    )
    add_sim_flags(p)


def main(argv=None) -> int:
    """Parse the command line and make both halves."""

    def flags(p):
        add_split_flags(p, "half")

    args, cfg = parse_cli(
        argv,
        prog="python -m sim_data.pisabench_sim",
        description=__doc__,
        default_config=DEFAULT_CONFIG,
        add_flags=flags,
    )
    apply_sim_flags(cfg, args)
    copy_flags(cfg, "batch", args, SPLIT_FLAG_KEYS)
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
