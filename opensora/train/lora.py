"""LoRA for any backbone's denoiser: adapters on the attention projections, merging, and adapter export.

``apply_lora`` injects peft LoRA layers (diffusers models through diffusers' own adapter
integration, ``add_adapter``; STDiT3 through peft's ``inject_adapter_in_model``) into the modules
named by ``model.lora_targets`` (default: the backbone's attention projections) and leaves only
the adapters trainable. ``merge_lora`` folds ``W + (alpha / r)·B·A`` into plain weights (exports,
validation); ``adapter_weights`` gives the adapters in the key format diffusers'
``save_lora_weights`` / ``load_lora_weights`` use, with ``alpha / r`` folded into B so the file
needs no alpha.
"""

from __future__ import annotations

import contextlib

import torch

ADAPTER = "default"


def apply_lora(model: torch.nn.Module, rank: int, alpha: float, dropout: float, init: bool, targets) -> torch.nn.Module:
    """Inject LoRA adapters and freeze everything else; returns the model."""
    from peft import LoraConfig, inject_adapter_in_model

    from evaluation.core.errors import ConfigError

    leaves = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    missing = sorted(t for t in targets if not any(n == t or n.endswith(f".{t}") for n, _ in model.named_modules()))
    if missing:
        raise ConfigError(
            f"model.lora_targets: {missing} name no module of {type(model).__name__}; its linear layers are "
            f"named {sorted(leaves)[:24]}"
        )
    cfg = LoraConfig(
        r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(targets), init_lora_weights=init
    )
    if hasattr(model, "add_adapter"):  # diffusers' PeftAdapterMixin
        model.add_adapter(cfg, adapter_name=ADAPTER)
    else:
        model = inject_adapter_in_model(cfg, model, adapter_name=ADAPTER)
    for n, p in model.named_parameters():
        p.requires_grad_("lora_" in n)
    return model


def merge_lora(sd: dict[str, torch.Tensor], scaling: float) -> dict[str, torch.Tensor]:
    """peft-injected state dict → plain keys with ``W + scaling·B·A`` folded into each base weight."""
    out = {}
    for k, v in sd.items():
        if ".lora_A." in k or ".lora_B." in k:
            continue
        if ".base_layer." in k:
            prefix, _, leaf = k.partition(".base_layer.")
            if leaf == "weight":
                a, b = sd[f"{prefix}.lora_A.{ADAPTER}.weight"], sd[f"{prefix}.lora_B.{ADAPTER}.weight"]
                v = v + (b.float() @ a.float() * scaling).to(v.dtype)
            out[f"{prefix}.{leaf}"] = v
        else:
            out[k] = v
    return out


def adapter_weights(sd: dict[str, torch.Tensor], scaling: float) -> dict[str, torch.Tensor]:
    """The adapters as ``<module>.lora_A.weight`` / ``<module>.lora_B.weight`` (B scaled by ``scaling``)."""
    out = {}
    for k, v in sd.items():
        if f".lora_A.{ADAPTER}." in k:
            out[k.replace(f".lora_A.{ADAPTER}.", ".lora_A.")] = v.contiguous()
        elif f".lora_B.{ADAPTER}." in k:
            out[k.replace(f".lora_B.{ADAPTER}.", ".lora_B.")] = (v.float() * scaling).to(v.dtype).contiguous()
    return out


@contextlib.contextmanager
def adapters_off(model: torch.nn.Module):
    """The network without its LoRA adapters inside the block (GRPO's reference policy; no second copy)."""
    from peft.tuners.lora import LoraLayer

    layers = [m for m in model.modules() if isinstance(m, LoraLayer)]
    if not layers:
        raise ValueError("adapters_off: the model has no LoRA adapters")
    for m in layers:
        m.enable_adapters(False)
    try:
        yield model
    finally:
        for m in layers:
            m.enable_adapters(True)
