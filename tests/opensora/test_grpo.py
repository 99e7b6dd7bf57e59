"""GRPO with verifiable rewards on the tiny preset: a step is finite and moves the weights; the CLI trains and logs."""

from __future__ import annotations

import json

import pytest
import torch

from evaluation.core.errors import ConfigError
from tests.conftest import run_cli
from tests.opensora.train_helpers import job_setup, simulate

CONFIG = "configs/post_training/grpo_tiny.py"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), num=4, frames=9)


def overrides(sim, cache, **extra) -> dict:
    return {
        "data.manifest": str(sim / "psft.csv"),
        "data.num_frames": 8,
        "data.resolution": 16,
        "model.text_cache_dir": str(cache / "text"),
        **extra,
    }


def setup(sim, cache, **extra):
    from opensora.train.grpo import GRPO

    job, _, model, batch, _ = job_setup(CONFIG, overrides(sim, cache, **extra), GRPO)
    return job, model, batch


def test_one_grpo_step_is_finite_and_reaches_the_weights(sim, tmp_path):
    job, model, batch = setup(sim, tmp_path, **{"grpo.group_size": 3})
    loss, per_clip, logs = job.loss(model, batch, seed=5)
    assert torch.isfinite(loss) and per_clip.shape == (1,)
    assert logs["reward_failed"] == 0 and logs["adv_std"] > 0  # the SDE noise made the group's rewards differ
    assert logs["clip_fraction"] == 0.0  # sampled and recomputed with the same weights: every ratio is 1
    assert job.backward_in_loss and not loss.requires_grad  # each rollout was back-propagated inside loss()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_kl_to_the_reference_needs_lora_and_is_zero_at_the_start(sim, tmp_path):
    with pytest.raises(ConfigError, match="lora_rank"):
        setup(sim, tmp_path, **{"grpo.kl_coef": 0.1})
    job, model, batch = setup(sim, tmp_path, **{"grpo.kl_coef": 0.1, "model.lora_rank": 4})
    loss, _, logs = job.loss(model, batch, seed=5)
    assert logs["kl"] == pytest.approx(0.0, abs=1e-12)  # LoRA B starts at zero: the policy is the reference


def test_a_physical_reward_that_fails_is_counted_and_the_step_goes_on(sim, tmp_path):
    """g_est needs the clip's camera (read as the 'geometry' need); a random model's blobs give no estimate."""
    job, model, batch = setup(sim, tmp_path, **{"verifiable.metrics": {"g_est": 1.0, "iou": 0.1}})
    assert job.needs == ("geometry", "mask") and len(batch["geometry"]) == 1
    geometry = batch["geometry"][0]
    assert geometry.scenario == "drop" and geometry.K[0, 2] < 16.5  # intrinsics brought to the 16 px training size
    loss, _, logs = job.loss(model, batch, seed=5)
    assert torch.isfinite(loss) and 0 <= logs["reward_failed"] <= job.args.group_size
    assert all(k in logs for k in ("sample_s", "reward_s", "reward_wait_s", "update_s"))


def test_oro_rewards_enter_without_gradient(sim, tmp_path):
    over = {"verifiable.metrics": {}, "rewards": [{"type": "colour_segmentation", "weight": 2.0}]}
    job, model, batch = setup(sim, tmp_path, **over)
    assert job.needs == ("mask",)
    loss, _, logs = job.loss(model, batch, seed=5)
    assert torch.isfinite(loss) and logs["reward_failed"] == 0
    assert logs["reward_mean"] == pytest.approx(-2.0 * logs["reward/colour_segmentation_mean"], rel=1e-5)
    with pytest.raises(ConfigError, match="both empty"):
        setup(sim, tmp_path, **{"verifiable.metrics": {}})


