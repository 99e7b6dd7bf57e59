"""A rerun never reports what another run made: the real CLIs rerun with new weights, videos, fps, seed, steps.

Each case is an end-to-end rerun (README "Errors and recovery", the identity rule): the same
inputs and settings are skipped, changed ones redone (imports, masks, evaluation) or refused
naming what differs (generated videos), never reported as fresh.
"""

from __future__ import annotations

import json
import shutil

import numpy as np

from evaluation.schema import read_frames, write_sample
from opensora import inference, score_model
from tests.conftest import assert_user_error, run_cli
from tests.opensora.test_score_model import TINY_CONFIGS, TINY_SAM2, benchmark

TINY = TINY_CONFIGS["opensora_v1_2"]


def score(argv, capsys):
    return run_cli(score_model.main, [*argv, "--sam2", TINY_SAM2, "--device", "cpu"], capsys)


def summary(run):
    return json.loads((run / "eval" / "summary.json").read_text())


def shifted(src, dst, dx: int):
    """A copy of the sample folders of ``src`` with the object moved ``dx`` pixels right in every frame."""
    for s in sorted(p for p in src.iterdir() if p.is_dir()):
        frames = np.roll(read_frames(s), dx, axis=2)
        write_sample(dst / s.name, frames=frames, clip_info={"fps": 16}, movie=False)
    return dst


def test_replaced_videos_and_a_corrected_fps_are_scored_again(tmp_path, capsys):
    bench = benchmark(tmp_path / "bench", "sim")
    made = tmp_path / "made"
    shutil.copytree(bench, made)
    run = tmp_path / "run"
    argv = ["--pred-root", made, "--split", "sim_seen", "--benchmark-dir", bench, "--run-dir", run]
    rc, out, err = score(argv, capsys)
    assert rc == 0, err
    first = summary(run)["metrics"]["iou"]["mean"]

    rc, out, _ = score(argv, capsys)  # the same videos: nothing is redone
    assert rc == 0 and "imported 0" in out and "2 unchanged" in out and "evaluation: up to date" in out

    shutil.rmtree(made)
    shifted(bench, made, 6)  # the user replaces the videos
    rc, out, err = score(argv, capsys)
    assert rc == 0, err
    assert "imported 2" in out and "evaluation: redone" in out
    assert summary(run)["metrics"]["iou"]["mean"] != first  # the new videos' score (tiny random SAM 2), not the old one

    rc, out, err = score([*argv, "--pred-fps", "8"], capsys)  # a corrected frame rate
    assert rc == 0, err
    assert "imported 2" in out and "evaluation: redone" in out
    assert json.loads((run / "predictions" / "0000" / "clip_info.json").read_text())["fps"] == 8
    per_sample = [json.loads(x) for x in (run / "eval" / "per_sample.jsonl").read_text().splitlines()]
    assert all(r["pd_fps"] == 8 for r in per_sample)

    shutil.rmtree(made / "0001")  # a video disappears: its old import is not scored
    rc, out, err = score([*argv, "--pred-fps", "8", "--allow-failures"], capsys)
    assert rc == 0, err
    assert "removed 1 imports whose video is gone" in out and not (run / "predictions" / "0001").exists()
    assert summary(run)["counts"]["evaluated"] == 1


def test_a_new_checkpoint_gets_its_own_run_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PISA_OUT_ROOT", str(tmp_path / "out"))
    made = tmp_path / "made"
    bench = benchmark(tmp_path / "bench", "sim")
    shutil.copytree(bench, made)
    rc, _, err = score(["--pred-root", made, "--split", "sim_seen", "--benchmark-dir", bench], capsys)
    assert rc == 0, err
    (first,) = (tmp_path / "out" / "score").iterdir()
    assert first.name.startswith("made-sim_seen-")
    a = score_model.score.ScoreArgs(backbone="ltx_video", model_path=str(tmp_path / "ckpt_a"))
    (tmp_path / "ckpt_a").mkdir()
    (tmp_path / "ckpt_a" / "w.safetensors").write_bytes(b"a")
    folder_a = a.run_folder
    (tmp_path / "ckpt_a" / "w.safetensors").write_bytes(b"b")  # the same path, new weights
    assert a.run_folder != folder_a and a.run_folder.parent == tmp_path / "out" / "score"


def test_generated_videos_of_another_seed_or_steps_are_refused_then_remade(tmp_path, capsys):
    bench = benchmark(tmp_path / "bench", "real")
    out = tmp_path / "gen"
    argv = [TINY, "--benchmark-dir", bench, "--output-dir", out, "--inference.device=cpu"]
    rc, _, err = run_cli(inference.main, argv, capsys)
    assert rc == 0, err
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rc, stdout, _ = run_cli(inference.main, argv, capsys)
    assert rc == 0 and "generated 0 of 2" in stdout and "(2 already there)" in stdout

    rc, _, err = run_cli(inference.main, [*argv, "--seed", "7"], capsys)
    assert_user_error(
        rc,
        err,
        "0000 (and 1 more like it) was made with other inputs or settings",
        "settings.seed: 1024 → 7",
        "--overwrite",
    )
    rc, _, err = run_cli(inference.main, [*argv, "--scheduler.num_sampling_steps=2"], capsys)
    assert_user_error(rc, err, "num_sampling_steps")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # nothing touched

    rc, stdout, err = run_cli(inference.main, [*argv, "--seed", "7", "--overwrite"], capsys)
    assert rc == 0, err
    assert "generated 2 of 2" in stdout
    assert json.loads((out / "0000" / "clip_info.json").read_text())["seed"] == 7


def test_score_model_with_new_weights_in_the_same_run_dir_is_refused(tmp_path, capsys):
    from opensora.models import build_stdit3, save_pretrained

    bench = benchmark(tmp_path / "bench", "real")
    run = tmp_path / "run"
    argv = ["--backbone", "opensora_v1_2", "--inference-config", TINY, "--split", "real"]
    argv += ["--benchmark-dir", bench, "--run-dir", run]
    rc, _, err = score(argv, capsys)
    assert rc == 0, err
    ckpt = save_pretrained(build_stdit3("STDiT3-tiny"), tmp_path / "ckpt")  # another checkpoint
    rc, _, err = score([*argv, "--model-path", ckpt], capsys)
    assert_user_error(rc, err, "was made with other inputs or settings", "model_path", "--overwrite")
    assert summary(run)["model"] == "opensora_v1_2"  # the earlier results are still there, untouched


def test_a_missing_prediction_folder_or_sam2_path_is_named_before_any_folder(tmp_path, capsys, monkeypatch):
    from evaluation import score

    monkeypatch.setenv("PISA_OUT_ROOT", str(tmp_path / "out"))
    bench = benchmark(tmp_path / "bench", "sim")
    argv = ["--split", "sim_seen", "--benchmark-dir", bench]
    rc, _, err = run_cli(score.main, [*argv, "--pred-root", tmp_path / "nope"], capsys)
    assert_user_error(rc, err, "nope: prediction root does not exist")
    rc, _, err = run_cli(score.main, [*argv, "--pred-root", bench, "--sam2", tmp_path / "no_sam"], capsys)
    assert_user_error(rc, err, "no_sam: does not exist")
    assert not (tmp_path / "out").exists()
