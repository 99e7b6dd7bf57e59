"""PSFT, inference and the weight loaders against faults: kill -9 and a cut newest checkpoint, corrupt
weights and checkpoints named with their file, run folders that are not ours, exact logs after resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from evaluation.core.outdirs import DONE_FILE
from evaluation.schema import write_sample
from opensora import inference
from opensora.models.text_encoder.t5 import save_tiny_t5
from opensora.train import checkpoints as C
from opensora.train.psft import main as psft_main
from opensora.train.runlog import truncate_metrics
from tests.conftest import assert_user_error, run_cli, snapshot
from tests.opensora.train_helpers import ROOT, tiny_argv

ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}  # the test runner already uses every core


def steps_logged(run: Path, key: str = "loss") -> list[int]:
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in recs if key in r]


def cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_kill_then_cut_newest_checkpoint_then_resume(sim, cache, tmp_path):
    run = tmp_path / "run"
    argv = tiny_argv(sim, run, cache, "--max-steps", "400", "--train.ckpt_every=2", "--train.keep_checkpoints=0")
    assert psft_main(tiny_argv(sim, tmp_path / "warm", cache, "--max-steps", "1")) == 0  # tiny T5 + text cache
    cmd = [sys.executable, "-m", "opensora.train.psft", *argv]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=ONE_THREAD, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        complete = [c for c in C.list_checkpoints(run) if (c / DONE_FILE).is_file()]
        if len(complete) >= 3 and (run / "metrics.jsonl").is_file() and len(steps_logged(run)) >= 7:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9 mid-training
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training ended before it was killed"
    ckpts = C.list_checkpoints(run)
    newest = ckpts[-1]
    cut(sorted(newest.glob("*.distcp"))[0])  # the newest checkpoint's shard is cut
    previous = int(ckpts[-2].name.split("-")[1])
    logged_before = steps_logged(run)
    assert max(logged_before) >= previous  # the killed run logged past the checkpoint it resumes from
    end = previous + 3
    res = subprocess.run(
        [*cmd, "--resume", "auto", "--max-steps", str(end)], cwd=ROOT, env=ONE_THREAD, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"skipping incomplete checkpoint {newest}" in res.stdout and "is " in res.stdout
    assert f"at step {previous}" in res.stdout
    assert steps_logged(run) == list(range(1, end + 1))  # each step once, as an uninterrupted run
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    tb_steps = [e.step for e in acc.Scalars("loss")]
    assert tb_steps == list(range(1, end + 1))


def test_explicit_resume_from_a_cut_checkpoint_is_named(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert psft_main(tiny_argv(sim, run, cache, "--max-steps", "2", "--train.ckpt_every=2")) == 0
    ckpt = run / "checkpoints" / "step-0000002"
    cut(ckpt / C.STATE_FILE)
    rc, _, err = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "4", "--resume", str(ckpt)), capsys)
    assert_user_error(rc, err, str(ckpt), "trainer_state.json is truncated or corrupt")


def test_resume_auto_skips_a_checkpoint_with_a_missing_file(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert psft_main(tiny_argv(sim, run, cache, "--max-steps", "4", "--train.ckpt_every=2")) == 0
    (run / "checkpoints" / "step-0000004" / "config.json").unlink()
    rc, out, _ = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "5", "--resume", "auto"), capsys)
    assert rc == 0 and "config.json is missing" in out and "at step 2" in out


def test_resume_auto_without_checkpoints_says_so(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    rc, out, _ = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "1", "--resume", "auto"), capsys)
    assert rc == 0 and "no complete checkpoint" in out


def test_fresh_run_into_an_existing_run_is_refused(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert psft_main(tiny_argv(sim, run, cache, "--max-steps", "1")) == 0
    before = snapshot(run)
    rc, _, err = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "2"), capsys)
    assert_user_error(rc, err, str(run), "already holds a training run", "--resume auto")
    assert snapshot(run) == before


def test_run_folder_of_the_user_is_refused(sim, cache, tmp_path, capsys):
    run = tmp_path / "mine"
    run.mkdir()
    (run / "data.csv").write_text("x")
    rc, _, err = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "1", "--resume", "auto"), capsys)
    assert_user_error(rc, err, str(run), "not written by PISA")
    assert sorted(p.name for p in run.iterdir()) == ["data.csv"]


def test_truncated_trainer_state_under_auto_is_skipped(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert psft_main(tiny_argv(sim, run, cache, "--max-steps", "4", "--train.ckpt_every=2")) == 0
    cut(run / "checkpoints" / "step-0000004" / C.STATE_FILE)
    rc, out, _ = run_cli(psft_main, tiny_argv(sim, run, cache, "--max-steps", "4", "--resume", "auto"), capsys)
    assert rc == 0 and "trainer_state.json is truncated or corrupt" in out and "at step 2" in out


def test_metrics_truncation_drops_later_and_cut_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3}\n{"step": 2, "val": 1}\n{"step": 4')
    assert truncate_metrics(path, 2) == 2
    assert [json.loads(x)["step"] for x in path.read_text().splitlines()] == [1, 2, 2]


# --- weights ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    return save_tiny_t5(tmp_path_factory.mktemp("t5"))


@pytest.fixture
def bench(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(2):
        frames = (rng.random((3, 64, 64, 3)) * 255).astype(np.uint8)
        write_sample(
            tmp_path / "bench" / f"{i:04d}", frames=frames, clip_info={"fps": 16, "text": "A mug falls."}, movie=False
        )
    return tmp_path / "bench"


def generate(bench, out, t5_dir, capsys, *extra):
    argv = [
        "configs/inference/tiny.py",
        "--benchmark-dir",
        bench,
        "--output-dir",
        out,
        f"--backbone.text_encoder_path={t5_dir}",
    ]
    return run_cli(inference.main, [*argv, *extra], capsys)


@pytest.fixture(scope="module")
def stdit_folder(tmp_path_factory):
    from opensora.models import build_stdit3, save_pretrained

    return save_pretrained(build_stdit3("STDiT3-tiny"), tmp_path_factory.mktemp("stdit"))


def copy_folder(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_truncated_model_safetensors_is_named(bench, t5_dir, stdit_folder, tmp_path, capsys):
    bad = copy_folder(stdit_folder, tmp_path / "w")
    cut(bad / "model.safetensors")
    rc, _, err = generate(bench, tmp_path / "gen", t5_dir, capsys, "--model-path", bad)
    assert_user_error(rc, err, str(bad / "model.safetensors"), "truncated or corrupt")
    assert not (tmp_path / "gen").exists()  # refused before the output folder was made


def test_malformed_config_json_is_named(bench, t5_dir, stdit_folder, tmp_path, capsys):
    bad = copy_folder(stdit_folder, tmp_path / "w")
    (bad / "config.json").write_text('{"depth": 2,')
    rc, _, err = generate(bench, tmp_path / "gen", t5_dir, capsys, "--model-path", bad)
    assert_user_error(rc, err, str(bad / "config.json"), "truncated or corrupt JSON")


def test_truncated_pt_file_is_named(bench, t5_dir, stdit_folder, tmp_path, capsys):
    import torch

    from opensora.models.checkpoint import read_state_dict

    pt = tmp_path / "w.pt"
    torch.save(read_state_dict(stdit_folder), pt)
    cut(pt)
    rc, _, err = generate(bench, tmp_path / "gen", t5_dir, capsys, "--model-path", pt)
    assert_user_error(rc, err, str(pt), "truncated or corrupt")


def test_truncated_t5_is_named(bench, t5_dir, tmp_path, capsys):
    bad = copy_folder(t5_dir, tmp_path / "t5")
    cut(bad / "model.safetensors")
    rc, _, err = generate(bench, tmp_path / "gen", bad, capsys)
    assert_user_error(rc, err, str(bad / "model.safetensors"), "truncated or corrupt")


def test_truncated_raft_and_depth_weights_are_named(tmp_path):
    pytest.importorskip("torchvision")
    from evaluation.core.errors import InputError
    from evaluation.perception import depth as D
    from evaluation.perception import raft as R

    pth = R.save_raft(
        R.build_raft("raft_tiny", weights=None, device="cpu"), tmp_path / "raft" / "raft.pth", "raft_tiny"
    )
    cut(pth)
    with pytest.raises(InputError, match=r"raft.pth: truncated or corrupt"):
        R.build_raft("raft_tiny", weights=str(pth), device="cpu")
    folder = D.save_tiny_depth(tmp_path / "depth")
    cut(Path(folder) / "model.safetensors")
    with pytest.raises(InputError, match=r"model.safetensors: truncated or corrupt"):
        D.build_depth(str(folder), device="cpu")


def test_inference_bad_reference_image_fails_alone(bench, t5_dir, tmp_path, capsys):
    (bench / "0001" / "rgba_00000.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "gen"
    rc, _, err = generate(bench, out, t5_dir, capsys, "--inference.batch_size=1")
    assert rc == 1 and "0001/rgba_00000.jpg: cannot read image" in err and "Traceback" not in err
    assert (out / "0000" / DONE_FILE).is_file() and not (out / "0001").exists()
    assert json.loads((out / "failed-inference.json").read_text())["counts"]["failed"] == 1


def test_inference_output_folder_of_the_user_is_refused(bench, t5_dir, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "video.mp4").write_bytes(b"x")
    rc, _, err = generate(bench, out, t5_dir, capsys)
    assert_user_error(rc, err, str(out), "not written by PISA")
    assert sorted(p.name for p in out.iterdir()) == ["video.mp4"]


def test_inference_bad_prompt_file_line(t5_dir, tmp_path, capsys):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text('A mug falls.{"reference_path": "a.jpg"}\nA ball falls.{"reference_path": \n')
    argv = ["configs/inference/tiny.py", "--prompt-file", prompts, "--output-dir", tmp_path / "gen"]
    rc, _, err = run_cli(inference.main, argv, capsys)
    assert_user_error(rc, err, "prompts.txt:2", "invalid")
    assert not (tmp_path / "gen").exists()


def test_resume_with_other_model_settings_is_refused_before_anything_is_written(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert psft_main(tiny_argv(sim, run, cache, "--max-steps", "1")) == 0
    before = snapshot(run)
    argv = tiny_argv(sim, run, cache, "--max-steps", "2", "--resume", "auto", "--model.lora_rank=4")
    rc, _, err = run_cli(psft_main, argv, capsys)
    assert_user_error(rc, err, str(run), "model.lora_rank: 0 → 4", "start a new run")
    assert snapshot(run) == before  # config.json / config.py still describe the run's own weights


def test_backbone_flag_against_another_backbones_config_is_refused(tmp_path, capsys):
    argv = ["configs/post_training/ltx_video/tiny_psft.py", "--backbone", "opensora_v1_2", "--run-dir", tmp_path / "r"]
    rc, _, err = run_cli(psft_main, argv, capsys)
    assert_user_error(rc, err, "config for ltx_video", "--backbone says opensora_v1_2")
    assert not (tmp_path / "r").exists()


def test_a_lora_target_typo_is_named_and_leaves_no_run_folder(sim, cache, tmp_path, capsys):
    run = tmp_path / "run"
    argv = tiny_argv(sim, run, cache, "--max-steps", "1", "--model.lora_rank=4", "--model.lora_targets=['qkvv']")
    rc, _, err = run_cli(psft_main, argv, capsys)
    assert_user_error(rc, err, "model.lora_targets: ['qkvv'] name no module")
    assert not run.exists()  # the corrected rerun is not refused
    argv = tiny_argv(sim, run, cache, "--max-steps", "1", "--model.lora_rank=4")
    assert run_cli(psft_main, argv, capsys)[0] == 0


def test_training_names_its_own_keys_when_the_backbone_refuses(tmp_path, capsys):
    argv = ["configs/post_training/tiny.py", "--run-dir", tmp_path / "r", "--model.model_path=None"]
    rc, _, err = run_cli(psft_main, [*argv, "--model.allow_random_weights=False"], capsys)
    assert_user_error(rc, err, "section 'model'", "model.allow_random_weights=True")
    rc, _, err = run_cli(psft_main, ["configs/post_training/tiny.py", "--model.backbone=nope"], capsys)
    assert_user_error(rc, err, "model.backbone must be one of")
    assert not (tmp_path / "r").exists()