def test_per_rollout_backward_equals_one_backward_of_the_sum(sim, tmp_path):
    """backward_in_loss changes memory, not the gradient; timestep_fraction trains a subset of the steps."""
    job, model, batch = setup(sim, tmp_path, **{"grpo.group_size": 3})
    job.loss(model, batch, seed=5)
    pieces = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    backward = torch.Tensor.backward
    kept = []
    try:  # collect the pieces instead, then back-propagate their sum once
        torch.Tensor.backward = lambda self, *a, **k: kept.append(self)
        job.loss(model, batch, seed=5)
    finally:
        torch.Tensor.backward = backward
    torch.stack(kept).sum().backward()
    for n, p in model.named_parameters():
        if n in pieces:
            torch.testing.assert_close(p.grad, pieces[n], rtol=1e-5, atol=1e-7)
    assert len(kept) == 3  # one backward per rollout
    job, model, batch = setup(sim, tmp_path, **{"grpo.timestep_fraction": 0.5})
    assert [len(s) for s in job._trained_steps([type("R", (), {"steps": [1, 2]})()] * 3, seed=1)] == [1, 1, 1]


def test_sde_window_outside_the_steps_is_named(sim, tmp_path):
    with pytest.raises(ConfigError, match="grpo.sde_steps"):
        setup(sim, tmp_path, **{"grpo.sde_steps": [0, 7]})


def test_grpo_cli_trains_and_logs_rewards(sim, tmp_path, capsys):
    from opensora.train import grpo

    run = tmp_path / "run"
    argv = [CONFIG, "--run-dir", str(run), "--max-steps", "2"]
    argv += [f"--{k}={v!r}" if isinstance(v, str) else f"--{k}={v}" for k, v in overrides(sim, tmp_path).items()]
    rc, out, err = run_cli(grpo.main, argv, capsys)
    assert rc == 0, err
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in recs if "reward_mean" in r]
    assert len(steps) == 2 and all(r["reward_failed"] == 0 for r in steps)
    assert (run / "export" / "ema").is_dir()


@pytest.mark.parametrize("backbone", ["cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video"])
def test_one_grpo_step_on_every_diffusers_backbone(sim, tmp_path, backbone):
    """The same job through each backbone's stochastic sampler (configs/post_training/<backbone>/grpo_tiny.py)."""
    global CONFIG
    saved, CONFIG = CONFIG, f"configs/post_training/{backbone}/grpo_tiny.py"
    try:
        over = {"data.resolution": 32, "data.num_frames": 9, "verifiable.overlap": True}  # the worker-thread path
        job, model, batch = setup(sim, tmp_path, **over)
    finally:
        CONFIG = saved
    loss, per_clip, logs = job.loss(model, batch, seed=3)
    assert torch.isfinite(loss) and logs["clip_fraction"] == 0.0  # (back-propagated inside loss())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters() if p.requires_grad)


@pytest.mark.parametrize("stage", ["grpo", "dpo"])
def test_full_size_configs_exist_for_every_backbone(stage):
    """--backbone NAME with the Open-Sora stage config reads NAME/<stage>.py, and its job settings parse."""
    from evaluation.core.config import load_config
    from opensora.train.cli import backbone_config
    from opensora.train.dpo import DPO
    from opensora.train.grpo import GRPO

    for backbone in ("cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video"):
        path = backbone_config(f"configs/post_training/{stage}_base.py", backbone)
        assert path.endswith(f"{backbone}/{stage}.py")
        cfg = load_config(path)
        job = {"grpo": GRPO, "dpo": DPO}[stage](cfg)  # checks the sections without loading a model
        assert cfg.model.backbone == backbone and cfg.model.lora_rank > 0 and job.name == stage


def test_two_process_fsdp_grpo_run(sim, tmp_path):
    """Under FSDP2 each rank samples and scores its own groups; per-rollout backward passes stay in step."""
    from tests.opensora.train_helpers import flags, torchrun_two

    run = tmp_path / "run"
    o = {**overrides(sim, tmp_path), "train.parallel": "fsdp", "train.ckpt_every": 2, "train.batch_size": 1}
    res = torchrun_two("opensora.train.grpo", [CONFIG, "--run-dir", str(run), "--max-steps", "2", *flags(o)])
    assert res.returncode == 0, res.stderr[-8000:]
    assert sorted(p.name for p in (run / "checkpoints" / "step-0000002").glob("*.distcp")) == [
        "__0_0.distcp",
        "__1_0.distcp",
    ]
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in recs if "reward_mean" in r] == [1, 2]
