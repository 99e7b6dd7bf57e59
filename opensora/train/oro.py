r"""ORO: object reward optimisation — reward gradients through the video sampler (paper stage 2).

Usage::

    bash scripts/post_training/oro_seg.sh        # or oro_flow.sh / oro_depth.sh
    python -m opensora.train.oro configs/post_training/oro_seg.py --model.model_path=outputs/post_training/000-psft/export/ema
    python -m opensora.train.oro configs/post_training/oro_tiny.py   # CPU, random tiny models

Per step (batch of ground-truth clips): encode frame 0 as the condition, sample a video with the
rectified-flow sampler (``scheduler``: 10 steps, CFG 4 as PISA) keeping autograd on for the last
``oro.grad_steps`` denoiser calls (None = all, PISA; 1 = VADER), each wrapped in activation
checkpointing; decode all frames or ``oro.decode_frames``; score with the ``rewards`` list; back-
propagate into STDiT3 (full fine-tuning as PISA, or LoRA adapters with ``oro.lora_rank > 0``).
Engine, EMA, checkpoints, resume, validation: the same as PSFT (:mod:`opensora.train.loop`).

Deliberate differences from the released ``scripts/oro_*.py``:

- Pixel range: generated frames become ``(v + 1)·127.5`` clamped to [0, 255] — the same
  conversion as the ground-truth branch. The release used ``clamp(v·255 + 0.5, 0, 255)`` on the
  VAE's [-1, 1] output (the release's scripts/oro_seg.py), which zeroes every negative value and compares a
  differently scaled video against the ground truth.
- Truncated backprop (``grad_steps``), frame subsets (``decode_frames``) and LoRA are options; the
  PISA configs keep K = all, all frames, full fine-tuning.
- The segmentation reward prompts SAM 2 only with objects visible in frame 0 (an empty prompt
  mask is invalid for SAM 2); PISA prompted every object.
- Rewards may compare against the simulator's exact flow / depth (``target="simulator"``)
  instead of perception on the ground-truth video.
- The sampler runs with the model in train mode, as the release implies (caption dropout active
  during sampling); ``oro.sample_in_train_mode=False`` turns it off.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import torch

from evaluation.errors import ConfigError
from opensora.backbones.sampling import sample_latents
from opensora.rewards import RewardSet, check_reward_configs, reward_needs
from opensora.schedulers.rf import RFlowArgs
from opensora.train.cli import train_main
from opensora.train.components import DataArgs, training_backbone
from opensora.train.loop import Frozen, Job
from opensora.train.parallel import unwrap

DEFAULT_CONFIG = "configs/post_training/oro_seg.py"


@dataclass
class OROArgs:
    """The ``oro`` config section."""

    grad_steps: int | None = None  # denoiser calls that keep a graph; None = all (PISA), 1 = VADER
    checkpoint_denoiser: bool = True  # activation checkpointing around each graph-keeping call
    decode_frames: str | list = "all"  # all | stride:K | first:K | [indices] (must include 0 for segmentation)
    lora_rank: int = 0  # 0 = full fine-tuning (PISA)
    lora_alpha: float = 8.0  # peft's default; VADER used r=16 with it
    lora_dropout: float = 0.0
    lora_init: bool = True  # peft's init (B = 0); False = both factors random (tests: gradients reach A at step 1)
    lora_targets: list = field(default_factory=lambda: ["qkv", "q_linear", "kv_linear"])
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


def merge_lora(sd: dict[str, torch.Tensor], scaling: float) -> dict[str, torch.Tensor]:
    """peft-injected state dict → plain STDiT3 keys with ``W + scaling·B·A`` folded into each base weight."""
    out = {}
    for k, v in sd.items():
        if ".lora_A." in k or ".lora_B." in k:
            continue
        if ".base_layer." in k:
            prefix, _, leaf = k.partition(".base_layer.")
            if leaf == "weight":
                a, b = sd[f"{prefix}.lora_A.default.weight"], sd[f"{prefix}.lora_B.default.weight"]
                v = v + (b.float() @ a.float() * scaling).to(v.dtype)
            out[f"{prefix}.{leaf}"] = v
        else:
            out[k] = v
    return out


class ORO(Job):
    """Reward loss of videos sampled with gradients."""

    name = "oro"
    use_latent_cache = False

    def __init__(self, cfg):
        from evaluation.config import section

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
        self.backbone = training_backbone(frozen, data, sched)
        self.rewards = RewardSet(self.reward_configs, frozen.device)

    def prepare_model(self, model):
        """Full fine-tuning (y_embedder frozen as configured) or LoRA adapters only."""
        if self.args.lora_rank <= 0:
            return model
        from peft import LoraConfig, inject_adapter_in_model

        cfg = LoraConfig(
            r=self.args.lora_rank,
            lora_alpha=self.args.lora_alpha,
            lora_dropout=self.args.lora_dropout,
            target_modules=list(self.args.lora_targets),
            init_lora_weights=self.args.lora_init,
        )
        model = inject_adapter_in_model(cfg, model)
        for n, p in model.named_parameters():
            p.requires_grad_("lora_" in n)
        return model

    def export(self, sd):
        """LoRA folded into the base weights, so inference loads a plain STDiT3."""
        if self.args.lora_rank <= 0:
            return sd
        return merge_lora(sd, self.args.lora_alpha / self.args.lora_rank)

    def generate(self, model, batch: dict, seed: int) -> torch.Tensor:
        """Decoded frames ``[B, T', 3, H, W]`` in [0, 255], with gradients through the last K steps."""
        frozen = self.frozen
        device = frozen.device
        video = batch["video"].to(device)
        y, tmask = frozen.text.batch(batch["text"], device)
        gen = torch.Generator(device=device).manual_seed(seed)
        unwrap(model).train(self.args.sample_in_train_mode)
        z = sample_latents(
            self.backbone,
            model,
            video[:, :, 0],
            {"y": y, "mask": tmask},
            steps=self.sched.num_sampling_steps,
            guidance_scale=self.sched.cfg_scale,
            generator=gen,
            grad_steps=self.k,
            checkpoint_model=self.args.checkpoint_denoiser,
        )
        unwrap(model).train()
        out = self.backbone.decode(z, frames=self.frames)
        return ((out.float().clamp(-1, 1) + 1.0) * 127.5).permute(0, 2, 1, 3, 4)

    def loss(self, model, batch: dict, seed: int):
        """Weighted reward loss (per sample for the NaN guard) and each reward's mean."""
        pix = self.generate(model, batch, seed)
        per_sample, logs = self.rewards(pix, batch, self.frames)
        return per_sample.mean(), per_sample.detach(), logs


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.oro", __doc__, DEFAULT_CONFIG, ORO)


if __name__ == "__main__":
    sys.exit(main())
