"""GRPO and DPO resume exactly: 2 + 2 steps through a checkpoint equal 4 straight steps (losses and weights)."""

from __future__ import annotations

import pytest

from tests.opensora.train_helpers import assert_resumed_run_equals_straight, flags, simulate


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), num=3, frames=9)


@pytest.mark.parametrize("stage", ["grpo", "dpo"])
def test_resume_continues_exactly(sim, tmp_path, stage):
    import importlib

    main = importlib.import_module(f"opensora.train.{stage}").main
    over = {
        "data.manifest": str(sim / "psft.csv"),
        "data.num_frames": 8,
        "data.resolution": 16,
        "model.text_cache_dir": str(tmp_path / "text"),
        "train.ckpt_every": 2,
    }

    def argv(run, steps, *extra):
        return [f"configs/post_training/{stage}_tiny.py", "--run-dir", str(run), "--max-steps", str(steps),
                *flags(over), *extra]  # fmt: skip

    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(argv(straight, 4)) == 0
    assert main(argv(split, 2)) == 0
    assert main(argv(split, 4, "--resume", "auto")) == 0
    assert_resumed_run_equals_straight(straight, split)
