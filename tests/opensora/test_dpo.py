"""Ground-truth-anchored Diffusion-DPO on the tiny presets: ln 2 at the start, gradients, the CLI."""

from __future__ import annotations

import json
import math

import pytest

from evaluation.core.errors import ConfigError
from tests.conftest import run_cli
from tests.opensora.train_helpers import job_setup, simulate


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), num=3, frames=9)


def setup(sim, cache, config, **extra):
    from opensora.train.dpo import DPO

    over = {"data.manifest": str(sim / "psft.csv"), "model.text_cache_dir": str(cache / "text"), **extra}
    job, _, model, batch, _ = job_setup(config, over, DPO)
    return job, model, batch


@pytest.mark.parametrize(
    "config",
    [
        "configs/post_training/dpo_tiny.py",
        *(f"configs/post_training/{b}/dpo_tiny.py" for b in
          ("cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video")),
    ],
)  # fmt: skip
def test_dpo_starts_at_ln2_and_reaches_the_adapters(sim, tmp_path, config):
    extra = {"data.num_frames": 9, "data.resolution": 32} if "/" in config.removeprefix("configs/post_training/") else {
        "data.num_frames": 8, "data.resolution": 16}  # fmt: skip
    job, model, batch = setup(sim, tmp_path, config, **extra)
    loss, per_clip, logs = job.loss(model, batch, seed=11)
    assert float(loss) == pytest.approx(math.log(2), abs=1e-6)  # LoRA B = 0: the policy is the reference
    assert logs["dpo_margin"] == pytest.approx(0.0, abs=1e-9)
    loss.backward()
    lora = [p for n, p in model.named_parameters() if "lora_" in n]
    assert lora and any(p.grad is not None and p.grad.abs().sum() > 0 for p in lora)


def test_dpo_needs_lora_and_a_known_pairing(sim, tmp_path):
    with pytest.raises(ConfigError, match="lora_rank"):
        setup(sim, tmp_path, "configs/post_training/dpo_tiny.py", **{"model.lora_rank": 0})
    with pytest.raises(ConfigError, match="dpo.pairs"):
        setup(sim, tmp_path, "configs/post_training/dpo_tiny.py", **{"dpo.pairs": "best_vs_gt"})
    with pytest.raises(ConfigError, match="both empty"):
        setup(
            sim,
            tmp_path,
            "configs/post_training/dpo_tiny.py",
            **{"dpo.pairs": "reward_ranked", "verifiable.metrics": {}},
        )


class FakeScorer:
    """A test fake of VideoScorer: the n-th submitted video gets ``rewards[n]`` (None = failed)."""

    def __init__(self, rewards):
        from opensora.rewards.verifiable import Scored

        self.rewards, self.seen, self.scored = list(rewards), [], Scored

    def submit(self, latents, batch, b):
        from concurrent.futures import Future

        f = Future()
        f.set_result(self.scored(self.rewards[len(self.seen)], None, {"iou": 0.5}, 0.0))
        self.seen.append(latents.clone())
        return f


def test_reward_ranked_pairs_prefer_the_best_candidate_and_weight_ties_zero(sim, tmp_path):
    over = {"data.num_frames": 8, "data.resolution": 16, "dpo.pairs": "reward_ranked", "dpo.candidates": 3}
    job, model, batch = setup(sim, tmp_path, "configs/post_training/dpo_tiny.py", **over)
    assert job.needs == ("mask",)  # the default verifiable metrics (IoU, centroid error) read masks only
    job.scorer = FakeScorer([0.2, None, 0.9])  # the failed candidate takes the group's lowest (0.2)
    first = batch["video"][:, :, 0]
    x_w, x_l, keep, logs = job._ranked_pairs(model, batch, first, seed=3)
    assert (x_w == job.scorer.seen[2]).all() and (x_l == job.scorer.seen[0]).all()
    assert keep.tolist() == [1.0] and logs["reward_failed"] == 1 and logs["reward_gap"] == pytest.approx(0.7)
    assert not (job.scorer.seen[0] == job.scorer.seen[1]).all()  # the candidates differ
    job.scorer = FakeScorer([0.5, 0.5, 0.5])
    loss, _, logs = job.loss(model, batch, seed=3)
    assert logs["dpo_ties"] == 1 and float(loss) == 0.0  # a tie prefers nothing


def test_reward_ranked_dpo_step_with_the_real_scorer(sim, tmp_path):
    over = {"data.num_frames": 8, "data.resolution": 16, "dpo.pairs": "reward_ranked", "dpo.candidates": 2}
    job, model, batch = setup(sim, tmp_path, "configs/post_training/dpo_tiny.py", **over)
    loss, _, logs = job.loss(model, batch, seed=4)
    assert logs["reward_failed"] + logs["dpo_ties"] <= 2 and "reward/iou_mean" in logs
    assert float(loss) == pytest.approx(math.log(2) * (1 - logs["dpo_ties"]), abs=1e-6)


def test_dpo_cli_trains_and_logs_the_margin(sim, tmp_path, capsys):
    from opensora.train import dpo

    run = tmp_path / "run"
    argv = ["configs/post_training/dpo_tiny.py", "--run-dir", str(run), "--max-steps", "2"]
    argv += [f"--data.manifest={str(sim / 'psft.csv')!r}", f"--model.text_cache_dir={str(tmp_path / 't')!r}"]
    argv += ["--data.num_frames=8", "--data.resolution=16"]
    rc, out, err = run_cli(dpo.main, argv, capsys)
    assert rc == 0, err
    recs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len([r for r in recs if "dpo_margin" in r]) == 2 and (run / "export" / "ema").is_dir()
