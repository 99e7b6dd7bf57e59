"""Rectified flow (schedule, transform, loss formula) and the one sampler (CFG, grad_steps) on test fakes."""

from __future__ import annotations

import pytest
import torch

from opensora.schedulers import rf
from opensora.schedulers.rf import RFlowArgs


class FakeVelocityModel(torch.nn.Module):
    """Test fake: velocity = w * x + text signal (first feature of y); records calls."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.3))
        self.calls = []

    def forward(self, x, t, y=None, x_mask=None, **kw):
        self.calls.append(
            {"t": t.clone(), "grad": torch.is_grad_enabled(), "x_mask": None if x_mask is None else x_mask.clone()}
        )
        text = y[:, 0, 0, 0].view(-1, 1, 1, 1, 1)
        v = self.w * x + text
        return torch.cat([v, torch.zeros_like(v)], dim=1)  # 8 channels, velocity first


def test_step_sizes_sum_to_one():
    for n in (1, 10, 30):
        ts = rf.sampling_timesteps(RFlowArgs(num_sampling_steps=n), 2, "cpu")
        assert float(sum(rf.step_sizes(ts, 1000))[0]) == pytest.approx(1.0)
        assert float(ts[0][0]) == 1000 and float(ts[-1][0]) > 0


def test_timestep_transform_matches_reference_values():
    # PISA 256x256x32, 10 steps, size tensors in bf16 as Open-Sora passes them (ratio 1.1171875):
    # 1000, 909.54, 817.14, 722.74, ..., 110.43 (Open-Sora v1.2 opensora/schedulers/rf/rectified_flow.py)
    args = RFlowArgs(num_sampling_steps=10, use_timestep_transform=True)
    size = torch.tensor([256.0], dtype=torch.bfloat16)
    ts = rf.sampling_timesteps(args, 1, "cpu", size, size, torch.tensor([32.0], dtype=torch.bfloat16))
    got = [float(t[0]) for t in ts]
    assert got[:4] == pytest.approx([1000.0, 909.54, 817.14, 722.74], abs=0.011)
    assert got[-1] == pytest.approx(110.43, abs=0.011)
    # in fp32 the ratio is the exact sqrt(5)/2
    size32 = torch.tensor([256.0])
    ts32 = rf.sampling_timesteps(args, 1, "cpu", size32, size32, torch.tensor([32.0]))
    r = 5**0.5 / 2
    assert float(ts32[1][0]) == pytest.approx(1000 * r * 0.9 / (1 + (r - 1) * 0.9), rel=1e-6)
    with pytest.raises(ValueError, match="2-16 frames"):
        rf.sampling_timesteps(args, 1, "cpu", size, size, torch.tensor([8.0]))


def test_add_noise_and_loss_formula():
    x0 = torch.randn(2, 4, 3, 2, 2)
    eps = torch.randn_like(x0)
    t = torch.tensor([250.0, 1000.0])
    xt = rf.add_noise(x0, eps, t)
    torch.testing.assert_close(xt[0], 0.75 * x0[0] + 0.25 * eps[0])
    torch.testing.assert_close(xt[1], eps[1])
    model = FakeVelocityModel()
    y = torch.zeros(2, 1, 4, 8)
    out = rf.training_losses(model, x0, {"y": y}, RFlowArgs(), noise=eps, t=t)
    v = 0.3 * xt
    expect = ((v - (x0 - eps)) ** 2).mean(dim=(1, 2, 3, 4))
    torch.testing.assert_close(out["loss"], expect)
    # conditioning frame 0 stays clean and is left out of the loss
    mask = torch.tensor([[False, True, True]] * 2)
    out = rf.training_losses(model, x0, {"y": y}, RFlowArgs(), noise=eps, t=t, mask=mask)
    xt_m = torch.where(mask[:, None, :, None, None], xt, x0)
    err = (0.3 * xt_m - (x0 - eps)) ** 2
    torch.testing.assert_close(out["loss"], err[:, :, 1:].mean(dim=(1, 2, 3, 4)))
    assert model.calls[-1]["x_mask"].tolist() == mask.tolist()


def test_logit_normal_timesteps_in_range():
    t = rf.sample_training_timesteps(
        1000, RFlowArgs(sample_method="logit-normal"), "cpu", torch.Generator().manual_seed(0)
    )
    assert (t > 0).all() and (t < 1000).all() and abs(float(t.median()) - 500) < 50


class FakeEulerBackbone:
    """Test fake of the backbone interface: latents ``[B, C]``, Euler steps of ``Δτ = 1/N``, velocity from ``model``."""

    def __init__(self, model):
        self.model = model

    def to_canvas(self, x):
        return x

    def uses_guidance(self, scale):
        return scale > 1

    def start(self, first_frames, features, generator, steps, guidance=True):
        from opensora.backbones.base import Trajectory

        x = torch.randn(first_frames.shape[0], 4, generator=generator)
        return Trajectory(x=x, timesteps=[1 - i / steps for i in range(steps)], features=features, guidance=guidance)

    def model_input(self, traj, i):
        return traj.x

    def predict(self, model, traj, i, x):
        cond = model(x, traj.features["text"])
        return cond, (model(x, torch.zeros_like(traj.features["text"])) if traj.guidance else None)

    def step(self, traj, i, v):
        return traj.x + v / len(traj.timesteps)

    def finish(self, traj):
        return traj.x


class FakeLinearVelocity(torch.nn.Module):
    """Test fake: velocity = w * x + text; records whether each call keeps a graph."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.3))
        self.grad = []

    def forward(self, x, text):
        self.grad.append(torch.is_grad_enabled())
        return self.w * x + text


def _sample(model, steps, scale, **kw):
    from opensora.backbones.sampling import sample_latents

    gen = torch.Generator().manual_seed(0)
    feats = {"text": torch.ones(1, 4)}
    return sample_latents(FakeEulerBackbone(model), model, torch.zeros(1, 3, 2, 2), feats, steps=steps,
                          guidance_scale=scale, generator=gen, **kw)  # fmt: skip


def test_the_one_sampler_combines_guidance_as_uncond_plus_s_times_the_difference():
    model = FakeLinearVelocity()
    out = _sample(model, 1, 3.0)
    z0 = torch.randn(1, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, z0 + (0.3 * z0 + 3.0 * 1.0))  # uncond 0.3 z, cond - uncond = 1
    assert len(model.grad) == 2  # cond and uncond
    model = FakeLinearVelocity()
    _sample(model, 2, 1.0)
    assert len(model.grad) == 2  # s <= 1: no unconditional prediction


def test_grad_steps_control_the_graph():
    model = FakeLinearVelocity()
    out = _sample(model, 5, 1.0)
    assert not out.requires_grad and not any(model.grad)
    for k in (1, 3, 5):
        model = FakeLinearVelocity()
        out = _sample(model, 5, 1.0, grad_steps=k, checkpoint_model=(k == 3))
        assert model.grad[-k:] == [True] * k and not any(model.grad[: 5 - k])
        out.sum().backward()
        assert model.w.grad is not None and model.w.grad.abs() > 0
    with pytest.raises(ValueError):
        _sample(FakeLinearVelocity(), 2, 1.0, grad_steps=3)
