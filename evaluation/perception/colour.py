"""A weight-free colour segmenter for plain-background simulated scenes (not for real videos).

Each object is described by its **frame-0 colour**: the mean RGB of the frame-0 pixels under its
prompt mask. A pixel of any frame belongs to the object when its colour is within ``tolerance``
(Euclidean distance in 0–255 RGB) of that colour. That is only meaningful where every object's
colour differs from the background's and from the other objects' — the miniature experiment's
scenes (``configs/sim/miniature.py``: one saturated object, flat grey floor and backdrop, the
preview renderer's flat shading). On textured or lit scenes (Cycles, real videos) it fails, and
nothing checks that for you: use SAM 2 there.

Two forms of the same rule:

- :meth:`ColourSegmenter.segment` — hard masks ``bool [T, N, H, W]`` (numpy), the benchmark's
  segmenter interface (same call as ``Sam2Segmenter.segment`` with ``masks=``);
- :func:`soft_colour_masks` — ``sigmoid((tolerance − distance) / softness)``, differentiable in
  the video (torch), the segmentation reward's model for ORO without SAM 2 weights
  (``opensora.rewards``, type ``colour_segmentation``).
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 60.0  # RGB distance (0-255 scale) within which a pixel matches an object's colour
SOFTNESS = 8.0  # width of the soft mask's transition (same units)


def frame0_colours(frame0: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Mean RGB ``float [N, 3]`` of ``uint8 [H, W, 3]`` under each ``bool [N, H, W]`` mask.

    Raises:
        ValueError: a mask is empty (an object hidden in frame 0 has no colour to follow).
    """
    out = []
    for n, m in enumerate(masks):
        if not m.any():
            raise ValueError(f"prompt mask {n} is empty in frame 0: no colour to segment by")
        out.append(frame0[m].astype(np.float64).mean(axis=0))
    return np.asarray(out)


class ColourSegmenter:
    """``segment(frames, masks=...)`` → ``bool [T, N, H, W]`` by distance to each object's frame-0 colour."""

    def __init__(self, tolerance: float = TOLERANCE):
        if tolerance <= 0:
            raise ValueError(f"colour segmenter tolerance must be > 0, got {tolerance}")
        self.tolerance = float(tolerance)
        self.record = {"adapter": "colour_segmenter", "source": "weight-free", "options": {"tolerance": tolerance}}

    def segment(self, frames: np.ndarray, points=None, masks: np.ndarray | None = None) -> np.ndarray:
        """Segment ``uint8 [T, H, W, 3]`` frames; frame 0 is the prompt masks themselves."""
        if masks is None or points is not None:
            raise ValueError("the colour segmenter needs frame-0 masks (and no points)")
        t, h, w = frames.shape[:3]
        if masks.ndim != 3 or masks.shape[1:] != (h, w):
            raise ValueError(f"prompt masks must be [N, {h}, {w}], got {masks.shape}")
        colours = frame0_colours(frames[0], masks)
        px = frames.astype(np.float32)[:, None]  # [T, 1, H, W, 3]
        dist = np.linalg.norm(px - colours[None, :, None, None].astype(np.float32), axis=-1)
        out = dist <= self.tolerance
        out[0] = masks
        return out


def soft_colour_masks(video, colours, tolerance: float = TOLERANCE, softness: float = SOFTNESS):
    """Differentiable masks ``[T, N, H, W]`` of ``video`` ``[T, 3, H, W]`` (0–255) for ``colours`` ``[N, 3]``."""
    import torch

    c = torch.as_tensor(colours, dtype=video.dtype, device=video.device)
    diff = video[:, None] - c[None, :, :, None, None]  # [T, N, 3, H, W]
    dist = torch.sqrt((diff * diff).sum(dim=2) + 1e-6)
    return torch.sigmoid((tolerance - dist) / softness)
