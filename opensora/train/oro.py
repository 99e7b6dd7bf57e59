r"""ORO: object reward optimisation — reward gradients through the video sampler (paper stage 2).

Usage::

    bash scripts/post_training/oro_seg.sh        # or oro_flow.sh / oro_depth.sh
    python -m opensora.train.oro configs/post_training/oro_seg.py --model.model_path=outputs/post_training/000-psft/export/ema
    python -m opensora.train.oro configs/post_training/oro_tiny.py   # CPU, random tiny models

Per step (batch of ground-truth clips): condition on frame 0 as the backbone does at inference,
sample a video with its sampler (:mod:`opensora.backbones.sampling`; Open-Sora: rectified flow,
``scheduler``: 10 steps, CFG 4 as PISA) keeping autograd on for the last ``oro.grad_steps``
denoiser calls (None = all, PISA; 1 = VADER), each wrapped in activation checkpointing; decode all
frames or ``oro.decode_frames``; bring them back to the square clip size; score with the
``rewards`` list; back-propagate into the denoiser (full fine-tuning as PISA, or LoRA adapters
with ``model.lora_rank > 0``). Any backbone: ``--model.backbone NAME`` / ``configs/post_training/<backbone>/``.
Engine, EMA, checkpoints, resume, validation: the same as PSFT (:mod:`opensora.train.loop`).

Deliberate differences from the released ``scripts/oro_*.py``:

- Pixel range: generated frames become ``(v + 1)·127.5`` clamped to [0, 255] — the same
  conversion as the ground-truth branch. The release used ``clamp(v·255 + 0.5, 0, 255)`` on the
  VAE's [-1, 1] output (the release's scripts/oro_seg.py), which zeroes every negative value and compares a
  differently scaled video against the ground truth.
- Truncated backprop (``grad_steps``), frame subsets (``decode_frames``) and LoRA (``model.lora_*``) are options; the
  PISA configs keep K = all, all frames, full fine-tuning.
- The segmentation reward prompts SAM 2 only with objects visible in frame 0 (an empty prompt
  mask is invalid for SAM 2); PISA prompted every object.
- Rewards may compare against the simulator's exact flow / depth (``target="simulator"``)
  instead of perception on the ground-truth video.
- The sampler runs with the model in train mode, as the release implies (caption dropout active
  during sampling); ``oro.sample_in_train_mode=False`` turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from evaluation.core.config import exit_now
from evaluation.core.errors import ConfigError
from opensora.backbones.sampling import sample_latents
from opensora.rewards import RewardSet, check_reward_configs, reward_needs
from opensora.schedulers.rf import RFlowArgs
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job
from opensora.train.parallel import unwrap

DEFAULT_CONFIG = "configs/post_training/oro_seg.py"


@dataclass
class OROArgs:
    """The ``oro`` config section."""

    grad_steps: int | None = None  # denoiser calls that keep a graph; None = all (PISA), 1 = VADER
    checkpoint_denoiser: bool = True  # activation checkpointing around each graph-keeping call
    decode_frames: str | list = "all"  # all | stride:K | first:K | [indices] (must include 0 for segmentation)
    sample_in_train_mode: bool = True


def select_frames(spec, num_frames: int) -> list[int]:
    """Indices of the frames to decode and score."""
    if spec == "all":
        return list(range(num_frames))
    if isinstance(spec, str) and ":" in spec:
        kind, _, k = spec.partition(":")
        k = int(k)
        if k < 1:
            raise ValueError(f"oro.decode_frames {spec!r}: K must be >= 1")
        if kind == "stride":
            return list(range(0, num_frames, k))
        if kind == "first":
            return list(range(min(k, num_frames)))
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(i, int) and 0 <= i < num_frames for i in spec):
        return sorted(set(spec))
    raise ValueError(
        f"oro.decode_frames must be 'all', 'stride:K', 'first:K' or frame indices < {num_frames}, got {spec!r}"
    )


class ORO(Job):
    """Reward loss of videos sampled with gradients."""

    name = "oro"
    use_latent_cache = False

    def __init__(self, cfg):
        from evaluation.core.config import section

        self.args = section(cfg, "oro", OROArgs)
        self.reward_configs = check_reward_configs([dict(c) for c in cfg.get("rewards") or []])
        self.needs = reward_needs(self.reward_configs)
        self.rewards = None

    def validate(self, data: DataArgs, sched: RFlowArgs) -> None:
        """Check the sampler settings and the frame subset (before any folder or model is made)."""
        n = sched.num_sampling_steps
        k = self.args.grad_steps if self.args.grad_steps is not None else n
        if not 1 <= k <= n:
            raise ConfigError(f"oro.grad_steps must be in [1, {n}] (None = all), got {self.args.grad_steps}")
        self.k = k
        try:
            self.frames = select_frames(self.args.decode_frames, data.num_frames)
        except ValueError as e:
            raise ConfigError(str(e)) from e

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep the frozen parts and load the frozen reward models (after the checks of :meth:`validate`)."""
        self.validate(data, sched)
        self.frozen, self.data, self.sched = frozen, data, sched
        self.backbone = frozen.backbone
        if not (torch.distributed.is_initialized() and torch.distributed.get_rank()):  # rank 0 says it
            print(f"oro.decode_frames={self.args.decode_frames!r}: decodes {self.backbone.frames_cost(self.frames)}")
        self.rewards = RewardSet(self.reward_configs, frozen.device)

    def generate(self, model, batch: dict, seed: int) -> torch.Tensor:
        """Decoded frames ``[B, T', 3, H, W]`` in [0, 255], with gradients through the last K steps."""
        frozen = self.frozen
        device = frozen.device
        video = batch["video"].to(device)
        gen = torch.Generator(device=device).manual_seed(seed)
        unwrap(model).train(self.args.sample_in_train_mode)
        z = sample_latents(
            self.backbone,
            model,
            video[:, :, 0],
            frozen.text.batch(batch["text"], device),
            steps=self.sched.num_sampling_steps,
            guidance_scale=self.sched.cfg_scale,
            generator=gen,
            grad_steps=self.k,
            checkpoint_model=self.args.checkpoint_denoiser,
        )
        unwrap(model).train()
        out = self.backbone.to_square(self.backbone.decode(z, frames=self.frames).float(), self.data.resolution)
        return ((out.clamp(-1, 1) + 1.0) * 127.5).permute(0, 2, 1, 3, 4)

    def loss(self, model, batch: dict, seed: int):
        """Weighted reward loss (per sample for the NaN guard) and each reward's mean."""
        pix = self.generate(model, batch, seed)
        per_sample, logs = self.rewards(pix, batch, self.frames)
        return per_sample.mean(), per_sample.detach(), logs


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.oro", __doc__, DEFAULT_CONFIG, ORO)


if __name__ == "__main__":
    exit_now(main())  # skips the interpreter's teardown (see opensora.train.loop.fit)
