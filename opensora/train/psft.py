r"""PSFT: supervised fine-tuning of Open-Sora v1.2 on simulated drop clips (paper stage 1).

Usage::

    bash scripts/post_training/base.sh                                  # PISA settings, 1 process
    torchrun --nproc_per_node 2 -m opensora.train.psft configs/post_training/base.py
    python -m opensora.train.psft configs/post_training/tiny.py         # CPU, random tiny models
    python -m opensora.train.psft configs/post_training/base.py --resume auto --run-dir outputs/post_training/000-psft

Loss: Open-Sora's rectified-flow velocity MSE on VAE latents (``opensora.schedulers.rf.training_losses``)
with logit-normal timesteps, the timestep transform and the ``image_head`` mask (latent frame 0
is the clean condition, left out of the loss). Engine, checkpoints, logging and validation:
:mod:`opensora.train.loop` and the modules it names. Run folder: ``config.py``,
``env.json``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/step-XXXXXXX/``, ``val/``,
``export/ema/`` (``config.json`` + ``model.safetensors`` for ``opensora.inference --ckpt-path``).
"""

from __future__ import annotations

import sys

import torch

from opensora.schedulers.rf import RFlowArgs, training_losses
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job
from opensora.train.masks import check_ratios, sample_masks

DEFAULT_CONFIG = "configs/post_training/base.py"


class PSFT(Job):
    """Rectified-flow loss on (cached) latents of the training clips."""

    name = "psft"

    def validate(self, data: DataArgs, sched: RFlowArgs) -> None:
        """Check the mask ratios once."""
        check_ratios(data.mask_ratios)

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep the frozen VAE and text features, the clip size and the scheduler."""
        self.frozen, self.data, self.sched = frozen, data, sched

    def loss(self, model, batch: dict, seed: int):
        """Mean velocity MSE over the batch (per-sample values for the NaN guard)."""
        device = self.frozen.device
        gen = torch.Generator(device=device).manual_seed(seed)
        if "latent" in batch:
            x = batch["latent"].to(device)
        else:
            with torch.no_grad():
                x = self.frozen.vae.encode(batch["video"].to(device), generator=gen).float()
        b, _, t_lat = x.shape[:3]
        mask = sample_masks(self.data.mask_ratios, b, t_lat, torch.Generator().manual_seed(seed)).to(device)
        y, text_mask = self.frozen.text.batch(batch["text"], device)
        d = self.data
        size = {
            k: torch.full((b,), float(v), device=device)
            for k, v in (
                ("height", d.resolution),
                ("width", d.resolution),
                ("num_frames", d.num_frames),
                ("fps", d.fps),
            )
        }
        out = training_losses(model, x, dict(y=y, mask=text_mask, **size), self.sched, mask=mask, generator=gen)
        return out["loss"].mean(), out["loss"].detach(), {"t_mean": out["t"].float().mean()}


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.psft", __doc__, DEFAULT_CONFIG, lambda cfg: PSFT())


if __name__ == "__main__":
    sys.exit(main())
