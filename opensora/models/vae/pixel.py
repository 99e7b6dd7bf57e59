"""Pixel-space "autoencoder": the identity with the VAE pipeline's interface.

For small from-scratch experiments at tiny resolutions (e.g. 32×32, where an 8× VAE would leave
4×4 latents and a randomly initialised VAE cannot reconstruct anything): STDiT3 then denoises
RGB frames in [-1, 1] directly (``in_channels=3``). Registered as ``PixelSpace``; it has no
weights, so configs use ``vae_path=None`` with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class PixelSpaceConfig:
    """Only what callers read from a VAE config."""

    latent_channels: int = 3


class PixelSpace(nn.Module):
    """``encode``/``decode`` are the identity (decode cuts to ``num_frames``); latents = pixels."""

    def __init__(self, config: PixelSpaceConfig | None = None):
        super().__init__()
        self.config = config or PixelSpaceConfig()

    def latent_frames(self, num_frames: int) -> int:
        """One latent frame per frame."""
        return num_frames

    def latent_size(self, num_frames: int, height: int, width: int) -> tuple[int, int, int]:
        """Latent (T, H, W) = video (T, H, W)."""
        return num_frames, height, width

    def encode(self, x: torch.Tensor, generator=None, sample: bool = True) -> torch.Tensor:
        """``[B, 3, T, H, W]`` in [-1, 1] → the same tensor."""
        return x

    def decode(self, z: torch.Tensor, num_frames: int, frames: list[int] | None = None) -> torch.Tensor:
        """Latents → the first ``num_frames`` frames (or only ``frames`` of them)."""
        z = z[:, :, :num_frames]
        return z if frames is None else z[:, :, list(frames)]
