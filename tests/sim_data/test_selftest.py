"""The main job on a tiny simulated split: the ordering check passes and the report is written."""

from __future__ import annotations

import json

import numpy as np

from sim_data import selftest
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate
from sim_data.scene import SimArgs, sample_scene


def test_sim_selftest_tiny(tmp_path):
    out = tmp_path / "st"
    argv = [
        "configs/sim/selftest.py",
        f"--selftest.out_dir={out}",
        "--selftest.num_clips=2",
        "--sim.resolution=96",
        "--sim.num_frames=24",
        "--sim.num_dropped=(1, 1)",
        "--render.movie=False",
        "--eval.bootstrap_samples=20",
        "--figures.enabled=False",
    ]
    assert selftest.main(argv) == 0
    assert "PASS" in (out / "report.md").read_text()
    s = json.loads((out / "eval" / "gravity_x0.5" / "summary.json").read_text())
    assert abs(s["metrics"]["accel_ratio"]["mean"] - 0.5) < 0.05  # perspective keeps the ratio
    clip = out / "benchmark" / "gt" / "clip_0000" / "clip_info.json"
    stamp = clip.stat().st_mtime_ns
    assert selftest.main(argv) == 0 and clip.stat().st_mtime_ns == stamp  # the same settings: kept
    assert selftest.main([*argv, "--sim.num_frames=20"]) == 0  # other settings: made again, not reused
    assert json.loads(clip.read_text())["num_frames"] == 20


def test_perturbations():
    lib = AssetLibrary(["procedural"])
    args = SimArgs(resolution=32, num_frames=24, num_dropped=(1, 1), tower_size=(0, 0))
    scene = sample_scene(args, np.random.default_rng(0), lib, 0)
    traj = simulate(scene, lib)
    frozen = selftest.perturb("frozen", scene, traj, lib)
    assert (frozen.positions == traj.positions[0]).all()
    cv = selftest.perturb("constant_velocity", scene, traj, lib)
    c = traj.first_contact_frame[-1]
    np.testing.assert_allclose(np.diff(cv.positions[:c, -1, 2], 2), 0, atol=1e-12)  # constant velocity
    np.testing.assert_allclose(cv.positions[c:], traj.positions[c:])
    gone = selftest.perturb("vanish", scene, traj, lib)
    assert (gone.positions[12:, -1, 2] == selftest.HIDDEN_Z_M).all()
    slow = selftest.perturb("gravity_x0.5", scene, traj, lib)
    assert slow.positions[3, -1, 2] > traj.positions[3, -1, 2]
