"""Generation time per backbone: our sampler against the diffusers pipeline's own ``__call__``.

Usage::

    python benchmarks/backbone_speed.py [--steps 10] [--repeats 3]
    python benchmarks/backbone_speed.py --full ltx_video=/models/LTX-Video --full cogvideox_5b_i2v=THUDM/CogVideoX-5b-I2V

CPU rows: each backbone's tiny preset (``tiny:<name>``, the real classes at tiny sizes) at the tiny
configs' geometry (``configs/inference/<name>_tiny.py``), one video, fp32: seconds per video of
``opensora.backbones.sampling.sample_latents`` + decode, and for the diffusers backbones the same
generation through the pipeline's ``__call__`` in the same process — the ratio is the overhead
(or saving) of running the loop ourselves. Every row is the median of ``--repeats`` runs after a
warm-up.

GPU rows (``--full NAME=WEIGHTS``, CUDA only): the full-size model at its PisaBench settings
(``configs/inference/<name>.py``), bf16, seconds per video and peak GPU memory, without and with
diffusers' model CPU offload. They need the weights (a hub id or a local folder); none are run
when no GPU or no weights are given.
"""

from __future__ import annotations

import argparse
import statistics
import time

NAMES = ("opensora_v1_2", "cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video")


def load(name: str, config: str, overrides: dict):
    from evaluation.core.config import load_config, section
    from opensora.backbones import BackboneArgs
    from opensora.schedulers.rf import RFlowArgs

    cfg = load_config(config, overrides)
    args, sched = section(cfg, "backbone", BackboneArgs), section(cfg, "scheduler", RFlowArgs)
    return args, sched, cfg


def time_ours(bb, steps: int, guidance: float, repeats: int) -> float:
    import numpy as np
    import torch

    from opensora.backbones.frames import to_model_range
    from opensora.backbones.sampling import sample_latents

    g = bb.geometry
    first = to_model_range(np.full((g.height, g.width, 3), 90, dtype=np.uint8))[None]
    feats = bb.encode_prompts(["a red ball falls"])

    def once():
        gen = torch.Generator().manual_seed(0)
        with torch.no_grad():
            z = sample_latents(
                bb, None, first.to(bb.device), feats, steps=steps, guidance_scale=guidance, generator=gen
            )
            bb.decode(z, generator=gen)
        if bb.device.type == "cuda":
            torch.cuda.synchronize()

    return median_seconds(once, repeats)


def median_seconds(once, repeats: int) -> float:
    """Median wall time of ``once()`` over ``repeats`` runs after one warm-up run."""
    once()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        once()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_pipeline(bb, steps: int, guidance: float, repeats: int) -> float:
    import numpy as np
    import torch
    from PIL import Image

    g = bb.geometry
    img = Image.fromarray(np.full((g.height, g.width, 3), 90, dtype=np.uint8))
    kw = dict(
        image=img,
        prompt="a red ball falls",
        negative_prompt=bb.negative_prompt,
        height=g.height,
        width=g.width,
        num_frames=g.num_frames,
        num_inference_steps=steps,
        guidance_scale=guidance,
        output_type="pt",
        max_sequence_length=bb.max_sequence_length,
    )
    if bb.name == "ltx_video":
        kw["frame_rate"] = g.fps

    def once():
        bb.pipe(**kw, generator=torch.Generator().manual_seed(0))

    return median_seconds(once, repeats)


def cpu_rows(steps: int, repeats: int) -> None:
    import torch

    from opensora.backbones import build_backbone

    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(f"CPU, tiny presets, fp32, {steps} steps, one video (median of {repeats})")
    print(
        f"{'backbone':<22} {'canvas':>9} {'frames':>6} {'ours s/video':>13} {'pipeline s/video':>17} {'ours/pipeline':>14}"
    )
    for name in NAMES:
        args, sched, _ = load(name, f"configs/inference/{name}_tiny.py", {})
        bb = build_backbone(args, "cpu", torch.float32, sched)
        ours = time_ours(bb, steps, sched.cfg_scale, repeats)
        if hasattr(bb, "pipe"):
            pipe = time_pipeline(bb, steps, sched.cfg_scale, repeats)
            rest = f"{pipe:>17.3f} {ours / pipe:>14.2f}"
        else:
            rest = f"{'(no pipeline)':>17} {'—':>14}"
        print(f"{name:<22} {args.height:>4}x{args.width:<4} {args.num_frames:>6} {ours:>13.3f} {rest}")


def gpu_rows(full: list[str], repeats: int) -> None:
    import torch

    from opensora.backbones import build_backbone

    if not torch.cuda.is_available():
        print("no GPU: full-size rows skipped")
        return
    if not full:
        print("full-size rows need weights: --full NAME=HUB_ID_OR_FOLDER")
        return
    print("GPU, full size at PisaBench settings, bf16, one video")
    print(f"{'backbone':<22} {'offload':>8} {'s/video':>9} {'peak GB':>8}")
    for item in full:
        name, _, path = item.partition("=")
        for offload in (False, True):
            args, sched, _ = load(name, f"configs/inference/{name}.py", {"backbone.model_path": path})
            args.cpu_offload = offload
            torch.cuda.reset_peak_memory_stats()
            bb = build_backbone(args, torch.device("cuda"), torch.bfloat16, sched)
            s = time_ours(bb, sched.num_sampling_steps, sched.cfg_scale, repeats)
            peak = torch.cuda.max_memory_allocated() / 2**30
            print(f"{name:<22} {str(offload):>8} {s:>9.1f} {peak:>8.1f}")
            del bb
            torch.cuda.empty_cache()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--full", action="append", default=[], help="NAME=WEIGHTS: a full-size GPU row")
    a = p.parse_args(argv)
    cpu_rows(a.steps, a.repeats)
    gpu_rows(a.full, 1)


if __name__ == "__main__":
    main()
