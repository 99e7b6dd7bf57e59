"""ORO step time and peak memory versus truncated backprop (K), decoded frames and LoRA.

Usage (``--backbone NAME``: any backbone's tiny preset on CPU and, with ``--model-path``, full size
on a GPU; see benchmarks/backbone_training.py)::

    python benchmarks/oro_memory.py [--steps 2]

One ORO step as :class:`opensora.train.oro.ORO` runs it (sample with gradients through the last
K of N denoiser calls, each checkpointed; decode; segmentation reward through SAM 2; backward;
AdamW), on random weights. Each configuration runs in its own process.

- CPU (always): STDiT3-tiny in pixel space, 32²×16 frames, 4 sampling steps, a random tiny SAM 2
  at 64²; rows for K ∈ {1, 2, 4}, all frames vs every 4th frame, full fine-tuning vs LoRA r=16.
  Memory is the growth of the process's peak resident memory over the training steps (warm-up
  included) above the peak after set-up (a lower bound of what the step needs; libraries and weights excluded).
- GPU (when present): STDiT3-XL/2 + the v1.2 VAE at 256²×32 frames, 10 steps, CFG 4, bf16, with a
  tiny SAM 2 standing in for SAM 2.1-L (no weights here; the reward model's own activations are
  small next to the denoiser's); peak CUDA allocation. The PISA row (K = 10, 32 frames, full
  fine-tuning) is the baseline of the ratios.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

from backbone_training import handle, time_steps  # benchmarks/ is on sys.path when a script runs
from isolated import run_isolated  # benchmarks/isolated.py (the script folder is on sys.path)


def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure(k: int, frames: str, lora: int, device: str, steps: int, full_size: bool) -> dict:
    import torch

    from evaluation.perception.sam2 import save_tiny_sam2
    from opensora.backbones.base import Geometry
    from opensora.backbones.opensora_v1_2 import OpenSoraV12
    from opensora.models import stdit3_from_path_or_preset, vae_from_path_or_preset
    from opensora.rewards import RewardSet
    from opensora.schedulers.rf import RFlowArgs
    from opensora.train.args import TrainArgs
    from opensora.train.components import DataArgs
    from opensora.train.loop import Frozen
    from opensora.train.lora import apply_lora
    from opensora.train.optim import make_optimizer
    from opensora.train.oro import ORO

    dev = torch.device(device)
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp())
    save_tiny_sam2(tmp / "sam2", image_size=64)
    if full_size:
        model, vae_name, t, size, n_steps = "STDiT3-XL/2", "OpenSoraVAE_V1_2", 32, 256, 10
    else:
        model, vae_name, t, size, n_steps = "STDiT3-tiny", "PixelSpace", 16, 32, 4
    vae = vae_from_path_or_preset(vae_name, None).to(dev).eval().requires_grad_(False)
    overrides = {"in_channels": 3} if vae_name == "PixelSpace" else {}
    net = stdit3_from_path_or_preset(model, None, overrides=overrides)
    c = net.config

    class Cfg(dict):
        get = dict.get

    cfg = Cfg(
        oro=dict(grad_steps=k, decode_frames=frames, checkpoint_denoiser=True),
        rewards=[dict(type="segmentation", model=str(tmp / "sam2"), image_size=64)],
    )
    job = ORO(cfg)
    y = torch.randn(1, 1, c.model_max_length, c.caption_channels)

    class FakeText:
        """Random prompt features of the model's caption size (no T5 needed to measure memory)."""

        def batch(self, prompts, device):
            return {"y": y.to(device), "mask": torch.ones(1, c.model_max_length, dtype=torch.long, device=device)}

    dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    data = DataArgs(num_frames=t, resolution=size, fps=16, mask_ratios={})
    sched = RFlowArgs(num_sampling_steps=n_steps, cfg_scale=4.0, use_timestep_transform=t >= 17)
    job.validate(data, sched)
    backbone = OpenSoraV12(None, vae, sched, Geometry(size, size, t, 16), vae_id=vae_name, device=dev, dtype=dtype)
    job.frozen, job.data, job.sched = Frozen(backbone, FakeText(), dev, dtype), data, sched
    job.backbone = backbone
    job.rewards = RewardSet(cfg["rewards"], dev)
    if lora:
        net = apply_lora(net, lora, 8.0, 0.0, True, backbone.default_lora_targets)
    net = job.prepare_model(net).to(dev).train()
    net.grad_checkpointing = True
    opt = make_optimizer(net, TrainArgs(lr=1e-6))
    mask = torch.zeros(1, t, 1, size, size, dtype=torch.bool)
    mask[..., size // 3 : size // 2, size // 3 : size // 2] = True
    batch = {"index": [0], "text": ["a video of an object dropping"], "video": torch.rand(1, 3, t, size, size) * 2 - 1}
    batch["mask"] = mask

    def step(i):
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            loss, _, _ = job.loss(net, batch, seed=i)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    setup_peak = _rss_gib()
    dt, peak = time_steps(step, steps, dev)
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    return {"seconds": dt, "peak_gib": peak, "trainable_m": trainable / 1e6, "setup_peak_gib": setup_peak}


def plan(full_size: bool, device: str) -> list[tuple[str, dict]]:
    n, t = (10, 32) if full_size else (4, 16)
    rows = [
        (f"K={n} (all), all frames, full FT", dict(k=n, frames="all", lora=0)),
        (f"K={n // 2}, all frames, full FT", dict(k=n // 2, frames="all", lora=0)),
        ("K=1, all frames, full FT", dict(k=1, frames="all", lora=0)),
        ("K=1, every 4th frame, full FT", dict(k=1, frames="stride:4", lora=0)),
        ("K=1, all frames, LoRA r=16", dict(k=1, frames="all", lora=16)),
        ("K=1, every 4th frame, LoRA r=16", dict(k=1, frames="stride:4", lora=16)),
    ]
    return [(name, {**c, "device": device, "full_size": full_size}) for name, c in rows]


def main(argv=None) -> None:
    """Run every configuration in a subprocess and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--backbone", default="opensora_v1_2", help="any backbone (configs/post_training/NAME/)")
    p.add_argument("--model-path", help="--backbone's pipeline for the full-size GPU row (hub id or folder)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if handle(a, "oro", measure, __file__):  # a --one row, or --backbone NAME
        return
    import torch

    runs = plan(False, "cpu")
    if torch.cuda.is_available():
        runs += plan(True, "cuda")
    else:
        print("no GPU: the STDiT3-XL/2 rows are skipped")
    print(
        f"{'configuration':<36}{'size':<6}{'trainable M':>12}{'s/step':>9}{'peak GiB':>10}{'mem ratio':>10}{'speed-up':>9}"
    )
    base = {}
    for name, c in runs:
        r, err = run_isolated(__file__, c, "--steps", str(a.steps))
        size = "XL" if c["full_size"] else "tiny"
        if r is None:
            print(f"{name:<36}{size:<6} failed: {err}")
            continue
        b = base.setdefault(size, r)
        mem = f"{r['peak_gib'] / b['peak_gib']:.2f}" if b["peak_gib"] > 0 else "-"
        print(
            f"{name:<36}{size:<6}{r['trainable_m']:>12.3f}{r['seconds']:>9.2f}{r['peak_gib']:>10.3f}{mem:>10}{b['seconds'] / r['seconds']:>8.2f}x"
        )
    print("(ratios against the first row of each size = PISA's setting; CPU memory = peak RSS growth during the steps)")


if __name__ == "__main__":
    main()
