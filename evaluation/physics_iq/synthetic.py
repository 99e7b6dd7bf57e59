"""A synthetic tree in Physics-IQ's released layout, for tests and the speed benchmark (not data).

Physics-IQ's real takes cannot be downloaded here, so tests and ``benchmarks/physics_iq_speed.py``
write trees of the same shape: ``descriptions.csv`` rows for each scenario × view × take, the real
takes under ``split-videos/testing/<fps>FPS/`` (``<id>_testing-videos_<fps>FPS_<view>_take-<k>_<scenario>.mp4``),
their motion masks under ``video-masks/real/<fps>FPS/`` (made by this project's mask generator,
as the release ships its own), the switch frames, optionally the conditioning clips, and a folder of "generated" videos named as the
release asks (``<id>_<view>_<scenario>.mp4``). Each video is a textured static background with a
ball falling from a per-scenario height; take 2 differs by a small offset and timing (physical
variance), the generated videos fall at other speeds. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

VIEWS = ("perspective-left", "perspective-center", "perspective-right")
CATEGORIES = ("Solid Mechanics", "Fluid Dynamics", "Optics", "Thermodynamics", "Magnetism")


def _frames(rng: np.random.Generator, t: int, h: int, w: int, x0: float, y0: float, g: float, delay: int) -> np.ndarray:
    """``uint8 [t, h, w, 3]`` BGR: a textured background and a ball falling from ``(x0, y0)`` after ``delay`` frames."""
    yy, xx = np.mgrid[0:h, 0:w]
    bg = np.stack([(xx * 3 + yy) % 97 + 60, (yy * 5) % 83 + 70, (xx + yy * 2) % 71 + 90], axis=-1).astype(np.uint8)
    bg = np.clip(bg.astype(np.int16) + rng.integers(-6, 7, size=bg.shape), 0, 255).astype(np.uint8)
    out = np.repeat(bg[None], t, axis=0)
    r = max(2, h // 10)
    for k in range(t):
        s = max(0, k - delay)
        y = min(y0 + g * s * s, h - r - 1)
        disk = (yy - y) ** 2 + (xx - x0) ** 2 <= r * r
        out[k][disk] = (30, 40, 220)
    return out


def write_video(path: Path, frames: np.ndarray, fps: float, color: bool = True) -> Path:
    """``frames`` (BGR, or grey when ``color`` is False) as an mp4v mp4, the codec the release writes masks with."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames.shape[1:3]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h), isColor=color)
    for f in frames:
        out.write(f)
    out.release()
    return path


def write_tree(
    root: Path,
    *,
    scenarios: int = 2,
    fps: int = 8,
    size: tuple[int, int] = (64, 96),
    seconds: float = 5.0,
    seed: int = 0,
    generated: str | None = "model",
    real_masks: bool = True,
    conditioning: bool = False,
) -> dict:
    """Write the tree under ``root``; returns its paths (``real``, ``masks``, ``pred``, ``descriptions``).

    ``size`` is (height, width); ``scenarios`` × 3 views × 2 takes real videos, ``scenarios`` × 3
    generated ones (ids of take 1 only, as the release samples) in ``root/<generated>``;
    ``conditioning``: also take 1's 3 s conditioning clips (``split-videos/conditioning/<fps>FPS/``).
    """
    from evaluation.physics_iq.masks import motion_masks

    rng = np.random.default_rng(seed)
    h, w = size
    t = int(round(seconds * fps))
    real = root / "physics-IQ-benchmark" / "split-videos" / "testing" / f"{fps}FPS"
    masks = root / "physics-IQ-benchmark" / "video-masks" / "real" / f"{fps}FPS"
    switch = root / "physics-IQ-benchmark" / "switch-frames"
    cond = root / "physics-IQ-benchmark" / "split-videos" / "conditioning" / f"{fps}FPS"
    pred = root / generated if generated else None
    rows = []
    ident = 0
    for s in range(scenarios):
        name = f"trimmed-synthetic-fall-{s:03d}"
        category = CATEGORIES[s % len(CATEGORIES)]
        x0, y0, g = w * (0.3 + 0.4 * rng.random()), h * 0.15, 0.02 * h * (0.5 + rng.random())
        ids = {}
        for take in (1, 2):
            for view in VIEWS:
                ident += 1
                ids[take, view] = ident
        for (take, view), i in ids.items():
            dx, delay = (0.0, 2) if take == 1 else (float(rng.integers(-2, 3)), 2 + int(rng.integers(0, 2)))
            frames = _frames(np.random.default_rng(seed * 1000 + i), t, h, w, x0 + dx, y0, g, delay)
            stem = f"{i:04d}_testing-videos_{fps}FPS_{view}_take-{take}_{name}.mp4"
            write_video(real / stem, frames, fps)
            if real_masks:
                from evaluation.physics_iq.video import read_frames

                m = motion_masks(read_frames(real / stem).frames)
                write_video(masks / stem.replace("testing-videos", "video-masks"), m, fps, color=False)
            if take == 1:
                import cv2

                switch.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(switch / f"{i:04d}_switch-frames_anyFPS_{view}_{name}.jpg"), frames[0])
                if conditioning:  # the 3 s before the switch: the ball held still (v2v's condition)
                    still = _frames(np.random.default_rng(seed * 1000 + i), int(round(3 * fps)), h, w, x0, y0, g, 10**6)
                    stem_c = f"{i:04d}_conditioning-videos_{fps}FPS_{view}_take-1_{name}.mp4"
                    write_video(cond / stem_c, still, fps)
                if pred is not None:
                    shift = w * 0.25 * (rng.random() - 0.5)  # a model that also misplaces the ball
                    gen = _frames(
                        np.random.default_rng(seed * 7 + i), t, h, w, x0 + shift, y0, g * (0.3 + rng.random()), 1
                    )
                    write_video(pred / f"{i:04d}_{view}_{name}.mp4", gen, fps)
            rows.append(
                {
                    "scenario": f"{i:04d}_{view}_take-{take}_{name}.mp4",
                    "description": f"A ball falls onto a table ({name}). Static shot with no camera movement.",
                    "category": category,
                    "generated_video_name": f"{ids[1, view]:04d}_{view}_{name}.mp4",
                }
            )
    desc = root / "physics-IQ-benchmark" / "descriptions.csv"
    desc.parent.mkdir(parents=True, exist_ok=True)
    with open(desc, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["scenario", "description", "category", "generated_video_name"])
        wr.writeheader()
        wr.writerows(sorted(rows, key=lambda r: r["scenario"]))
    return {"root": root / "physics-IQ-benchmark", "real": real, "masks": masks, "pred": pred, "descriptions": desc}
