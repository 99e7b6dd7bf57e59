"""The Newtonian self-test at small size: every violation is ranked below the truth and named by its metric."""

from __future__ import annotations

import json

import pytest

from sim_data import selftest
from sim_data.newton_selftest import VIOLATIONS, violate
from tests.conftest import run_cli


def test_newton_selftest_passes_and_names_each_violation(tmp_path, capsys):
    out = tmp_path / "nst"
    argv = ["configs/sim/selftest_newton.py", f"--newton_selftest.out_dir={out}", "--newton_selftest.num_clips=1"]
    argv += ["--sim.resolution=160", "--eval.bootstrap_samples=10"]
    rc, stdout, err = run_cli(selftest.main, argv, capsys)
    assert rc == 0, stdout[-3000:] + err
    assert json.loads((out / "checks.json").read_text()) == {"problems": []}
    report = (out / "report.md").read_text()
    for scenario, violations in VIOLATIONS.items():
        for v in violations:
            assert f"| {scenario} | {v} |" in report
    rc, stdout, _ = run_cli(selftest.main, argv, capsys)  # a rerun keeps the clips the same settings made
    assert rc == 0


def test_violations_keep_the_first_pose():
    import numpy as np

    from sim_data.assets import AssetLibrary
    from sim_data.scene import SimArgs, sample_scene

    lib = AssetLibrary(["procedural", "pybullet"])
    scene = sample_scene(SimArgs(scenario="pendulum"), np.random.default_rng(0), lib, 0)
    longer = violate("length_x2", scene)
    bob, pivot = np.asarray(scene.objects[-1].position), np.asarray(scene.pendulum.pivot)
    assert longer.objects[-1].position == scene.objects[-1].position
    assert np.linalg.norm(np.asarray(longer.pendulum.pivot) - bob) == pytest.approx(2 * np.linalg.norm(pivot - bob))
    scene = sample_scene(SimArgs(scenario="collide"), np.random.default_rng(0), lib, 0)
    pinned = violate("pinned", scene)
    assert pinned.objects[scene.constants["roles"]["target"]].mass_kg == 0.0
