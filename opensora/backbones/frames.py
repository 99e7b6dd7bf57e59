"""The one preprocessing path for first frames and clips, and the way back to the benchmark's square.

:func:`resize_crop_to_fill` is the released Open-Sora / PISA image transform
(``resize_crop_to_fill`` in ``opensora/datasets/utils.py`` of vision-x-nyu/pisa-experiments):
scale with PIL bicubic so the target is covered, then crop the centre, the offset rounded with
Python's ``round`` (half to even). Inference, in-training validation and the training clips all
prepare frames with it, so a model is validated on the first frame it will be run on.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def fill_geometry(h: int, w: int, th: int, tw: int) -> tuple[int, int, int, int]:
    """Scaled size ``(sh, sw)`` covering ``th × tw`` and the crop offsets ``(top, left)``, as the release."""
    rh, rw = th / h, tw / w
    if rh > rw:
        sh, sw = th, round(w * rh)
        return sh, sw, 0, int(round((sw - tw) / 2.0))
    sh, sw = round(h * rw), tw
    return sh, sw, int(round((sh - th) / 2.0)), 0


def resize_crop_to_fill(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``uint8 [H, W, 3]`` → ``uint8 [th, tw, 3]``: PIL bicubic to cover, centre crop (released rounding)."""
    th, tw = size
    h, w = image.shape[:2]
    sh, sw, top, left = fill_geometry(h, w, th, tw)
    if (sh, sw) != (h, w):
        image = np.asarray(Image.fromarray(image).resize((sw, sh), Image.Resampling.BICUBIC))
    return np.ascontiguousarray(image[top : top + th, left : left + tw])


def to_model_range(image: np.ndarray) -> torch.Tensor:
    """``uint8 [H, W, 3]`` → ``float32 [3, H, W]`` in [-1, 1] (``x / 255 · 2 - 1``, as ``Normalize(0.5, 0.5)``)."""
    x = torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1).float() / 255.0
    return x * 2.0 - 1.0


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """``[3, T, H, W]`` in [-1, 1] → ``uint8 [T, H, W, 3]`` (the diffusers post-processing: ``x/2 + 0.5``, clamp, round)."""
    x = ((video.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).cpu().numpy()


def pad_to_canvas(image: np.ndarray, canvas: tuple[int, int]) -> np.ndarray:
    """A square ``uint8`` frame scaled to the canvas's shorter side and centred on a black canvas."""
    ch, cw = canvas
    side = min(ch, cw)
    square = resize_crop_to_fill(image, (side, side))
    out = np.zeros((ch, cw, 3), dtype=np.uint8)
    top, left = (ch - side) // 2, (cw - side) // 2
    out[top : top + side, left : left + side] = square
    return out


def video_to_square(video: torch.Tensor, geometry, size: int) -> torch.Tensor:
    """``[B, 3, T, H, W]`` → ``[B, 3, T, size, size]``: the centre square (where a padded frame was placed), resized."""
    h, w = video.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    video = video[..., top : top + side, left : left + side]
    if side == size:
        return video
    b, c, t = video.shape[:3]
    frames = video.transpose(1, 2).reshape(b * t, c, side, side).float()
    frames = F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False, antialias=side > size)
    return frames.reshape(b, t, c, size, size).transpose(1, 2)


def video_to_canvas(video: torch.Tensor, geometry) -> torch.Tensor:
    """``[B, 3, T, S, S]`` in [-1, 1] → the canvas: unchanged when it already is, else centred on black (-1).

    Raises:
        ConfigError: the square side is not the canvas's shorter side (no resampling here: the one
            preprocessing path made the frames at the size they are trained and sampled at).
    """
    from evaluation.core.errors import ConfigError

    h, w = video.shape[-2:]
    ch, cw = geometry.height, geometry.width
    if (h, w) == (ch, cw):
        return video
    side = min(ch, cw)
    if h != w or h != side:
        raise ConfigError(
            f"clips of {h}x{w} do not fit the model's {ch}x{cw} canvas: use data.resolution={side} "
            "(the canvas's shorter side) or model.canvas"
        )
    out = video.new_full((*video.shape[:-2], ch, cw), -1.0)
    top, left = (ch - side) // 2, (cw - side) // 2
    out[..., top : top + side, left : left + side] = video
    return out
