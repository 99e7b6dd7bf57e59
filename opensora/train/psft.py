r"""PSFT: supervised fine-tuning of Open-Sora v1.2 on simulated drop clips (paper stage 1).

Usage::

    bash scripts/post_training/base.sh                                  # PISA settings, 1 process
    torchrun --nproc_per_node 2 -m opensora.train.psft configs/post_training/base.py
    python -m opensora.train.psft configs/post_training/tiny.py         # CPU, random tiny models
    python -m opensora.train.psft configs/post_training/base.py --resume auto --run-dir outputs/post_training/000-psft

Loss: Open-Sora's rectified-flow velocity MSE on VAE latents (``opensora.schedulers.rf.training_losses``)
with logit-normal timesteps, the timestep transform and the ``image_head`` mask (latent frame 0
is the clean condition, left out of the loss). Engine, checkpoints, logging and validation:
:mod:`opensora.train.loop` and :mod:`opensora.train.engine`. Run folder: ``config.py``,
``env.json``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/step-XXXXXXX/``, ``val/``,
``export/ema/`` (``config.json`` + ``model.safetensors`` for ``opensora.inference --ckpt-path``).
"""

from __future__ import annotations

import sys

import torch

from evaluation.config import copy_flags, parse_cli, run_reporting_errors
from opensora.schedulers.rf import training_losses
from opensora.train.loop import Context, Job, fit
from opensora.train.masks import check_ratios, sample_masks

DEFAULT_CONFIG = "configs/post_training/base.py"


class PSFT(Job):
    """Rectified-flow loss on (cached) latents of the training clips."""

    name = "psft"

    def setup(self, ctx: Context) -> None:
        """Check the mask ratios once."""
        check_ratios(ctx.data.mask_ratios)

    def loss(self, model, batch: dict, ctx: Context, seed: int):
        """Mean velocity MSE over the batch (per-sample values for the NaN guard)."""
        device = ctx.dist.device
        gen = torch.Generator(device=device).manual_seed(seed)
        if "latent" in batch:
            x = batch["latent"].to(device)
        else:
            with torch.no_grad():
                x = ctx.vae.encode(batch["video"].to(device), generator=gen).float()
        b, _, t_lat = x.shape[:3]
        mask = sample_masks(ctx.data.mask_ratios, b, t_lat, torch.Generator().manual_seed(seed)).to(device)
        y, text_mask = ctx.text.batch([ctx.rows[i].text for i in batch["index"]], device)
        d = ctx.data
        size = {
            k: torch.full((b,), float(v), device=device)
            for k, v in (
                ("height", d.resolution),
                ("width", d.resolution),
                ("num_frames", d.num_frames),
                ("fps", d.fps),
            )
        }
        out = training_losses(model, x, dict(y=y, mask=text_mask, **size), ctx.sched, mask=mask, generator=gen)
        return out["loss"].mean(), out["loss"].detach(), {"t_mean": out["t"].float().mean()}


def add_train_flags(p) -> None:
    """Flags shared by the PSFT and ORO command lines."""
    p.add_argument("--run-dir", "--run_dir", dest="run_dir", help="run folder (default: <outputs>/<NNN>-<experiment>)")
    p.add_argument("--resume", help="'auto' (latest checkpoint of --run-dir) or a checkpoint folder")
    p.add_argument("--max-steps", "--max_steps", dest="max_steps", type=int, help="stop after this many steps")
    p.add_argument("--outputs", help="parent folder of new run folders")


def train_main(argv, prog: str, description: str, default_config: str, make_job) -> int:
    """The PSFT/ORO command line: parse, copy the shared flags into ``train``, ``fit`` with ``make_job(cfg)``."""
    flags, cfg = parse_cli(
        argv, prog=prog, description=description, default_config=default_config, add_flags=add_train_flags
    )
    copy_flags(cfg, "train", flags, ("run_dir", "resume", "max_steps", "outputs"))
    return run_reporting_errors(lambda c: fit(c, make_job(c)), cfg)


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.psft", __doc__, DEFAULT_CONFIG, lambda cfg: PSFT())


if __name__ == "__main__":
    sys.exit(main())
