"""Reading Physics-IQ videos, the release's mp4 round trip of masks, and its frame-rate cross-fade.

- :func:`read_frames`: every frame as OpenCV decodes it (BGR), with the container's fps and frame
  count; an unreadable file is an :class:`~evaluation.core.errors.InputError` naming it.
- :func:`mp4_round_trip`: masks written and read back through OpenCV's ``mp4v`` encoder, as the
  release stores generated masks before scoring them (lossy: edges move by a grey level or two,
  which the ``> 127`` binarisation after resizing mostly absorbs — but not always, so the
  leaderboard's numbers need it).
- :func:`crossfade`: the release's ``code/fps_changer.py`` frame-rate change — the first
  ``min(5 s, duration)``, ``int(seconds × new_fps)`` output frames, output frame j blends input
  frames ⌊a⌋ and ⌊a⌋+1 with ``a = j (n_in − 1) / (n_out − 1)`` in float32 and truncates to uint8.
  The release then writes the result with the ``avc1`` codec, which pip's OpenCV cannot encode:
  it prints "Saved" and writes nothing. Here the converted frames stay in memory.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError


@dataclass
class Video:
    """Decoded frames ``uint8 [T, H, W, 3]`` (BGR; ``[T, H, W]`` when read as grey) and the container's fps."""

    frames: np.ndarray
    fps: float
    declared_frames: int

    @property
    def seconds(self) -> float:
        """Duration by the decoded frame count."""
        return len(self.frames) / self.fps if self.fps > 0 else 0.0


def probe(path: str | os.PathLike) -> tuple[float, int, int, int]:
    """``(fps, frame count, width, height)`` from the container, without decoding."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(path, "cannot be opened as a video (missing, empty or not a video file)")
    out = (cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
           int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))  # fmt: skip
    cap.release()
    return out


def iter_frames(path: str | os.PathLike, limit: int | None = None, grey: bool = False):
    """Decoded frames one at a time (BGR, or one channel with ``grey``); an unopenable file is an error naming it."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(path, "cannot be opened as a video (missing, empty or not a video file)")
    try:
        n = 0
        while limit is None or n < limit:
            ok, frame = cap.read()
            if not ok:
                return
            n += 1
            yield frame[..., 0] if grey else frame  # a grey mp4 decodes as three equal channels
    finally:
        cap.release()


class MaskWriter:
    """The release's mask video writer (mp4v, grey, even size), written frame by frame; :meth:`read_back` decodes it."""

    def __init__(self, folder: str | os.PathLike, size: tuple[int, int], fps: float):
        import cv2

        self.path = Path(folder) / "mask.mp4"
        w, h = size
        self.out = cv2.VideoWriter(
            str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w - w % 2, h - h % 2), isColor=False
        )

    def write(self, mask: np.ndarray) -> None:
        """One mask frame (an odd-sized frame does not match the writer's size: OpenCV drops it, as in the release)."""
        self.out.write(mask)

    def read_back(self, limit: int | None = None):
        """Close the file and decode it again, frame by frame."""
        self.out.release()
        return iter_frames(self.path, limit, grey=True)


def read_frames(path: str | os.PathLike, limit: int | None = None, grey: bool = False) -> Video:
    """The first ``limit`` (all) frames of ``path``; ``grey``: one channel (masks are stored as grey video)."""
    fps, declared, _, _ = probe(path)
    frames = list(iter_frames(path, limit, grey))
    if not frames:
        raise InputError(path, "has no decodable frame")
    return Video(np.stack(frames), fps, declared)


def mp4_round_trip(masks: np.ndarray, fps: float) -> np.ndarray:
    """``uint8 [T, H, W]`` masks after the release's write (mp4v, grey, even size) and read back."""
    with tempfile.TemporaryDirectory() as d:
        writer = MaskWriter(d, (masks.shape[2], masks.shape[1]), fps)
        for m in masks:
            writer.write(m)
        return np.stack(list(writer.read_back()))


def crossfade(frames: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """The release's frame-rate change of the first 5 s (see the module docstring)."""
    seconds = min(5.0, len(frames) / fps_in)
    n_in = min(len(frames), int(seconds * fps_in))
    n_out = int(seconds * fps_out)
    src = frames[:n_in]
    out = np.empty((n_out, *frames.shape[1:]), np.uint8)
    for j in range(n_out):
        a = j * (n_in - 1) / (n_out - 1)
        i = int(a)
        a -= i
        f1 = src[i].astype(np.float32)
        f2 = src[min(i + 1, n_in - 1)].astype(np.float32)
        out[j] = ((1 - a) * f1 + a * f2).astype(np.uint8)
    return out
