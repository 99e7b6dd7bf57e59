"""Simulator throughput: seconds per Cycles clip at our settings vs Blender's factory settings, with PSNR.

Usage::

    python benchmarks/sim_throughput.py [--seeds 0 1 2 3] [--ref-frames 4] [--factory-frames 2] \
        [--skip-factory] [--config configs/sim/cycles.py]

For each seed, one default scene (``configs/sim/base.py``'s ``sim`` section: 256², 32 frames at
16 fps, a procedural environment) is simulated once and rendered by:

- the preview renderer (PyBullet TinyRenderer), the whole clip;
- Cycles with the config's ``render`` settings (what ``--renderer cycles`` uses), **the whole
  clip**: its wall time is the seconds per clip reported (nothing extrapolated);
- a reference: Cycles at 256 samples, no adaptive stopping, 12 bounces, OIDN at HIGH quality with
  the accurate prefilter, on ``--ref-frames`` frames spread over the clip — PSNR (8-bit RGB, over
  those frames) of our frames against it;
- the baseline: Blender's factory Cycles settings (4096 samples, adaptive 0.01, 12 bounces,
  light tree, default denoiser, no persistent data) on ``--factory-frames`` frames; its seconds
  per clip are per-frame time × 32, **extrapolated** (a full clip takes hours on 2 cores).

The summary gives per-scene rows, the mean seconds per clip of each renderer and our speed-up
over the baseline (ratio measured in the same run).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numpy as np

from evaluation.core.config import load_config, section
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate_clip
from sim_data.scene import SimArgs, sample_scene
from sim_data.worker import RenderArgs


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) of two uint8 arrays."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _subset(scene, traj, frames):
    short = replace(traj, positions=traj.positions[frames], quaternions=traj.quaternions[frames])
    return replace(scene, args=replace(scene.args, num_frames=len(frames))), short


def measure(seed: int, ours: RenderArgs, a) -> dict:
    """One scene's timings and PSNRs."""
    from sim_data.render_cycles import render_cycles, scene_samples
    from sim_data.render_preview import render_preview

    lib = AssetLibrary(SimArgs().asset_sources)
    scene = sample_scene(SimArgs(scenario=a.scenario), np.random.default_rng(seed), lib, seed)
    n = scene.args.num_frames
    t = time.perf_counter()
    scene, traj = simulate_clip(scene, lib)
    row = {"seed": seed, "physics_s": time.perf_counter() - t}
    t = time.perf_counter()
    render_preview(scene, traj, lib)
    row["preview_s"] = time.perf_counter() - t
    t = time.perf_counter()
    full = render_cycles(scene, traj, lib, ours)
    row["ours_s"] = time.perf_counter() - t
    row["ours_samples"] = scene_samples(scene, ours)
    frames = np.linspace(0, n - 1, a.ref_frames).round().astype(int).tolist()
    ref_args = RenderArgs(renderer="cycles", samples=256, adaptive_threshold=0.0, max_bounces=12,
                          denoise_quality="HIGH", denoise_prefilter="ACCURATE")  # fmt: skip
    ref = render_cycles(*_subset(scene, traj, frames), lib, ref_args).rgb
    row["psnr"] = psnr(full.rgb[frames], ref)
    if not a.skip_factory:
        f_frames = frames[: a.factory_frames]
        t = time.perf_counter()
        fac = render_cycles(*_subset(scene, traj, f_frames), lib, RenderArgs(renderer="cycles", tuned=False)).rgb
        row["factory_s"] = (time.perf_counter() - t) / len(f_frames) * n
        row["factory_psnr"] = psnr(fac, ref[: len(f_frames)])
    env = scene.environment
    row["scene"] = f"{len(scene.objects)} objects, {env.floor.kind} floor, walls {env.walls.layout}"
    return row


def main(argv=None) -> None:
    """Measure every seed and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3], help="scenes (0, 2: rooms; 1, 3: open sky)")
    p.add_argument("--ref-frames", type=int, default=4, help="frames rendered for the 256-sample reference")
    p.add_argument("--factory-frames", type=int, default=2, help="frames rendered with the factory settings (>= 2)")
    p.add_argument("--skip-factory", action="store_true", help="skip the (slow) factory-settings baseline")
    p.add_argument("--config", default="configs/sim/cycles.py", help="whose render section is 'ours'")
    p.add_argument(
        "--scenario",
        default="drop",
        help="drop | ramp_slide | roll | bounce | collide | pendulum (sim_data/scenarios.py): the scenes measured",
    )
    a = p.parse_args(argv)
    if a.factory_frames < 2 or a.ref_frames < 2:
        p.error("--factory-frames and --ref-frames must be at least 2 (a clip has at least 2 frames)")
    ours = section(load_config(a.config), "render", RenderArgs)
    print(f"ours ({a.config}): {ours}", flush=True)
    rows = []
    for seed in a.seeds:
        rows.append(measure(seed, ours, a))
        r = rows[-1]
        print(f"  seed {seed} ({r['scene']}): ours {r['ours_s']:.1f} s/clip at {r['ours_samples']} spp, "
              f"PSNR {r['psnr']:.1f} dB" + (f"; factory {r['factory_s']:.0f} s/clip (extrapolated)"
              if "factory_s" in r else ""), flush=True)  # fmt: skip
    print(f"\n{len(rows)} {a.scenario} scenes, 256², 32 frames, {os.cpu_count()} cores; seconds per clip")
    head = f"{'seed':>5} {'scene':<44}{'physics':>8}{'preview':>8}{'ours':>8}{'spp':>5}{'PSNR':>7}"
    print(head + (f"{'factory*':>10}{'PSNR':>7}{'speed-up':>9}" if not a.skip_factory else ""))
    for r in rows:
        line = (f"{r['seed']:>5} {r['scene']:<44}{r['physics_s']:>8.2f}{r['preview_s']:>8.2f}{r['ours_s']:>8.1f}"
                f"{r['ours_samples']:>5}{r['psnr']:>7.1f}")  # fmt: skip
        if "factory_s" in r:
            line += f"{r['factory_s']:>10.0f}{r['factory_psnr']:>7.1f}{r['factory_s'] / r['ours_s']:>8.1f}x"
        print(line)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("ours_s", "psnr", "physics_s", "preview_s")}
    print(f"mean: ours {mean['ours_s']:.1f} s/clip (max {max(r['ours_s'] for r in rows):.1f}), "
          f"PSNR {mean['psnr']:.1f} dB (min {min(r['psnr'] for r in rows):.1f}); physics {mean['physics_s']:.2f} s, "
          f"preview {mean['preview_s']:.2f} s")  # fmt: skip
    if not a.skip_factory:
        fac = float(np.mean([r["factory_s"] for r in rows]))
        print(f"factory settings: {fac:.0f} s/clip (*extrapolated from {a.factory_frames} frame(s)); "
              f"ours is {fac / mean['ours_s']:.1f}x faster")  # fmt: skip


if __name__ == "__main__":
    main()
