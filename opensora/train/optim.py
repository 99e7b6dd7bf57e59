"""Optimisation: AdamW, the learning-rate schedule, gradient clipping, the non-finite guard and the EMA.

The EMA is fp32 and sharded like the parameters (DTensors under FSDP), as Open-Sora shards its
EMA; :func:`weights_for_export` gathers it (or the working weights) into a plain state dict.
"""

from __future__ import annotations

import math

import torch

from evaluation.core.errors import ConfigError
from opensora.train.args import TrainArgs
from opensora.train.parallel import unwrap


class NonFiniteLossError(RuntimeError):
    """A loss or gradient norm became NaN/inf; the run stops before the optimizer step."""


class EMA:
    """fp32 exponential moving average of the trainable parameters, sharded like them.

    Frozen parameters (a LoRA run's base weights) are not copied: their average is themselves, and
    :func:`weights_for_export` takes them from the model.
    """

    def __init__(self, model: torch.nn.Module):
        self.tensors = {n: p.detach().clone().float() for n, p in unwrap(model).named_parameters() if p.requires_grad}

    @torch.no_grad()
    def update(self, model: torch.nn.Module, decay: float) -> None:
        """``ema ← decay·ema + (1−decay)·param`` for the trainable parameters."""
        for n, p in unwrap(model).named_parameters():
            if n in self.tensors:
                self.tensors[n].lerp_(p.detach().float(), 1.0 - decay)

    def full_state_dict(self) -> dict[str, torch.Tensor]:
        """Gathered CPU tensors (collective under FSDP: call on every rank)."""
        out = {}
        for n, t in self.tensors.items():
            full = t.full_tensor() if hasattr(t, "full_tensor") else t
            out[n] = full.detach().cpu()
        return out


def full_model_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers, gathered to CPU (collective under FSDP: call on every rank)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    sd = get_model_state_dict(unwrap(model), options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not sd:  # non-zero ranks get nothing with cpu_offload under FSDP
        return {}
    return {k: v.detach().cpu() for k, v in sd.items()}


def weights_for_export(model: torch.nn.Module, ema: EMA | None) -> dict[str, torch.Tensor]:
    """Full state dict with the EMA parameters in place of the working ones when ``ema`` is given."""
    sd = full_model_state_dict(model)
    if ema is not None:
        ema_sd = ema.full_state_dict()
        sd = {k: ema_sd.get(k, v).to(v.dtype) for k, v in sd.items()} if sd else {}
    return sd


def make_optimizer(model: torch.nn.Module, args: TrainArgs, lr: float | None = None) -> torch.optim.Optimizer:
    """AdamW (Open-Sora: HybridAdam in AdamW mode) over the trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError("the model has no trainable parameters")
    return torch.optim.AdamW(params, lr=lr or args.lr, eps=args.adam_eps, weight_decay=args.weight_decay)


def lr_at(step: int, base: float, warmup: int) -> float:
    """Open-Sora's LinearWarmupLR: ``base·(step+1)/(warmup+1)`` during warm-up, then constant."""
    return base * (step + 1) / (warmup + 1) if step < warmup else base


def check_finite(loss: torch.Tensor, per_sample: torch.Tensor, step: int, epoch: int, batch: int, ids: list) -> None:
    """Raise :class:`NonFiniteLossError` naming the step/batch (and which samples) when the loss is not finite."""
    if torch.isfinite(loss).all():
        return
    bad = [ids[i] for i, v in enumerate(per_sample.detach().float().cpu().tolist()) if not math.isfinite(v)]
    where = f"samples {bad}" if bad else f"another rank's samples (this rank had {ids})"
    raise NonFiniteLossError(
        f"non-finite loss {loss.item()} at step {step} (epoch {epoch}, batch {batch}): {where}; "
        "nothing was written for this step — resume from the last checkpoint with a lower lr or check the data"
    )


def clip_gradients(model: torch.nn.Module, max_norm: float, step: int) -> float:
    """Clip to ``max_norm`` (global norm across shards); a non-finite norm stops the run."""
    params = [p for p in model.parameters() if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"))
    norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm
    value = float(norm)
    if not math.isfinite(value):
        raise NonFiniteLossError(f"non-finite gradient norm at step {step}; the optimizer step was skipped")
    return value
