"""RAFT optical flow through ``torchvision.models.optical_flow`` (``raft_large``, ``raft_small``, tiny).

``build_raft("raft_large")`` uses torchvision's ``C_T_V2`` weights (FlyingChairs + FlyingThings,
the paper's raft-things equivalent); a local ``.pth`` state dict or ``None`` (random) also work.
:func:`flow` gives ``float32 [T-1, H, W, 2]`` (pixels, x right / y down) between consecutive
frames without gradients; :func:`flow_differentiable` takes a float video ``[T, 3, H, W]`` in
[0, 255] and keeps the graph (ORO's flow reward). Frames are padded to a multiple of 8 (RAFT's
requirement) and the flow cropped back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from evaluation.core.errors import ConfigError, InputError
from evaluation.core.weightfiles import check_weights
from evaluation.perception.common import adapter_record, pick_device

NUM_FLOW_UPDATES = 20  # PISA's RAFT setting (iters=20)
TINY_CONFIG = dict(
    feature_encoder_layers=(8, 8, 16, 16, 32),
    context_encoder_layers=(8, 8, 16, 16, 32),
    corr_block_num_levels=2,
    corr_block_radius=2,
    motion_encoder_corr_layers=(16,),
    motion_encoder_flow_layers=(16, 8),
    motion_encoder_out_channels=24,
    recurrent_block_hidden_state_size=16,
    flow_head_hidden_size=16,
)


def _tiny_raft():
    import torch
    from torchvision.models.optical_flow import raft

    return raft._raft(
        weights=None,
        progress=False,
        feature_encoder_block=raft.ResidualBlock,
        feature_encoder_norm_layer=torch.nn.InstanceNorm2d,
        context_encoder_block=raft.ResidualBlock,
        context_encoder_norm_layer=torch.nn.BatchNorm2d,
        recurrent_block_kernel_size=((1, 5), (5, 1)),
        recurrent_block_padding=((0, 2), (2, 0)),
        use_mask_predictor=True,
        **TINY_CONFIG,
    )


def build_raft(name: str = "raft_large", weights: str | None = "default", device: str = "auto"):
    """A frozen RAFT in eval mode.

    Args:
        name: ``raft_large``, ``raft_small`` or ``raft_tiny`` (the test configuration).
        weights: ``"default"`` (torchvision's best weights; downloads on first use), ``None``
            (random), or a path to a saved state dict (``save_raft`` writes one with a ``raft.json``).
    """
    import torch
    from torchvision.models import optical_flow as of

    dev = pick_device(device)
    if name == "raft_tiny":
        model = _tiny_raft()
    elif name in ("raft_large", "raft_small"):
        enum = of.Raft_Large_Weights if name == "raft_large" else of.Raft_Small_Weights
        w = enum.DEFAULT if weights == "default" else None
        try:
            model = getattr(of, name)(weights=w, progress=False)
        except Exception as e:  # download failed (offline)
            raise InputError(
                f"torchvision:{name}",
                f"weights could not be downloaded ({e}); run models/download_raft.sh or pass a local .pth",
            ) from e
    else:
        raise ConfigError(f"unknown RAFT {name!r}: raft_large, raft_small or raft_tiny")
    source = f"torchvision:{name}:{'default' if weights == 'default' else 'random'}"
    if weights not in ("default", None):
        p = Path(weights)
        if not p.is_file():
            raise InputError(p, "RAFT weights file does not exist; run models/download_raft.sh")
        check_weights(p)
        try:
            model.load_state_dict(torch.load(p, map_location="cpu", weights_only=True))
        except RuntimeError as e:  # wrong architecture for these weights
            raise InputError(p, f"weights do not fit {name} ({str(e).splitlines()[0]})") from e
        source = str(p)
    model = model.to(dev).eval().requires_grad_(False)
    model.pisa_record = adapter_record("raft", source, {"name": name, "num_flow_updates": NUM_FLOW_UPDATES})
    return model


def save_raft(model, path: str | Path, name: str) -> Path:
    """State dict (``.pth``) plus ``raft.json`` naming the architecture."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    (path.parent / "raft.json").write_text(json.dumps({"name": name}))
    return path


def flow_differentiable(model, video, num_flow_updates: int = NUM_FLOW_UPDATES):
    """``video [T, 3, H, W]`` in [0, 255] (may require grad) → forward flow ``[T-1, 2, H, W]`` (pixels)."""
    import torch.nn.functional as F

    t, _, h, w = video.shape
    x = video.float() / 127.5 - 1.0  # RAFT expects [-1, 1]
    ph, pw = (-h) % 8, (-w) % 8
    x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    flows = model(x[:-1], x[1:], num_flow_updates=num_flow_updates)
    return flows[-1][:, :, :h, :w]


def flow(model, frames: np.ndarray, num_flow_updates: int = NUM_FLOW_UPDATES, batch: int = 8) -> np.ndarray:
    """``uint8 [T, H, W, 3]`` → ``float32 [T-1, H, W, 2]`` without gradients."""
    import torch

    dev = next(model.parameters()).device
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().to(dev)
    out = []
    with torch.inference_mode():
        for i in range(0, len(video) - 1, batch):
            out.append(flow_differentiable(model, video[i : i + batch + 1], num_flow_updates).permute(0, 2, 3, 1).cpu())
    return torch.cat(out).numpy()
