"""Physics-IQ's motion masks: running-average background subtraction, as the release computes them.

The released ``code/binary_mask_generator.py`` (google-deepmind/physics-IQ-benchmark, Apache-2.0)
marks a pixel as moving when its blurred grey value differs from a running average of the
previous frames by more than a threshold. Per frame (BGR as OpenCV decodes it):

1. grey (``COLOR_BGR2GRAY``), 5×5 Gaussian blur (σ from the kernel size);
2. frame 0 starts the average (float64) and its mask is empty;
3. later frames: ``accumulateWeighted(grey, avg, 0.3)`` *before* the difference, so the average
   already holds 30 % of the current frame; ``absdiff(grey, convertScaleAbs(avg))``;
4. ``> 10`` → 255; morphological opening then closing with a 5×5 square.

:class:`MotionMasker` is that computation one frame at a time (:func:`motion_masks` on a whole
video); with ``--released-masks`` the
scorer also passes the masks through the release's lossy mp4 round trip
(:func:`evaluation.physics_iq.video.mp4_round_trip`), which the leaderboard numbers include.
"""

from __future__ import annotations

import numpy as np

ALPHA = 0.3  # the running average's weight of the current frame
THRESHOLD = 10  # grey levels
KERNEL = 5  # blur and morphology


class MotionMasker:
    """The release's mask generator one frame at a time (its state: the running average)."""

    def __init__(self, threshold: int = THRESHOLD):
        self.threshold, self.avg = threshold, None
        self.kernel = np.ones((KERNEL, KERNEL), np.uint8)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """The ``uint8 [H, W]`` mask (0 / 255) of the next BGR frame; the first frame's is empty."""
        import cv2

        grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (KERNEL, KERNEL), 0)
        if self.avg is None:
            self.avg = grey.astype("float")
            return np.zeros(grey.shape, np.uint8)
        cv2.accumulateWeighted(grey, self.avg, ALPHA)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self.avg))
        _, binary = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, self.kernel)
        return cv2.morphologyEx(binary, cv2.MORPH_CLOSE, self.kernel)


def motion_masks(frames: np.ndarray, threshold: int = THRESHOLD) -> np.ndarray:
    """``uint8 [T, H, W]`` masks (0 / 255) of BGR ``uint8 [T, H, W, 3]`` frames; frame 0's is empty."""
    masker = MotionMasker(threshold)
    return np.stack([masker(f) for f in frames])
