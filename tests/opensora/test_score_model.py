"""Score any model in one command, on CPU: tiny backbone → schema → tiny SAM 2 masks → evaluation."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from evaluation.schema import write_sample
from opensora import score_model
from tests.conftest import run_cli

TINY_SAM2 = "tiny:sam2?image_size=32"
TINY_CONFIGS = {
    "opensora_v1_2": "configs/inference/opensora_v1_2_tiny.py",
    "cogvideox_5b_i2v": "configs/inference/cogvideox_5b_i2v_tiny.py",
    "wan2_1_i2v_14b_480p": "configs/inference/wan2_1_i2v_14b_480p_tiny.py",
    "wan2_2_ti2v_5b": "configs/inference/wan2_2_ti2v_5b_tiny.py",
    "ltx_video": "configs/inference/ltx_video_tiny.py",
}


def benchmark(root, kind: str, n: int = 2):
    """A PisaBench-shaped split: real (points, no masks) or sim (masks)."""
    for i in range(n):
        frames = np.full((6, 32, 32, 3), 30, dtype=np.uint8)  # 0.375 s: as long as the tiny presets' clips
        mask = np.zeros((6, 1, 32, 32), dtype=bool)
        for t in range(6):
            frames[t, 4 + 2 * t : 12 + 2 * t, 10 + i : 18 + i] = (220, 40, 40)
            mask[t, 0, 4 + 2 * t : 12 + 2 * t, 10 + i : 18 + i] = True
        info = {"text": "a red ball falls", "fps": 16}
        if kind == "real":
            info["points"] = [{"positive": [[14.0 + i, 8.0]], "negative": []}]
        write_sample(
            root / f"{i:04d}", frames=frames, clip_info=info, mask=None if kind == "real" else mask, movie=False
        )
    return root


@pytest.mark.parametrize("name", list(TINY_CONFIGS))
def test_score_a_backbone_end_to_end(tmp_path, capsys, name):
    split = "real" if name != "wan2_2_ti2v_5b" else "sim_seen"
    bench = benchmark(tmp_path / "bench", "real" if split == "real" else "sim")
    run = tmp_path / "run"
    argv = [
        "--backbone",
        name,
        "--inference-config",
        TINY_CONFIGS[name],
        "--split",
        split,
        "--benchmark-dir",
        str(bench),
        "--run-dir",
        str(run),
        "--sam2",
        TINY_SAM2,
        "--device",
        "cpu",
    ]
    rc, out, err = run_cli(score_model.main, argv, capsys)
    assert rc == 0, err
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert summary["counts"]["evaluated"] == 2 and summary["split"] == split
    info = json.loads((run / "predictions" / "0000" / "clip_info.json").read_text())
    assert info["backbone"] == name and info["width"] == 32  # brought back to the ground truth's square size
    if split == "real":
        assert (run / "ground_truth" / "0000" / "mask.npz").is_file()  # SAM 2 from the annotated points
    rc, out, _ = run_cli(score_model.main, argv, capsys)  # every stage resumes and is skipped
    assert rc == 0 and "generated 0 of 2" in out and "evaluation: up to date" in out


def test_score_videos_made_elsewhere(tmp_path, capsys):
    bench = benchmark(tmp_path / "bench", "sim")
    made = tmp_path / "made"
    benchmark(made, "sim")  # "predictions": the ground truth itself, as sample folders...
    shutil.move(str(made / "0001"), str(tmp_path / "x"))
    from evaluation.schema import read_frames, write_movie

    write_movie(made / "0001.mp4", read_frames(tmp_path / "x"), 16)  # ...and one plain .mp4
    before = {p: p.read_bytes() for p in made.rglob("*") if p.is_file()}
    run = tmp_path / "run"
    argv = ["--pred-root", str(made), "--split", "sim_seen", "--benchmark-dir", str(bench), "--run-dir", str(run)]
    argv += ["--sam2", TINY_SAM2, "--device", "cpu"]
    rc, out, err = run_cli(score_model.main, argv, capsys)
    assert rc == 0, err
    assert "imported 2" in out
    assert json.loads((run / "predictions" / "0001" / "clip_info.json").read_text())["fps"] == 16
    assert {p: p.read_bytes() for p in made.rglob("*") if p.is_file()} == before  # the user's folder is untouched


def test_wrong_weights_are_named(tmp_path, capsys):
    from opensora import inference

    export = tmp_path / "export"
    export.mkdir()
    (export / "pisa.json").write_text(json.dumps({"backbone": "ltx_video"}))
    argv = ["configs/inference/tiny.py", "--benchmark-dir", str(benchmark(tmp_path / "b", "real")), "--model-path"]
    rc, _, err = run_cli(inference.main, [*argv, str(export), "--output-dir", str(tmp_path / "o")], capsys)
    assert rc == 2 and "holds ltx_video weights" in err and "--backbone ltx_video" in err
    from opensora.models import build_stdit3, save_pretrained

    pixel = save_pretrained(build_stdit3("STDiT3-tiny", in_channels=3), tmp_path / "pixel")  # no pisa.json
    rc, _, err = run_cli(inference.main, [*argv, str(pixel), "--output-dir", str(tmp_path / "o2")], capsys)
    assert rc == 2 and "3-channel latents" in err and "OpenSoraVAE_V1_2-tiny" in err and "Traceback" not in err


def test_another_backbones_pipeline_is_named_before_anything_is_written(tmp_path, capsys):
    from opensora import inference
    from opensora.tiny import resolve_weights

    bench = benchmark(tmp_path / "b", "real")
    wan22 = resolve_weights("tiny:wan2_2_ti2v_5b")
    argv = [TINY_CONFIGS["ltx_video"], "--backbone", "ltx_video", "--benchmark-dir", bench, "--inference.device=cpu"]
    rc, _, err = run_cli(inference.main, [*argv, "--model-path", wan22, "--output-dir", tmp_path / "o"], capsys)
    assert rc == 2 and "WanTransformer3DModel" in err and "not ltx_video's" in err and "Traceback" not in err
    wan_argv = [TINY_CONFIGS["wan2_1_i2v_14b_480p"], "--benchmark-dir", bench, "--inference.device=cpu"]
    rc, _, err = run_cli(inference.main, [*wan_argv, "--model-path", wan22, "--output-dir", tmp_path / "o"], capsys)
    assert rc == 2 and "--backbone wan2_2_ti2v_5b" in err
    no_vae = tmp_path / "no_vae"
    shutil.copytree(resolve_weights("tiny:ltx_video"), no_vae)
    shutil.rmtree(no_vae / "vae")
    rc, _, err = run_cli(inference.main, [*argv, "--model-path", no_vae, "--output-dir", tmp_path / "o"], capsys)
    assert rc == 2 and f"{no_vae / 'vae'}: missing" in err
    assert not (tmp_path / "o").exists()


def test_frame_counts_and_canvases_the_model_cannot_make_are_refused(tmp_path, capsys):
    from opensora import inference

    bench = benchmark(tmp_path / "b", "real")
    argv = [TINY_CONFIGS["cogvideox_5b_i2v"], "--benchmark-dir", bench, "--inference.device=cpu"]
    out = tmp_path / "o"
    rc, _, err = run_cli(inference.main, [*argv, "--backbone.num_frames=13", "--output-dir", out], capsys)
    assert rc == 2 and "backbone.num_frames = 13" in err and "[9, 17, 25" in err  # it wrote 16 frames before
    rc, _, err = run_cli(
        inference.main, [*argv, "--backbone.height=64", "--backbone.width=64", "--output-dir", out], capsys
    )
    assert rc == 2 and "learned positional embeddings for 32x48" in err
    ltx = [TINY_CONFIGS["ltx_video"], "--benchmark-dir", bench, "--inference.device=cpu", "--output-dir", out]
    rc, _, err = run_cli(inference.main, [*ltx, "--scheduler.num_sampling_steps=1"], capsys)
    assert rc == 2 and "ltx_video needs at least 2 steps" in err
    rc, _, err = run_cli(inference.main, [*ltx, "--inference.output_size=-32"], capsys)
    assert rc == 2 and "inference.output_size must be a positive size" in err
    assert not out.exists()


def test_bad_prediction_files_and_flags_are_named(tmp_path, capsys):
    bench = benchmark(tmp_path / "bench", "sim")
    made = tmp_path / "made"
    made.mkdir()
    from evaluation.schema import read_frames, write_movie

    write_movie(made / "0000.mp4", read_frames(bench / "0000"), 16)
    (made / "0001.mp4").write_bytes((made / "0000.mp4").read_bytes()[:300])  # a truncated file
    run = tmp_path / "run"
    argv = ["--pred-root", made, "--split", "sim_seen", "--benchmark-dir", bench, "--run-dir", run]
    rc, _, err = run_cli(score_model.main, [*argv, "--sam2", TINY_SAM2, "--device", "cpu"], capsys)
    assert rc == 2 and f"{made / '0001.mp4'}: " in err and "Traceback" not in err
    rc, _, err = run_cli(score_model.main, [*argv, "--pred-fps", "-24"], capsys)
    assert rc == 2 and "score.pred_fps must be a positive frame rate" in err
