r"""GRPO with verifiable rewards: group-relative policy optimisation on the benchmark's own metrics.

Usage::

    python -m opensora.train.grpo configs/post_training/grpo_tiny.py          # CPU, random tiny models
    python -m opensora.train.grpo configs/post_training/grpo_tiny.py --backbone wan2_2_ti2v_5b

Per step, for each training clip (its first frame and caption): ``grpo.group_size`` videos are
sampled with the stochastic sampler (:mod:`opensora.backbones.stochastic`: Flow-GRPO's SDE on the
steps ``grpo.sde_steps``, noise level ``grpo.noise_level``), by default from the same initial
noise (``grpo.same_initial_noise``: the group differs only in the SDE, as PhysRVG and DanceGRPO
fix colour drift in image-to-video), decoded, and scored without gradients by the verifiable
reward (:mod:`opensora.rewards.verifiable`: the benchmark's metrics ``verifiable.metrics`` of each
video against the simulator's masks, segmented from the ground truth's frame-0 masks, physical-unit
ones included, plus any ORO reward of the ``rewards`` list evaluated without gradient; scored on a
worker thread while the next video is sampled; a video whose reward fails takes its group's
lowest and is counted). Advantages are group-normalised
(:func:`opensora.train.objectives.group_advantages`); the loss is PPO's clipped surrogate on the
ratio of each stochastic step's log-probability under the current weights to the one it was
sampled with, plus ``grpo.kl_coef`` × the KL to the reference policy — the same network with its
LoRA adapters switched off (no second copy; ``kl_coef > 0`` needs ``model.lora_rank > 0``).
Sampling and the recomputation run with the denoiser in eval mode, so the first ratio is exactly 1.
``grpo.timestep_fraction`` trains a random fraction of each rollout's stochastic steps (Flow-GRPO).
Each rollout's recomputed steps are back-propagated at once (``backward_in_loss``): only one
rollout's graph is alive at a time, so memory does not grow with the group size.

Engine, LoRA, EMA, checkpoints, resume, validation: the same as PSFT and ORO
(:mod:`opensora.train.loop`); any backbone through ``--backbone`` / ``model.backbone``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from evaluation.core.config import exit_now
from evaluation.core.errors import ConfigError
from opensora.backbones.stochastic import sample_with_log_probs, step_log_prob, step_mean
from opensora.rewards.verifiable import VerifiableArgs, VideoScorer, reward_terms_needs
from opensora.schedulers.rf import RFlowArgs
from opensora.schedulers.sde import step_kl
from opensora.train.cli import train_main
from opensora.train.components import DataArgs
from opensora.train.loop import Frozen, Job
from opensora.train.lora import adapters_off
from opensora.train.objectives import clipped_policy_loss, group_advantages
from opensora.train.parallel import unwrap

DEFAULT_CONFIG = "configs/post_training/grpo_tiny.py"


@dataclass
class GRPOArgs:
    """The ``grpo`` config section (defaults: Flow-GRPO's released settings where they apply)."""

    group_size: int = 4  # videos per prompt
    noise_level: float = 0.7  # Flow-GRPO's a
    sde_steps: list[int] | None = None  # stochastic (and trained) steps; None = all; e.g. [0, 1]: MixGRPO-style window
    same_initial_noise: bool = True
    clip_range: float = 1e-4  # Flow-GRPO: the ratio of per-element mean log-probabilities moves little
    adv_clip: float = 5.0
    kl_coef: float = 0.0
    timestep_fraction: float = 1.0  # Flow-GRPO: train a random fraction of each rollout's stochastic steps

    def __post_init__(self):
        if self.group_size < 2:
            raise ValueError("grpo.group_size must be >= 2 (advantages are relative to the group)")
        if not self.noise_level > 0 or self.clip_range <= 0 or self.adv_clip <= 0 or self.kl_coef < 0:
            raise ValueError("grpo.noise_level, clip_range, adv_clip must be > 0 and kl_coef >= 0")
        if not 0 < self.timestep_fraction <= 1:
            raise ValueError("grpo.timestep_fraction must be in (0, 1]")


class GRPO(Job):
    """Clipped policy-gradient loss of sampled groups, rewarded by the benchmark's metrics."""

    name = "grpo"
    use_latent_cache = False
    backward_in_loss = True  # each rollout's steps are back-propagated as soon as they are recomputed

    def __init__(self, cfg):
        from evaluation.core.config import section

        self.args = section(cfg, "grpo", GRPOArgs)
        self.verifiable = section(cfg, "verifiable", VerifiableArgs)
        self.oro_rewards = list(cfg.get("rewards") or [])
        self.needs = reward_terms_needs(self.verifiable, self.oro_rewards, "grpo")
        self.lora = int(cfg.get("model", {}).get("lora_rank", 0) or 0) > 0
        if self.args.kl_coef > 0 and not self.lora:
            raise ConfigError(
                "grpo.kl_coef > 0 needs model.lora_rank > 0 (the reference is the network without adapters)"
            )

    def validate(self, data: DataArgs, sched: RFlowArgs) -> None:
        """Check the SDE window against the sampling steps."""
        n = sched.num_sampling_steps
        steps = self.args.sde_steps
        if steps is not None and (not steps or not all(0 <= i < n for i in steps)):
            raise ConfigError(f"grpo.sde_steps must name steps in [0, {n}) (scheduler.num_sampling_steps), got {steps}")

    def setup(self, frozen: Frozen, data: DataArgs, sched: RFlowArgs) -> None:
        """Keep the frozen parts and build the reward's scorer (segmenter, ORO rewards)."""
        self.validate(data, sched)
        self.frozen, self.data, self.sched = frozen, data, sched
        self.scorer = VideoScorer(self.verifiable, self.oro_rewards, frozen.backbone, data.resolution, frozen.device)

    def _rollouts(self, model, batch: dict, seed: int):
        """``group_size`` rollouts per clip (batch 1 each: a group can share its initial noise).

        Each rollout is handed to the scorer as soon as it is sampled: with ``verifiable.overlap``
        its reward is computed on a worker thread while the next one is sampled.
        """
        a, frozen, backbone = self.args, self.frozen, self.frozen.backbone
        device = frozen.device
        video = batch["video"].to(device)
        out, futures = [], []
        for b in range(video.shape[0]):
            feats = frozen.text.batch([batch["text"][b]], device)
            for g in range(a.group_size):
                start = (seed * 1009 + b * 101 + (0 if a.same_initial_noise else g + 1)) % 2**63
                out.append(
                    sample_with_log_probs(
                        backbone,
                        model,
                        video[b : b + 1, :, 0],
                        feats,
                        steps=self.sched.num_sampling_steps,
                        guidance_scale=self.sched.cfg_scale,
                        generator=torch.Generator(device=device).manual_seed(start),
                        sde_generator=torch.Generator(device=device).manual_seed((seed * 7919 + b * 131 + g) % 2**63),
                        noise_level=a.noise_level,
                        sde_steps=a.sde_steps,
                    )
                )
                futures.append(self.scorer.submit(out[-1].latents, batch, b))
        return out, futures

    def loss(self, model, batch: dict, seed: int):
        """Clipped surrogate (+ KL) over every group's stochastic steps; per-clip values for the NaN guard."""
        a, backbone = self.args, self.frozen.backbone
        net = unwrap(model)
        net.eval()  # the same function when sampling and when recomputing: the first ratio is 1
        t0 = time.perf_counter()
        rollouts, futures = self._rollouts(model, batch, seed)
        t1 = time.perf_counter()
        groups = torch.arange(len(rollouts)) // a.group_size
        rewards, failed, scored = VideoScorer.gather(futures, groups.tolist())
        t2 = time.perf_counter()
        adv = group_advantages(rewards, groups, clip=a.adv_clip).to(self.frozen.device)
        trained = self._trained_steps(rollouts, seed)
        terms = sum(len(t) for t in trained)
        if terms == 0:
            raise ConfigError("grpo: no stochastic step was sampled (grpo.sde_steps / grpo.noise_level)")
        per_clip = torch.zeros(int(groups.max()) + 1, device=self.frozen.device)
        clipped, kls = [], []
        for k, (r, steps) in enumerate(zip(rollouts, trained, strict=True)):
            rollout_loss = 0.0
            for rec in steps:
                lp = step_log_prob(backbone, model, r, rec, self.sched.cfg_scale, a.noise_level)
                loss_k, frac = clipped_policy_loss(lp, rec.log_prob, adv[k : k + 1], a.clip_range)
                if a.kl_coef > 0:
                    mean = step_mean(backbone, model, r, rec, self.sched.cfg_scale, a.noise_level)
                    with torch.no_grad(), adapters_off(net):
                        ref = step_mean(backbone, model, r, rec, self.sched.cfg_scale, a.noise_level)
                    kl = step_kl(mean, ref, rec.std).mean()
                    loss_k = loss_k + a.kl_coef * kl
                    kls.append(float(kl.detach()))
                rollout_loss = rollout_loss + loss_k / terms
                clipped.append(float(frac))
            if torch.is_tensor(rollout_loss) and rollout_loss.requires_grad:
                rollout_loss.backward()  # one rollout's graph at a time (backward_in_loss)
            per_clip[int(groups[k])] += float(
                rollout_loss.detach() if torch.is_tensor(rollout_loss) else rollout_loss
            ) * len(per_clip)
        net.train()
        logs = {
            "reward_mean": float(rewards.mean()),
            "reward_std": float(rewards.std(unbiased=False)),
            "reward_failed": failed,
            "adv_std": float(adv.std(unbiased=False)),
            "clip_fraction": float(np.mean(clipped)),
            "sample_s": t1 - t0,
            "reward_wait_s": t2 - t1,  # the reward stage's time not hidden behind sampling
            "reward_s": float(sum(x.seconds for x in scored)),
            "update_s": time.perf_counter() - t2,  # log-probabilities with gradients and their backward
            **VideoScorer.term_logs(scored),
        }
        if kls:
            logs["kl"] = float(np.mean(kls))
        return per_clip.mean(), per_clip, logs

    def _trained_steps(self, rollouts, seed: int) -> list[list]:
        """Per rollout the stochastic steps it trains: all, or a random ``grpo.timestep_fraction`` of them."""
        f = self.args.timestep_fraction
        if f >= 1.0:
            return [list(r.steps) for r in rollouts]
        gen = torch.Generator().manual_seed((seed * 613 + 17) % 2**63)
        out = []
        for r in rollouts:
            n = max(1, round(f * len(r.steps))) if r.steps else 0
            order = torch.randperm(len(r.steps), generator=gen).tolist()[:n]
            out.append([r.steps[i] for i in sorted(order)])
        return out


def main(argv=None) -> int:
    """Parse the command line and train."""
    return train_main(argv, "python -m opensora.train.grpo", __doc__, DEFAULT_CONFIG, GRPO)


if __name__ == "__main__":
    exit_now(main())  # skips the interpreter's teardown (see opensora.train.loop.fit)
