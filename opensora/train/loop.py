"""The training loop PSFT and ORO share, for any backbone; each job supplies a :class:`Job` (its loss).

Order of work (:func:`fit`): read every config section and check the job's settings, join the
process group, check the run folder (rank 0), validate the manifest(s) on every rank (bad rows
stop the run before any model is built), prepare the run folder, build the backbone (its frozen
parts and the denoiser's initial weights; :mod:`opensora.backbones`) and the cached prompt
features, the job's own frozen parts (reward models), optionally fill the latent cache, add LoRA
adapters when configured, wrap the denoiser (FSDP2/DDP), create the EMA and optimizer, resume,
validate at step 0, then train (:func:`train_step` per step: seed from (seed, step, rank), the
job's loss under autocast, stop on a non-finite loss, backward, clip, AdamW, EMA), log,
checkpoint every ``ckpt_every`` steps, validate every ``validation.every``. The last step
checkpoints, validates and exports the EMA weights to ``<run>/export/ema`` in the model's own
format (Open-Sora: ``config.json`` + ``model.safetensors``; diffusers: ``transformer/`` and, with
LoRA, ``pytorch_lora_weights.safetensors``) with ``pisa.json``, loadable by ``opensora.inference``.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from opensora.backbones import IDENTITY_FILE
from opensora.backbones.base import Backbone
from opensora.backbones.prompts import PromptFeatures
from opensora.datasets.clips import ClipDataset, EpochBatches
from opensora.datasets.latents import LatentCache
from opensora.datasets.manifest import frame_rates, read_manifest
from opensora.models.checkpoint import load_weights
from opensora.schedulers.rf import RFlowArgs
from opensora.train import checkpoints as C
from opensora.train.args import TrainArgs
from opensora.train.components import (
    DataArgs,
    build_backbone_for_training,
    build_denoiser,
    prompt_features,
    training_identity,
)
from opensora.train.config import TrainingConfig
from opensora.train.distributed import Dist, init_distributed, seed_step, shutdown
from opensora.train.optim import EMA, check_finite, clip_gradients, lr_at, make_optimizer, weights_for_export
from opensora.train.parallel import autocast, compute_dtype, unwrap, wrap_model
from opensora.train.runlog import RunLog, check_run_dir, prepare_run_dir
from opensora.train.validate import Validator


@dataclass(frozen=True)
class Frozen:
    """The frozen parts a job's loss uses, built once by the loop and handed to :meth:`Job.setup`."""

    backbone: Backbone  # autoencoder, encoders, conditioning, objective and sampler of the model
    text: PromptFeatures  # every prompt's cached features
    device: torch.device
    dtype: torch.dtype  # the compute dtype (bf16 under autocast on GPU, else fp32)

    @property
    def latent_space(self) -> str:
        """The autoencoder's identity (what latent caches and exports record)."""
        return self.backbone.latent_space()


class Job:
    """What differs between PSFT and ORO; the loop gives each method what it needs."""

    name = "job"
    needs: tuple[str, ...] = ()  # per-sample ground-truth files the loss reads (mask, depth, flow)
    use_latent_cache = True
    backward_in_loss = False  # True: ``loss`` back-propagates itself in pieces (GRPO); the loop does not

    def validate(self, data: DataArgs, sched: RFlowArgs) -> None:
        """Check job settings against the other sections; runs before any folder or model is made."""

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep what the loss uses and build the job's own frozen models (before the denoiser is built)."""

    def prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """Change the denoiser before wrapping (LoRA is applied before, from the ``model`` section); returns it."""
        return model

    def loss(self, model, batch: dict, seed: int) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """``(scalar loss, per-sample loss [B], extra log values)`` of one batch (``batch["text"]``: its prompts)."""
        raise NotImplementedError


def _collate(items: list[dict]) -> dict:
    out = {"index": [it["index"] for it in items]}
    for k in items[0]:
        if k != "index":
            vals = [it[k] for it in items]
            same = all(isinstance(v, torch.Tensor) and v.shape == vals[0].shape for v in vals)
            out[k] = torch.stack(vals) if same else vals  # ragged tensors and other objects stay lists
    return out


@dataclass
class Trainee:
    """The denoiser being trained with its EMA and optimizer."""

    model: torch.nn.Module
    ema: EMA
    optimizer: torch.optim.Optimizer
    lora_scaling: float = 0.0  # alpha / rank when LoRA adapters are trained


def fit(cfg, job: Job) -> int:
    """Train as configured; returns the exit status."""
    rc = TrainingConfig.from_config(cfg)
    job.validate(rc.data, rc.scheduler)
    d = init_distributed(rc.train.device)
    try:
        if d.main:
            check_run_dir(rc.train, cfg)  # before anything is written (rank 0: the others may find its new folder)
        d.barrier()
        return _fit(cfg, rc, job, d)
    finally:
        # The sharded model, its optimizer and FSDP's last collectives sit in reference cycles; free
        # them while the process group and the interpreter are alive. Left to the interpreter's
        # teardown, a gloo rank can abort ("terminate called without an active exception", seen
        # once in CI) after every output was written.
        gc.collect()
        shutdown(d)


