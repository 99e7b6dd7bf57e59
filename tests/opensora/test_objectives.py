"""GRPO / Diffusion-DPO math against closed forms (opensora/schedulers/sde.py, opensora/train/objectives.py)."""

from __future__ import annotations

import math

import pytest
import torch

from opensora.schedulers.sde import ddpm_posterior_step, flow_sde_step, gaussian_log_prob, step_kl
from opensora.train.objectives import clipped_policy_loss, diffusion_dpo_loss, group_advantages


def test_noise_level_zero_is_the_euler_step():
    x, v = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    nxt, mean, std = flow_sde_step(x, v, 0.8, 0.6, 0.0, noise=torch.randn(2, 3, 4))
    assert std == 0 and torch.equal(nxt, mean)
    assert torch.allclose(nxt, x + v * (0.6 - 0.8))


def test_log_prob_is_the_gaussian_density_of_the_drawn_step():
    g = torch.Generator().manual_seed(0)
    x, v, eps = (torch.randn(3, 2, 5, generator=g) for _ in range(3))
    nxt, mean, std = flow_sde_step(x, v, 0.7, 0.5, 0.7, noise=eps)
    expected = torch.distributions.Normal(mean, std).log_prob(nxt).flatten(1).mean(1)
    assert torch.allclose(gaussian_log_prob(nxt, mean, std), expected, atol=1e-6)
    assert std == pytest.approx(0.7 * math.sqrt(0.7 / 0.3) * math.sqrt(0.2))


def test_flow_sde_keeps_the_marginals_of_the_flow():
    """Data N(0, s²): x_σ = (1 − σ) x₀ + σ ε has variance (1 − σ)² s² + σ², and the exact velocity is linear in x."""
    s2 = 0.25
    n, steps = 200_000, 400
    sigmas = torch.linspace(1.0, 0.02, steps + 1)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 1, generator=g)
    for i in range(steps):
        sig, nxt = float(sigmas[i]), float(sigmas[i + 1])
        var = (1 - sig) ** 2 * s2 + sig**2
        v = x * (sig - (1 - sig) * s2) / var  # E[ε − x₀ | x_σ]
        x, _, _ = flow_sde_step(x, v, sig, nxt, 0.7, noise=torch.randn(n, 1, generator=g), sigma_max=float(sigmas[1]))
    target = (1 - 0.02) ** 2 * s2 + 0.02**2
    assert float(x.var()) == pytest.approx(target, rel=0.03)


def test_ddpm_posterior_matches_its_closed_form():
    a_t, a_prev = 0.5, 0.8
    x_t, x0 = torch.randn(2, 4), torch.randn(2, 4)
    _, mean, std = ddpm_posterior_step(x_t, x0, a_t, a_prev)
    alpha = a_t / a_prev
    beta = 1 - alpha
    exp_mean = (math.sqrt(a_prev) * beta * x0 + math.sqrt(alpha) * (1 - a_prev) * x_t) / (1 - a_t)
    assert torch.allclose(mean, exp_mean) and std == pytest.approx(math.sqrt((1 - a_prev) * beta / (1 - a_t)))


def test_policy_equal_to_reference_gives_ratio_one_and_kl_zero():
    lp = torch.randn(6)
    adv = torch.randn(6)
    loss, frac = clipped_policy_loss(lp, lp.clone(), adv, 0.2)
    assert loss == pytest.approx(float(-adv.mean())) and float(frac) == 0.0
    mean = torch.randn(6, 3)
    assert torch.equal(step_kl(mean, mean.clone(), 0.3), torch.zeros(6))


def test_clipping_stops_the_gain_past_the_range():
    adv = torch.tensor([1.0])
    loss, frac = clipped_policy_loss(torch.tensor([math.log(2.0)]), torch.tensor([0.0]), adv, 0.2)
    assert loss == pytest.approx(-1.2) and float(frac) == 1.0  # ratio 2, clipped at 1.2


def test_dpo_loss_is_ln2_when_both_sides_are_the_reference():
    e = torch.rand(4)
    assert torch.allclose(diffusion_dpo_loss(e, e + 1, e, e + 1, beta=500.0), torch.full((4,), math.log(2)))
    better = diffusion_dpo_loss(e - 0.1, e + 1, e, e + 1, beta=50.0)  # the policy denoises the preferred clip better
    assert (better < math.log(2)).all()


def test_group_advantages_are_normalised_per_group():
    r = torch.tensor([1.0, 2.0, 3.0, 5.0, 5.0, 5.0])
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    adv = group_advantages(r, groups)
    assert adv[:3].mean().abs() < 1e-6 and adv[:3].std(unbiased=False) == pytest.approx(1.0, rel=1e-3)
    assert torch.equal(adv[3:], torch.zeros(3))  # equal rewards carry no preference
    assert group_advantages(torch.tensor([0.0, 1000.0]), torch.tensor([0, 0]), clip=0.5).abs().max() == 0.5
