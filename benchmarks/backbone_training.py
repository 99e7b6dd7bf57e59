"""Shared by ``psft_step.py --backbone``, ``oro_memory.py --backbone`` and ``grpo_step.py``: one training step of any backbone.

The job, frozen parts and denoiser are built by the trainer's own components from a post-training
config (``configs/post_training/<name>/tiny_psft.py`` / ``tiny_oro.py`` on CPU, ``psft.py`` /
``oro_seg.py`` with ``--model-path`` on a GPU), on one random clip; the step is what
``opensora.train.loop.train_step`` runs (loss under autocast, backward, AdamW).
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path


def rss_gib() -> float:
    """Peak resident memory of this process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def build_job(kind: str, cfg):
    """The training job of ``kind`` (psft, oro, grpo, dpo) for a loaded config."""
    if kind == "psft":
        from opensora.train.psft import PSFT

        return PSFT()
    import importlib

    module = importlib.import_module(f"opensora.train.{kind}")
    return getattr(module, kind.upper())(cfg)


def measure_step(kind: str, config: str, overrides: dict, device: str, steps: int, infer: bool = False) -> dict:
    """Seconds per step, peak memory (CUDA allocation, or CPU RSS growth over the steps), trainable parameters.

    Also the mean of every number the job logs per step (GRPO: sampling / reward / recomputation
    seconds), and with ``infer`` the seconds of one sampling of the same clip (``sample_latents``).
    """
    import torch

    from evaluation.core.config import load_config
    from opensora.tiny import resolve_specs
    from opensora.train.components import build_backbone_for_training, build_denoiser, prompt_features
    from opensora.train.config import TrainingConfig
    from opensora.train.loop import Frozen
    from opensora.train.optim import make_optimizer
    from opensora.train.parallel import set_activation_checkpointing

    dev = torch.device(device)
    dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    tmp = Path(tempfile.mkdtemp())
    cfg = resolve_specs(load_config(config, {"model.text_cache_dir": str(tmp / "text"), **overrides}))
    rc = TrainingConfig.from_config(cfg)
    margs, data = rc.model, rc.data
    sched, targs = rc.scheduler, rc.train
    job = build_job(kind, cfg)
    job.validate(data, sched)
    torch.manual_seed(0)
    backbone = build_backbone_for_training(rc.backbone, sched, dev, dtype)
    text = prompt_features(backbone, ["a video of an object dropping"], margs)
    job.setup(Frozen(backbone, text, dev, dtype), data, sched)
    model = job.prepare_model(build_denoiser(margs, backbone)).to(dev).train()
    set_activation_checkpointing(model, targs.grad_checkpoint)
    opt = make_optimizer(model, targs)
    t, s = data.num_frames, data.resolution
    video = torch.rand(1, 3, t, s, s, generator=torch.Generator().manual_seed(0)) * 2 - 1
    mask = torch.zeros(1, t, 1, s, s, dtype=torch.bool)
    mask[..., s // 3 : s // 2, s // 3 : s // 2] = True
    batch = {"index": [0], "text": ["a video of an object dropping"], "video": video, "mask": mask}
    logs = []

    def step(i):
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            loss, _, log = job.loss(model, batch, seed=i)
        if not job.backward_in_loss:
            loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        logs.append(log)

    seconds, peak = time_steps(step, steps, dev)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    out = {"seconds": seconds, "peak_gib": peak, "trainable_m": trainable / 1e6}
    keys = {k for log in logs[1:] for k, v in log.items() if isinstance(v, (int, float))}
    out["logs"] = {k: sum(log[k] for log in logs[1:] if k in log) / max(len(logs) - 1, 1) for k in sorted(keys)}
    if infer:
        out["infer_seconds"] = time_inference(backbone, model, text, video, sched, dev, steps)
    return out


def time_inference(backbone, model, text, video, sched, dev, steps: int) -> float:
    """Seconds of one sampling of ``video``'s first frame (``sample_latents``, no gradient) and its decode."""
    import torch

    from opensora.backbones.sampling import sample_latents

    def once(i):
        with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            g = torch.Generator(device=dev).manual_seed(i)
            z = sample_latents(backbone, model, video[:, :, 0].to(dev), text.batch(["a video of an object dropping"], dev),
                               steps=sched.num_sampling_steps, guidance_scale=sched.cfg_scale, generator=g)  # fmt: skip
            backbone.decode(z)

    model.eval()
    seconds, _ = time_steps(once, steps, dev)
    model.train()
    return seconds


def time_steps(step, steps: int, dev) -> tuple[float, float]:
    """Seconds per ``step(i)`` after a warm-up step, and peak memory (CUDA allocation, or CPU RSS growth)."""
    import torch

    base = rss_gib()
    step(0)  # warm-up: allocates the optimizer state (counted in the CPU memory growth)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for i in range(steps):
        step(i + 1)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - t0) / steps
    peak = torch.cuda.max_memory_allocated() / 2**30 if dev.type == "cuda" else max(rss_gib() - base, 0.0)
    return seconds, peak


