r"""Contact sheet of simulated clips: preview vs Cycles, seen vs unseen environments, several seeds.

Usage::

    python -m sim_data.contact_sheet [--seeds 0 1 2 3] [--output figures/sim_contact_sheet.png]
    python -m sim_data.contact_sheet --scenarios ramp_slide roll bounce collide pendulum \
        --seeds 0 --splits seen --output figures/newton_contact_sheet.png

One row per (split, seed) with the default scene settings and Cycles settings
(``configs/sim/cycles.py``'s ``sim`` and ``render`` sections): the preview renderer's first frame, Cycles' first, middle and last frames, and the last
frame again with every object's mask outlined (the main dropped object in red), so a reader can
check lighting, shadows, resting contact, the variety of the backgrounds and mask alignment at a
glance. Each row is labelled with its split, seed, environment (floor kind, walls, sun elevation)
and the main object. Cycles renders only the three frames shown.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from evaluation.core.config import load_config, section
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate_clip
from sim_data.scene import SimArgs, sample_scene
from sim_data.worker import RenderArgs

CONFIG = "configs/sim/cycles.py"
TILE = 160  # pixels per image on the sheet
LABEL_H = 14
OUTLINE = {"main": (230, 40, 40), "other": (40, 200, 255)}


def _outline(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels of a boolean mask (4-neighbourhood)."""
    m = np.pad(mask, 1)
    inner = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    return mask & ~inner


def _row_images(
    split: str, seed: int, cycles: RenderArgs, resolution: int, scenario: str = "drop"
) -> tuple[list[np.ndarray], str]:
    from sim_data.render_cycles import render_cycles
    from sim_data.render_preview import render_preview

    args = replace(section(load_config(CONFIG), "sim", SimArgs), split=split, resolution=resolution, scenario=scenario)
    lib = AssetLibrary(args.asset_sources)
    scene = sample_scene(args, np.random.default_rng(seed), lib, seed)
    scene, traj = simulate_clip(scene, lib)
    preview = render_preview(scene, traj, lib)
    last = traj.positions.shape[0] - 1
    frames = [0, last // 2, last]
    short = replace(traj, positions=traj.positions[frames], quaternions=traj.quaternions[frames])
    short_scene = replace(scene, args=replace(args, num_frames=len(frames)))
    out = render_cycles(short_scene, short, lib, cycles)
    overlay = out.rgb[-1].copy()
    for i in range(out.masks.shape[1]):
        edge = _outline(out.masks[-1, i])
        overlay[edge] = OUTLINE["main" if i == out.masks.shape[1] - 1 else "other"]
    env = scene.environment
    where = (
        f"{env.env_id} {env.floor.kind}, walls {env.walls.layout}, sun {env.sky.sun_elevation_deg:.0f}°"
        if env
        else "plain"
    )
    label = f"{'' if scenario == 'drop' else scenario + ', '}{split} seed {seed}: {where}; main {scene.objects[-1].asset_id} {100 * scene.objects[-1].size_m:.0f} cm"
    return [preview.rgb[0], out.rgb[0], out.rgb[1], out.rgb[2], overlay], label


def make_sheet(rows: list[tuple[list[np.ndarray], str]], columns: list[str]) -> Image.Image:  # noqa: F821
    """Tiles in a grid, a caption line above each row and a header of column names."""
    from PIL import Image, ImageDraw

    n_cols = len(columns)
    sheet = Image.new("RGB", (n_cols * TILE, LABEL_H + len(rows) * (TILE + LABEL_H)), "white")
    draw = ImageDraw.Draw(sheet)
    for c, name in enumerate(columns):
        draw.text((c * TILE + 4, 1), name, fill="black")
    for r, (images, label) in enumerate(rows):
        y = LABEL_H + r * (TILE + LABEL_H)
        draw.text((4, y + 1), label, fill="black")
        for c, img in enumerate(images):
            sheet.paste(Image.fromarray(img).resize((TILE, TILE), Image.Resampling.BILINEAR), (c * TILE, y + LABEL_H))
    return sheet


def main(argv=None) -> int:
    """Render the rows and write the sheet."""
    p = argparse.ArgumentParser(
        prog="python -m sim_data.contact_sheet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3], help="seeds shown for each split")
    p.add_argument("--splits", nargs="+", default=["seen", "unseen"], choices=["seen", "unseen", "all"])
    p.add_argument("--samples", type=int, help="Cycles samples for every scene (default: the config's)")
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--scenarios", nargs="+", default=["drop"], help="one block of rows per scenario")
    p.add_argument("--output", default="figures/sim_contact_sheet.png")
    a = p.parse_args(argv)
    cycles = section(load_config(CONFIG), "render", RenderArgs)
    if a.samples:
        cycles = replace(cycles, samples=a.samples, walls_samples=None)
    rows = []
    start = time.perf_counter()
    for scenario in a.scenarios:
        for split in a.splits:
            for seed in a.seeds:
                rows.append(_row_images(split, seed, cycles, a.resolution, scenario))
            print(f"{rows[-1][1]} ({time.perf_counter() - start:.0f} s)", flush=True)
    columns = ["preview, frame 0", "Cycles, frame 0", "Cycles, middle", "Cycles, last", "last + masks"]
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    make_sheet(rows, columns).save(tmp, format="PNG")
    tmp.replace(out)
    print(f"wrote {out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
