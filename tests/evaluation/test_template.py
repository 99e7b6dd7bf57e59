"""The weight-free template tracker follows translated objects and rejects bad prompts."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.perception.template import TemplateTracker


def moving_squares(t: int = 6):
    frames = np.full((t, 40, 40, 3), 60, dtype=np.uint8)
    for i in range(t):
        frames[i, 2 + 4 * i : 7 + 4 * i, 5:10] = (220, 40, 40)  # falls 4 px per frame
        frames[i, 30:34, 28 + i : 32 + i] = (40, 220, 40)  # slides right 1 px per frame
    masks = np.zeros((2, 40, 40), dtype=bool)
    masks[0, 2:7, 5:10] = True
    masks[1, 30:34, 28:32] = True
    return frames, masks


@pytest.mark.parametrize("radius", [None, 6])
def test_tracks_both_objects(radius):
    frames, masks = moving_squares()
    out = TemplateTracker(radius).segment(frames, masks=masks)
    assert out.shape == (6, 2, 40, 40)
    for i in range(6):
        ys, xs = np.nonzero(out[i, 0])
        assert (ys.min(), xs.min()) == (2 + 4 * i, 5)
        ys, xs = np.nonzero(out[i, 1])
        assert (ys.min(), xs.min()) == (30, 28 + i)


def test_bad_prompts():
    frames, masks = moving_squares()
    with pytest.raises(ValueError, match="needs frame-0 masks"):
        TemplateTracker().segment(frames, points=[{"positive": [[1, 1]]}])
    with pytest.raises(ValueError, match="prompt masks must be"):
        TemplateTracker().segment(frames, masks=masks[:, :20])
    masks[1] = False
    with pytest.raises(ValueError, match="prompt mask 1 is empty"):
        TemplateTracker().segment(frames, masks=masks)
