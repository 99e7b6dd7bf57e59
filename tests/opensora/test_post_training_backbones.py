"""PSFT and ORO on every diffusers backbone, on the tiny random pipelines (configs/post_training/<name>/tiny_*.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from evaluation.core.config import load_config
from opensora.models.checkpoint import read_training_checkpoint
from opensora.tiny import resolve_weights
from tests.opensora.train_helpers import flags, losses, max_abs_diff, oro_setup, simulate, torchrun_two

BACKBONES = ["cogvideox_5b_i2v", "wan2_1_i2v_14b_480p", "wan2_2_ti2v_5b", "ltx_video"]
PIPELINES = {
    "cogvideox_5b_i2v": "CogVideoXImageToVideoPipeline",
    "wan2_1_i2v_14b_480p": "WanImageToVideoPipeline",
    "wan2_2_ti2v_5b": "WanImageToVideoPipeline",
    "ltx_video": "LTXImageToVideoPipeline",
}
TINY_SAM2 = "tiny:sam2?image_size=32"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Six 32² clips of 9 frames (the tiny pipelines' 4k + 1 / 8k + 1 frame counts)."""
    return simulate(tmp_path_factory.mktemp("sim9"), num=6, frames=9)


def psft_argv(name, sim, run, cache, *extra):
    return [
        f"configs/post_training/{name}/tiny_psft.py",
        "--run-dir",
        str(run),
        f"--data.manifest={sim / 'psft.csv'}",
        f"--model.text_cache_dir={cache / 'text'}",
        "--validation.manifest=None",
        "--train.batch_size=2",
        "--train.log_every=1",
        *extra,
    ]


@pytest.mark.parametrize("name", BACKBONES)
def test_psft_resumes_exactly_and_exports_diffusers_weights(name, sim, cache, tmp_path):
    from opensora.train.psft import main

    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(psft_argv(name, sim, straight, cache, "--max-steps", "4", "--train.ckpt_every=2")) == 0
    assert main(psft_argv(name, sim, split, cache, "--max-steps", "2", "--train.ckpt_every=2")) == 0
    assert main(psft_argv(name, sim, split, cache, "--max-steps", "4", "--train.ckpt_every=2", "--resume", "auto")) == 0
    a, b = losses(straight), losses(split)
    assert len(a) == len(b) == 4 and all(np.isfinite(a))
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    ema = read_training_checkpoint(straight / "checkpoints/step-0000004", "ema")
    assert max_abs_diff(ema, read_training_checkpoint(split / "checkpoints/step-0000004", "ema")) < 1e-6
    # the export is the transformer in diffusers' own format, loadable with from_pretrained
    import diffusers

    export = straight / "export" / "ema"
    base = getattr(diffusers, PIPELINES[name]).from_pretrained(resolve_weights(f"tiny:{name}"))
    loaded = type(base.transformer).from_pretrained(str(export / "transformer")).state_dict()
    assert max_abs_diff({k: loaded[k] for k in ema}, ema) == 0
    ident = json.loads((export / "pisa.json").read_text())
    assert ident["backbone"] == name and ident["base_model"] == resolve_weights(f"tiny:{name}")
    # the export CLI writes the same folder from the checkpoint alone
    from opensora.train.export import main as export_main

    again = tmp_path / "cli"
    assert export_main([str(straight / "checkpoints/step-0000004"), "--output-dir", str(again)]) == 0
    reloaded = type(base.transformer).from_pretrained(str(again / "transformer")).state_dict()
    assert max_abs_diff(reloaded, loaded) == 0
    assert json.loads((again / "pisa.json").read_text()) == ident
    env = json.loads((straight / "env.json").read_text())  # 16-fps simulated clips, the model's data.fps
    assert env["data_fps"] == load_config(f"configs/post_training/{name}/tiny_psft.py").data.fps
    assert sum(env["clip_fps"].values()) >= 2 and all(k != "unknown" for k in env["clip_fps"])
    assert export_main([str(straight / "checkpoints/step-0000004"), "--output-dir", str(again)]) == 2  # exists


