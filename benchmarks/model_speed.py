"""Model speed and memory: STDiT3 and the VAE, forward and forward+backward, tiny and full size.

Usage::

    python benchmarks/model_speed.py                # tiny presets + STDiT3-XL/2 forward on CPU
    python benchmarks/model_speed.py --xl-backward  # also XL forward+backward (needs ~16 GB RAM)

Each measurement runs in its own process so the peak resident memory (CPU) or the peak CUDA
allocation (GPU) belongs to that configuration alone. Shapes are PISA's: 256², 32 frames →
latents 4×9×32×32, 300 text tokens (the tiny presets use their own small text size). Random weights.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from isolated import run_isolated  # benchmarks/isolated.py (the script folder is on sys.path)


def measure(model_name: str, backward: bool, device: str, checkpointing: bool) -> dict:
    import torch

    from opensora.models import build_model

    dev = torch.device(device)
    torch.manual_seed(0)
    model = build_model(model_name).to(dev)
    model.train(backward)
    if hasattr(model, "grad_checkpointing"):
        model.grad_checkpointing = checkpointing
    if model_name.startswith("STDiT3"):
        c = model.config
        x = torch.randn(1, 4, 9, 32, 32, device=dev)
        y = torch.randn(1, 1, c.model_max_length, c.caption_channels, device=dev)
        mask = torch.ones(1, c.model_max_length, dtype=torch.long, device=dev)
        size = torch.tensor([256.0], device=dev)

        def step():
            return model(
                x,
                torch.tensor([500.0], device=dev),
                y,
                mask=mask,
                height=size,
                width=size,
                fps=torch.tensor([16.0], device=dev),
            )
    else:
        video = torch.rand(1, 3, 32, 256, 256, device=dev) * 2 - 1

        def step():
            return model.decode(model.encode(video), 32)

    def run():
        with torch.set_grad_enabled(backward):
            out = step()
            if backward:
                out.float().pow(2).mean().backward()

    run()  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    run()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    peak = (
        torch.cuda.max_memory_allocated() / 2**30
        if dev.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    )
    params = sum(p.numel() for p in model.parameters())
    return {
        "model": model_name,
        "pass": "fwd+bwd" if backward else "fwd",
        "device": device,
        "seconds": dt,
        "peak_gib": peak,
        "params_m": params / 1e6,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xl-backward", action="store_true", help="also time STDiT3-XL/2 forward+backward")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one measurement in this process
    a = p.parse_args(argv)
    if a.one:
        print(json.dumps(measure(**json.loads(a.one))))
        return
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    plan = [
        ("STDiT3-tiny", False, "cpu", False),
        ("STDiT3-tiny", True, "cpu", False),
        ("OpenSoraVAE_V1_2-tiny", False, "cpu", False),
        ("STDiT3-XL/2", False, device, False),
    ]
    if a.xl_backward or device == "cuda":
        plan.append(("STDiT3-XL/2", True, device, True))
    print(f"{'model':<24}{'pass':<9}{'device':<8}{'params (M)':>11}{'seconds':>10}{'peak GiB':>10}")
    for name, bwd, dev, ckpt in plan:
        r, err = run_isolated(__file__, {"model_name": name, "backward": bwd, "device": dev, "checkpointing": ckpt})
        if r is None:
            print(f"{name:<24}{'fwd+bwd' if bwd else 'fwd':<9}{dev:<8} failed: {err}")
            continue
        print(
            f"{r['model']:<24}{r['pass']:<9}{r['device']:<8}{r['params_m']:>11.1f}{r['seconds']:>10.3f}{r['peak_gib']:>10.2f}"
        )
    print("(inputs: latents 1x4x9x32x32 = 256² x 32 frames, 300 text tokens for XL; VAE: 32 frames at 256²)")


if __name__ == "__main__":
    main()
