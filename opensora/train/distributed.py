"""Processes: join the torchrun job (NCCL on GPU, gloo on CPU) or run as one plain process; seeding per step."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    """This process's place in the job."""

    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        """Rank 0 writes logs, exports and validation outputs."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """A process group exists (torchrun)."""
        return dist.is_available() and dist.is_initialized()

    def barrier(self) -> None:
        """Wait for every rank (no-op in a single process)."""
        if self.distributed:
            dist.barrier()

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """All-reduce mean of a tensor (returns a copy)."""
        x = x.detach().clone()
        if self.distributed:
            dist.all_reduce(x)
            x /= self.world
        return x


def init_distributed(device: str = "auto") -> Dist:
    """Join the torchrun job if there is one (NCCL on GPU, gloo on CPU)."""
    cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local)
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", device_id=dev if cuda else None)
    rank = dist.get_rank() if dist.is_initialized() else 0
    return Dist(rank, world, local, dev)


def shutdown(d: Dist) -> None:
    """Leave the process group."""
    if d.distributed:
        dist.destroy_process_group()


def seed_step(seed: int, step: int, rank: int) -> int:
    """Seed torch's global RNG for this (step, rank); returns the seed for the step's generators."""
    s = (seed * 1_000_003 + step * 9_176 + rank) % (2**63)
    torch.manual_seed(s)
    return s
