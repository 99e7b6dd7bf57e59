"""The PisaBench-sim-shaped split and the default simulate → PSFT chain."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from evaluation.schema import read_clip_info
from sim_data.assets import split_of
from sim_data.environment import environment_key

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--renderer", "preview", "--sim.resolution=32", "--sim.num_frames=8"]


def test_split_writes_seen_and_unseen_halves_with_manifests_the_evaluator_accepts(tmp_path):
    from evaluation.run import main as evaluate
    from sim_data.pisabench_sim import main

    out = tmp_path / "pisabench"
    assert main(["--output-dir", str(out), "--num-samples", "2", *SMALL]) == 0  # 30 + 30 by default
    for half, split in (("sim_seen", "seen"), ("sim_unseen", "unseen")):
        lines = [json.loads(x) for x in (out / f"{half}.jsonl").read_text().splitlines()]
        assert len(lines) == 2
        for rec in lines:
            sample = Path(rec["gt_mask"]).parent
            assert sample.parent.parent == out / f"{half}_32"  # the folder score_model.sh reads
            info = read_clip_info(sample / "clip_info.json")
            assert info["split"] == split and info["points"] and (sample / "movie.mp4").is_file()
            env_id = info["environment"]["env_id"]
            assert env_id == environment_key(int(env_id[4:])) and split_of(env_id) == split
            assert all(split_of(o["asset_id"]) == split for o in info["objects"])
            assert rec["pd_mask"].endswith(f"predictions/{half}/{rec['sample_id']}/mask.npz")
        # the ground truth scored as a prediction: the manifest is accepted and scores perfectly
        gt = tmp_path / f"{half}_gt.jsonl"
        gt.write_text("".join(json.dumps({**r, "pd_mask": r["gt_mask"]}) + "\n" for r in lines))
        ev = tmp_path / f"eval_{half}"
        rc = evaluate(["configs/eval/sim.py", "--config_file", str(gt), "--output_dir", str(ev), "--split", half])
        assert rc == 0
        summary = json.loads((ev / "summary.json").read_text())
        assert summary["counts"]["evaluated"] == 2


def test_a_users_manifest_in_the_output_folder_is_kept(tmp_path, capsys):
    from sim_data.pisabench_sim import main
    from tests.conftest import assert_user_error, run_cli

    out = tmp_path / "pisabench"
    out.mkdir()
    (out / "sim_seen.jsonl").write_text("my own manifest\n")
    rc, _, err = run_cli(main, ["--output-dir", out, "--num-samples", "1", *SMALL], capsys)
    assert_user_error(rc, err, str(out / "sim_seen.jsonl"), "not written by pisabench_sim")
    assert (out / "sim_seen.jsonl").read_text() == "my own manifest\n"
    assert sorted(p.name for p in out.iterdir()) == ["sim_seen.jsonl"]  # nothing simulated either


def test_default_simulation_feeds_default_psft(tmp_path):
    """`bash sim_data/generate_parallel.sh` then `bash scripts/post_training/base.sh`: the first writes
    the manifests where the second looks by default (the test shrinks the clips and uses the tiny
    model; the manifest paths are the defaults)."""
    from evaluation.core.config import load_config

    env = {
        **os.environ,
        "PISA_REQUIREMENTS": "dev",  # the test environment's installed set: no installs
        "PISA_DATA_ROOT": str(tmp_path / "data"),
        "PISA_OUT_ROOT": str(tmp_path / "out"),
    }
    sim = subprocess.run(
        ["bash", "sim_data/generate_parallel.sh", "--num-samples", "6", "--sim.resolution=32", "--sim.num_frames=16"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert sim.returncode == 0, sim.stderr[-2000:]
    os.environ["PISA_DATA_ROOT"], saved = str(tmp_path / "data"), os.environ.get("PISA_DATA_ROOT")
    try:
        defaults = load_config(str(ROOT / "configs/post_training/base.py"))
    finally:
        if saved is None:
            del os.environ["PISA_DATA_ROOT"]
        else:
            os.environ["PISA_DATA_ROOT"] = saved
    manifest = Path(defaults.data.manifest)
    assert manifest.is_file() and manifest.parent == tmp_path / "data" / "sim" / "psft"
    val = Path(defaults.validation.manifest)
    assert val.parent == manifest.parent and len(val.read_text().splitlines()) >= 2  # a header and a clip
    assert len(manifest.read_text().splitlines()) >= 2
    psft = subprocess.run(
        ["bash", "scripts/post_training/base.sh", "--max-steps", "1", "--train.batch_size=2", f"--data.manifest={manifest}",
         f"--validation.manifest={val}", f"--model.text_cache_dir={tmp_path / 'cache'}"],
        cwd=ROOT, env={**env, "CONFIG": "configs/post_training/tiny.py"}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert psft.returncode == 0, psft.stderr[-3000:]
    assert list((tmp_path / "out" / "post_training").glob("*/export/ema/model.safetensors"))
