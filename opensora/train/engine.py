"""The training engine shared by PSFT and ORO: torchrun, FSDP2/DDP, EMA, checkpoints, logging.

- Processes: launched by ``torchrun`` (any number of nodes) or as a plain single process;
  NCCL on GPU, gloo on CPU.
- Parallelism (``train.parallel``): ``fsdp`` = PyTorch FSDP2 ``fully_shard`` per STDiT3 block
  and on the root with ``reshard_after_forward=False`` — parameters stay gathered between
  forward and backward while gradients and optimizer state are sharded: the ZeRO-2 equivalent
  of the paper's ColossalAI setup; ``ddp`` = DistributedDataParallel; a single process trains
  the plain module either way.
- Precision: bf16 autocast on GPU, fp32 on CPU (``train.precision``); the EMA is fp32 and is
  sharded like the parameters (DTensors under FSDP), as Open-Sora shards its EMA.
- Checkpoints: ``<run>/checkpoints/step-XXXXXXX/`` written with ``torch.distributed.checkpoint``
  (one shard file per rank: model, EMA, optimizer) plus ``trainer_state.json`` (step, data
  position, world size), the model's ``config.json`` and, last, a ``DONE`` record of every file
  and its size (``evaluation.outdirs``); everything goes to a ``.tmp-`` folder first and is
  renamed when every rank has finished. ``--resume auto`` takes the newest checkpoint whose files
  all match its record, says so when it skips a newer incomplete one, and names the step it
  resumes from. DCP re-shards on load, so a run may resume on another world size.
- Run folders: new, empty, or (only with ``--resume``) an earlier run; anything else is an error
  and nothing in it is touched. After a resume from step S, ``metrics.jsonl`` and TensorBoard
  hold each step once (records after S are dropped, TensorBoard purges them).
- Randomness: every step seeds torch from ``(seed, step, rank)`` and the data order is a pure
  function of ``(seed, epoch)``, so ``--resume`` continues exactly as if never interrupted.
- Logging: tqdm, ``metrics.jsonl``, TensorBoard; Weights & Biases only when ``train.wandb_project``
  is set (no default entity).
- Faults: a non-finite loss or gradient norm stops the run before the optimizer step, naming the
  step, epoch, batch and sample ids (no checkpoint of the bad state is written).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import warnings
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from evaluation.config import config_to_dict
from evaluation.errors import ConfigError, InputError
from evaluation.outdirs import claim_output_dir, output_owner, write_done
from evaluation.runinfo import environment
from evaluation.schema import write_json, write_text
from opensora.models.checkpoint import TRAIN_STATE_FILE as STATE_FILE
from opensora.models.checkpoint import checkpoint_problem

# DCP warns on every save/load in a single process that it assumes one process: it is right
warnings.filterwarnings("ignore", message="torch.distributed is disabled, unavailable or uninitialized")

CKPT_DIR = "checkpoints"
RUN_JOB = "train"  # the job name in a run folder's ownership marker
CKPT_RE = re.compile(r"^step-(\d{7})$")
PARALLEL = ("fsdp", "ddp")
PRECISION = ("auto", "fp32", "bf16")


@dataclass
class TrainArgs:
    """The ``train`` config section (defaults: PISA's PSFT settings, spec §1e / paper_facts §5)."""

    outputs: str = "outputs/post_training"
    experiment: str = "psft"
    run_dir: str | None = None  # explicit run folder; None = <outputs>/<NNN>-<experiment>
    resume: str | None = None  # "auto" = latest checkpoint of run_dir, or a checkpoint folder
    seed: int = 42
    epochs: int = 3000
    max_steps: int | None = None
    batch_size: int = 64  # per process
    lr: float = 1e-4
    weight_decay: float = 0.0
    adam_eps: float = 1e-15
    warmup_steps: int = 0
    grad_clip: float = 1.0
    ema_decay: float = 0.99
    precision: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | fp32 | bf16
    parallel: str = "fsdp"  # fsdp | ddp
    grad_checkpoint: bool = True
    log_every: int = 10
    ckpt_every: int = 500
    keep_checkpoints: int = 3  # newest kept; 0 = keep all
    num_workers: int = 2
    device: str = "auto"
    wandb_project: str | None = None
    wandb_entity: str | None = None
    wandb_mode: str = "online"  # online | offline

    def __post_init__(self):
        if self.parallel not in PARALLEL:
            raise ValueError(f"train.parallel must be one of {PARALLEL}, got {self.parallel!r}")
        if self.precision not in PRECISION:
            raise ValueError(f"train.precision must be one of {PRECISION}, got {self.precision!r}")
        for name in ("batch_size", "log_every", "ckpt_every", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"train.{name} must be >= 1")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError("train.ema_decay must be in [0, 1)")
        if self.resume == "auto" and not self.run_dir:
            raise ConfigError("train.resume='auto' needs train.run_dir (--run-dir): the run folder to continue")


class NonFiniteLossError(RuntimeError):
    """A loss or gradient norm became NaN/inf; the run stops before the optimizer step."""


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        """Rank 0 writes logs, exports and validation outputs."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """A process group exists (torchrun)."""
        return dist.is_available() and dist.is_initialized()

    def barrier(self) -> None:
        """Wait for every rank (no-op in a single process)."""
        if self.distributed:
            dist.barrier()

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """All-reduce mean of a tensor (returns a copy)."""
        x = x.detach().clone()
        if self.distributed:
            dist.all_reduce(x)
            x /= self.world
        return x


def init_distributed(device: str = "auto") -> Dist:
    """Join the torchrun job if there is one (NCCL on GPU, gloo on CPU)."""
    cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local)
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", device_id=dev if cuda else None)
    rank = dist.get_rank() if dist.is_initialized() else 0
    return Dist(rank, world, local, dev)


def shutdown(d: Dist) -> None:
    """Leave the process group."""
    if d.distributed:
        dist.destroy_process_group()


def autocast(args: TrainArgs, device: torch.device):
    """bf16 autocast where configured (auto: on GPU only)."""
    bf16 = args.precision == "bf16" or (args.precision == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()


def seed_step(seed: int, step: int, rank: int) -> int:
    """Seed torch's global RNG for this (step, rank); returns the seed for the step's generators."""
    s = (seed * 1_000_003 + step * 9_176 + rank) % (2**63)
    torch.manual_seed(s)
    return s


# --------------------------------------------------------------------------------------------
# model wrapping and EMA
# --------------------------------------------------------------------------------------------
def blocks_of(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The transformer blocks FSDP shards one by one (STDiT3's spatial and temporal blocks)."""
    out = []
    for name in ("spatial_blocks", "temporal_blocks"):
        out.extend(getattr(model, name, []))
    return out


def wrap_model(model: torch.nn.Module, args: TrainArgs, d: Dist) -> torch.nn.Module:
    """FSDP2 / DDP as configured; the plain module in a single process."""
    model.to(d.device)
    if hasattr(model, "grad_checkpointing"):
        model.grad_checkpointing = args.grad_checkpoint
    if not d.distributed:
        return model
    if args.parallel == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[d.local_rank] if d.device.type == "cuda" else None)
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh(d.device.type, (d.world,))
    for blk in blocks_of(model):
        fully_shard(blk, mesh=mesh, reshard_after_forward=False)
    fully_shard(model, mesh=mesh, reshard_after_forward=False)
    return model


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module under DDP (FSDP2 modifies the module in place)."""
    return getattr(model, "module", model)


class EMA:
    """fp32 exponential moving average of the parameters, sharded like them."""

    def __init__(self, model: torch.nn.Module):
        self.tensors = {n: p.detach().clone().float() for n, p in unwrap(model).named_parameters()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module, decay: float) -> None:
        """``ema ← decay·ema + (1−decay)·param`` for trainable parameters (frozen ones keep their value)."""
        for n, p in unwrap(model).named_parameters():
            if p.requires_grad:
                self.tensors[n].lerp_(p.detach().float(), 1.0 - decay)

    def full_state_dict(self) -> dict[str, torch.Tensor]:
        """Gathered CPU tensors (collective under FSDP: call on every rank)."""
        out = {}
        for n, t in self.tensors.items():
            full = t.full_tensor() if hasattr(t, "full_tensor") else t
            out[n] = full.detach().cpu()
        return out


def full_model_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers, gathered to CPU (collective under FSDP: call on every rank)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    sd = get_model_state_dict(unwrap(model), options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not sd:  # non-zero ranks get nothing with cpu_offload under FSDP
        return {}
    return {k: v.detach().cpu() for k, v in sd.items()}


def weights_for_export(model: torch.nn.Module, ema: EMA | None) -> dict[str, torch.Tensor]:
    """Full state dict with the EMA parameters in place of the working ones when ``ema`` is given."""
    sd = full_model_state_dict(model)
    if ema is not None:
        ema_sd = ema.full_state_dict()
        sd = {k: ema_sd.get(k, v).to(v.dtype) for k, v in sd.items()} if sd else {}
    return sd


def make_optimizer(model: torch.nn.Module, args: TrainArgs, lr: float | None = None) -> torch.optim.Optimizer:
    """AdamW (Open-Sora: HybridAdam in AdamW mode) over the trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError("the model has no trainable parameters")
    return torch.optim.AdamW(params, lr=lr or args.lr, eps=args.adam_eps, weight_decay=args.weight_decay)