@pytest.mark.parametrize("name", BACKBONES)
def test_lora_export_loads_into_a_plain_diffusers_pipeline(name, sim, cache, tmp_path):
    import diffusers

    from opensora.train.psft import main

    run = tmp_path / "run"
    lora = ["--model.lora_rank=4", "--model.lora_alpha=8.0", "--model.lora_init=False", "--train.lr=1e-2"]
    assert main(psft_argv(name, sim, run, cache, "--max-steps", "2", *lora)) == 0
    export = run / "export" / "ema"
    assert (export / "pytorch_lora_weights.safetensors").is_file()
    from opensora.train.export import main as export_main  # the CLI writes the same adapters

    assert export_main([str(run / "checkpoints/step-0000002"), "--output-dir", str(tmp_path / "cli")]) == 0
    from safetensors.torch import load_file

    a, b = (
        load_file(export / "pytorch_lora_weights.safetensors"),
        load_file(tmp_path / "cli/pytorch_lora_weights.safetensors"),
    )
    assert a.keys() == b.keys() and max_abs_diff(a, b) == 0
    for folder in (export, tmp_path / "cli"):  # the adapters name the model they were trained on
        ident = json.loads((folder / "pisa.json").read_text())
        assert ident["lora_base"] == ident["base_model"] == resolve_weights(f"tiny:{name}")
    cls = getattr(diffusers, PIPELINES[name])
    adapted = cls.from_pretrained(resolve_weights(f"tiny:{name}"))
    adapted.load_lora_weights(str(export))
    merged = cls.from_pretrained(resolve_weights(f"tiny:{name}"))
    merged.transformer = type(merged.transformer).from_pretrained(str(export / "transformer"))
    # the adapters (alpha / r folded into B) act as the merged export does, and the pipeline generates
    cfg = load_config(f"configs/inference/{name}_tiny.py")
    g = cfg.backbone
    outs = []
    for pipe in (adapted, merged):
        pipe.set_progress_bar_config(disable=True)
        from PIL import Image

        img = Image.fromarray(np.full((g.height, g.width, 3), 90, dtype=np.uint8))
        kw = {"frame_rate": g.fps} if name == "ltx_video" else {}
        out = pipe(image=img, prompt="a red ball falls", height=g.height, width=g.width, num_frames=g.num_frames,
                   num_inference_steps=2, guidance_scale=2.0, generator=torch.Generator().manual_seed(0),
                   output_type="pt", max_sequence_length=16, **kw).frames  # fmt: skip
        outs.append(out)
    assert torch.isfinite(outs[0]).all()
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-3, atol=1e-4)


def oro_context(name, sim, cache, lora: bool):
    """ORO's job, model and a one-clip batch for ``name``'s tiny preset (segmentation reward, K = 2)."""
    extra = {"model.lora_rank": 4, "model.lora_init": False} if lora else {}
    overrides = {
        "data.manifest": str(sim / "psft.csv"),
        "model.text_cache_dir": str(cache / "text"),
        "rewards": [dict(type="segmentation", model=TINY_SAM2, image_size=32)],
        "oro.grad_steps": 2,
        **extra,
    }
    job, _, model, batch, _ = oro_setup(f"configs/post_training/{name}/tiny_oro.py", overrides)
    return job, model, batch


@pytest.mark.parametrize("lora", [False, True])
@pytest.mark.parametrize("name", BACKBONES)
def test_oro_step_gives_gradient_to_every_trainable_parameter(name, lora, sim, cache):
    job, model, batch = oro_context(name, sim, cache, lora)
    loss, per_sample, logs = job.loss(model, batch, seed=0)
    assert torch.isfinite(loss) and loss.requires_grad and "reward/segmentation" in logs
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n, _ in trainable) == lora
    no_grad = [n for n, p in trainable if p.grad is None or not p.grad.abs().sum() > 0]
    assert not no_grad, no_grad


