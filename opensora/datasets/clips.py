"""Clips of manifest rows as tensors, Open-Sora's ``resize_crop`` transform, and the data order.

- :func:`resize_crop`: every frame through the one preprocessing path that inference and
  validation use for the first frame (:func:`opensora.backbones.frames.resize_crop_to_fill`: the
  released PIL-bicubic cover-and-centre-crop), then [-1, 1]; masks, depth and flow are cropped
  with the same geometry (nearest / bilinear).
- :class:`ClipDataset`: the first ``num_frames`` frames of each sample (PISA clips start at the
  drop and frame 0 is the image condition, so no random temporal crop), optionally its masks,
  depth and flow at the training size (and its camera geometry, for physical-unit rewards), or
  its cached VAE latent (:mod:`opensora.datasets.latents`).
- :class:`EpochBatches`: a seeded permutation per epoch, cut into per-rank batches; a position
  ``(epoch, batch)`` is all a checkpoint needs to continue with exactly the same data order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from evaluation.core.errors import ConfigError
from evaluation.schema import (
    CLIP_INFO_FILE,
    DEPTH_FILE,
    FLOW_FILE,
    MASK_FILE,
    list_frames,
    read_clip_info,
    read_depth,
    read_flow,
    read_image,
    read_mask,
)
from opensora.backbones.frames import fill_geometry, resize_crop_to_fill, to_model_range
from opensora.datasets.manifest import GEOMETRY, ManifestRow


def _cover_crop_geometry(h: int, w: int, size: int) -> tuple[int, int, int, int]:
    """Scaled (h, w) covering ``size``² and the crop offsets (top, left), as the released ``resize_crop_to_fill``."""
    return fill_geometry(h, w, size, size)


def resize_crop(frames: np.ndarray, size: int) -> torch.Tensor:
    """``uint8 [T, H, W, 3]`` → ``float [3, T, size, size]`` in [-1, 1], each frame by the one preprocessing path."""
    return torch.stack([to_model_range(resize_crop_to_fill(f, (size, size))) for f in frames], dim=1)


def resize_crop_nearest(x: torch.Tensor, size: int) -> torch.Tensor:
    """Nearest-neighbour ``resize_crop`` of ``[..., H, W]`` (masks, depth)."""
    h, w = x.shape[-2:]
    nh, nw, top, left = _cover_crop_geometry(h, w, size)
    if (nh, nw) != (h, w):
        lead = x.shape[:-2]
        x = F.interpolate(x.reshape(1, -1, h, w).float(), size=(nh, nw), mode="nearest").reshape(*lead, nh, nw)
    return x[..., top : top + size, left : left + size]


def resize_crop_flow(flow: torch.Tensor, size: int) -> torch.Tensor:
    """``[T-1, H, W, 2]`` pixel flow → the training size, vectors rescaled with the image."""
    h, w = flow.shape[1:3]
    nh, nw, top, left = _cover_crop_geometry(h, w, size)
    x = flow.permute(0, 3, 1, 2).float()
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
        x = x * torch.tensor([nw / w, nh / h]).view(1, 2, 1, 1)
    return x[..., top : top + size, left : left + size].permute(0, 2, 3, 1).contiguous()


def clip_geometry(sample: str, size: int):
    """The clip's :class:`evaluation.physical.Geometry` at the training size (its frames' cover-and-crop applied)."""
    from evaluation.physical import Geometry

    info = read_clip_info(f"{sample}/{CLIP_INFO_FILE}")
    h, w = (int(x) for x in read_image(list_frames(sample)[0]).shape[:2])
    nh, nw, top, left = _cover_crop_geometry(h, w, size)
    return Geometry.from_clip_info(info).resized(nw / w, nh / h, left, top)


class ClipDataset(torch.utils.data.Dataset):
    """Tensors for manifest rows: ``video`` (or ``latent``), and on request ``mask``/``depth``/``flow``."""

    def __init__(self, rows: list[ManifestRow], num_frames: int, size: int, needs: tuple[str, ...] = (), latents=None):
        """``latents``: a :class:`~opensora.datasets.latents.LatentCache` to read instead of frames."""
        self.rows, self.num_frames, self.size, self.needs, self.latents = rows, num_frames, size, needs, latents

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows[i]
        out: dict = {"index": i}
        if self.latents is not None:
            out["latent"] = self.latents.load(row)
            first = list_frames(row.path)[0]  # the condition, prepared as at inference
            out["first_frame"] = resize_crop(read_image(first)[None], self.size)[:, 0]
        else:
            paths = list_frames(row.path)[: self.num_frames]
            out["video"] = resize_crop(np.stack([read_image(p) for p in paths]), self.size)
        t = self.num_frames
        if "mask" in self.needs:
            m = torch.from_numpy(read_mask(f"{row.path}/{MASK_FILE}", require_square=False)[:t])
            out["mask"] = resize_crop_nearest(m, self.size).bool()
        if "depth" in self.needs:
            d = torch.from_numpy(read_depth(f"{row.path}/{DEPTH_FILE}")[:t].astype(np.float32))
            out["depth"] = resize_crop_nearest(d, self.size)
        if "flow" in self.needs:
            fl = torch.from_numpy(read_flow(f"{row.path}/{FLOW_FILE}")[: t - 1].astype(np.float32))
            out["flow"] = resize_crop_flow(fl, self.size)
        if GEOMETRY in self.needs:
            out[GEOMETRY] = clip_geometry(row.path, self.size)
        return out


@dataclass(frozen=True)
class EpochBatches:
    """Deterministic batches of dataset indices for one rank.

    Epoch ``e`` shuffles with ``default_rng(seed + e)``, drops the tail that does not fill a
    global batch (``batch_size × world``), and gives rank ``r`` the ``r``-th slice of each global batch.
    """

    num_samples: int
    batch_size: int
    seed: int
    rank: int = 0
    world: int = 1

    def __post_init__(self):
        if self.num_samples < self.batch_size * self.world:
            raise ConfigError(
                f"{self.num_samples} training clips cannot fill one global batch of "
                f"{self.batch_size} x {self.world} ranks; lower the batch size or add clips"
            )

    @property
    def per_epoch(self) -> int:
        """Batches per epoch (the same on every rank)."""
        return self.num_samples // (self.batch_size * self.world)

    def epoch(self, e: int) -> list[list[int]]:
        """This rank's batches of epoch ``e``."""
        order = np.random.default_rng(self.seed + e).permutation(self.num_samples)
        g = self.batch_size * self.world
        return [
            order[k * g + self.rank * self.batch_size : k * g + (self.rank + 1) * self.batch_size].tolist()
            for k in range(self.per_epoch)
        ]

    def position(self, step: int) -> tuple[int, int]:
        """(epoch, batch within the epoch) of global step ``step``."""
        return divmod(step, self.per_epoch)

    def stream(self, start: int, stop: int):
        """This rank's batches for global steps ``start .. stop - 1`` (across epochs), for one DataLoader."""
        step = start
        while step < stop:
            epoch, b = self.position(step)
            for batch in self.epoch(epoch)[b:]:
                if step >= stop:
                    return
                yield batch
                step += 1
