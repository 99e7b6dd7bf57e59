"""The miniature experiment (benchmarks/pisa_miniature.py) end to end at a toy size, so it cannot rot."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("pybullet")

ROOT = Path(__file__).resolve().parents[1]


def test_every_stage_runs_resumes_and_reports(tmp_path):
    spec = importlib.util.spec_from_file_location("pisa_miniature", ROOT / "benchmarks" / "pisa_miniature.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "mini"
    argv = ["--out", str(out), "--pretrain-clips", "2", "--psft-clips", "2", "--heldout-clips", "2"]
    argv += ["--pretrain-steps", "1", "--psft-steps", "1", "--oro-steps", "1", "--workers", "1"]
    argv += ["--grpo-steps", "1", "--dpo-steps", "1", "--seeds", "3"]
    argv += ["--train.batch_size=2", "--validation.num_sampling_steps=2", "--scheduler.num_sampling_steps=3"]
    argv += ["--validation.bootstrap_samples=10"]
    assert mod.main(argv) == 0
    res = json.loads((out / "results.json").read_text())
    assert list(res["rows"]) == [
        "frozen first frame",
        "pretrained (gravity x0.25)",
        "PSFT",
        "ORO (colour segmentation), seed 3",
        "GRPO (L2 + IoU + accel), seed 3",
        "DPO (ground truth vs own sample), seed 3",
        "GRPO (g_est only), seed 3",
        "ground truth (ceiling)",
    ]
    grpo_log = [json.loads(x) for x in (out / "grpo_physical-seed3" / "metrics.jsonl").read_text().splitlines()]
    assert any("reward_failed" in r for r in grpo_log)  # the physical reward ran (failures are counted, not NaN)
    assert res["rows"]["ground truth (ceiling)"]["metrics"]["iou"]["mean"] > 0.95  # the segmenter's ceiling
    info = json.loads(next((out / "sim" / "pretrain" / "samples").iterdir()).joinpath("clip_info.json").read_text())
    assert info["gravity"][2] == pytest.approx(-9.81 * 0.25)
    assert (out / "pisa_miniature.png").stat().st_size > 1000 and "| PSFT |" in (out / "results.md").read_text()
    stamp = (out / "dpo-seed3" / "miniature-done.json").stat().st_mtime
    assert mod.main(argv) == 0  # a rerun finds every stage complete and only rewrites the report
    assert (out / "dpo-seed3" / "miniature-done.json").stat().st_mtime == stamp


def test_switching_off_the_step0_validation_is_refused_before_any_work(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("pisa_miniature", ROOT / "benchmarks" / "pisa_miniature.py")
    pisa_miniature = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pisa_miniature)
    with pytest.raises(SystemExit) as e:
        pisa_miniature.main(["--out", str(tmp_path / "m"), "--validation.at_start=False"])
    assert e.value.code == 2 and "step-0 validation" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