@pytest.mark.slow
def test_two_process_fsdp_psft_and_oro_on_a_diffusers_backbone(sim, cache, tmp_path):
    name = "ltx_video"
    run = tmp_path / "psft"
    res = torchrun_two("opensora.train.psft", psft_argv(name, sim, run, cache, "--max-steps", "2"), timeout=400)
    assert res.returncode == 0, res.stderr[-8000:]
    assert sorted(p.name for p in (run / "checkpoints/step-0000002").glob("*.distcp")) == [
        "__0_0.distcp",
        "__1_0.distcp",
    ]
    oro = tmp_path / "oro"
    o = {"data.manifest": str(sim / "psft.csv"), "model.text_cache_dir": str(cache / "text")}
    o["rewards"] = [dict(type="segmentation", model=TINY_SAM2, image_size=32)]
    argv = [f"configs/post_training/{name}/tiny_oro.py", "--run-dir", str(oro), "--max-steps", "2", *flags(o)]
    argv += ["--train.batch_size=1", "--train.ckpt_every=1"]
    res = torchrun_two("opensora.train.oro", argv, timeout=400)
    assert res.returncode == 0, res.stderr[-8000:]
    assert all(np.isfinite(losses(oro))) and (oro / "export" / "ema" / "transformer").is_dir()


# backbone, frames (tiny presets' own counts; CogVideoX at 25 frames = 7 latent frames), frame subset,
# the latent frames the VAE must receive
SUBSETS = [
    ("wan2_1_i2v_14b_480p", None, [0], 1),
    ("wan2_2_ti2v_5b", None, [0], 1),
    ("cogvideox_5b_i2v", 25, [0, 4], 3),  # needs latents 0..1; its first decode chunk is 3 frames
    ("cogvideox_5b_i2v", 25, [0, 4, 12], 5),  # needs 0..3; chunks end at 3, 5, 7
]


