"""What PSFT and ORO build from the ``model`` and ``data`` config sections.

- the denoiser: STDiT3 from a hub id (``hpcai-tech/OpenSora-STDiT-v3``), a PISA release folder,
  one of our training checkpoints, or — only with ``allow_random_weights`` — a random preset
  (training from scratch, tiny runs);
- the frozen VAE (or ``PixelSpace`` for pixel-space experiments);
- the prompts' T5 features, computed once per prompt and cached on disk (training never keeps
  T5 in memory); ``text_encoder_path`` may be a ``tiny:t5`` spec (:mod:`opensora.models.tiny`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from opensora.models import stdit3_from_path_or_preset, vae_from_path_or_preset
from opensora.models.text_encoder.t5 import T5Encoder, cached_text_embedding
from opensora.models.tiny import resolve_weights


@dataclass
class ModelArgs:
    """The ``model`` config section."""

    model: str = "STDiT3-XL/2"  # preset (architecture when the weights carry no config.json)
    model_path: str | None = "hpcai-tech/OpenSora-STDiT-v3"  # hub id, folder, checkpoint; None = random init
    model_weights: str = "model"  # PISA/our checkpoints: model | ema
    model_overrides: dict = field(default_factory=dict)  # STDiT3Config fields, e.g. in_channels=3 for PixelSpace
    vae: str = "OpenSoraVAE_V1_2"  # or PixelSpace
    vae_path: str | None = "hpcai-tech/OpenSora-VAE-v1.2"
    text_encoder_path: str = "DeepFloyd/t5-v1_1-xxl"
    text_max_length: int = 300
    text_cache_dir: str = "outputs/cache/text"
    allow_random_weights: bool = False  # model_path / vae_path None: random STDiT3 / VAE (from scratch, tiny runs)

    def __post_init__(self):
        if self.model_weights not in ("model", "ema"):
            raise ValueError(f"model.model_weights must be 'model' or 'ema', got {self.model_weights!r}")
        needs_weights = self.model_path is None or (self.vae_path is None and self.vae != "PixelSpace")
        if needs_weights and not self.allow_random_weights:
            raise ValueError(
                "model.model_path / model.vae_path is None: set model.allow_random_weights=True to train from random init"
            )


@dataclass
class DataArgs:
    """The ``data`` config section."""

    manifest: str = "data/sim/psft/psft.csv"
    split: str | None = None  # keep only rows of this split column value
    limit: int | None = 500  # first N usable rows (PISA PSFT: 500); None = all
    num_frames: int = 32
    resolution: int = 256
    fps: int = 16
    latent_cache_dir: str | None = "outputs/cache/latents"  # encode each clip once with the frozen VAE; None = never
    mask_ratios: dict = field(default_factory=lambda: {"image_head": 1.0})


def build_denoiser(args: ModelArgs):
    """The STDiT3 to train, on CPU in fp32."""
    return stdit3_from_path_or_preset(args.model, args.model_path, args.model_weights, args.model_overrides)


def build_frozen_vae(args: ModelArgs):
    """The frozen autoencoder in eval mode."""
    return vae_from_path_or_preset(args.vae, args.vae_path).eval().requires_grad_(False)


def vae_identity(args: ModelArgs) -> str:
    """What the latent cache keys on."""
    from opensora.backbones.opensora_v1_2 import identity_of_vae

    return identity_of_vae(args.vae, args.vae_path)


class TextTable:
    """Cached T5 features of a fixed set of prompts."""

    def __init__(self, prompts, args: ModelArgs):
        path = resolve_weights(args.text_encoder_path)
        encoder: list = []

        def factory():
            if not encoder:
                encoder.append(T5Encoder(path, args.text_max_length))
            return encoder[0]

        self.table = {
            p: cached_text_embedding(p, args.text_cache_dir, factory, path, args.text_max_length)
            for p in dict.fromkeys(prompts)
        }

    def batch(self, prompts: list[str], device) -> tuple[torch.Tensor, torch.Tensor]:
        """``y [B, 1, L, C]`` and ``mask [B, L]``."""
        ys, ms = zip(*(self.table[p] for p in prompts), strict=True)
        return torch.cat(ys).to(device), torch.cat(ms).to(device)


def training_backbone(frozen, data: DataArgs, sched):
    """The Open-Sora v1.2 backbone around the frozen VAE at the training size (its sampler: ORO, validation)."""
    from opensora.backbones.base import Geometry
    from opensora.backbones.opensora_v1_2 import OpenSoraV12

    geometry = Geometry(data.resolution, data.resolution, data.num_frames, data.fps)
    return OpenSoraV12(
        None, frozen.vae, sched, geometry, vae_id=frozen.latent_space, device=frozen.device, dtype=frozen.dtype
    )


def training_identity(margs: ModelArgs, data: DataArgs) -> dict:
    """What checkpoints and exports record in ``pisa.json``: backbone, latent space, size, frames (inference reads it)."""
    return {
        "backbone": "opensora_v1_2",
        "latent_space": vae_identity(margs),
        "vae": margs.vae,
        "vae_path": margs.vae_path,
        "text_encoder_path": margs.text_encoder_path,
        "text_max_length": margs.text_max_length,
        "height": data.resolution,
        "width": data.resolution,
        "num_frames": data.num_frames,
        "fps": data.fps,
    }
