"""PSFT training-step time and peak memory: tiny configurations on CPU, STDiT3-XL/2 on a GPU.

Usage (``--backbone NAME``: any backbone's tiny preset on CPU and, with ``--model-path``, full size
on a GPU; see benchmarks/backbone_training.py)::

    python benchmarks/psft_step.py [--steps 5] [--xl-batch 4]

One optimizer step = VAE encode (unless latents are cached) + rectified-flow loss + backward +
clip + AdamW + EMA, as :class:`opensora.train.psft.PSFT` runs it, on random weights and random
videos. Each configuration runs in its own process (peak resident memory on CPU, peak CUDA
allocation on GPU belong to it alone). Rows on CPU (tiny, batch 4):

- pixel space 32²×16 frames (the small-experiment setting);
- tiny VAE at 64²×32 frames, encoding every step vs cached latents (the ratio is what the
  latent cache saves); with and without activation checkpointing.

On a GPU: STDiT3-XL/2 at 256²×32 frames (latents 4×9×32×32), bf16 autocast, activation
checkpointing, 300 text tokens; MFU = model FLOPs (6 × params × tokens + attention) / step time /
the GPU's dense bf16 peak (``--peak-tflops``, default 989 for an H100 SXM).
"""

from __future__ import annotations

import argparse
import resource
import time

from backbone_training import handle  # benchmarks/ is on sys.path when a script runs
from isolated import run_isolated  # benchmarks/isolated.py (the script folder is on sys.path)


def measure(
    model: str, vae: str, frames: int, size: int, batch: int, cached: bool, ckpt: bool, device: str, steps: int
) -> dict:
    import torch

    from opensora.models import stdit3_from_path_or_preset, vae_from_path_or_preset
    from opensora.schedulers.rf import RFlowArgs, training_losses
    from opensora.train.optim import EMA

    dev = torch.device(device)
    torch.manual_seed(0)
    vae = vae_from_path_or_preset(vae, None).to(dev).eval().requires_grad_(False)
    overrides = {"in_channels": 3} if vae.config.latent_channels == 3 else {}
    net = stdit3_from_path_or_preset(model, None, overrides=overrides).to(dev).train()
    net.grad_checkpointing = ckpt
    c = net.config
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=1e-4, eps=1e-15)
    ema = EMA(net)
    video = torch.rand(batch, 3, frames, size, size, device=dev) * 2 - 1
    with torch.no_grad():
        latents = vae.encode(video)
    y = torch.randn(batch, 1, c.model_max_length, c.caption_channels, device=dev)
    tmask = torch.ones(batch, c.model_max_length, dtype=torch.long, device=dev)
    sizes = {
        k: torch.full((batch,), float(v), device=dev)
        for k, v in (("height", size), ("width", size), ("num_frames", frames), ("fps", 16))
    }
    cond = torch.ones(batch, latents.shape[2], dtype=torch.bool, device=dev)
    cond[:, 0] = False
    sched = RFlowArgs(sample_method="logit-normal", use_timestep_transform=frames >= 17)
    bf16 = dev.type == "cuda"

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            with torch.no_grad():
                x = latents if cached else vae.encode(video).float()
            loss = training_losses(net, x, dict(y=y, mask=tmask, **sizes), sched, mask=cond)["loss"].mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        ema.update(net, 0.99)

    step()  # warm-up (allocates optimizer state)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / steps
    peak = (
        torch.cuda.max_memory_allocated() / 2**30
        if dev.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    )
    params = sum(p.numel() for p in net.parameters())
    tokens = latents.shape[2] * (latents.shape[3] // 2) * (latents.shape[4] // 2)
    h, depth = c.hidden_size, c.depth
    t_lat, s = latents.shape[2], tokens // latents.shape[2]
    # forward FLOPs: 2·params·tokens + spatial (4·S²·h per frame) + temporal (4·T²·h per position) attention
    attn = depth * 4 * h * (t_lat * s * s + s * t_lat * t_lat) + depth * 4 * h * tokens * c.model_max_length
    flops = batch * 3 * (2 * params * tokens + attn)
    return {"seconds": dt, "peak_gib": peak, "params_m": params / 1e6, "tflops_per_s": flops / dt / 1e12}


PLAN_CPU = [
    (
        "pixel space 32²x16",
        dict(model="STDiT3-tiny", vae="PixelSpace", frames=16, size=32, batch=4, cached=True, ckpt=False),
    ),
    (
        "tiny VAE 64²x32, encode each step",
        dict(model="STDiT3-tiny", vae="OpenSoraVAE_V1_2-tiny", frames=32, size=64, batch=4, cached=False, ckpt=False),
    ),
    (
        "tiny VAE 64²x32, cached latents",
        dict(model="STDiT3-tiny", vae="OpenSoraVAE_V1_2-tiny", frames=32, size=64, batch=4, cached=True, ckpt=False),
    ),
    (
        "tiny VAE 64²x32, cached + ckpt",
        dict(model="STDiT3-tiny", vae="OpenSoraVAE_V1_2-tiny", frames=32, size=64, batch=4, cached=True, ckpt=True),
    ),
]


def main(argv=None) -> None:
    """Run every configuration in a subprocess and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--xl-batch", type=int, default=4)
    p.add_argument("--peak-tflops", type=float, default=989.0)
    p.add_argument("--backbone", default="opensora_v1_2", help="any backbone (configs/post_training/NAME/)")
    p.add_argument("--model-path", help="--backbone's pipeline for the full-size GPU row (hub id or folder)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if handle(a, "psft", measure, __file__):  # a --one row, or --backbone NAME
        return
    import torch

    plan = [(n, {**c, "device": "cpu"}) for n, c in PLAN_CPU]
    if torch.cuda.is_available():
        xl = dict(
            model="STDiT3-XL/2", vae="OpenSoraVAE_V1_2", frames=32, size=256, batch=a.xl_batch, ckpt=True, device="cuda"
        )
        plan += [
            (f"XL/2 256²x32 b{a.xl_batch} cached", {**xl, "cached": True}),
            (f"XL/2 256²x32 b{a.xl_batch} + VAE", {**xl, "cached": False}),
        ]
    else:
        print("no GPU: STDiT3-XL/2 rows skipped")
    print(
        f"{'configuration':<36}{'device':<7}{'params M':>9}{'s/step':>9}{'peak GiB':>10}{'TFLOP/s':>9}{'vs row 2':>9}{'MFU':>7}"
    )
    ref = None
    for i, (name, c) in enumerate(plan):
        r, err = run_isolated(__file__, c, "--steps", str(a.steps))
        if r is None:
            print(f"{name:<36} failed: {err}")
            continue
        ref = r["seconds"] if i == 1 else ref
        ratio = f"{ref / r['seconds']:.2f}x" if ref else "-"
        mfu = f"{r['tflops_per_s'] / a.peak_tflops:.1%}" if c["device"] == "cuda" else "-"
        print(
            f"{name:<36}{c['device']:<7}{r['params_m']:>9.2f}{r['seconds']:>9.3f}{r['peak_gib']:>10.2f}{r['tflops_per_s']:>9.3f}{ratio:>9}{mfu:>7}"
        )
    print("(CPU peak = process peak resident memory; 'vs row 2' = speed-up over encoding with the tiny VAE every step)")


if __name__ == "__main__":
    main()
