"""A weight-free tracker seeded by frame-0 masks: masked template matching (OpenCV).

For each object, the frame-0 pixels under its mask are the template; in every later frame the
template is matched (masked sum of squared differences, ``cv2.matchTemplate(..., TM_SQDIFF,
mask=...)``) within ``search_radius`` pixels of the previous position, and the frame-0 mask is
moved there. It follows translation only (no rotation or scale change, no occlusion
reasoning) — a crude but deterministic stand-in for SAM 2 where no SAM 2 weights exist (tiny
CPU experiments, tests); the in-training validation says which segmenter produced its numbers.
Same call as :meth:`evaluation.perception.sam2.Sam2Segmenter.segment` with ``masks=``.
"""

from __future__ import annotations

import numpy as np


class TemplateTracker:
    """``segment(frames, masks=...)`` → ``bool [T, N, H, W]``."""

    def __init__(self, search_radius: int | None = None):
        """``search_radius`` in pixels around the previous position (None = whole frame)."""
        self.search_radius = search_radius
        self.record = {"adapter": "template_tracker", "source": "opencv", "options": {"search_radius": search_radius}}

    def segment(self, frames: np.ndarray, points=None, masks: np.ndarray | None = None) -> np.ndarray:
        """Track each frame-0 mask through ``uint8 [T, H, W, 3]`` frames."""
        import cv2

        if masks is None or points is not None:
            raise ValueError("the template tracker needs frame-0 masks (and no points)")
        t, h, w = frames.shape[:3]
        if masks.ndim != 3 or masks.shape[1:] != (h, w):
            raise ValueError(f"prompt masks must be [N, {h}, {w}], got {masks.shape}")
        out = np.zeros((t, len(masks), h, w), dtype=bool)
        img = frames.astype(np.float32)
        for n, m in enumerate(masks):
            ys, xs = np.nonzero(m)
            if len(ys) == 0:
                raise ValueError(f"prompt mask {n} is empty in frame 0")
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            templ = img[0, y0:y1, x0:x1]
            tmask = np.repeat(m[y0:y1, x0:x1, None].astype(np.float32), 3, axis=2)
            th, tw = y1 - y0, x1 - x0
            py, px = y0, x0
            out[0, n] = m
            for i in range(1, t):
                r = self.search_radius
                sy0, sx0 = (0, 0) if r is None else (max(0, py - r), max(0, px - r))
                sy1, sx1 = (h, w) if r is None else (min(h, py + th + r), min(w, px + tw + r))
                region = img[i, sy0:sy1, sx0:sx1]
                if region.shape[0] < th or region.shape[1] < tw:
                    region, sy0, sx0 = img[i], 0, 0
                score = cv2.matchTemplate(region, templ, cv2.TM_SQDIFF, mask=tmask)
                dy, dx = np.unravel_index(int(np.argmin(score)), score.shape)
                py, px = sy0 + dy, sx0 + dx
                out[i, n, py : py + th, px : px + tw] = m[y0:y1, x0:x1]
        return out
