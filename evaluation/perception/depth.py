"""Depth Anything V2 through ``transformers`` (``DepthAnythingForDepthEstimation``).

:func:`depth_differentiable`: float video ``[T, 3, H, W]`` in [0, 255] → relative depth
``[T, H, W]`` with gradients (input resized bicubically to 518², a multiple of the ViT patch 14,
ImageNet-normalised; prediction resized back), as PISA's depth reward. :func:`minmax_per_frame`
is the reward's normalisation to [0, 255] per frame.
"""

from __future__ import annotations

from pathlib import Path

from evaluation.core.errors import InputError
from evaluation.core.weightfiles import check_weights
from evaluation.perception.common import adapter_record, normalize_imagenet, pick_device

DEFAULT_DEPTH = "depth-anything/Depth-Anything-V2-Small-hf"
INPUT_SIZE = 518  # Depth Anything V2's default input (37 patches of 14)
MINMAX_EPS = 1e-6


def build_depth(name_or_path: str = DEFAULT_DEPTH, device: str = "auto"):
    """A frozen Depth Anything model in eval mode (hub id or local folder)."""
    from transformers import DepthAnythingForDepthEstimation

    dev = pick_device(device)
    check_weights(name_or_path, "run models/download_depth_anything_v2.sh")
    try:
        model = DepthAnythingForDepthEstimation.from_pretrained(name_or_path)
    except OSError as e:
        raise InputError(
            name_or_path, f"Depth Anything weights not found ({e}); run models/download_depth_anything_v2.sh"
        ) from e
    model = model.to(dev).eval().requires_grad_(False)
    model.pisa_record = adapter_record("depth_anything_v2", name_or_path, {"input_size": INPUT_SIZE})
    return model


def depth_differentiable(model, video, input_size: int = INPUT_SIZE):
    """``video [T, 3, H, W]`` in [0, 255] → ``[T, H, W]`` relative depth (larger = nearer, as the model outputs)."""
    import torch.nn.functional as F

    _, _, h, w = video.shape
    x = F.interpolate(video.float() / 255.0, size=(input_size, input_size), mode="bicubic", align_corners=False)
    pred = model(pixel_values=normalize_imagenet(x)).predicted_depth  # (T, s, s)
    return F.interpolate(pred[:, None], size=(h, w), mode="bilinear", align_corners=False)[:, 0]


def minmax_per_frame(d):
    """Per-frame min-max normalisation of ``[T, H, W]`` to [0, 255] (PISA's depth reward)."""
    lo = d.amin(dim=(1, 2), keepdim=True)
    hi = d.amax(dim=(1, 2), keepdim=True)
    return (d - lo) / (hi - lo + MINMAX_EPS) * 255.0


def save_tiny_depth(folder: str | Path, seed: int = 0) -> Path:
    """A random tiny Depth Anything (small DINOv2 backbone) in the real format."""
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config

    torch.manual_seed(seed)
    backbone = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        patch_size=14,
        image_size=56,
        out_features=["stage1", "stage2", "stage3", "stage4"],
        reshape_hidden_states=False,
        apply_layernorm=True,
    )
    cfg = DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=32,
        neck_hidden_sizes=[16, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
        depth_estimation_type="relative",
    )
    DepthAnythingForDepthEstimation(cfg).save_pretrained(folder)
    return Path(folder)
