"""One Physics-IQ case from files to metrics: the real takes at the working size, the generated video's masks.

Each video is decoded once; masks are computed in the same pass (:mod:`evaluation.physics_iq.masks`)
and, with ``released_masks`` (the default), passed through the release's mp4 round trip before
being resized and binarised — the leaderboard's numbers include that loss. Real masks are the
release's own mask videos when the download has them at this frame rate, else computed the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError
from evaluation.physics_iq import layout
from evaluation.physics_iq.masks import motion_masks
from evaluation.physics_iq.metrics import FrameMismatch, RealView, binarise, resize_all, view_metrics, working_size
from evaluation.physics_iq.video import crossfade, mp4_round_trip, read_frames

SECONDS = 5  # the scored part: the first 5 s after the switch frame


@dataclass(frozen=True)
class Settings:
    """What changes a case's numbers (part of every cache key)."""

    fps: int
    released_masks: bool = True


def frames_needed(fps: int) -> int:
    """The release scores ``fps × 5`` frames."""
    return fps * SECONDS


def _masks_of(frames: np.ndarray, fps: float, released: bool) -> np.ndarray:
    m = motion_masks(frames)
    return mp4_round_trip(m, round(fps)) if released else m


def _real_take(root: Path, case: layout.Case, take: int, s: Settings) -> tuple[np.ndarray, np.ndarray, Path]:
    """Frames (BGR, native size) and grey masks of one real take at ``s.fps``.

    The released files, or converted from 30 fps by the release's cross-fade when the download has
    no folder at that rate.
    """
    video = layout.real_take(root, case, take, s.fps)
    need = frames_needed(s.fps)
    if video.is_file():
        v = read_frames(video, limit=need)
        mask_file = layout.real_mask(root, case, take, s.fps)
        if mask_file.is_file():
            masks = read_frames(mask_file, grey=True).frames[:need]
        else:  # the release computes them (and stores them as mp4) when the folder is absent
            masks = _masks_of(read_frames(video).frames, v.fps, s.released_masks)[:need]
        frames = v.frames
    else:
        src = layout.real_take(root, case, take, 30)
        if not src.is_file():
            raise InputError(video, f"missing (and no 30 fps take to convert from: {src})")
        v = read_frames(src)
        frames = crossfade(v.frames, v.fps, s.fps)
        masks = _masks_of(frames, s.fps, s.released_masks)
        frames = frames[:need]
        masks = masks[:need]
    if len(frames) < need:
        raise InputError(video, f"has {len(frames)} frames; Physics-IQ scores {need} ({SECONDS} s at {s.fps} fps)")
    if len(masks) < need:
        raise InputError(layout.real_mask(root, case, take, s.fps), f"has {len(masks)} mask frames, needs {need}")
    return frames, masks, video


def _sources(root: Path, case: layout.Case, s: Settings) -> list[Path]:
    out = []
    for take in (1, 2):
        video = layout.real_take(root, case, take, s.fps)
        out += (
            [video, layout.real_mask(root, case, take, s.fps)]
            if video.is_file()
            else [layout.real_take(root, case, take, 30)]
        )
    return out


def real_view(root: Path, case: layout.Case, s: Settings, cache_dir: Path | None = None) -> RealView:
    """Both real takes of a case at the working size (a quarter of take 1's width and height).

    With ``cache_dir``, the takes' masks at the working size come from (or go to) the content-keyed
    cache (:mod:`evaluation.physics_iq.cache`); the frames are decoded every time (the MSE needs them).
    """
    from evaluation.physics_iq import cache

    entry = (
        cache.entry(cache_dir, _sources(root, case, s), {"fps": s.fps, "released_masks": s.released_masks})
        if cache_dir
        else None
    )
    hit = cache.load(entry) if entry else None
    if hit is not None:
        need = frames_needed(s.fps)
        f1 = _real_frames(root, case, 1, s, need)
        f2 = _real_frames(root, case, 2, s, need)
        size = working_size(f1.shape[2], f1.shape[1])
        if hit[0].shape == (need, size[1], size[0]):
            return RealView(resize_all(f1, size), resize_all(f2, size), *hit)
    f1, m1, v1 = _real_take(root, case, 1, s)
    f2, m2, _ = _real_take(root, case, 2, s)
    size = working_size(f1.shape[2], f1.shape[1])
    if min(size) < 1:
        raise InputError(v1, f"is {f1.shape[2]}x{f1.shape[1]}: too small for the quarter-size working resolution")
    view = RealView(
        resize_all(f1, size), resize_all(f2, size), binarise(resize_all(m1, size)), binarise(resize_all(m2, size))
    )
    if entry is not None:
        cache.save(entry, view.mask1, view.mask2)
    return view


def _real_frames(root: Path, case: layout.Case, take: int, s: Settings, need: int) -> np.ndarray:
    """A real take's first ``need`` frames (converted from 30 fps when there is no folder at ``s.fps``)."""
    video = layout.real_take(root, case, take, s.fps)
    if video.is_file():
        frames = read_frames(video, limit=need).frames
    else:
        v = read_frames(layout.real_take(root, case, take, 30))
        frames = crossfade(v.frames, v.fps, s.fps)[:need]
    if len(frames) < need:
        raise InputError(video, f"has {len(frames)} frames; Physics-IQ scores {need} ({SECONDS} s at {s.fps} fps)")
    return frames


def prediction(path: Path, s: Settings, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A generated video's first 5 s at the working ``size``: frames and 0/1 masks (computed at its own size).

    Raises:
        InputError: unreadable, another frame rate than the run's, or shorter than 5 s (names the file).
    """
    if path.is_dir():
        from evaluation.physics_iq.samples import sample_video

        v = sample_video(path)
    else:
        v = read_frames(path)
    if not math.isclose(v.fps, s.fps, abs_tol=0.01):
        raise InputError(path, f"is {v.fps:g} fps; this run scores {s.fps} fps videos (all predictions share one rate)")
    need = frames_needed(s.fps)
    if len(v.frames) < need:
        raise InputError(path, f"is {v.seconds:.3f} s ({len(v.frames)} frames at {v.fps:g} fps); Physics-IQ needs "
                               f"{SECONDS} s after the switch frame")  # fmt: skip
    masks = _masks_of(v.frames, v.fps, s.released_masks)[:need]
    return resize_all(v.frames[:need], size), binarise(resize_all(masks, size))


def score_case(real: RealView, pred_path: Path, s: Settings) -> dict:
    """The release's per-view metrics of one generated video."""
    size = (real.take1.shape[2], real.take1.shape[1])
    frames, masks = prediction(pred_path, s, size)
    try:
        return view_metrics(real, frames, masks)
    except FrameMismatch as e:
        raise InputError(pred_path, f"frame counts differ from the real takes ({e})") from e
