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
reference and the loss is ln 2.

``dpo.pairs = reward_ranked`` (DenseDPO / PhyGDPO style, no ground-truth video in the pair):
``dpo.candidates`` videos are sampled per clip and scored by the verifiable reward (the
``verifiable`` section and the ``rewards`` list, as GRPO: :class:`opensora.rewards.verifiable.VideoScorer`);
the best is preferred, the worst rejected. A clip whose candidates all score the same (or all
fail) carries no preference: its loss is weighted 0 and it is counted (``dpo_ties``).
``dpo.timesteps`` restricts the training timestep to a range of the backbone's schedule.
Engine, EMA, checkpoints, resume: as PSFT / ORO / GRPO.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from evaluation.core.config import exit_now
from evaluation.core.errors import ConfigError
from opensora.backbones.sampling import sample_latents
from opensora.rewards.verifiable import VerifiableArgs, VideoScorer, reward_terms_needs
from opensora.schedulers.rf import RFlowArgs
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job
from opensora.train.lora import adapters_off
from opensora.train.objectives import diffusion_dpo_loss
from opensora.train.parallel import unwrap

DEFAULT_CONFIG = "configs/post_training/dpo_tiny.py"
PAIRS = ("gt_vs_sample", "reward_ranked")


@dataclass
class DPOArgs:
    """The ``dpo`` config section."""

    beta: float = 500.0  # Diffusion-DPO's β (its SD 1.5 runs: 2000–5000 on ε-losses summed per image)
    sft_weight: float = 0.0  # Reg-DPO: + weight × the preferred clip's own loss
    pairs: str = "gt_vs_sample"  # gt_vs_sample | reward_ranked
    candidates: int = 4  # reward_ranked: videos sampled per clip, the best and the worst make the pair

    def __post_init__(self):
        if self.pairs not in PAIRS:
            raise ValueError(f"dpo.pairs must be one of {PAIRS}, got {self.pairs!r}")
        if not self.beta > 0 or self.sft_weight < 0:
            raise ValueError("dpo.beta must be > 0 and dpo.sft_weight >= 0")
        if self.candidates < 2:
            raise ValueError("dpo.candidates must be >= 2 (the best and the worst of them make a pair)")


class DPO(Job):
    """Diffusion-DPO loss of (ground truth, own sample) pairs against the adapters-off reference."""

    name = "dpo"
    use_latent_cache = False

    def __init__(self, cfg):
        from evaluation.core.config import section

        self.args = section(cfg, "dpo", DPOArgs)
        self.ranked = self.args.pairs == "reward_ranked"
        if self.ranked:
            self.verifiable = section(cfg, "verifiable", VerifiableArgs)
            self.oro_rewards = list(cfg.get("rewards") or [])
            self.needs = reward_terms_needs(self.verifiable, self.oro_rewards, "dpo (pairs = reward_ranked)")
        if int(cfg.get("model", {}).get("lora_rank", 0) or 0) <= 0:
            raise ConfigError("dpo needs model.lora_rank > 0: the reference is the network with its adapters off")

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep the frozen parts and the sampler settings of the sampled clips (and the reward's scorer)."""
        self.frozen, self.data, self.sched = frozen, data, sched
        if self.ranked:
            self.scorer = VideoScorer(
                self.verifiable, self.oro_rewards, frozen.backbone, data.resolution, frozen.device
            )

    def _sample(self, model, first, feats, seed: int) -> torch.Tensor:
        return sample_latents(
            self.frozen.backbone,
            model,
            first,
            feats,
            steps=self.sched.num_sampling_steps,
            guidance_scale=self.sched.cfg_scale,
            generator=torch.Generator(device=self.frozen.device).manual_seed(seed % 2**63),
        ).float()

    def _ranked_pairs(self, model, batch: dict, first, seed: int):
        """Per clip the best and the worst of ``dpo.candidates`` samples by the verifiable reward."""
        k = self.args.candidates
        futures, groups, cands = [], [], []
        for b in range(first.shape[0]):
            for c in range(k):
                feats = self.frozen.text.batch([batch["text"][b]], self.frozen.device)
                x = self._sample(model, first[b : b + 1], feats, seed * 4099 + b * 97 + c + 1)
                cands.append(x)
                futures.append(self.scorer.submit(x, batch, b))
                groups.append(b)
        rewards, failed, scored = VideoScorer.gather(futures, groups)
        per_clip = rewards.view(-1, k)
        best, worst = per_clip.argmax(1), per_clip.argmin(1)
        gap = per_clip.max(1).values - per_clip.min(1).values
        x_w = torch.cat([cands[b * k + int(i)] for b, i in enumerate(best)])
        x_l = torch.cat([cands[b * k + int(i)] for b, i in enumerate(worst)])
        logs = {
            "dpo_ties": int((gap == 0).sum()),
            "reward_failed": failed,
            "reward_mean": float(rewards.mean()),
            "reward_gap": float(gap.mean()),
            **VideoScorer.term_logs(scored),
        }
        return x_w, x_l, (gap > 0).float(), logs

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
        logs, keep = {}, None
        with torch.no_grad():
            was_training = net.training
            net.eval()
            if self.ranked:
                x_w, x_l, keep, logs = self._ranked_pairs(model, batch, first, seed)
                keep = keep.to(device)
            else:
                x_w = backbone.encode(video, generator=torch.Generator(device=device).manual_seed(seed)).float()
                x_l = self._sample(model, first, feats, seed + 1)
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
        if keep is not None:  # a tied pair prefers nothing
            per_clip = per_clip * keep
        margin = ((ref_w - err_w) - (ref_l - err_l)).detach()  # > 0: the preferred clip gained on the rejected
        logs |= {
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