def build_frozen(prompts: list[str], rc: TrainingConfig, d: Dist) -> Frozen:
    """The backbone (with the denoiser's initial weights) and cached text features.

    Rank 0 writes the text cache first, the others read it. The seed is set first: a randomly
    initialised denoiser is identical on every rank (FSDP2 does not broadcast).
    """
    torch.manual_seed(rc.train.seed)
    dtype = compute_dtype(rc.train, d.device)
    backbone = build_backbone_for_training(rc.backbone, rc.scheduler, d.device, dtype)
    if d.main:
        text = prompt_features(backbone, prompts, rc.model)
    d.barrier()
    if not d.main:
        text = prompt_features(backbone, prompts, rc.model)
    return Frozen(backbone, text, d.device, dtype)


def build_dataset(rows, rc: TrainingConfig, job: Job, frozen: Frozen, d: Dist):
    """Clips (with the files the job needs), on cached latents when configured."""
    data = rc.data
    dataset = ClipDataset(rows, data.num_frames, data.resolution, needs=job.needs)
    if not (data.latent_cache_dir and job.use_latent_cache):
        return dataset
    weights = frozen.backbone.latent_weights()
    cache = LatentCache(data.latent_cache_dir, frozen.latent_space, data.num_frames, data.resolution, weights)
    with autocast(rc.train, d.device):
        cache.fill(dataset, frozen.backbone, d.device, d.rank, d.world)
    d.barrier()
    return ClipDataset(rows, data.num_frames, data.resolution, needs=job.needs, latents=cache)


def build_trainee(rc: TrainingConfig, job: Job, frozen: Frozen, d: Dist) -> Trainee:
    """The denoiser (LoRA when configured, the job's changes), wrapped, with EMA and AdamW."""
    model = job.prepare_model(build_denoiser(rc.model, frozen.backbone))
    model.train()
    model = wrap_model(model, rc.train, d)
    return Trainee(model, EMA(model), make_optimizer(model, rc.train), rc.model.lora_scaling)


def resume(targs: TrainArgs, run: Path, trainee: Trainee, d: Dist) -> int:
    """Restore the checkpoint ``train.resume`` names; returns the step to start from."""
    ckpt = C.find_resume(targs, run)
    if ckpt is None:
        if targs.resume and d.main:
            print(f"no complete checkpoint in {run}; starting at step 0")
        return 0
    start = C.load_checkpoint(ckpt, trainee.model, trainee.optimizer, trainee.ema)["step"]
    if d.main:
        print(f"resumed from {ckpt} at step {start}")
    return start


def train_step(trainee: Trainee, job: Job, batch: dict, step: int, pos: tuple[int, int], targs: TrainArgs, d: Dist):
    """One optimizer step; returns ``(global loss, grad norm, extra log values)``.

    Raises:
        NonFiniteLossError: the loss or the gradient norm is not finite (nothing is updated).
    """
    seed = seed_step(targs.seed, step, d.rank)
    for group in trainee.optimizer.param_groups:
        group["lr"] = lr_at(step, targs.lr, targs.warmup_steps)
    with autocast(targs, d.device):
        loss, per_sample, extra = job.loss(trainee.model, batch, seed)
    global_loss = d.mean(loss.detach().float())
    check_finite(global_loss, per_sample, step, *pos, batch["sample_id"])  # before the optimizer moves
    if not job.backward_in_loss:
        loss.backward()
    grad_norm = clip_gradients(trainee.model, targs.grad_clip, step)
    trainee.optimizer.step()
    trainee.optimizer.zero_grad(set_to_none=True)
    trainee.ema.update(trainee.model, targs.ema_decay)
    return float(global_loss), grad_norm, extra


class StepLog:
    """Averages of the steps since the last record, written every ``train.log_every`` steps."""

    def __init__(self, log: RunLog, targs: TrainArgs, d: Dist):
        self.log, self.targs, self.d = log, targs, d
        self.losses, self.times = [], []

    def add(self, loss: float, seconds: float) -> None:
        """One step's loss and wall time."""
        self.losses.append(loss)
        self.times.append(seconds)

    def write(self, step: int, grad_norm: float, lr: float, epoch: int, extra: dict) -> None:
        """The record of ``step``: mean loss, grad norm, lr, speed (and peak GPU memory)."""
        record = {
            "loss": sum(self.losses) / len(self.losses),
            "grad_norm": grad_norm,
            "lr": lr,
            "epoch": epoch,
            "step_time_s": sum(self.times) / len(self.times),
            "samples_per_s": len(self.times) * self.targs.batch_size * self.d.world / sum(self.times),
            **{k: float(v) for k, v in extra.items()},
        }
        if self.d.device.type == "cuda":
            record["peak_mem_gb"] = torch.cuda.max_memory_allocated(self.d.device) / 2**30
        self.log.log(step, record)
        self.losses, self.times = [], []


