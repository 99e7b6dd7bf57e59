"""Simulated samples: schema round trip, determinism, batch resume after kill -9, manifests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluation.schema import read_clip_info, read_depth, read_flow, read_mask, validate_sample
from sim_data import parallel, worker

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--sim.resolution=64", "--sim.num_frames=12", "--sim.num_dropped=(1, 2)", "--render.movie=False"]


def make(tmp_path, seed, name="s"):
    out = tmp_path / name
    assert worker.main(["configs/sim/base.py", "--seed", str(seed), "--output-dir", str(out), *SMALL]) == 0
    return out


def test_sample_schema_round_trip(tmp_path):
    out = make(tmp_path, 11)
    summary = validate_sample(out)
    info = read_clip_info(out / "clip_info.json")
    n = len(info["objects"])
    assert summary["objects"] == n and (out / "DONE").is_file() and (out / "rgba_00000.jpg").is_file()
    for key in ("text", "points", "fps", "num_frames", "height", "width", "seed", "gravity", "camera", "objects"):
        assert key in info
    assert info["objects"][-1]["dynamic"]
    for o in info["objects"]:
        assert np.array(o["positions"]).shape == (12, 3) and np.array(o["quaternions"]).shape == (12, 4)
        assert ("first_contact_frame" in o) == o["dynamic"]
    mask = read_mask(out / "mask.npz")
    assert mask.shape == (12, n, 64, 64)
    assert read_depth(out / "depth.npz").shape == (12, 64, 64)
    assert read_flow(out / "flow.npz").shape == (11, 64, 64, 2)
    # K and world_to_camera project the dropped object's centre onto its mask
    K, w2c = np.array(info["camera"]["K"]), np.array(info["camera"]["world_to_camera"])
    p = np.array(info["objects"][-1]["positions"][0])
    cam = w2c[:3, :3] @ p + w2c[:3, 3]
    u, v = (K @ cam)[:2] / cam[2]
    assert mask[0, -1].any(), "seed 11 shows its dropped object in frame 0"
    ys, xs = np.nonzero(mask[0, -1])
    assert xs.min() - 2 <= u <= xs.max() + 3 and ys.min() - 2 <= v <= ys.max() + 3
    # a point prompt lies on its object
    x, y = info["points"][-1]["positive"][0]
    assert mask[0, -1, int(y), int(x)] and not info["points"][-1].get("occluded")


def test_flow_moves_falling_pixels_down(tmp_path):
    out = make(tmp_path, 3)
    flow = read_flow(out / "flow.npz").astype(np.float32)
    mask = read_mask(out / "mask.npz")
    m = mask[1, -1]
    assert m.any(), "seed 3 shows its dropped object in frame 1"
    assert flow[1][m][:, 1].mean() > 0  # y down: a falling object moves down the image


def test_same_seed_same_sample(tmp_path):
    a, b = make(tmp_path, 5, "a"), make(tmp_path, 5, "b")
    np.testing.assert_array_equal(read_mask(a / "mask.npz"), read_mask(b / "mask.npz"))
    ia, ib = read_clip_info(a / "clip_info.json"), read_clip_info(b / "clip_info.json")
    assert [o["positions"] for o in ia["objects"]] == [o["positions"] for o in ib["objects"]]
    assert worker.main(["configs/sim/base.py", "--seed", "5", "--output-dir", str(a), *SMALL]) == 0  # DONE: skipped


def test_failures_are_logged_and_fail_the_batch(tmp_path, monkeypatch, capsys):
    def broken(*a, **k):
        raise RuntimeError("mesh failed to load")

    monkeypatch.setattr(parallel, "generate_sample", broken)
    out = tmp_path / "b"
    rc = parallel.main(["configs/sim/base.py", "--num-samples", "2", "--output-dir", str(out), *SMALL])
    assert rc == 1
    record = json.loads((out / "failed-sim.json").read_text())
    assert len(record["failures"]) == 2 and "mesh failed to load" in record["failures"][0]["error"]
    assert "RuntimeError" in record["failures"][0]["traceback"]
    assert not any((out / name).exists() for name in parallel.MANIFEST_NAMES)  # no results of a failed run
    assert "FAILED seed 0" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["--sim.physics_hz=250", "--render.renderer=opengl", "--sim.split=test"])
def test_invalid_config_values(tmp_path, bad, capsys):
    rc = worker.main(["configs/sim/base.py", "--seed", "1", "--output-dir", str(tmp_path / "x"), bad])
    assert rc == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.slow
def test_ray_launcher_matches_local(tmp_path, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    common = ["configs/sim/base.py", "--num-samples", "2", "--workers", "2", *SMALL]
    assert parallel.main([*common, "--output-dir", str(tmp_path / "ray"), "--launcher", "ray"]) == 0
    assert parallel.main([*common, "--output-dir", str(tmp_path / "local")]) == 0
    for seed in ("00000", "00001"):
        a = read_mask(tmp_path / "ray" / "samples" / seed / "mask.npz")
        b = read_mask(tmp_path / "local" / "samples" / seed / "mask.npz")
        np.testing.assert_array_equal(a, b)
