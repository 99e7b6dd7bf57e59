"""Video backbones behind one interface (:mod:`opensora.backbones.base`); the registry and the ``backbone`` config section.

=========================  ==========================================  =======================
name                       default weights (hub id)                    implementation
=========================  ==========================================  =======================
``opensora_v1_2``          ``hpcai-tech/OpenSora-STDiT-v3`` (+ VAE, T5)  our STDiT3 / VAE / rflow
``cogvideox_5b_i2v``       ``THUDM/CogVideoX-5b-I2V``                  diffusers classes
``wan2_1_i2v_14b_480p``    ``Wan-AI/Wan2.1-I2V-14B-480P-Diffusers``     diffusers classes
``wan2_2_ti2v_5b``         ``Wan-AI/Wan2.2-TI2V-5B-Diffusers``          diffusers classes
``ltx_video``              ``Lightricks/LTX-Video``                    diffusers classes
=========================  ==========================================  =======================

Their PisaBench settings (canvas, frames, fps, steps, guidance) are the configs
``configs/inference/<name>.py``; ``tiny:<name>`` weight specs give random tiny pipelines.
A folder exported by our trainers carries ``pisa.json`` (:data:`IDENTITY_FILE`): the backbone,
latent space, size and frame count it was trained for; :func:`apply_identity` takes them from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from evaluation.core.errors import ConfigError, InputError
from opensora.backbones.base import Backbone, Geometry

IDENTITY_FILE = "pisa.json"
SQUARE = ("native", "pad", "fill")

# name -> (module, class)
IMPLEMENTATIONS = {
    "opensora_v1_2": ("opensora.backbones.opensora_v1_2", "OpenSoraV12"),
    "cogvideox_5b_i2v": ("opensora.backbones.cogvideox", "CogVideoXI2V"),
    "wan2_1_i2v_14b_480p": ("opensora.backbones.wan", "WanI2V"),
    "wan2_2_ti2v_5b": ("opensora.backbones.wan", "Wan22TI2V"),
    "ltx_video": ("opensora.backbones.ltx", "LTXVideoI2V"),
}
NAMES = tuple(IMPLEMENTATIONS)


@dataclass
class BackboneArgs:
    """The ``backbone`` config section (defaults: Open-Sora v1.2 as PISA runs it)."""

    name: str = "opensora_v1_2"
    model_path: str | None = "hpcai-tech/OpenSora-STDiT-v3"  # hub id or folder (diffusers: a pipeline folder)
    # Open-Sora v1.2 only (a diffusers pipeline folder holds every part itself)
    model: str = "STDiT3-XL/2"  # preset (architecture when no config.json is found)
    model_weights: str = "model"  # PISA checkpoint folders: "model" (shards) or "ema"
    model_overrides: dict = field(default_factory=dict)  # STDiT3Config fields, e.g. in_channels=3 for PixelSpace
    vae: str = "OpenSoraVAE_V1_2"  # or PixelSpace
    vae_path: str | None = "hpcai-tech/OpenSora-VAE-v1.2"
    text_encoder_path: str = "DeepFloyd/t5-v1_1-xxl"
    text_max_length: int = 300
    aes: float | None = 6.5  # Open-Sora appends "aesthetic score: 6.5." to each inference prompt
    # diffusers backbones only
    negative_prompt: str | None = None  # None = the model card's negative prompt
    max_sequence_length: int | None = None  # None = the pipeline's default
    vae_tiling: bool = False
    vae_slicing: bool = False
    cpu_offload: bool = False  # diffusers' model CPU offload (CUDA only)
    # how the model generates a PisaBench clip
    height: int = 256
    width: int = 256
    num_frames: int = 32
    fps: int = 16
    # native | pad: how a square first frame is placed on the canvas (its own size | centred on black);
    # fill: a first frame of any shape covers the canvas (resized, centre-cropped) and the output
    # stays at the canvas (Physics-IQ's 16:9 frames: opensora.physics_iq_generation)
    square: str = "native"
    allow_random_weights: bool = False  # Open-Sora model_path/vae_path None: random weights (tiny smoke runs)

    def __post_init__(self):
        if self.name not in IMPLEMENTATIONS:
            raise ValueError(f"backbone.name must be one of {list(NAMES)}, got {self.name!r}")
        if self.square not in SQUARE:
            raise ValueError(f"backbone.square must be one of {SQUARE}, got {self.square!r}")
        if self.height != self.width and self.square == "native":
            raise ValueError("backbone.square='native' needs height == width; use 'pad' for a non-square canvas")
        if self.name == "opensora_v1_2":
            no_vae = self.vae_path is None and self.vae != "PixelSpace"
            if (self.model_path is None or no_vae) and not self.allow_random_weights:
                raise ValueError(
                    "backbone.model_path/vae_path is None: set backbone.allow_random_weights=True for a random-weight run"
                )
        elif self.model_path is None:
            raise ValueError(f"backbone.model_path must name {self.name}'s pipeline (hub id or folder)")

    @property
    def geometry(self) -> Geometry:
        """The canvas, frames, fps and square handling."""
        return Geometry(self.height, self.width, self.num_frames, self.fps, self.square)


def read_identity(path: str | None) -> dict | None:
    """The ``pisa.json`` of one of our exports/checkpoints (``None`` for hub ids and foreign folders)."""
    if not path:
        return None
    p = Path(path)
    f = (p if p.is_dir() else p.parent) / IDENTITY_FILE
    if not f.is_file():
        return None
    try:
        data = json.loads(f.read_text())
    except ValueError as e:
        raise InputError(f, f"truncated or corrupt JSON ({e})") from e
    if not isinstance(data, dict) or "backbone" not in data:
        raise InputError(f, "not a PISA identity record (no 'backbone')")
    return data


TAKEN = ("vae", "vae_path", "text_encoder_path", "text_max_length", "height", "width", "num_frames", "fps")


GEOMETRY = ("height", "width", "num_frames", "fps")


def apply_identity(args: BackboneArgs, geometry: bool = True) -> list[str]:
    """Take the latent space, size and frames from ``model_path``'s ``pisa.json``; returns what changed.

    ``geometry=False`` keeps the config's canvas, frames and fps (a benchmark with its own, e.g.
    Physics-IQ's 16:9 five-second videos); the latent space is still taken.

    Raises:
        ConfigError: the weights were trained for another backbone.
    """
    ident = read_identity(args.model_path)
    if ident is None:
        return []
    if ident["backbone"] != args.name:
        raise ConfigError(
            f"{args.model_path} holds {ident['backbone']} weights but backbone.name is {args.name!r}; "
            f"pass --backbone {ident['backbone']}"
        )
    changed = []
    for key in TAKEN if geometry else tuple(k for k in TAKEN if k not in GEOMETRY):
        if key in ident and ident[key] != getattr(args, key):
            changed.append(f"{key}={ident[key]!r} (config: {getattr(args, key)!r})")
            setattr(args, key, ident[key])
    return changed


def backbone_class(name: str) -> type[Backbone]:
    """The implementation class of backbone ``name``."""
    import importlib

    module, cls = IMPLEMENTATIONS[name]
    return getattr(importlib.import_module(module), cls)


def build_backbone(args: BackboneArgs, device, dtype: torch.dtype, sched=None) -> Backbone:
    """The backbone ``args.name`` with its weights loaded on ``device`` (``sched``: the ``scheduler`` section)."""
    impl = backbone_class(args.name)
    if sched is not None:
        impl.check_sampling_steps(sched.num_sampling_steps)
    if args.name == "opensora_v1_2":
        return impl.from_args(args, sched, device=device, dtype=dtype)
    return impl(
        args.model_path,
        args.geometry,
        device=device,
        dtype=dtype,
        negative_prompt=args.negative_prompt,
        max_sequence_length=args.max_sequence_length,
        vae_tiling=args.vae_tiling,
        vae_slicing=args.vae_slicing,
        cpu_offload=args.cpu_offload,
    )


__all__ = ["NAMES", "Backbone", "BackboneArgs", "Geometry", "apply_identity", "build_backbone", "read_identity"]
