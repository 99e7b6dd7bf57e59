"""The run folder and its logs: ownership checks, ``config.py`` / ``env.json``, ``metrics.jsonl``, TensorBoard, W&B.

Run folders are new, empty, or (only with ``--resume``) an earlier run; anything else is an
error and nothing in it is touched. After a resume from step S, ``metrics.jsonl`` and TensorBoard
hold each step once (records after S are dropped, TensorBoard purges them). W&B only when
``train.wandb_project`` is set (no default entity).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch.distributed as dist

from evaluation.core.config import config_to_dict
from evaluation.core.errors import InputError
from evaluation.core.files import read_json_object, write_json, write_text
from evaluation.core.identity import differences, refuse
from evaluation.core.outdirs import check_writable, claim_output_dir, output_owner
from evaluation.core.runinfo import environment
from opensora.train.args import TrainArgs
from opensora.train.distributed import Dist

RUN_JOB = "train"  # the job name in a run folder's ownership marker


def check_run_dir(args: TrainArgs, cfg) -> None:
    """Fail before anything is built when ``train.run_dir`` (or ``train.outputs``) cannot hold this run.

    Raises:
        InputError: the folder cannot be written, holds files that are not a training run of
            ours, or holds a run and ``train.resume`` is not set (a fresh run would mix its logs
            into the old one).
        StaleResult: resuming a run with another model, LoRA or clip shape.
    """
    check_writable(args.run_dir or args.outputs)
    if not args.run_dir:
        return
    run = Path(args.run_dir)
    if not run.is_dir() or not any(run.iterdir()):
        return
    if output_owner(run) != RUN_JOB:
        claim_output_dir(run, RUN_JOB, create=False)  # raises, naming the folder
    if not args.resume:
        raise InputError(
            run, "already holds a training run; pass --resume auto to continue it or choose a new --run-dir"
        )
    check_resume_compatible(run, cfg)


# what a resumed run may not change: the weights' architecture, their source and the clips' shape
RESUME_FIXED = {"model": None, "data": ("resolution", "num_frames", "fps", "mask_ratios")}
RESUME_FREE = {"model": ("text_cache_dir",)}  # caches: where they live does not change the weights


def _fixed(config: dict) -> dict:
    out = {}
    for section, keys in RESUME_FIXED.items():
        values = config.get(section) or {}
        picked = {k: v for k, v in values.items() if keys is None or k in keys}
        out[section] = {k: v for k, v in picked.items() if k not in RESUME_FREE.get(section, ())}
    return out


def check_resume_compatible(run: Path, cfg) -> None:
    """Refuse to resume ``run`` with another model, LoRA or clip shape than it was started with.

    Raises:
        StaleResult: names every key that differs (checked before anything of the run is rewritten).
    """
    old_path = run / "config.json"
    if not old_path.is_file():
        return
    old = _fixed(read_json_object(old_path))
    new = _fixed(config_to_dict(cfg))
    diffs = differences({"settings": old}, {"settings": new})
    if diffs:
        raise refuse(
            run, diffs, "resume it with its own settings (its config.py), or start a new run (another --run-dir)"
        )


def prepare_run_dir(args: TrainArgs, cfg, d: Dist, notes: dict | None = None) -> Path:
    """``<outputs>/<NNN>-<experiment>`` (or ``train.run_dir``) with ``config.py`` and ``env.json``.

    Rank 0 picks the name and broadcasts it; resuming with ``resume="auto"`` needs ``run_dir``.
    The folder was checked with :func:`check_run_dir` before anything was built.
    """
    if args.run_dir:
        run = Path(args.run_dir)
    else:
        name = None
        if d.main:
            root = Path(args.outputs)
            n = len([p for p in root.iterdir()]) if root.is_dir() else 0
            name = str(root / f"{n:03d}-{args.experiment.replace('/', '-')}")
        box = [name]
        if d.distributed:
            dist.broadcast_object_list(box, src=0)
        run = Path(box[0])
    if d.main:
        claim_output_dir(run, RUN_JOB)
        write_text(run / "config.py", cfg.pretty_text)
        write_json(run / "config.json", config_to_dict(cfg))
        write_json(run / "env.json", {**environment(), "world_size": d.world, "device": str(d.device), **(notes or {})})
    d.barrier()
    return run


def truncate_metrics(path: Path, last_step: int) -> int:
    """Drop records after ``last_step`` from ``metrics.jsonl`` (atomically); returns how many went.

    A cut last line (the process was killed while writing it) is dropped too.
    """
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
            keep = isinstance(rec, dict) and rec.get("step", last_step + 1) <= last_step
        except ValueError:
            keep = False
        if keep:
            kept.append(line)
        else:
            dropped += 1
    write_text(path, "".join(x + "\n" for x in kept))
    return dropped


class RunLog:
    """``metrics.jsonl`` + TensorBoard (+ W&B when configured); only rank 0 writes.

    ``resumed_from`` (the checkpoint step of a resume): later records of the interrupted run are
    removed from ``metrics.jsonl`` and purged from TensorBoard, so each step is logged once.
    """

    def __init__(self, run: Path, args: TrainArgs, d: Dist, cfg=None, resumed_from: int | None = None):
        self.active = d.main
        self.path = run / "metrics.jsonl"
        self.tb = self.wandb = None
        if not self.active:
            return
        from torch.utils.tensorboard import SummaryWriter

        purge = None
        if resumed_from is not None:
            truncate_metrics(self.path, resumed_from)
            purge = resumed_from + 1
        self.tb = SummaryWriter(str(run / "tensorboard"), purge_step=purge)
        if args.wandb_project:
            import wandb  # optional dependency: pip install wandb

            self.wandb = wandb.init(
                project=args.wandb_project,
                entity=args.wandb_entity,
                mode=args.wandb_mode,
                name=run.name,
                dir=str(run),
                config=config_to_dict(cfg) if cfg is not None else None,
                resume="allow",
            )

    def log(self, step: int, values: dict) -> None:
        """One record: ``{"step": step, **values}``."""
        if not self.active:
            return
        rec = {
            "step": step,
            **{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()},
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        for k, v in values.items():
            if isinstance(v, (int, float)) and math.isfinite(v):
                self.tb.add_scalar(k, v, step)
        self.tb.flush()
        if self.wandb is not None:
            self.wandb.log(values, step=step)

    def close(self) -> None:
        """Flush and close the writers."""
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
