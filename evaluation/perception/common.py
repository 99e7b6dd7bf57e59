"""Shared bits of the perception adapters: device/dtype choice and the record of what ran."""

from __future__ import annotations

from pathlib import Path

from evaluation.core.outdirs import file_sha256
from evaluation.core.runinfo import package_versions

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # SAM 2, Depth Anything: ImageNet normalisation
IMAGENET_STD = (0.229, 0.224, 0.225)


def pick_device(name: str = "auto"):
    """``auto`` = CUDA when available, else CPU."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def pick_dtype(name: str, device):
    """``auto`` = bf16 on GPU, fp32 on CPU; or ``fp32`` / ``bf16`` / ``fp16``."""
    import torch

    table = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if name not in table:
        raise ValueError(f"dtype must be auto, fp32, bf16 or fp16, got {name!r}")
    return table[name]


def adapter_record(kind: str, source: str, options: dict) -> dict:
    """What an adapter ran: kind, checkpoint id or path (+ sha256 of local weight files), options, versions."""
    rec = {
        "adapter": kind,
        "source": source,
        "options": options,
        "versions": package_versions(("torch", "torchvision", "transformers")),
    }
    p = Path(source)
    if p.exists():
        files = (
            [p]
            if p.is_file()
            else sorted(q for q in p.iterdir() if q.suffix in (".safetensors", ".pt", ".pth", ".bin"))
        )
        rec["weights_sha256"] = {q.name: file_sha256(q) for q in files}
    return rec


def normalize_imagenet(x):
    """``[..., 3, H, W]`` in [0, 1] → ImageNet-normalised."""
    import torch

    mean = torch.tensor(IMAGENET_MEAN, device=x.device, dtype=x.dtype).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device, dtype=x.dtype).view(3, 1, 1)
    return (x - mean) / std
