r"""Ground-truth-anchored Diffusion-DPO: the simulated clip is preferred over the model's own sample.

Usage::

    python -m opensora.train.dpo configs/post_training/dpo_tiny.py          # CPU, random tiny models
    python -m opensora.train.dpo configs/post_training/dpo_tiny.py --backbone ltx_video

Per step and training clip: the **preferred** clip is the simulated ground truth; the **rejected**
one is the model's own generation from the same first frame and caption (sampled on the fly
with the backbone's sampler, no gradient). Both are scored by the backbone's own training
objective (``Backbone.training_loss``: the PSFT loss, flow matching or v-prediction) at the same
timestep and noise, under the policy and under the reference — the same network with its LoRA
adapters off (no second copy; ``model.lora_rank > 0`` is required) — and the Diffusion-DPO loss
(:func:`opensora.train.objectives.diffusion_dpo_loss`, β = ``dpo.beta``) pushes the policy to
denoise the ground truth better than its own sample, relative to the reference; ``dpo.sft_weight``
adds the preferred clip's own loss (Reg-DPO's regulariser). At the start the policy is the
reference and the loss is ln 2. ``dpo.pairs`` is ``gt_vs_sample`` (reward-ranked pairs among
generations are not built yet). Engine, EMA, checkpoints, resume: as PSFT / ORO / GRPO.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from evaluation.core.config import exit_now
from evaluation.core.errors import ConfigError
from opensora.backbones.sampling import sample_latents
from opensora.schedulers.rf import RFlowArgs
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job
from opensora.train.lora import adapters_off
from opensora.train.objectives import diffusion_dpo_loss
from opensora.train.parallel import unwrap

DEFAULT_CONFIG = "configs/post_training/dpo_tiny.py"
PAIRS = ("gt_vs_sample",)


@dataclass
class DPOArgs:
    """The ``dpo`` config section."""

    beta: float = 500.0  # Diffusion-DPO's β (its SD 1.5 runs: 2000–5000 on ε-losses summed per image)
    sft_weight: float = 0.0  # Reg-DPO: + weight × the preferred clip's own loss
    pairs: str = "gt_vs_sample"

    def __post_init__(self):
        if self.pairs not in PAIRS:
            raise ValueError(f"dpo.pairs must be one of {PAIRS}, got {self.pairs!r}")
        if not self.beta > 0 or self.sft_weight < 0:
            raise ValueError("dpo.beta must be > 0 and dpo.sft_weight >= 0")


class DPO(Job):
    """Diffusion-DPO loss of (ground truth, own sample) pairs against the adapters-off reference."""

    name = "dpo"
    use_latent_cache = False

    def __init__(self, cfg):
        from evaluation.core.config import section

        self.args = section(cfg, "dpo", DPOArgs)
        if int(cfg.get("model", {}).get("lora_rank", 0) or 0) <= 0:
            raise ConfigError("dpo needs model.lora_rank > 0: the reference is the network with its adapters off")

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep the frozen parts and the sampler settings of the rejected clips."""
        self.frozen, self.data, self.sched = frozen, data, sched

    def _errors(self, model, x0, feats, first, seed: int, mask) -> torch.Tensor:
        gen = torch.Generator(device=self.frozen.device).manual_seed(seed)  # the same timestep and noise
        return self.frozen.backbone.training_loss(model, x0, feats, first, gen, mask=mask)

    def loss(self, model, batch: dict, seed: int):
        """Mean DPO loss over the batch (per-clip values for the NaN guard) and the reward margin."""
        backbone, device = self.frozen.backbone, self.frozen.device
        video = batch["video"].to(device)
        first = video[:, :, 0]
        feats = self.frozen.text.batch(batch["text"], device)
        net = unwrap(model)
        with torch.no_grad():
            x_w = backbone.encode(video, generator=torch.Generator(device=device).manual_seed(seed)).float()
            was_training = net.training
            net.eval()
            x_l = sample_latents(
                backbone,
                model,
                first,
                feats,
                steps=self.sched.num_sampling_steps,
                guidance_scale=self.sched.cfg_scale,
                generator=torch.Generator(device=device).manual_seed(seed + 1),
            ).float()
            net.train(was_training)
        mask = backbone.training_mask(self.data.mask_ratios, x_w, seed)
        s = (seed * 31 + 7) % 2**63
        err_w = self._errors(model, x_w, feats, first, s, mask)
        err_l = self._errors(model, x_l, feats, first, s, mask)
        with torch.no_grad(), adapters_off(net):
            ref_w = self._errors(model, x_w, feats, first, s, mask)
            ref_l = self._errors(model, x_l, feats, first, s, mask)
        per_clip = diffusion_dpo_loss(err_w, err_l, ref_w, ref_l, self.args.beta)
        if self.args.sft_weight:
            per_clip = per_clip + self.args.sft_weight * err_w
        margin = ((ref_w - err_w) - (ref_l - err_l)).detach()  # > 0: the ground truth gained on the sample
        logs = {
            "dpo_margin": float(margin.mean()),
            "err_preferred": float(err_w.detach().mean()),
            "err_rejected": float(err_l.detach().mean()),
        }
        return per_clip.mean(), per_clip.detach(), logs


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.dpo", __doc__, DEFAULT_CONFIG, DPO)


if __name__ == "__main__":
    exit_now(main())  # skips the interpreter's teardown (see opensora.train.loop.fit)
