"""One Physics-IQ case from files to metrics: the real takes at the working size, the generated video's masks.

Each video is decoded once and streamed: every frame is brought to the working size as it is
decoded (a 4K video is never held whole), and masks are computed in the same pass
(:mod:`evaluation.physics_iq.masks`) and, with ``released_masks`` (the default), written to and
read back from the release's mp4 as they are made before being resized and binarised — the leaderboard's numbers include that loss. Real masks are the
release's own mask videos when the download has them at this frame rate, else computed the same way.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError
from evaluation.physics_iq import layout
from evaluation.physics_iq.masks import MotionMasker
from evaluation.physics_iq.metrics import FrameMismatch, RealView, binarise, view_metrics, working_size
from evaluation.physics_iq.video import MaskWriter, crossfade, iter_frames, probe, read_frames

SECONDS = 5  # the scored part: the first 5 s after the switch frame


@dataclass(frozen=True)
class Settings:
    """What changes a case's numbers (part of every cache key)."""

    fps: int
    released_masks: bool = True
    cache_frames: bool = False  # keep the real takes' working-size frames in the cache too (not in its key)


def frames_needed(fps: int) -> int:
    """The release scores ``fps × 5`` frames."""
    return fps * SECONDS


def _small(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(frame, size)


def _small_masks(masks, size: tuple[int, int]) -> np.ndarray:
    """Grey masks → resized to the working size, then 0/1 (the release's order)."""
    return np.stack([binarise(_small(m, size)) for m in masks])


def _one_pass(frames, fps: float, need: int, size: tuple[int, int] | None, released: bool):
    """Frames at the working size (the first ``need``) and 0/1 masks, from one pass over native frames.

    The masks are computed over every frame (as the release writes a whole video's masks) and, with
    ``released``, written to and read back from the release's mp4 as they are made. ``size`` None:
    a quarter of the first frame's.
    """
    small, masker = [], MotionMasker()
    with tempfile.TemporaryDirectory() as d:
        writer, out = None, []
        for k, f in enumerate(frames):
            if size is None:
                size = working_size(f.shape[1], f.shape[0])
            if k < need:
                small.append(_small(f, size))
            m = masker(f)
            if released:
                writer = writer or MaskWriter(d, (f.shape[1], f.shape[0]), round(fps))
                writer.write(m)
            elif k < need:
                out.append(m)
        if writer is not None:
            out = list(writer.read_back(need))
        masks = _small_masks(out, size) if out else np.zeros((0, 1, 1), np.uint8)
    return (np.stack(small) if small else np.zeros((0, 1, 1, 3), np.uint8)), masks, size


def _real_take(root: Path, case: layout.Case, take: int, s: Settings, size: tuple[int, int] | None):
    """One real take at ``s.fps``: frames at the working size and 0/1 masks, and the size.

    The released files (the take's own mask video when the download has it, else masks computed as
    the release computes them), or converted from 30 fps by the release's cross-fade when the download
    has no folder at that rate.
    """
    video = layout.real_take(root, case, take, s.fps)
    need = frames_needed(s.fps)
    if video.is_file():
        mask_file = layout.real_mask(root, case, take, s.fps)
        if mask_file.is_file():
            frames, size = _frames_only(root, case, take, s, need, size)
            masks = _small_masks(list(iter_frames(mask_file, need, grey=True)), size)
            if len(masks) < need:
                raise InputError(mask_file, f"has {len(masks)} mask frames, needs {need}")
        else:  # the release computes them (and stores them as mp4) when the folder is absent
            frames, masks, size = _one_pass(iter_frames(video), probe(video)[0], need, size, s.released_masks)
    else:
        src = layout.real_take(root, case, take, 30)
        if not src.is_file():
            raise InputError(video, f"missing (and no 30 fps take to convert from: {src})")
        v = read_frames(src)
        frames, masks, size = _one_pass(crossfade(v.frames, v.fps, s.fps), s.fps, need, size, s.released_masks)
    if len(frames) < need:
        raise InputError(video, f"has {len(frames)} frames; Physics-IQ scores {need} ({SECONDS} s at {s.fps} fps)")
    return frames, masks, size


def _sources(root: Path, case: layout.Case, s: Settings) -> list[Path]:
    out = []
    for take in (1, 2):
        video = layout.real_take(root, case, take, s.fps)
        if video.is_file():
            out += [video, layout.real_mask(root, case, take, s.fps)]
        else:
            out.append(layout.real_take(root, case, take, 30))
    return out


def real_view(root: Path, case: layout.Case, s: Settings, cache_dir: Path | None = None) -> RealView:
    """Both real takes of a case at the working size (a quarter of take 1's width and height).

    With ``cache_dir``, the takes' masks at the working size come from (or go to) the content-keyed
    cache (:mod:`evaluation.physics_iq.cache`); the frames too with ``s.cache_frames``, else they are
    decoded every time (the MSE needs them).
    """
    from evaluation.physics_iq import cache

    settings = {"fps": s.fps, "released_masks": s.released_masks}
    entry = cache.entry(cache_dir, _sources(root, case, s), settings) if cache_dir else None
    hit = cache.load(entry) if entry else None
    need = frames_needed(s.fps)
    if hit is not None and hit["mask1"].shape[0] == need:
        if "take1" in hit:
            return RealView(hit["take1"], hit["take2"], hit["mask1"], hit["mask2"])
        f1, size = _frames_only(root, case, 1, s, need, None)
        f2, _ = _frames_only(root, case, 2, s, need, size)
        if hit["mask1"].shape == (need, size[1], size[0]):
            if s.cache_frames:
                cache.save(entry, hit["mask1"], hit["mask2"], (f1, f2))
            return RealView(f1, f2, hit["mask1"], hit["mask2"])
    f1, m1, size = _real_take(root, case, 1, s, None)
    f2, m2, _ = _real_take(root, case, 2, s, size)
    if min(size) < 1:
        raise InputError(layout.real_take(root, case, 1, s.fps), "is too small for the quarter-size working resolution")
    view = RealView(f1, f2, m1, m2)
    if entry is not None:
        cache.save(entry, view.mask1, view.mask2, (f1, f2) if s.cache_frames else None)
    return view


def _frames_only(root: Path, case: layout.Case, take: int, s: Settings, need: int, size):
    """A real take's first ``need`` frames at the working size (its masks come from the cache)."""
    video = layout.real_take(root, case, take, s.fps)
    if video.is_file():
        frames = []
        for f in iter_frames(video, need):
            size = size or working_size(f.shape[1], f.shape[0])
            frames.append(_small(f, size))
    else:
        v = read_frames(layout.real_take(root, case, take, 30))
        conv = crossfade(v.frames, v.fps, s.fps)[:need]
        size = size or working_size(conv.shape[2], conv.shape[1])
        frames = [_small(f, size) for f in conv]
    if len(frames) < need:
        raise InputError(video, f"has {len(frames)} frames; Physics-IQ scores {need} ({SECONDS} s at {s.fps} fps)")
    return np.stack(frames), size


def prediction(path: Path, s: Settings, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A generated video's first 5 s at the working ``size``: frames and 0/1 masks (computed at its own size).

    Raises:
        InputError: unreadable, another frame rate than the run's, or shorter than 5 s (names the file).
    """
    if path.is_dir():
        from evaluation.physics_iq.samples import sample_video

        v = sample_video(path)
        fps, frames = v.fps, iter(v.frames)
    else:
        fps, frames = probe(path)[0], iter_frames(path)
    if not math.isclose(fps, s.fps, abs_tol=0.01):
        raise InputError(path, f"is {fps:g} fps; this run scores {s.fps} fps videos (all predictions share one rate)")
    need = frames_needed(s.fps)
    small, masks, _ = _one_pass(frames, fps, need, size, s.released_masks)
    if len(small) < need:
        raise InputError(path, f"is {len(small) / fps:.3f} s ({len(small)} frames at {fps:g} fps); Physics-IQ "
                               f"needs {SECONDS} s after the switch frame")  # fmt: skip
    return small, masks


def score_case(real: RealView, pred_path: Path, s: Settings, keep: dict | None = None) -> dict:
    """The release's per-view metrics of one generated video (``keep``: also gets its working-size frames and masks)."""
    size = (real.take1.shape[2], real.take1.shape[1])
    frames, masks = prediction(pred_path, s, size)
    if keep is not None:
        keep |= {"frames": frames, "masks": masks}
    try:
        return view_metrics(real, frames, masks)
    except FrameMismatch as e:
        raise InputError(pred_path, f"frame counts differ from the real takes ({e})") from e