def lr_at(step: int, base: float, warmup: int) -> float:
    """Open-Sora's LinearWarmupLR: ``base·(step+1)/(warmup+1)`` during warm-up, then constant."""
    return base * (step + 1) / (warmup + 1) if step < warmup else base


def check_finite(loss: torch.Tensor, per_sample: torch.Tensor, step: int, epoch: int, batch: int, ids: list) -> None:
    """Raise :class:`NonFiniteLossError` naming the step/batch (and which samples) when the loss is not finite."""
    if torch.isfinite(loss).all():
        return
    bad = [ids[i] for i, v in enumerate(per_sample.detach().float().cpu().tolist()) if not math.isfinite(v)]
    where = f"samples {bad}" if bad else f"another rank's samples (this rank had {ids})"
    raise NonFiniteLossError(
        f"non-finite loss {loss.item()} at step {step} (epoch {epoch}, batch {batch}): {where}; "
        "nothing was written for this step — resume from the last checkpoint with a lower lr or check the data"
    )


def clip_gradients(model: torch.nn.Module, max_norm: float, step: int) -> float:
    """Clip to ``max_norm`` (global norm across shards); a non-finite norm stops the run."""
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"))
    norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm
    value = float(norm)
    if not math.isfinite(value):
        raise NonFiniteLossError(f"non-finite gradient norm at step {step}; the optimizer step was skipped")
    return value


# --------------------------------------------------------------------------------------------
# run folder, logging
# --------------------------------------------------------------------------------------------
def check_run_dir(args: TrainArgs) -> None:
    """Fail before anything is built when ``train.run_dir`` cannot hold this run.

    Raises:
        InputError: the folder holds files that are not a training run of ours, or holds a run
            and ``train.resume`` is not set (a fresh run would mix its logs into the old one).
    """
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


def prepare_run_dir(args: TrainArgs, cfg, d: Dist) -> Path:
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
        write_json(run / "env.json", {**environment(), "world_size": d.world, "device": str(d.device)})
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


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------
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


def save_checkpoint(run: Path, step: int, model, optimizer, ema: EMA, d: Dist, extra: dict) -> Path:
    """Write ``checkpoints/step-XXXXXXX`` atomically (collective: call on every rank)."""
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
    dcp.save(_train_state(model, optimizer, ema), checkpoint_id=str(tmp))
    d.barrier()
    if d.main:
        cfg = getattr(unwrap(model), "config", None)
        if cfg is not None and hasattr(cfg, "to_json"):
            write_json(tmp / "config.json", cfg.to_json())
        write_json(tmp / STATE_FILE, {"step": step, "world_size": d.world, **extra})
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
