"""How the denoiser runs on the processes: FSDP2 / DDP wrapping and bf16 autocast.

``train.parallel=fsdp``: PyTorch FSDP2 ``fully_shard`` per transformer block and on the root with
``reshard_after_forward=False`` — parameters stay gathered between forward and backward while
gradients and optimizer state are sharded: the ZeRO-2 equivalent of the paper's ColossalAI
setup. ``ddp``: DistributedDataParallel. A single process trains the plain module either way.
Precision: bf16 autocast on GPU, fp32 on CPU (``train.precision``).
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

from opensora.train.args import TrainArgs
from opensora.train.distributed import Dist


def compute_dtype(args: TrainArgs, device: torch.device) -> torch.dtype:
    """bf16 where configured (``auto``: on GPU only), else fp32."""
    bf16 = args.precision == "bf16" or (args.precision == "auto" and device.type == "cuda")
    return torch.bfloat16 if bf16 else torch.float32


def autocast(args: TrainArgs, device: torch.device):
    """bf16 autocast where :func:`compute_dtype` says so."""
    if compute_dtype(args, device) == torch.bfloat16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


BLOCK_LISTS = ("spatial_blocks", "temporal_blocks", "transformer_blocks", "blocks")  # STDiT3; CogVideoX, LTX; Wan


def blocks_of(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The transformer blocks FSDP shards one by one (STDiT3's spatial/temporal blocks, the diffusers models' blocks)."""
    out = []
    for name in BLOCK_LISTS:
        out.extend(getattr(model, name, []))
    return out


def set_activation_checkpointing(model: torch.nn.Module, on: bool) -> None:
    """STDiT3's ``grad_checkpointing`` flag, or diffusers' ``enable/disable_gradient_checkpointing``."""
    if hasattr(model, "grad_checkpointing"):
        model.grad_checkpointing = on
    elif hasattr(model, "enable_gradient_checkpointing"):
        model.enable_gradient_checkpointing() if on else model.disable_gradient_checkpointing()


def wrap_model(model: torch.nn.Module, args: TrainArgs, d: Dist) -> torch.nn.Module:
    """FSDP2 / DDP as configured; the plain module in a single process."""
    model.to(d.device)
    set_activation_checkpointing(model, args.grad_checkpoint)
    if not d.distributed:
        return model
    if args.parallel == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[d.local_rank] if d.device.type == "cuda" else None)
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh(d.device.type, (d.world,))
    for blk in blocks_of(model):
        fully_shard(blk, mesh=mesh, reshard_after_forward=False)
    fully_shard(model, mesh=mesh, reshard_after_forward=False)
    return model


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module under DDP (FSDP2 modifies the module in place)."""
    return getattr(model, "module", model)
