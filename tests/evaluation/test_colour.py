"""The weight-free colour segmenter (plain-background scenes) and the reward built on it."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.perception.colour import ColourSegmenter, frame0_colours, soft_colour_masks

GREY, RED = (120, 120, 120), (220, 30, 30)


def falling_square(t=6, h=24, w=24, size=5) -> tuple[np.ndarray, np.ndarray]:
    """A red square falling over a grey background: frames ``uint8 [T, H, W, 3]`` and masks ``bool [T, 1, H, W]``."""
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[:] = GREY
    masks = np.zeros((t, 1, h, w), bool)
    for i in range(t):
        y = 2 + 3 * i
        frames[i, y : y + size, 8 : 8 + size] = RED
        masks[i, 0, y : y + size, 8 : 8 + size] = True
    return frames, masks


def test_segments_the_object_by_its_frame0_colour():
    frames, masks = falling_square()
    out = ColourSegmenter().segment(frames, masks=masks[0])
    assert out.shape == masks.shape and (out == masks).all()
    np.testing.assert_allclose(frame0_colours(frames[0], masks[0]), [RED])


def test_bad_prompts_are_named():
    frames, masks = falling_square()
    with pytest.raises(ValueError, match="empty in frame 0"):
        ColourSegmenter().segment(frames, masks=np.zeros_like(masks[0]))
    with pytest.raises(ValueError, match="needs frame-0 masks"):
        ColourSegmenter().segment(frames)
    with pytest.raises(ValueError, match="tolerance"):
        ColourSegmenter(tolerance=0)


def test_soft_masks_and_the_reward_follow_the_object_with_gradients():
    torch = pytest.importorskip("torch")
    from opensora.rewards import ColourSegmentationReward

    frames, masks = falling_square()
    video = torch.tensor(frames, dtype=torch.float32).permute(0, 3, 1, 2)  # [T, 3, H, W] 0..255
    soft = soft_colour_masks(video, torch.tensor([RED], dtype=torch.float32))
    assert ((soft[:, 0] > 0.5).numpy() == masks[:, 0]).all()
    batch = {
        "video": torch.tensor(frames, dtype=torch.float32).permute(3, 0, 1, 2)[None] / 127.5 - 1,  # [B, 3, T, H, W]
        "mask": torch.tensor(masks)[None],
        "index": [0],
    }
    reward = ColourSegmentationReward()
    right = reward(video[None], batch, list(range(len(frames))))
    frozen = video[:1].expand_as(video).clone().requires_grad_(True)  # the first frame held still
    wrong = reward(frozen[None], batch, list(range(len(frames))))
    assert right.item() < 0.05 < wrong.item()
    wrong.sum().backward()
    assert frozen.grad.abs().sum() > 0
