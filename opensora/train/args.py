"""The ``train`` config section (:class:`TrainArgs`), read by every module of the trainer."""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.core.errors import ConfigError

PARALLEL = ("fsdp", "ddp")
PRECISION = ("auto", "fp32", "bf16")


@dataclass
class TrainArgs:
    """The ``train`` config section (PISA's PSFT settings: paper arXiv 2503.09595, PSFT; configs/post_training/base.py)."""

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
    num_workers: int = 4
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
