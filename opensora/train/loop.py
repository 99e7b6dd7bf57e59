"""The training loop PSFT and ORO share; each supplies a :class:`Job` (its loss and model changes).

Order of work: read the config sections, join the job, validate the manifest(s) on every rank
(bad rows stop the run before any model is built), prepare the run folder, build models and
cached text features, optionally fill the latent cache, wrap the model (FSDP2/DDP), create the
EMA and optimizer, resume, validate at step 0, then train: per step seed from (seed, step, rank),
compute the job's loss under autocast, stop on a non-finite loss, backward, clip, AdamW step,
EMA update, log, checkpoint every ``ckpt_every`` steps, validate every ``validation.every``.
The last step checkpoints, validates and exports the EMA weights to ``<run>/export/ema``
(``config.json`` + ``model.safetensors``, loadable by ``opensora.inference``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from evaluation.config import section
from opensora.datasets.clips import ClipDataset, EpochBatches
from opensora.datasets.latents import LatentCache
from opensora.datasets.manifest import read_manifest
from opensora.models.checkpoint import load_weights, save_weights_folder
from opensora.models.stdit.stdit3 import STDiT3
from opensora.schedulers.rf import RFlowArgs
from opensora.train import engine as E
from opensora.train.components import DataArgs, ModelArgs, TextTable, build_stdit3, build_vae, vae_identity
from opensora.train.validate import ValArgs, Validator


@dataclass
class Context:
    """Everything a job's loss may use."""

    cfg: object
    train: E.TrainArgs
    model_args: ModelArgs
    data: DataArgs
    sched: RFlowArgs
    dist: E.Dist
    vae: torch.nn.Module = None
    text: TextTable = None
    rows: list = field(default_factory=list)
    dtype: torch.dtype = torch.float32


class Job:
    """What differs between PSFT and ORO."""

    name = "job"
    extras: tuple[str, ...] = ()  # per-sample files the loss needs (mask, depth, flow)
    use_latent_cache = True

    def validate(self, ctx: Context) -> None:
        """Check job settings against the other sections; runs before any folder or model is made."""

    def setup(self, ctx: Context) -> None:
        """Build reward models and the like (before the model is built)."""

    def prepare_model(self, model: torch.nn.Module, ctx: Context) -> torch.nn.Module:
        """Change the model before wrapping (e.g. LoRA); returns it."""
        return model

    def loss(self, model, batch: dict, ctx: Context, seed: int) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """``(scalar loss, per-sample loss [B], extra log values)``."""
        raise NotImplementedError

    def export(self, sd: dict, model: torch.nn.Module) -> dict:
        """The state dict an exported STDiT3 loads (e.g. LoRA merged)."""
        return sd


def _collate(items: list[dict]) -> dict:
    out = {"index": [it["index"] for it in items]}
    for k in items[0]:
        if k != "index":
            vals = [it[k] for it in items]
            out[k] = torch.stack(vals) if all(v.shape == vals[0].shape for v in vals) else vals
    return out


def fit(cfg, job: Job) -> int:
    """Train as configured; returns the exit status."""
    targs = section(cfg, "train", E.TrainArgs)
    margs, data = section(cfg, "model", ModelArgs), section(cfg, "data", DataArgs)
    sched, vargs = section(cfg, "scheduler", RFlowArgs), section(cfg, "validation", ValArgs)
    ctx = Context(cfg, targs, margs, data, sched, E.init_distributed(targs.device))
    try:
        job.validate(ctx)
        if ctx.dist.main:
            E.check_run_dir(targs)  # before anything is written (rank 0: the others may find its new folder)
        ctx.dist.barrier()
        return _fit(ctx, vargs, job)
    finally:
        E.shutdown(ctx.dist)


