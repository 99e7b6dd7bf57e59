"""Stochastic sampling with log-probabilities (GRPO) on every backbone's tiny preset."""

from __future__ import annotations

import pytest
import torch

from opensora.backbones import build_backbone
from opensora.backbones.frames import to_model_range
from opensora.backbones.sampling import sample_latents
from opensora.backbones.stochastic import sample_with_log_probs, step_log_prob
from opensora.schedulers.rf import RFlowArgs
from tests.opensora.test_backbones import DIFFUSERS, PROMPT, first_frame, tiny_args

BACKBONES = ["opensora_v1_2", *DIFFUSERS]


def setup(name):
    args = tiny_args(name)
    bb = build_backbone(args, "cpu", torch.float32, RFlowArgs())
    first = to_model_range(first_frame(args.height, args.width))[None].repeat(2, 1, 1, 1)
    feats = bb.encode_prompts([PROMPT, PROMPT])
    return bb, first, feats


def rollout(bb, first, feats, noise_level, sde_steps=None, seed=0):
    return sample_with_log_probs(
        bb, None, first, feats, steps=3, guidance_scale=3.0, generator=torch.Generator().manual_seed(0),
        sde_generator=torch.Generator().manual_seed(seed), noise_level=noise_level, sde_steps=sde_steps,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["opensora_v1_2", "ltx_video"])
def test_noise_level_zero_is_the_backbones_own_sampler(name):
    """Open-Sora's rectified flow and LTX-Video's FlowMatchEuler are Euler: the SDE without noise is exactly them."""
    bb, first, feats = setup(name)
    ref = sample_latents(
        bb, None, first, feats, steps=3, guidance_scale=3.0, generator=torch.Generator().manual_seed(0)
    )
    out = rollout(bb, first, feats, 0.0)
    assert out.steps == [] and torch.allclose(out.latents.float(), ref.float(), atol=1e-5)


@pytest.mark.parametrize("name", BACKBONES)
def test_recomputed_log_prob_equals_the_sampled_one_and_noise_explores(name):
    """The policy that sampled gives ratio 1; different SDE noise gives different videos from the same start."""
    bb, first, feats = setup(name)
    out = rollout(bb, first, feats, 0.7, sde_steps=[0, 1])
    assert [r.i for r in out.steps] == [0, 1]
    model = bb.denoiser()
    for rec in out.steps:
        assert rec.log_prob.shape == (2,) and torch.isfinite(rec.log_prob).all()
        lp = step_log_prob(bb, model, out, rec, 3.0, 0.7)
        assert torch.allclose(lp, rec.log_prob, atol=1e-4), (lp, rec.log_prob)
    other = rollout(bb, first, feats, 0.7, sde_steps=[0, 1], seed=1)
    assert not torch.allclose(other.latents.float(), out.latents.float())


@pytest.mark.parametrize("name", ["opensora_v1_2", "wan2_2_ti2v_5b"])
def test_conditions_are_kept_and_gradients_reach_the_denoiser(name):
    bb, first, feats = setup(name)
    out = rollout(bb, first, feats, 0.7, sde_steps=[1])
    model = bb.denoiser()
    model.requires_grad_(True)
    lp = step_log_prob(bb, model, out, out.steps[0], 3.0, 0.7)
    lp.sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    ref = sample_latents(
        bb, None, first, feats, steps=3, guidance_scale=3.0, generator=torch.Generator().manual_seed(0)
    )
    frame0 = (out.latents[:, :, 0] - ref[:, :, 0]).abs().max()
    assert frame0 < 1e-5  # the first latent frame is the image's, with or without noise
