"""GRPO and DPO resume exactly: 2 + 2 steps through a checkpoint equal 4 straight steps (losses and weights)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.opensora.train_helpers import flags, losses, max_abs_diff, simulate


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim"), num=3, frames=9)


@pytest.mark.parametrize("stage", ["grpo", "dpo"])
def test_resume_continues_exactly(sim, tmp_path, stage):
    import importlib

    from opensora.models.checkpoint import read_training_checkpoint

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
    a, b = losses(straight), losses(split)
    assert len(a) == len(b) == 4
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for weights in ("model", "ema"):
        wa = read_training_checkpoint(straight / "checkpoints/step-0000004", weights)
        wb = read_training_checkpoint(split / "checkpoints/step-0000004", weights)
        assert max_abs_diff(wa, wb) < 1e-6
    w0 = read_training_checkpoint(straight / "checkpoints/step-0000002", "model")
    assert max_abs_diff(wa, w0) > 0  # and training moved the weights