def handle(a, kind: str, measure, script: str) -> bool:
    """The ``--one`` / ``--backbone`` part of a benchmark's command line; True when it did the work."""
    import json

    if a.one:
        one = json.loads(a.one)
        print(json.dumps(measure_step(**one, steps=a.steps) if "kind" in one else measure(**one, steps=a.steps)))
        return True
    if a.backbone != "opensora_v1_2":
        print_table(kind, a.backbone, a.model_path, a.steps, script)
        return True
    return False


def rows(kind: str, name: str, model_path: str | None, cuda: bool) -> list[tuple[str, dict]]:
    """The configurations: tiny on CPU (full FT vs LoRA, checkpointing), full size on a GPU with weights."""
    stage = "tiny_psft" if kind == "psft" else "tiny_oro"
    tiny = f"configs/post_training/{name}/{stage}.py"
    out = []
    for label, o in (
        ("tiny, full FT", {"model.lora_rank": 0, "train.grad_checkpoint": False}),
        ("tiny, full FT, act. ckpt", {"model.lora_rank": 0, "train.grad_checkpoint": True}),
        ("tiny, LoRA r=16", {"model.lora_rank": 16, "model.lora_alpha": 16.0, "train.grad_checkpoint": True}),
    ):
        out.append((label, dict(kind=kind, config=tiny, overrides=o, device="cpu")))
    if cuda and model_path:
        full = f"configs/post_training/{name}/{'psft' if kind == 'psft' else 'oro_seg'}.py"
        o = {"model.model_path": model_path, "rewards": [dict(type="segmentation", model="tiny:sam2?image_size=256")]}
        out.append(("full size, LoRA (config)", dict(kind=kind, config=full, overrides=o, device="cuda")))
    return out


def print_table(kind: str, name: str, model_path: str | None, steps: int, script: str) -> None:
    """Run every row in its own process and print seconds, memory and ratios against the first row."""
    import torch
    from isolated import run_isolated

    plan = rows(kind, name, model_path, torch.cuda.is_available())
    if not torch.cuda.is_available():
        print("no GPU: full-size rows skipped")
    elif not model_path:
        print("full-size rows need the pipeline: --model-path HUB_ID_OR_FOLDER")
    print(f"{name} {kind}: {'configuration':<28}{'trainable M':>12}{'s/step':>9}{'peak GiB':>10}{'mem ratio':>10}")
    base = None
    for label, c in plan:
        r, err = run_isolated(script, c, "--steps", str(steps))
        if r is None:
            print(f"  {label:<28} failed: {err}")
            continue
        base = base or r
        ratio = f"{r['peak_gib'] / base['peak_gib']:.2f}" if base["peak_gib"] > 0 else "-"
        print(f"  {label:<28}{r['trainable_m']:>12.3f}{r['seconds']:>9.2f}{r['peak_gib']:>10.3f}{ratio:>10}")
    print("  (CPU memory = peak RSS growth during the steps; ratios against the first row)")
