"""Training checkpoints: ``<run>/checkpoints/step-XXXXXXX/`` written, found, pruned and restored.

Each checkpoint holds ``torch.distributed.checkpoint`` shards (one file per rank: model, EMA,
optimizer), ``trainer_state.json`` (step, data position, world size), the model's
``config.json`` and, last, a ``DONE`` record of every file and its size
(``evaluation.core.outdirs``). Everything goes to a ``.tmp-`` folder first and is renamed when every
rank has finished. ``--resume auto`` takes the newest checkpoint whose files all match its
record, says so when it skips a newer incomplete one. DCP re-shards on load, so a run may resume
on another world size.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import warnings
from dataclasses import asdict
from pathlib import Path

from evaluation.core.errors import InputError
from evaluation.core.files import write_json
from evaluation.core.outdirs import write_done
from opensora.models.checkpoint import TRAIN_STATE_FILE as STATE_FILE
from opensora.models.checkpoint import checkpoint_problem
from opensora.train.args import TrainArgs
from opensora.train.distributed import Dist
from opensora.train.optim import EMA
from opensora.train.parallel import unwrap

CKPT_DIR = "checkpoints"
CKPT_RE = re.compile(r"^step-(\d{7})$")


@contextlib.contextmanager
def _quiet_single_process_dcp():
    """DCP warns on every save/load in a single process that it assumes one process: it is right."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled, unavailable or uninitialized")
        yield


def list_checkpoints(run: Path) -> list[Path]:
    """Checkpoint folders of a run that have a ``trainer_state.json``, oldest first (complete or not)."""
    root = Path(run) / CKPT_DIR
    if not root.is_dir():
        return []
    return sorted(
        (p for p in root.iterdir() if CKPT_RE.match(p.name) and (p / STATE_FILE).is_file()), key=lambda p: p.name
    )


def find_resume(args: TrainArgs, run: Path) -> Path | None:
    """The checkpoint folder ``train.resume`` names (``auto``: the run's newest complete one; None when there is none).

    Raises:
        InputError: an explicit ``train.resume`` folder is not a complete checkpoint.
    """
    if not args.resume:
        return None
    if args.resume == "auto":
        for ckpt in reversed(list_checkpoints(run)):
            problem = checkpoint_problem(ckpt)
            if problem is None:
                return ckpt
            print(f"skipping incomplete checkpoint {ckpt}: {problem}")
        return None
    p = Path(args.resume)
    problem = checkpoint_problem(p)
    if problem:
        raise InputError(p, f"not a complete checkpoint: {problem}")
    return p


def _train_state(model, optimizer, ema: EMA):
    from torch.distributed.checkpoint.state_dict import get_state_dict

    msd, osd = get_state_dict(unwrap(model), optimizer)
    return {"model": msd, "optim": osd, "ema": ema.tensors}


def save_checkpoint(
    run: Path, step: int, model, optimizer, ema: EMA, d: Dist, extra: dict, files: dict | None = None
) -> Path:
    """Write ``checkpoints/step-XXXXXXX`` atomically (collective: call on every rank).

    ``files``: more JSON records to put in the folder (name → content), e.g. ``pisa.json``.
    """
    import torch.distributed.checkpoint as dcp

    root = Path(run) / CKPT_DIR
    final = root / f"step-{step:07d}"
    tmp = root / f".tmp-step-{step:07d}"
    if d.main:
        root.mkdir(parents=True, exist_ok=True)
        for stale in root.glob(".tmp-step-*"):  # left by a run killed while saving
            shutil.rmtree(stale, ignore_errors=True)
        tmp.mkdir(parents=True)
    d.barrier()
    with _quiet_single_process_dcp():
        dcp.save(_train_state(model, optimizer, ema), checkpoint_id=str(tmp))
    d.barrier()
    if d.main:
        cfg = getattr(unwrap(model), "config", None)
        if cfg is not None and hasattr(cfg, "to_json"):
            write_json(tmp / "config.json", cfg.to_json())
        write_json(tmp / STATE_FILE, {"step": step, "world_size": d.world, **extra})
        for name, content in (files or {}).items():
            write_json(tmp / name, content)
        write_done(tmp, hashes=False)  # last: every file and its size, checked before a resume
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    d.barrier()
    return final


def prune_checkpoints(run: Path, keep: int, d: Dist) -> None:
    """Delete all but the newest ``keep`` checkpoints (rank 0)."""
    if d.main and keep > 0:
        for p in list_checkpoints(run)[:-keep]:
            shutil.rmtree(p, ignore_errors=True)


def load_checkpoint(path: Path, model, optimizer, ema: EMA) -> dict:
    """Restore model, optimizer and EMA in place (collective); returns ``trainer_state.json``."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import set_state_dict

    state = _train_state(model, optimizer, ema)
    try:
        with _quiet_single_process_dcp():
            dcp.load(state, checkpoint_id=str(path))
    except Exception as e:  # DCP wraps a cut or corrupt shard in several exception types
        raise InputError(path, f"truncated or corrupt checkpoint ({type(e).__name__}: {str(e).splitlines()[0]})") from e
    set_state_dict(unwrap(model), optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
    return json.loads((Path(path) / STATE_FILE).read_text())


def trainer_state_dict(step: int, epoch: int, batch: int, args: TrainArgs) -> dict:
    """What ``trainer_state.json`` records besides the step."""
    return {
        "epoch": epoch,
        "batch_in_epoch": batch,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "args": asdict(args),
    }
