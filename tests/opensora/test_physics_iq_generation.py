"""Physics-IQ generation from any backbone (tiny models, synthetic released-layout trees): i2v and v2v into
the scorer, seeds, resuming, every refusal, the clip conditioning itself, and ``--benchmark all``."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

from evaluation.physics_iq.synthetic import write_tree
from evaluation.schema import list_frames, read_image
from opensora import score_model
from tests.conftest import assert_user_error, run_cli
from tests.opensora.test_score_model import TINY_CONFIGS, TINY_SAM2, benchmark

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """One scenario (3 cases) at 8 fps, 36x64 (16:9), with the 3 s conditioning clips."""
    return write_tree(tmp_path_factory.mktemp("piq"), scenarios=1, fps=8, size=(36, 64), conditioning=True,
                      generated=None)  # fmt: skip


def tree_hashes(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def argv(root, run, name, *extra):
    return ["--backbone", name, "--inference-config", TINY_CONFIGS[name], "--benchmark", "physics_iq",
            "--physics-iq-root", str(root), "--run-dir", str(run), "--device", "cpu", *extra]  # fmt: skip


CASE = "0001_perspective-left_trimmed-synthetic-fall-000"


@pytest.mark.parametrize(
    "name,protocol",
    [("opensora_v1_2", "i2v"), ("opensora_v1_2", "v2v"), ("ltx_video", "i2v"), ("ltx_video", "v2v"),
     ("wan2_1_i2v_14b_480p", "i2v")],
)  # fmt: skip
def test_generate_and_score(tmp_path, capsys, tree, name, protocol):
    from mmengine.config import Config

    before = tree_hashes(tree["root"])
    run = tmp_path / "run"
    rc, out, err = run_cli(score_model.main, argv(tree["root"], run, name, "--protocol", protocol), capsys)
    assert rc == 0, err
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert summary["benchmark"] == "physics_iq" and summary["fps"] == 8
    assert summary["seeds"][0]["scenarios_scored"] == 1 and summary["failed"] == 0
    sample = run / "predictions" / "seed-0" / CASE
    info = json.loads((sample / "clip_info.json").read_text())
    section = Config.fromfile(TINY_CONFIGS[name]).physics_iq_generation
    assert len(list_frames(sample)) == 40  # exactly the 5 s the release scores, at 8 fps
    assert read_image(list_frames(sample)[0]).shape[:2] == (section["height"], section["width"])  # the 16:9 canvas
    assert info["fps"] == 8 and info["square_handling"] == "fill"
    assert info["text"].startswith("A ball falls onto a table")  # the case's description is the prompt
    assert info["reference_path"].endswith(f"{CASE.replace('_perspective', '_switch-frames_anyFPS_perspective')}.jpg")
    if protocol == "v2v":
        k = section["v2v"]["context_frames"]
        assert (
            info["context_frames"] == k
            and info["frames_kept"] == [k, k + 40]
            and "conditioning" in info["context_path"]
        )
    else:
        assert info["frames_kept"] == [0, 40] and "context_path" not in info
    assert tree_hashes(tree["root"]) == before  # the real data is only read
    rc, out, err = run_cli(score_model.main, argv(tree["root"], run, name, "--protocol", protocol), capsys)
    assert rc == 0 and "generated 0 of 3" in out  # resumed: nothing generated again, scored afresh
    again = json.loads((run / "eval" / "summary.json").read_text())
    assert again["physics_iq"] == summary["physics_iq"] and again["verified"] == summary["verified"]


def test_seeds_resume_and_refuse_other_settings(tmp_path, capsys, tree):
    run = tmp_path / "run"
    rc, out, err = run_cli(score_model.main, argv(tree["root"], run, "opensora_v1_2", "--seeds", "2"), capsys)
    assert rc == 0, err
    a, b = (np.stack([read_image(f) for f in list_frames(run / "predictions" / f"seed-{k}" / CASE)]) for k in (0, 1))
    assert not np.array_equal(a, b)  # another seed, another video
    seeds = [
        json.loads((run / "predictions" / f"seed-{k}" / CASE / "clip_info.json").read_text())["seed"] for k in (0, 1)
    ]
    assert seeds == [1024, 2024]
    summary = json.loads((run / "eval" / "summary.json").read_text())
    assert len(summary["physics_iq"]["per_seed"]) == 2 and summary["physics_iq"]["sd"] is not None
    rc, out, err = run_cli(score_model.main, argv(tree["root"], run, "opensora_v1_2", "--seeds", "3"), capsys)
    assert rc == 0, err
    assert out.count("generated 0 of 3") == 2 and "generated 3 of 3" in out  # only the new seed is generated
    assert len(json.loads((run / "eval" / "summary.json").read_text())["physics_iq"]["per_seed"]) == 3
    rc, out, err = run_cli(score_model.main, argv(tree["root"], run, "opensora_v1_2", "--seed", "7"), capsys)
    assert_user_error(rc, err, "seed", "--overwrite")  # videos made with another seed are never scored as these


def test_refusals_name_the_cause_and_write_nothing(tmp_path, capsys, tree):
    run = tmp_path / "run"
    rc, _, err = run_cli(score_model.main, argv(tree["root"], run, "wan2_1_i2v_14b_480p", "--protocol", "v2v"), capsys)
    assert_user_error(rc, err, "wan2_1_i2v_14b_480p conditions on one frame only", "--protocol i2v")
    rc, _, err = run_cli(score_model.main, argv(tree["root"], run, "cogvideox_5b_i2v"), capsys)
    assert_user_error(rc, err, "physics_iq_generation.num_frames = 9", "1.12 s", "40 frames needed")
    bare = tmp_path / "bare"
    shutil.copytree(tree["root"], bare)
    shutil.rmtree(bare / "split-videos" / "conditioning")
    switch = next((bare / "switch-frames").iterdir())
    switch.unlink()
    rc, _, err = run_cli(score_model.main, argv(bare, run, "opensora_v1_2"), capsys)
    assert_user_error(rc, err, switch.name, "is not there", "switch frames")
    rc, _, err = run_cli(score_model.main, argv(bare, run, "ltx_video", "--protocol", "v2v"), capsys)
    assert_user_error(rc, err, "_conditioning-videos_8FPS_", "and 3 more", "8FPS conditioning clips")
    rc, _, err = run_cli(score_model.main, argv(tmp_path / "nowhere", run, "opensora_v1_2"), capsys)
    assert_user_error(rc, err, "nowhere", "download_physics_iq.sh")
    assert not run.exists()  # every refusal came before anything was written
    pred = ["--benchmark", "physics_iq", "--pred-root", str(tmp_path), "--physics-iq-root", str(tree["root"])]
    rc, _, err = run_cli(score_model.main, [*pred, "--seeds", "2", "--run-dir", str(run)], capsys)
    assert_user_error(rc, err, "--seeds generates", "--pred-root A --pred-root B")
    rc, _, err = run_cli(score_model.main, ["--benchmark", "all", "--pred-root", tmp_path], capsys)
    assert_user_error(rc, err, "--benchmark all generates", "one benchmark at a time")
    rc, _, err = run_cli(score_model.main, ["--backbone", "opensora_v1_2", "--protocol", "v2v"], capsys)
    assert_user_error(rc, err, "v2v is Physics-IQ's", "--benchmark physics_iq")


def test_videos_made_elsewhere_are_scored_where_they_are(tmp_path, capsys):
    made = write_tree(tmp_path / "t", scenarios=1, fps=8, size=(36, 64))
    before = tree_hashes(made["pred"])
    run = tmp_path / "run"
    args = ["--benchmark", "physics_iq", "--pred-root", made["pred"], "--physics-iq-root", made["root"]]
    rc, out, err = run_cli(score_model.main, [*args, "--run-dir", run], capsys)
    assert rc == 0, err
    assert json.loads((run / "eval" / "summary.json").read_text())["seeds"][0]["pred_root"] == str(made["pred"])
    assert tree_hashes(made["pred"]) == before and not (run / "predictions").exists()


@pytest.mark.parametrize("name", ["opensora_v1_2", "ltx_video"])
def test_a_conditioning_clip_is_held_fixed(name):
    """v2v: the clip's latent frames come out of sampling exactly as encoded; the rest are generated."""
    from diffusers.pipelines.ltx.pipeline_ltx_image2video import retrieve_latents

    from evaluation.core.config import load_config, section
    from opensora.backbones import BackboneArgs, build_backbone
    from opensora.backbones.sampling import sample_latents
    from opensora.schedulers.rf import RFlowArgs
    from opensora.tiny import resolve_specs

    cfg = resolve_specs(load_config(TINY_CONFIGS[name]))
    g = cfg.physics_iq_generation
    over = {"height": g["height"], "width": g["width"], "num_frames": g["v2v"]["num_frames"], "square": "fill"}
    cfg.merge_from_dict({f"backbone.{k}": v for k, v in over.items()})
    bb = build_backbone(
        section(cfg, "backbone", BackboneArgs), "cpu", torch.float32, section(cfg, "scheduler", RFlowArgs)
    )
    k = g["v2v"]["context_frames"]
    clip = torch.rand(1, 3, k, g["height"], g["width"], generator=torch.Generator().manual_seed(1)) * 2 - 1
    feats = bb.encode_prompts(["a ball falls"])
    z = sample_latents(bb, None, clip, feats, steps=3, guidance_scale=3.0, generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(0)  # start() encodes the clip first, with the sampling generator
    if name == "opensora_v1_2":
        want = bb.vae.encode(clip, generator=gen)
    else:
        vae = bb.pipe.vae
        want = bb.pipe._normalize_latents(retrieve_latents(vae.encode(clip), gen), vae.latents_mean, vae.latents_std)
        z = bb._unpack(z)
    n = want.shape[2]
    assert n > 1 and torch.equal(z[:, :, :n], want.to(z.dtype))
    assert z.shape[2] > n and not torch.allclose(z[:, :, n:], torch.zeros_like(z[:, :, n:]))
    bad = {"opensora_v1_2": k + 1, "ltx_video": k + 1}[name]  # not whole latent frames
    from evaluation.core.errors import ConfigError

    with pytest.raises(ConfigError, match="line up"):
        bb.check_context_frames(bad)


def test_fill_covers_the_canvas_and_weights_keep_physics_iq_geometry(tmp_path):
    from opensora.backbones import BackboneArgs, apply_identity
    from opensora.backbones.base import Backbone, Geometry
    from opensora.backbones.frames import resize_crop_to_fill, to_model_range

    img = (np.arange(90 * 160 * 3) % 251).astype(np.uint8).reshape(90, 160, 3)
    bb = Backbone()
    bb.geometry = Geometry(48, 96, 41, 8, "fill")  # 2:1 canvas, 16:9 frame: resized to cover, centre-cropped
    assert torch.equal(bb.prepare_first_frame(img), to_model_range(resize_crop_to_fill(img, (48, 96))))
    export = tmp_path / "export"
    export.mkdir()
    (export / "pisa.json").write_text(json.dumps({"backbone": "ltx_video", "height": 256, "width": 256,
                                                  "num_frames": 32, "fps": 16, "vae": "X"}))  # fmt: skip
    args = BackboneArgs(
        name="ltx_video", model_path=str(export), height=32, width=64, num_frames=41, fps=8, square="fill"
    )
    changed = apply_identity(args, geometry=False)
    assert (args.height, args.width, args.num_frames, args.fps) == (32, 64, 41, 8) and args.vae == "X"
    assert changed == ["vae='X' (config: 'OpenSoraVAE_V1_2')"]


def test_every_benchmark_in_one_run_folder(tmp_path, capsys, tree):
    from evaluation import compare

    bench = {s: benchmark(tmp_path / s, "real" if s == "real" else "sim") for s in ("real", "sim_seen", "sim_unseen")}
    run = tmp_path / "all"
    args = ["--backbone", "opensora_v1_2", "--inference-config", TINY_CONFIGS["opensora_v1_2"], "--benchmark", "all",
            "--physics-iq-root", tree["root"], "--run-dir", run, "--sam2", TINY_SAM2, "--device", "cpu",
            *(f"--score.benchmark_dirs.{s}={p}" for s, p in bench.items()),
            f"--score.benchmark_dirs.newton={tmp_path / 'no-newton'}"]  # fmt: skip
    rc, out, err = run_cli(score_model.main, args, capsys)
    assert rc == 0, err
    parts = ["pisabench_real", "pisabench_sim_seen", "pisabench_sim_unseen", "physics_iq"]
    assert sorted(json.loads((run / "benchmarks.json").read_text())) == sorted(parts)
    assert "newton:" in out and "left out" in out
    for p in parts:
        assert (run / p / "eval" / "summary.json").is_file(), p
        assert f"{p} " in out.split("every benchmark of")[1]
    assert "Physics-IQ score" in out
    args[-1] = f"--score.benchmark_dirs.newton={benchmark(tmp_path / 'newton', 'sim')}"  # now it is there
    rc, out, err = run_cli(score_model.main, args, capsys)
    assert rc == 0 and out.count("evaluation: up to date") == 3 and "generated 0 of 3" in out  # resumed
    assert "generated 2 of 2" in out and (run / "newton" / "eval" / "summary.json").is_file()  # only newton is new
    page = compare.build([str(run)], tmp_path / "page", videos=2)
    html = page.read_text()
    assert html.count('<tr class="run"><td><b>opensora_v1_2</b>') == 1  # the three splits share one paper row
    assert "Physics-IQ" in html and "sim_unseen" in html and "opensora_v1_2 (newton)" in html
    rc, out, err = run_cli(score_model.main, [*args, "--seed", "7"], capsys)  # every part's videos: another seed
    summary = out.split("every benchmark of")[1]
    assert rc == 2 and summary.count("FAILED (status 2)") == 5 and "l2 " not in summary  # no stale numbers shown
    assert err.count("error:") == 5 and "seed" in err  # each part refused by name, and every part was tried
    gone = [f"--score.benchmark_dirs.real={tmp_path / 'gone'}" if str(a).startswith("--score.benchmark_dirs.real=")
            else a for a in args]  # fmt: skip
    rc, _, err = run_cli(score_model.main, [*gone[:-2], "--run-dir", tmp_path / "all2"], capsys)
    assert_user_error(rc, err, "gone", "real split is not there")
    assert not (tmp_path / "all2").exists()  # every part is checked before anything is written


# the real models' grids (temporal ratio, spatial multiple; Open-Sora: 17-frame VAE chunks) their configs must fit
REAL_GRIDS = {"opensora_v1_2": (17, 16), "cogvideox_5b_i2v": (4, 16), "wan2_1_i2v_14b_480p": (4, 16),
              "wan2_2_ti2v_5b": (4, 32), "ltx_video": (8, 32)}  # fmt: skip


@pytest.mark.parametrize("name", list(REAL_GRIDS))
def test_full_size_physics_iq_settings_cover_five_seconds_on_the_models_grid(name):
    from evaluation.core.config import load_config
    from evaluation.core.errors import ConfigError
    from opensora.physics_iq_generation import plan

    path = f"configs/inference/{name}.py"
    cfg = load_config(path)
    t, grid = REAL_GRIDS[name]
    plans = {"i2v": plan(cfg, "i2v", path)}
    if cfg.physics_iq_generation.get("v2v"):
        plans["v2v"] = plan(cfg, "v2v", path)
    else:
        with pytest.raises(ConfigError, match="conditions on one frame only"):
            plan(cfg, "v2v", path)
    assert set(plans) == ({"i2v", "v2v"} if name in ("opensora_v1_2", "ltx_video") else {"i2v"})
    for p in plans.values():
        h, w, n, fps = (p[f"backbone.{k}"] for k in ("height", "width", "num_frames", "fps"))
        assert h % grid == 0 and w % grid == 0 and 1.45 <= w / h <= 1.85  # 16:9-like (CogVideoX: its 3:2)
        assert fps in (8, 16, 24, 30)  # a released rate: the real takes need no cross-fade
        start, stop = p["inference.frames"]
        assert stop - start == 5 * fps and stop <= n
        k = p["inference.context_frames"]
        if name == "opensora_v1_2":
            assert n % t == 0 and (k is None or k % t == 0)
        else:
            assert (n - 1) % t == 0 and (k is None or (k - 1) % t == 0)


def test_the_conditioning_clip_is_its_last_frames_and_a_short_one_is_named(tree):
    from types import SimpleNamespace

    from evaluation.core.errors import InputError
    from evaluation.physics_iq.video import read_frames
    from opensora.backbones.base import Backbone, Geometry
    from opensora.inference import Generator, Prompt

    clip = next((tree["root"] / "split-videos" / "conditioning" / "8FPS").iterdir())  # 24 frames
    bb = Backbone()
    bb.geometry = Geometry(32, 64, 57, 8, "fill")
    fake_generator = SimpleNamespace(args=SimpleNamespace(context_frames=17), backbone=bb)  # what context() reads
    job = Prompt("0001", "a ball", "unused.jpg", context=str(clip))
    got = Generator.context(fake_generator, job)
    frames = read_frames(clip).frames
    want = torch.stack([bb.prepare_first_frame(np.ascontiguousarray(f[..., ::-1])) for f in frames[-17:]], dim=1)
    assert got.shape == (3, 17, 32, 64) and torch.equal(got, want)
    fake_generator.args.context_frames = 25
    with pytest.raises(InputError, match="has 24 frames; video-to-video conditions on the last 25"):
        Generator.context(fake_generator, job)
