"""What PSFT and ORO build from the ``model`` and ``data`` config sections, for any backbone.

- the backbone's frozen parts (:func:`build_backbone_for_training`): for Open-Sora v1.2 the VAE
  (or ``PixelSpace``) and T5; for the diffusers backbones the pipeline folder's VAE, text and
  image encoders and scheduler, at the training clip size (``data``) on the model's canvas;
- the denoiser to train (:func:`build_denoiser`): STDiT3 from a hub id, a PISA release folder,
  one of our checkpoints or — only with ``allow_random_weights`` — a random preset; for the
  diffusers backbones the pipeline's transformer; LoRA adapters when ``model.lora_rank > 0``;
- the prompts' features, computed once per prompt and cached on disk
  (:class:`opensora.backbones.prompts.PromptFeatures`); the text encoder is released afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from opensora.backbones import BackboneArgs, build_backbone
from opensora.backbones.prompts import PromptFeatures

OPENSORA = "opensora_v1_2"


@dataclass
class ModelArgs:
    """The ``model`` config section."""

    backbone: str = OPENSORA  # opensora_v1_2 | cogvideox_5b_i2v | wan2_1_i2v_14b_480p | wan2_2_ti2v_5b | ltx_video
    model: str = "STDiT3-XL/2"  # Open-Sora: preset (architecture when the weights carry no config.json)
    model_path: str | None = "hpcai-tech/OpenSora-STDiT-v3"  # hub id, folder, checkpoint (diffusers: pipeline)
    model_weights: str = "model"  # PISA/our checkpoints: model | ema
    model_overrides: dict = field(default_factory=dict)  # STDiT3Config fields, e.g. in_channels=3 for PixelSpace
    vae: str = "OpenSoraVAE_V1_2"  # Open-Sora: or PixelSpace
    vae_path: str | None = "hpcai-tech/OpenSora-VAE-v1.2"
    text_encoder_path: str = "DeepFloyd/t5-v1_1-xxl"
    text_max_length: int = 300  # prompt tokens (CogVideoX 226, Wan 512, LTX-Video 128)
    text_cache_dir: str = "outputs/cache/text"
    canvas: list | None = None  # [height, width] the model runs at; None = data.resolution square
    lora_rank: int = 0  # 0 = full fine-tuning (PISA); > 0: LoRA adapters only
    lora_alpha: float = 8.0  # peft's default; VADER used r=16 with it
    lora_dropout: float = 0.0
    lora_init: bool = True  # peft's init (B = 0); False = both factors random (tests)
    lora_targets: list | None = None  # None = the backbone's attention projections
    allow_random_weights: bool = False  # Open-Sora model_path / vae_path None: random STDiT3 / VAE

    def __post_init__(self):
        # the backbone's name and weights are checked once, by BackboneArgs (opensora/train/config.py)
        if self.model_weights not in ("model", "ema"):
            raise ValueError(f"model.model_weights must be 'model' or 'ema', got {self.model_weights!r}")
        if self.canvas is not None and (len(self.canvas) != 2 or not all(isinstance(v, int) for v in self.canvas)):
            raise ValueError(f"model.canvas must be [height, width] or None, got {self.canvas!r}")
        if self.lora_rank < 0:
            raise ValueError("model.lora_rank must be >= 0")

    @property
    def lora_scaling(self) -> float:
        """``alpha / rank`` of the adapters."""
        return self.lora_alpha / self.lora_rank if self.lora_rank else 0.0


@dataclass
class DataArgs:
    """The ``data`` section."""

    manifest: str = "data/sim/psft/psft.csv"
    split: str | None = None  # keep only rows of this split column value
    limit: int | None = 500  # first N usable rows (PISA PSFT: 500); None = all
    num_frames: int = 32
    resolution: int = 256  # square clip side (the canvas's shorter side for a non-square canvas)
    fps: int = 16
    latent_cache_dir: str | None = "outputs/cache/latents"  # encode each clip once with the frozen VAE; None = never
    mask_ratios: dict = field(default_factory=lambda: {"image_head": 1.0})  # Open-Sora only


def backbone_args(margs: ModelArgs, data: DataArgs) -> BackboneArgs:
    """The ``backbone`` section the training settings amount to (canvas, frames, fps from ``data``)."""
    h, w = margs.canvas or (data.resolution, data.resolution)
    return BackboneArgs(
        name=margs.backbone,
        model_path=margs.model_path,
        model=margs.model,
        model_weights=margs.model_weights,
        model_overrides=margs.model_overrides,
        vae=margs.vae,
        vae_path=margs.vae_path,
        text_encoder_path=margs.text_encoder_path,
        text_max_length=margs.text_max_length,
        max_sequence_length=margs.text_max_length,  # the diffusers backbones' name for it
        aes=None,  # training captions stay verbatim
        height=h,
        width=w,
        num_frames=data.num_frames,
        fps=data.fps,
        square="native" if h == w else "pad",
        allow_random_weights=margs.allow_random_weights,
    )


def build_backbone_for_training(bargs: BackboneArgs, sched, device, dtype):
    """The backbone with its weights in fp32 on ``device`` (bf16 autocast where configured), frozen parts frozen."""
    backbone = build_backbone(bargs, device, torch.float32, sched)
    backbone.dtype = dtype
    backbone.freeze()
    return backbone


def build_denoiser(margs: ModelArgs, backbone) -> torch.nn.Module:
    """The model to train (the backbone's denoiser), with LoRA adapters when ``model.lora_rank > 0``."""
    model = backbone.denoiser()
    if margs.lora_rank > 0:
        from opensora.train.lora import apply_lora

        targets = margs.lora_targets or backbone.default_lora_targets
        model = apply_lora(model, margs.lora_rank, margs.lora_alpha, margs.lora_dropout, margs.lora_init, targets)
    return model


def prompt_features(backbone, prompts: list[str], margs: ModelArgs) -> PromptFeatures:
    """Every prompt's features (cached on disk), then the text encoder is released."""
    table = PromptFeatures(backbone, prompts, margs.text_cache_dir)
    backbone.release_text_encoder()
    return table


def training_identity(backbone, margs: ModelArgs) -> dict:
    """What checkpoints and exports record in ``pisa.json``: backbone, latent space, size, frames (inference reads it)."""
    ident = backbone.identity()
    if margs.lora_rank:
        ident["lora"] = {"rank": margs.lora_rank, "alpha": margs.lora_alpha, "merged": True}
    return ident
