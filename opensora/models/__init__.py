"""Open-Sora v1.2 models: STDiT3, the video VAE, the T5 text encoder; loading by hub id or local path.

``python -m opensora.models --list-keys NAME`` prints every state-dict entry of a preset built
on the meta device (no memory, no weights). The presets dicts next to each class
(``stdit3.PRESETS``, ``vae.PRESETS``) are the one table of model names.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evaluation.core.errors import InputError
from opensora.models.checkpoint import (
    TRAIN_STATE_FILE,
    load_weights,
    read_config,
    read_state_dict,
    read_training_checkpoint,
    resolve,
    save_pretrained,
)
from opensora.models.stdit.stdit3 import PRESETS as STDIT3_PRESETS
from opensora.models.stdit.stdit3 import STDiT3, STDiT3Config, build_stdit3
from opensora.models.vae.pixel import PixelSpace
from opensora.models.vae.vae import PRESETS as VAE_PRESETS
from opensora.models.vae.vae import VAEConfig, VideoAutoencoder, build_vae

# fields of Open-Sora's VAE config.json that describe sub-model builders, not weights
VAE_IGNORED_CONFIG = ("vae_2d", "vae_temporal", "cal_loss", "freeze_vae_2d")

__all__ = [
    "MODEL_NAMES",
    "build_model",
    "PixelSpace",
    "STDiT3",
    "STDiT3Config",
    "VideoAutoencoder",
    "VAEConfig",
    "save_pretrained",
    "build_stdit3",
    "build_vae",
    "stdit3_from_path_or_preset",
    "vae_from_path_or_preset",
    "stdit3_from_pretrained",
    "vae_from_pretrained",
]


MODEL_NAMES = (*STDIT3_PRESETS, *VAE_PRESETS, "PixelSpace")


def build_model(name: str):
    """A randomly initialised model of preset ``name`` (STDiT3, VAE) or the weight-free ``PixelSpace``."""
    if name in STDIT3_PRESETS:
        return build_stdit3(name)
    if name in VAE_PRESETS:
        return build_vae(name)
    if name == "PixelSpace":
        return PixelSpace()
    raise KeyError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")


def _weights_path(root: Path, weights: str) -> Path:
    if weights == "ema":
        if not (root / "ema.pt").is_file():
            raise InputError(root, "weights='ema' but there is no ema.pt")
        return root / "ema.pt"
    return root


def stdit3_from_pretrained(
    name_or_path: str, preset: str = "STDiT3-XL/2", weights: str = "model", **overrides
) -> STDiT3:
    """STDiT3 from a hub id, an HF-style folder, a PISA checkpoint folder or a weights file.

    ``hpcai-tech/OpenSora-STDiT-v3`` or a local copy; for PISA checkpoint folders ``weights="model"``
    reads the ``model/`` shards and ``"ema"`` reads ``ema.pt``; our own training checkpoints
    (``checkpoints/step-XXXXXXX``) give their EMA or working weights the same way. The architecture comes from ``config.json`` when there is one, else from ``preset``; ``overrides``
    change config fields (e.g. ``freeze_y_embedder``).
    """
    root = resolve(name_or_path)
    known = {f.name for f in dataclasses.fields(STDiT3Config)}
    cfg = {**STDIT3_PRESETS[preset], **read_config(root, known), **overrides}
    model = STDiT3(STDiT3Config(**cfg))
    if (root / TRAIN_STATE_FILE).is_file():  # a PSFT/ORO checkpoint of ours
        load_weights(model, read_training_checkpoint(root, weights), source=f"{root} ({weights})")
        return model
    path = _weights_path(root, weights)
    load_weights(model, read_state_dict(path), source=str(path))
    return model


def vae_from_pretrained(name_or_path: str, preset: str = "OpenSoraVAE_V1_2", **overrides) -> VideoAutoencoder:
    """The VAE pipeline from a hub id (``hpcai-tech/OpenSora-VAE-v1.2``), a folder or a weights file."""
    root = resolve(name_or_path)
    known = {f.name for f in dataclasses.fields(VAEConfig)}
    cfg = {**VAE_PRESETS[preset], **read_config(root, known, VAE_IGNORED_CONFIG), **overrides}
    model = VideoAutoencoder(VAEConfig(**cfg))
    load_weights(model, read_state_dict(root), source=str(root))
    return model


def stdit3_from_path_or_preset(
    preset: str, path: str | None, weights: str = "model", overrides: dict | None = None
) -> STDiT3:
    """What a config's ``model`` / ``model_path`` pair names: weights from ``path``, or (``path`` None) a random ``preset``."""
    overrides = overrides or {}
    if path:
        return stdit3_from_pretrained(path, preset=preset, weights=weights, **overrides)
    return build_stdit3(preset, **overrides)


def vae_from_path_or_preset(preset: str, path: str | None):
    """What a config's ``vae`` / ``vae_path`` pair names: weights, a random ``preset``, or the weight-free ``PixelSpace``."""
    if preset == "PixelSpace":
        return PixelSpace()
    return vae_from_pretrained(path, preset=preset) if path else build_vae(preset)
