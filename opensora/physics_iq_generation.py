"""Physics-IQ generation: any backbone on Physics-IQ's 198 test cases, as the release's README asks.

The protocol (README of google-deepmind/physics-IQ-benchmark, "Step A"):

- **i2v**: the switch frame (``switch-frames/<id>_switch-frames_anyFPS_<view>_<scenario>.jpg``) is
  the first frame and the case's ``description`` (``descriptions.csv``) the prompt; the first 5 s
  of the generated video are scored.
- **v2v**: the conditioning clip (``split-videos/conditioning/<fps>FPS/…``, the 3 s before the
  switch) is held fixed and the model continues it; only the 5 s it generates after the clip are
  scored. Built for the backbones that condition on several frames: Open-Sora v1.2 (its mask
  strategy over the clip's latent frames) and LTX-Video (the clip's latents under its
  conditioning mask). Elsewhere v2v is refused naming the backbone.

Each backbone's canvas and frame counts for Physics-IQ are the ``physics_iq_generation`` section
of its inference config (``configs/inference/<name>.py``: a 16:9 canvas the model runs at, enough frames
for 5 s at the backbone's fps); the 16:9 frame covers the canvas (``backbone.square = "fill"``:
resized, centre-cropped) and the output stays at the canvas. Videos are written as this
project's sample folders named by the release's ``<id>_<view>_<scenario>`` (the scorer matches
the 4-digit id), at the backbone's fps; the scorer (:mod:`evaluation.physics_iq`) converts a rate
the release does not ship by its cross-fade.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.core.config import section
from evaluation.core.errors import ConfigError, InputError
from evaluation.physics_iq import layout
from evaluation.score import PROTOCOLS

SECONDS = 5.0  # the release scores the first 5 s after the switch frame
CONTEXT_SECONDS = 3.0  # the released conditioning clips
SECTION = "physics_iq_generation"  # the inference config's section
SEED_STRIDE = 1000  # seed k of --seeds generates with seed + k·1000 (each case adds its index: 198 < 1000)


@dataclass
class PhysicsIQGeometry:
    """The ``physics_iq_generation`` section of an inference config: how the backbone makes a Physics-IQ video."""

    height: int
    width: int
    num_frames: int  # i2v: frames generated (at least 5 s at fps)
    fps: int | None = None  # None = backbone.fps
    v2v: dict | None = None  # {"context_frames": K, "num_frames": N}; None = the backbone cannot do v2v


def plan(cfg, protocol: str, source: str) -> dict:
    """The config overrides that make ``cfg`` (an inference config, read from ``source``) generate Physics-IQ videos.

    Raises:
        ConfigError: no ``physics_iq_generation`` section, v2v on a backbone without it, or too few frames
            for 5 s (naming the key and the seconds covered).
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"score.protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if SECTION not in cfg:
        raise ConfigError(f"{source} has no {SECTION} section (canvas and frames for Physics-IQ's 16:9, 5 s videos)")
    g = section(cfg, SECTION, PhysicsIQGeometry)
    name = cfg.backbone.name
    fps = g.fps or cfg.backbone.fps
    keep = round(SECONDS * fps)
    context = None
    if protocol == "v2v":
        if not g.v2v:
            raise ConfigError(
                f"{name} conditions on one frame only: Physics-IQ's v2v protocol (3 s of conditioning frames) "
                "is built for opensora_v1_2 and ltx_video; use --protocol i2v"
            )
        context, total = int(g.v2v["context_frames"]), int(g.v2v["num_frames"])
        if context > round(CONTEXT_SECONDS * fps):
            raise ConfigError(
                f"{source}: {SECTION}.v2v.context_frames = {context}, but the released conditioning clips hold "
                f"{CONTEXT_SECONDS:g} s = {round(CONTEXT_SECONDS * fps)} frames at {fps} fps"
            )
        frames, key = [context, context + keep], f"{SECTION}.v2v.num_frames"
    else:
        total, frames, key = g.num_frames, [0, keep], f"{SECTION}.num_frames"
    if total < frames[1]:
        raise ConfigError(
            f"{source}: {key} = {total} at {fps} fps gives {total / fps:.2f} s"
            + (f" after {context} conditioning frames" if context else "")
            + f"; Physics-IQ scores {SECONDS:g} s ({frames[1]} frames needed)"
        )
    return {
        "backbone.height": g.height,
        "backbone.width": g.width,
        "backbone.num_frames": total,
        "backbone.fps": fps,
        "backbone.square": "fill",
        "inference.frames": frames,
        "inference.context_frames": context,
        "inference.output_size": None,
        "inference.geometry_from_weights": False,
    }


def jobs(real_root: Path, cases: list[layout.Case], protocol: str, fps: int):
    """One :class:`opensora.inference.Prompt` per case: the switch frame, the description, the clip for v2v.

    Raises:
        InputError: a switch frame or conditioning clip that is not there (the first one named,
            with how many more), before any model loads.
    """
    from opensora.inference import Prompt

    out, missing = [], []
    for i, c in enumerate(cases):
        ref = layout.switch_frame(real_root, c)
        ctx = layout.conditioning_video(real_root, c, fps) if protocol == "v2v" else None
        missing += [p for p in (ref, ctx) if p is not None and not p.is_file()]
        out.append(Prompt(c.key, c.description, str(ref), i, context=str(ctx) if ctx else None))
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        flags = f" --fps {fps} --v2v" if protocol == "v2v" else ""
        hint = f"download the {fps}FPS conditioning clips" if protocol == "v2v" else "download the switch frames"
        raise InputError(
            missing[0], f"is not there{more}: {hint} (bash scripts/data_processing/download_physics_iq.sh{flags})"
        )
    return out
