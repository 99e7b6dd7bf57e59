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
        setup(sim, tmp_path, "configs/post_training/dpo_tiny.py", **{"dpo.pairs": "reward_ranked"})


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