def validate(validator: Validator, trainee: Trainee, frozen: Frozen, step, log, weights, d) -> None:
    """Score the EMA (or working) weights on the held-out clips (rank 0; collective gather)."""
    sd = weights_for_export(trainee.model, trainee.ema if weights == "ema" else None)
    if d.main:
        plain = frozen.backbone.fresh_denoiser(unwrap(trainee.model))
        load_weights(plain, plain_weights(sd, trainee), source=f"weights at step {step}")
        values = validator.run(plain.to(d.device), frozen.backbone, frozen.text, step)
        log.log(step, values)
        print(f"step {step}: " + ", ".join(f"{k}={v:.4f}" for k, v in values.items()))
    d.barrier()


def plain_weights(sd: dict, trainee: Trainee) -> dict:
    """The state dict with LoRA adapters merged (what a plain copy of the model loads)."""
    if not any(".lora_A." in k for k in sd):
        return sd
    from opensora.train.lora import merge_lora

    return merge_lora(sd, trainee.lora_scaling)


def export(trainee: Trainee, frozen: Frozen, run: Path, identity: dict, d: Dist) -> Path | None:
    """EMA weights as ``<run>/export/ema`` in the model's own format, with ``pisa.json`` (rank 0; collective)."""
    sd = weights_for_export(trainee.model, trainee.ema)
    if not d.main:
        return None
    lora = None
    if trainee.lora_scaling:
        from opensora.train.lora import adapter_weights

        lora = adapter_weights(sd, trainee.lora_scaling)
    folder = Path(run) / "export" / "ema"
    return frozen.backbone.export_weights(unwrap(trainee.model), plain_weights(sd, trainee), lora, folder, identity)


def _fit(cfg, rc: TrainingConfig, job: Job, d: Dist) -> int:
    targs, data, vargs = rc.train, rc.data, rc.validation
    rows = read_manifest(data.manifest, num_frames=data.num_frames, needs=job.needs, split=data.split, limit=data.limit)
    rates = frame_rates(rows)
    other = {r: n for r, n in rates.items() if r != f"{data.fps:g}"}
    if other and d.main:
        print(
            f"warning: {sum(other.values())} of {len(rows)} clips of {data.manifest} are not at data.fps = {data.fps} "
            f"(clip frame rates: {rates}); the model learns their motion as if shown at {data.fps} fps "
            f"(recorded in env.json as clip_fps)"
        )
    validator = Validator(vargs, None, data) if vargs.manifest else None
    prompts = [r.text for r in rows] + (validator.prompts if validator else [])
    frozen = build_frozen(prompts, rc, d)
    job.setup(frozen, data, rc.scheduler)
    dataset = build_dataset(rows, rc, job, frozen, d)
    trainee = build_trainee(rc, job, frozen, d)
    # the run folder is made only now: a config the model cannot take (a LoRA target it does not
    # have, weights of another backbone) fails above without leaving a folder a rerun would refuse
    run = prepare_run_dir(targs, cfg, d, {"clip_fps": rates, "data_fps": data.fps})
    if validator is not None:
        validator.run_dir = run
    batches = EpochBatches(len(dataset), targs.batch_size, targs.seed, d.rank, d.world)
    total = targs.max_steps or targs.epochs * batches.per_epoch
    start = resume(targs, run, trainee, d)
    log = RunLog(run, targs, d, cfg, resumed_from=start if targs.resume else None)
    steps = StepLog(log, targs, d)
    if validator is not None:
        if d.main:
            validator.prepare_gt()
        if vargs.at_start and start == 0:
            validate(validator, trainee, frozen, 0, log, vargs.weights, d)
    sampler = batches.stream(start, total)
    loader = iter(
        torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=targs.num_workers, collate_fn=_collate)
    )
    bar = tqdm(total=total, initial=start, desc=job.name, unit="step", disable=not d.main or None)
    for step in range(start, total):
        batch = next(loader)
        batch["text"] = [rows[i].text for i in batch["index"]]
        batch["sample_id"] = [rows[i].sample_id for i in batch["index"]]
        t0 = time.perf_counter()
        epoch, b = batches.position(step)
        loss, grad_norm, extra = train_step(trainee, job, batch, step, (epoch, b), targs, d)
        done = step + 1
        steps.add(loss, time.perf_counter() - t0)
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}")
        if done % targs.log_every == 0 or done == total:
            steps.write(done, grad_norm, trainee.optimizer.param_groups[0]["lr"], epoch, extra)
        if done % targs.ckpt_every == 0 or done == total:
            state = C.trainer_state_dict(done, *batches.position(done), targs)
            files = {IDENTITY_FILE: training_identity(frozen.backbone, rc.model)}
            C.save_checkpoint(run, done, trainee.model, trainee.optimizer, trainee.ema, d, state, files)
            C.prune_checkpoints(run, targs.keep_checkpoints, d)
        if validator is not None and ((vargs.every and done % vargs.every == 0) or done == total):
            validate(validator, trainee, frozen, done, log, vargs.weights, d)
    bar.close()
    folder = export(trainee, frozen, run, training_identity(frozen.backbone, rc.model), d)
    if d.main:
        print(f"done: {total} steps; run folder {run}; EMA weights exported to {folder}")
    log.close()
    d.barrier()
    return 0