def _fit(ctx: Context, vargs: ValArgs, job: Job) -> int:
    targs, margs, data, d = ctx.train, ctx.model_args, ctx.data, ctx.dist
    ctx.rows = read_manifest(
        data.manifest, num_frames=data.num_frames, needs=job.extras, split=data.split, limit=data.limit
    )
    run = E.prepare_run_dir(targs, ctx.cfg, d)
    texts = [r.text for r in ctx.rows]
    validator = Validator(vargs, run, data.num_frames, data.resolution, data.fps, texts) if vargs.manifest else None
    bf16 = targs.precision == "bf16" or (targs.precision == "auto" and d.device.type == "cuda")
    ctx.dtype = torch.bfloat16 if bf16 else torch.float32
    if d.main:  # rank 0 writes the text cache (and a tiny T5 for smoke runs) first
        ctx.text = TextTable(texts, margs)
    d.barrier()
    if not d.main:
        ctx.text = TextTable(texts, margs)
    ctx.vae = build_vae(margs).to(d.device)
    job.setup(ctx)
    dataset = ClipDataset(ctx.rows, data.num_frames, data.resolution, extras=job.extras)
    if data.latent_cache_dir and job.use_latent_cache:
        cache = LatentCache(data.latent_cache_dir, vae_identity(margs), data.num_frames, data.resolution)
        with E.autocast(targs, d.device):
            cache.fill(dataset, ctx.vae, d.device, d.rank, d.world)
        d.barrier()
        dataset = ClipDataset(ctx.rows, data.num_frames, data.resolution, extras=job.extras, latents=cache)
    torch.manual_seed(targs.seed)  # identical random init on every rank (FSDP2 does not broadcast)
    model = job.prepare_model(build_stdit3(margs), ctx)
    model.train()
    model = E.wrap_model(model, targs, d)
    ema = E.EMA(model)
    optimizer = E.make_optimizer(model, targs)
    batches = EpochBatches(len(dataset), targs.batch_size, targs.seed, d.rank, d.world)
    total = targs.max_steps or targs.epochs * batches.per_epoch
    start = 0
    ckpt = E.find_resume(targs, run)
    if ckpt is not None:
        start = E.load_checkpoint(ckpt, model, optimizer, ema)["step"]
        if d.main:
            print(f"resumed from {ckpt} at step {start}")
    elif targs.resume and d.main:
        print(f"no complete checkpoint in {run}; starting at step 0")
    log = E.RunLog(run, targs, d, ctx.cfg, resumed_from=start if targs.resume else None)

    def validate(step: int) -> None:
        sd = E.weights_for_export(model, ema if vargs.weights == "ema" else None)  # collective
        if d.main:
            plain = STDiT3(E.unwrap(model).config)
            load_weights(plain, job.export(sd, model), source=f"weights at step {step}")
            values = validator.run(plain.to(d.device), ctx.vae, ctx.text, ctx.sched, step, d.device, ctx.dtype)
            log.log(step, values)
            print(f"step {step}: " + ", ".join(f"{k}={v:.4f}" for k, v in values.items()))
        d.barrier()

    if validator is not None:
        if d.main:
            validator.prepare_gt()
        if vargs.at_start and start == 0:
            validate(0)
    bar = tqdm(total=total, initial=start, desc=job.name, unit="step", disable=not d.main or None)
    step = start
    loader = iter(
        torch.utils.data.DataLoader(
            dataset,
            batch_sampler=batches.stream(start, total),
            num_workers=targs.num_workers,
            collate_fn=_collate,
        )
    )
    window, step_times = [], []
    while step < total:
        epoch, b = batches.position(step)
        batch = next(loader)
        t0 = time.perf_counter()
        ids = [ctx.rows[i].sample_id for i in batch["index"]]
        seed = E.seed_step(targs.seed, step, d.rank)
        for group in optimizer.param_groups:
            group["lr"] = E.lr_at(step, targs.lr, targs.warmup_steps)
        with E.autocast(targs, d.device):
            loss, per_sample, extra = job.loss(model, batch, ctx, seed)
        global_loss = d.mean(loss.detach().float())
        E.check_finite(global_loss, per_sample, step, epoch, b, ids)
        loss.backward()
        grad_norm = E.clip_gradients(model, targs.grad_clip, step)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        ema.update(model, targs.ema_decay)
        step += 1
        window.append(float(global_loss))
        step_times.append(time.perf_counter() - t0)
        bar.update(1)
        bar.set_postfix(loss=f"{float(global_loss):.4f}")
        if step % targs.log_every == 0 or step == total:
            record = {
                "loss": sum(window) / len(window),
                "grad_norm": grad_norm,
                "lr": optimizer.param_groups[0]["lr"],
                "epoch": epoch,
                "step_time_s": sum(step_times) / len(step_times),
                "samples_per_s": len(step_times) * targs.batch_size * d.world / sum(step_times),
                **{k: float(v) for k, v in extra.items()},
            }
            if d.device.type == "cuda":
                record["peak_mem_gb"] = torch.cuda.max_memory_allocated(d.device) / 2**30
            log.log(step, record)
            window, step_times = [], []
        if step % targs.ckpt_every == 0 or step == total:
            state = E.trainer_state_dict(step, *batches.position(step), targs)
            E.save_checkpoint(run, step, model, optimizer, ema, d, state)
            E.prune_checkpoints(run, targs.keep_checkpoints, d)
        if validator is not None and ((vargs.every and step % vargs.every == 0) or step == total):
            validate(step)
    bar.close()
    sd = E.weights_for_export(model, ema)  # collective
    if d.main:
        folder = save_weights_folder(
            job.export(sd, model), E.unwrap(model).config.to_json(), Path(run) / "export" / "ema"
        )
        print(f"done: {step} steps; run folder {run}; EMA weights exported to {folder}")
    log.close()
    d.barrier()
    return 0
