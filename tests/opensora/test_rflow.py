"""Rectified flow: schedule, transform, loss formula, CFG, mask strategy, grad_steps."""

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


def test_cfg_combination_and_mask_strategy_keep_reference():
    model = FakeVelocityModel()
    args = RFlowArgs(num_sampling_steps=4, cfg_scale=3.0)
    z = torch.randn(1, 4, 3, 2, 2)
    ref = torch.full((1, 4, 1, 2, 2), 7.0)
    z[:, :, :1] = ref
    y, y_null = torch.full((1, 1, 4, 8), 1.0), torch.zeros(1, 1, 4, 8)
    out = rf.sample(
        model,
        z.clone(),
        y,
        y_null,
        args,
        cond_mask=rf.i2v_mask(1, 3, "cpu"),
        generator=torch.Generator().manual_seed(0),
    )
    torch.testing.assert_close(out[:, :, :1], ref)  # the conditioning latent is kept exactly
    assert all(c["x_mask"][:, 0].eq(False).all() and c["x_mask"][:, 1:].all() for c in model.calls)
    # without a mask: v = u + s (c - u) with c - u = text signal 1 → z_final = exact ODE of dz/dτ... check one step
    model2 = FakeVelocityModel()
    one = RFlowArgs(num_sampling_steps=1, cfg_scale=3.0)
    z0 = torch.randn(1, 4, 2, 2, 2)
    out = rf.sample(model2, z0.clone(), y, y_null, one)
    torch.testing.assert_close(out, z0 + (0.3 * z0 + 3.0 * 1.0) * 1.0)


def test_grad_steps_control_the_graph():
    z = torch.randn(1, 4, 2, 2, 2)
    y, y_null = torch.ones(1, 1, 4, 8), torch.zeros(1, 1, 4, 8)
    model = FakeVelocityModel()
    out = rf.sample(model, z, y, y_null, RFlowArgs(num_sampling_steps=5))
    assert not out.requires_grad and not any(c["grad"] for c in model.calls)
    for k in (1, 3, 5):
        model = FakeVelocityModel()
        out = rf.sample(model, z, y, y_null, RFlowArgs(num_sampling_steps=5), grad_steps=k, checkpoint_model=(k == 3))
        assert [c["grad"] for c in model.calls][-k:] == [True] * k
        assert not any(c["grad"] for c in model.calls[: 5 - k])
        out.sum().backward()
        assert model.w.grad is not None and model.w.grad.abs() > 0
    with pytest.raises(ValueError):
        rf.sample(FakeVelocityModel(), z, y, y_null, RFlowArgs(num_sampling_steps=2), grad_steps=3)
