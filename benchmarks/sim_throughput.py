"""Simulator throughput: seconds per clip for physics, the preview renderer and Cycles, with PSNR.

Usage::

    python benchmarks/sim_throughput.py [--seed 3] [--cycles-frames 4] [--skip-default]

One scene (256², 32 frames, 16 fps) is simulated once, then rendered by:

- the preview renderer (PyBullet TinyRenderer), every frame;
- Cycles with our settings at 16 / 32 / 64 samples + denoising;
- Cycles at 256 samples, no adaptive stopping, 12 bounces, denoised (the reference for PSNR);
- Cycles with Blender's factory settings (4096 samples, adaptive 0.01, 12 bounces, full-quality
  denoising, no persistent data): the baseline.

Cycles renders only the first ``--cycles-frames`` frames (a full clip at 4096 samples takes
hours on 2 cores); its seconds per clip are per-frame time × 32, labelled as extrapolated.
PSNR is over the rendered frames, RGB 8-bit, against the 256-sample reference.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numpy as np

from sim_data.assets import AssetLibrary
from sim_data.physics import simulate
from sim_data.scene import SimArgs, sample_scene
from sim_data.worker import RenderArgs


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--cycles-frames", type=int, default=4, help="frames rendered by each Cycles setting")
    p.add_argument("--skip-default", action="store_true", help="skip the (slow) factory-settings baseline")
    a = p.parse_args(argv)
    from sim_data.render_cycles import render_cycles
    from sim_data.render_preview import render_preview

    lib = AssetLibrary(["procedural", "pybullet"])
    args = SimArgs()
    scene = sample_scene(args, np.random.default_rng(a.seed), lib, a.seed)
    t0 = time.perf_counter()
    traj = simulate(scene, lib)
    t_phys = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_preview(scene, traj, lib)
    t_prev = time.perf_counter() - t0

    short = replace(traj, positions=traj.positions[: a.cycles_frames], quaternions=traj.quaternions[: a.cycles_frames])
    short_scene = replace(scene, args=replace(args, num_frames=a.cycles_frames))
    runs = {}

    def cycles(name, **kw):
        t = time.perf_counter()
        out = render_cycles(short_scene, short, lib, RenderArgs(renderer="cycles", **kw))
        runs[name] = ((time.perf_counter() - t) / a.cycles_frames * args.num_frames, out.rgb)
        print(f"  rendered {name}: {runs[name][0]:.1f} s/clip (extrapolated)", flush=True)

    cycles("reference 256 spp", samples=256, adaptive_threshold=0.0, max_bounces=12)
    for spp in (16, 32, 64):
        cycles(f"cycles {spp} spp + denoise", samples=spp)
    if not a.skip_default:
        cycles("Blender defaults (baseline)", tuned=False)
    ref = runs["reference 256 spp"][1]
    cores = os.cpu_count()
    print(
        f"\nscene seed {a.seed}: {len(scene.objects)} objects, {args.resolution}², {args.num_frames} frames, {cores} cores"
    )
    print(f"{'setting':<32}{'s/clip':>10}{'PSNR vs 256spp':>16}{'speed-up vs default':>22}")
    print(f"{'physics only':<32}{t_phys:>10.2f}{'':>16}")
    print(f"{'preview (TinyRenderer)':<32}{t_prev:>10.2f}{'':>16}")
    base = runs.get("Blender defaults (baseline)", (None,))[0]
    for name, (sec, rgb) in runs.items():
        ratio = f"{base / sec:.1f}x" if base else "—"
        print(f"{name:<32}{sec:>10.1f}{psnr(rgb, ref):>16.1f}{ratio:>22}")
    print(f"(Cycles rows: {a.cycles_frames} frames rendered, seconds scaled to {args.num_frames} frames)")


if __name__ == "__main__":
    main()