@pytest.mark.parametrize(("name", "num_frames", "frames", "latents"), SUBSETS)
def test_a_frame_subset_decodes_only_the_latent_frames_it_needs(name, num_frames, frames, latents):
    """Causal 3D VAEs (Wan; CogVideoX on its decode-chunk boundaries): the first frames come from a
    prefix of the latents, identical to a full decode. LTX-Video's released decoder is not causal
    (``decoder_causal: false``); it says so and decodes everything."""
    from opensora.backbones import build_backbone
    from tests.opensora.test_backbones import tiny_args

    bb = build_backbone(tiny_args(name, **({"num_frames": num_frames} if num_frames else {})), "cpu", torch.float32)
    seen = []
    vae = bb.pipe.vae
    inner = vae.decode

    def spy(z, *a, **kw):
        seen.append(z.shape[2])  # the VAE's own [B, C, T, h, w]
        return inner(z, *a, **kw)

    vae.decode = spy
    g = bb.geometry
    t_lat = (g.num_frames - 1) // bb.temporal_ratio() + 1
    video = torch.rand(1, 3, g.num_frames, g.height, g.width, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        z = bb.encode(video, generator=torch.Generator().manual_seed(0))  # the backbone's own latent layout
        full = bb.decode(z)
        part = bb.decode(z, frames=frames)
    assert seen == [t_lat, latents]
    torch.testing.assert_close(part, full[:, :, frames], rtol=1e-4, atol=1e-5)
    assert f"latent frames 0..{latents - 1}" in bb.frames_cost(frames)
    assert "not causal" in build_backbone(tiny_args("ltx_video"), "cpu", torch.float32).frames_cost([0])


@pytest.mark.parametrize("name", BACKBONES)
def test_psft_fits_two_clips(name, sim, cache, tmp_path):
    """The tiny pipeline learns two clips: the mean loss of the last 10 of 120 steps is at most half
    that of the first 5 (measured: CogVideoX 0.18, Wan 2.1 0.14, Wan 2.2 0.22, LTX-Video 0.09 of it).
    Two properties of the tiny presets make this possible (opensora/tiny/pipelines.py): the Wan
    transformers are as wide as the values each token outputs, and the CogVideoX / LTX-Video VAEs
    have a trained VAE's narrow posterior — with a random encoder's std ≈ 1 every sampled latent is
    mostly fresh noise and the loss stalls near 0.75."""
    from opensora.train.psft import main

    run = tmp_path / "fit"
    argv = psft_argv(name, sim, run, cache, "--max-steps", "120", "--data.limit=2", "--train.lr=3e-3")
    assert main([*argv, "--train.ckpt_every=1000"]) == 0
    loss = losses(run)
    assert len(loss) == 120 and np.mean(loss[-10:]) <= 0.5 * np.mean(loss[:5]), (
        np.mean(loss[:5]),
        np.mean(loss[-10:]),
    )


def test_validation_runs_through_a_padded_canvas_backbone(sim, cache, tmp_path):
    """CogVideoX's square clips are padded onto its canvas, sampled, taken back to the square and scored."""
    from opensora.train.psft import main

    run = tmp_path / "val"
    extra = [f"--validation.manifest={sim / 'psft.csv'}", "--validation.limit=2", "--validation.segmenter=template"]
    assert main([*psft_argv("cogvideox_5b_i2v", sim, run, cache, "--max-steps", "1"), *extra]) == 0
    summary = json.loads((run / "val" / "step-0000001" / "summary.json").read_text())
    assert summary["counts"]["evaluated"] == 2
    frame = next((run / "val" / "step-0000001").glob("*/rgba_00000.jpg"))
    from PIL import Image

    assert Image.open(frame).size == (32, 32)


def test_an_export_whose_config_disagrees_with_its_weights_is_named(sim, cache, tmp_path, capsys):
    import shutil

    from opensora import inference
    from opensora.train.psft import main
    from tests.conftest import run_cli
    from tests.opensora.test_score_model import benchmark

    run = tmp_path / "run"
    assert main(psft_argv("ltx_video", sim, run, cache, "--max-steps", "1")) == 0
    bad = tmp_path / "bad"
    shutil.copytree(run / "export" / "ema", bad)
    cfg = json.loads((bad / "transformer" / "config.json").read_text())
    (bad / "transformer" / "config.json").write_text(json.dumps({**cfg, "num_layers": cfg["num_layers"] + 1}))
    argv = ["configs/inference/ltx_video_tiny.py", "--benchmark-dir", benchmark(tmp_path / "b", "real")]
    argv += ["--inference.device=cpu", "--model-path", bad, "--output-dir", tmp_path / "o"]
    rc, _, err = run_cli(inference.main, argv, capsys)
    assert rc == 2 and "transformer/config.json: does not match the weights beside it" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_oro_lora_on_a_psft_export_names_the_export_its_adapters_sit_on(sim, cache, tmp_path):
    from opensora.train.oro import main as oro_main
    from opensora.train.psft import main as psft_main

    name = "ltx_video"
    psft = tmp_path / "psft"
    assert psft_main(psft_argv(name, sim, psft, cache, "--max-steps", "1")) == 0
    oro = tmp_path / "oro"
    o = {"data.manifest": str(sim / "psft.csv"), "model.text_cache_dir": str(cache / "text")}
    o["rewards"] = [dict(type="segmentation", model=TINY_SAM2, image_size=32)]
    o |= {"model.model_path": str(psft / "export" / "ema"), "model.lora_rank": 4, "model.lora_init": False}
    argv = [f"configs/post_training/{name}/tiny_oro.py", "--run-dir", str(oro), "--max-steps", "1", *flags(o)]
    assert oro_main([*argv, "--train.batch_size=1"]) == 0
    ident = json.loads((oro / "export" / "ema" / "pisa.json").read_text())
    assert ident["base_model"] == resolve_weights(f"tiny:{name}")  # what transformer/ completes
    assert ident["lora_base"] == str(psft / "export" / "ema")  # the adapters hold ORO's change to PSFT's weights
