r"""PSFT: supervised fine-tuning of Open-Sora v1.2 on simulated drop clips (paper stage 1).

Usage::

    bash scripts/post_training/base.sh                                  # PISA settings, 1 process
    torchrun --nproc_per_node 2 -m opensora.train.psft configs/post_training/base.py
    python -m opensora.train.psft configs/post_training/tiny.py         # CPU, random tiny models
    python -m opensora.train.psft configs/post_training/base.py --resume auto --run-dir outputs/post_training/000-psft

Loss: the backbone's own objective on its latents (``Backbone.training_loss``), conditioned on the
first frame exactly as at inference. Open-Sora v1.2: the release's rectified-flow velocity MSE
(``opensora.schedulers.rf.training_losses``) with logit-normal timesteps, the timestep transform
and the ``image_head`` mask (latent frame 0 is the clean condition, left out of the loss);
CogVideoX: v-prediction on its noise schedule; Wan and LTX-Video: flow matching with their
timestep sampling, the replaced first latent frame left out. ``--model.backbone NAME`` and
``configs/post_training/<backbone>/`` choose the model; ``model.lora_rank > 0`` trains LoRA adapters. Engine, checkpoints, logging and validation:
:mod:`opensora.train.loop` and the modules it names. Run folder: ``config.py``,
``env.json``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/step-XXXXXXX/``, ``val/``,
``export/ema/`` (``config.json`` + ``model.safetensors`` for ``opensora.inference --ckpt-path``).
"""

from __future__ import annotations

import torch

from evaluation.core.config import exit_now
from opensora.schedulers.rf import RFlowArgs
from opensora.schedulers.rf.masks import check_ratios
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job

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
        """Mean loss of the backbone's own objective over the batch (per-sample values for the NaN guard)."""
        device, backbone = self.frozen.device, self.frozen.backbone
        gen = torch.Generator(device=device).manual_seed(seed)
        if "latent" in batch:
            x, first = batch["latent"].to(device), batch["first_frame"].to(device)
        else:
            video = batch["video"].to(device)
            first = video[:, :, 0]
            with torch.no_grad():
                x = backbone.encode(video, generator=gen).float()
        mask = backbone.training_mask(self.data.mask_ratios, x, seed)
        feats = self.frozen.text.batch(batch["text"], device)
        per_sample = backbone.training_loss(model, x, feats, first, gen, mask=mask)
        return per_sample.mean(), per_sample.detach(), {}


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.psft", __doc__, DEFAULT_CONFIG, lambda cfg: PSFT())


if __name__ == "__main__":
    exit_now(main())  # skips the interpreter's teardown (see opensora.train.loop.fit)
