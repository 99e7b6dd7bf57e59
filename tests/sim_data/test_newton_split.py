"""The Newtonian split at tiny size: generated, scored against itself (every error 0), scored with --split newton."""

from __future__ import annotations

import json

import pytest

from evaluation import run as eval_run
from evaluation.physical import SCENARIOS
from opensora import score_model
from sim_data import newton
from tests.conftest import run_cli

TINY_SAM2 = "tiny:sam2?image_size=32"


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    root = tmp_path_factory.mktemp("newton")
    argv = ["--output-dir", str(root), "--num-samples", "1", "--renderer", "preview", "--sim.resolution=96"]
    argv += ["--sim.num_frames=24"]
    assert newton.main(argv) == 0
    return root


def test_split_layout_manifests_and_clip_info(split):
    gt = split / "newton_96"
    for s in SCENARIOS:
        for half in ("seen", "unseen"):
            assert (split / f"newton_{s}_{half}.jsonl").is_file()
            (sample,) = sorted((gt / s / half / "samples").iterdir())
            info = json.loads((sample / "clip_info.json").read_text())
            assert info["scenario"] == s and info["split"] == half
            main = info["objects"][-1]
            assert len(main["linear_velocities"]) == 24 and len(main["angular_velocities"]) == 24
            assert isinstance(main["contacts"], list)
            if s != "drop":
                assert info["motion_plane"]["normal"] == [1.0, 0.0, 0.0] and info["constants"]
    pend = json.loads(next((gt / "pendulum" / "seen" / "samples").iterdir()).joinpath("clip_info.json").read_text())
    assert pend["pendulum"]["pivot"] == pend["constants"]["pivot"] and pend["fixtures"]


def test_ground_truth_scored_against_itself_gives_every_error_zero(split, tmp_path, capsys):
    gt = split / "newton_96"
    argv = ["configs/eval/sim.py", "--gt-root", str(gt), "--pred-root", str(gt), "--output_dir", str(tmp_path / "e")]
    argv += ["--split", "newton"]
    rc, out, err = run_cli(eval_run.main, argv, capsys)
    assert rc == 0, err
    summary = json.loads((tmp_path / "e" / "summary.json").read_text())
    physical = ["g_est", "mu_est", "e_est", "momentum_ratio", "rolling_accel_ratio"]
    for name in physical:
        m = summary["metrics"][name]
        assert m["n"] + m["failed"] >= 2 and (m["n"] == 0 or m["mean"] == 0.0), (name, m)
    assert set(summary["physics"]) == set(SCENARIOS)
    report = (tmp_path / "e" / "report.md").read_text()
    assert "## Physical constants by scenario" in report and "| bounce | e |" in report
    from evaluation.compare import build

    page = build([str(tmp_path / "e")], tmp_path / "page", videos=2)
    assert (
        "Physical constants by scenario" in page.read_text() and "<td>pendulum</td><td>period</td>" in page.read_text()
    )


def test_score_with_split_newton(split, tmp_path, capsys):
    gt = split / "newton_96"
    run = tmp_path / "run"
    argv = ["--pred-root", str(gt / "bounce"), "--split", "newton_bounce", "--benchmark-dir", str(gt / "bounce")]
    argv += ["--run-dir", str(run), "--sam2", TINY_SAM2, "--device", "cpu"]
    rc, out, err = run_cli(score_model.main, argv, capsys)
    assert rc == 0, err
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert summary["split"] == "newton_bounce" and summary["counts"]["evaluated"] == 2
    assert "bounce" in summary["physics"] and "e_est" in summary["metrics"]
