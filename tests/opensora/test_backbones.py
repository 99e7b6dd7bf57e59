"""Every backbone on tiny random weights: the diffusers pipelines' own output, grad_steps, frame 0, loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from opensora.backbones import BackboneArgs, build_backbone
from opensora.backbones.base import Geometry
from opensora.backbones.frames import to_model_range
from opensora.backbones.sampling import sample_latents
from opensora.schedulers.rf import RFlowArgs
from opensora.tiny import resolve_specs, resolve_weights

# backbone -> (pipeline class, pipeline call extras); sizes from configs/inference/<name>_tiny.py
DIFFUSERS = {
    "cogvideox_5b_i2v": ("CogVideoXImageToVideoPipeline", {}),
    "wan2_1_i2v_14b_480p": ("WanImageToVideoPipeline", {}),
    "wan2_2_ti2v_5b": ("WanImageToVideoPipeline", {}),
    "ltx_video": ("LTXImageToVideoPipeline", {"frame_rate": 24}),
}
PROMPT, NEGATIVE = "a red ball falls", "blurry static"


def tiny_args(name: str, **overrides) -> BackboneArgs:
    """The ``backbone`` section of the tiny preset ``configs/inference/<name>_tiny.py``."""
    from evaluation.core.config import load_config, section

    extra = {"backbone.height": 32, "backbone.width": 32} if name == "opensora_v1_2" else {}
    if name != "opensora_v1_2":
        extra["backbone.negative_prompt"] = NEGATIVE
    extra.update({f"backbone.{k}": v for k, v in overrides.items()})
    return section(resolve_specs(load_config(f"configs/inference/{name}_tiny.py", extra)), "backbone", BackboneArgs)


def first_frame(h: int, w: int) -> np.ndarray:
    img = np.full((h, w, 3), 40, dtype=np.uint8)
    img[h // 4 : h // 2, w // 3 : w // 2] = (220, 30, 30)
    return img


@pytest.mark.parametrize("name", list(DIFFUSERS))
def test_generation_equals_the_diffusers_pipeline(name):
    """Same first frame, prompts, size, steps, guidance and seed: the pipeline's frames within 1e-4."""
    import diffusers
    from PIL import Image

    cls, extra = DIFFUSERS[name]
    args = tiny_args(name)
    h, w, f = args.height, args.width, args.num_frames
    bb = build_backbone(args, "cpu", torch.float32)
    img = first_frame(h, w)
    pipe = getattr(diffusers, cls).from_pretrained(resolve_weights(f"tiny:{name}"))
    pipe.set_progress_bar_config(disable=True)
    guidance = 5.0
    ref = pipe(
        image=Image.fromarray(img),
        prompt=PROMPT,
        negative_prompt=NEGATIVE,
        height=h,
        width=w,
        num_frames=f,
        num_inference_steps=4,
        guidance_scale=guidance,
        generator=torch.Generator().manual_seed(7),
        output_type="pt",
        max_sequence_length=16,
        **extra,
    ).frames  # [B, T, 3, H, W] in [0, 1]
    gen = torch.Generator().manual_seed(7)
    feats = bb.encode_prompts([PROMPT])
    z = sample_latents(bb, None, to_model_range(img)[None], feats, steps=4, guidance_scale=guidance, generator=gen)
    ours = (bb.decode(z, generator=gen) / 2 + 0.5).clamp(0, 1).permute(0, 2, 1, 3, 4)
    assert ours.shape == ref.shape
    assert (ours - ref).abs().max().item() < 1e-4


class CallRecorder(torch.nn.Module):
    """Wraps a denoiser and records, per call, whether its output is part of the autograd graph."""

    def __init__(self, inner):
        super().__init__()
        self.module = inner
        self.graph = []

    def forward(self, *args, **kwargs):
        out = self.module(*args, **kwargs)
        first = out[0] if isinstance(out, tuple) else out
        self.graph.append(first.requires_grad)
        return out


@pytest.mark.parametrize("name", ["opensora_v1_2", *DIFFUSERS])
@pytest.mark.parametrize("k", [0, 1, 2])
def test_grad_steps_keep_a_graph_through_the_last_k_calls_only(name, k):
    torch.manual_seed(0)
    args = tiny_args(name)
    bb = build_backbone(args, "cpu", torch.float32, RFlowArgs())
    model = CallRecorder(bb.denoiser())
    model.module.requires_grad_(True)
    first = to_model_range(first_frame(args.height, args.width))[None]
    feats = bb.encode_prompts([PROMPT])
    steps = 3
    z = sample_latents(
        bb, model, first, feats, steps=steps, guidance_scale=3.0, generator=torch.Generator().manual_seed(0),
        grad_steps=k, checkpoint_model=k == 2,
    )  # fmt: skip
    per_step = len(model.graph) // steps  # Wan calls the model twice per step (cond, uncond)
    assert model.graph == [False] * (steps - k) * per_step + [True] * k * per_step
    if k:
        (bb.decode(z) ** 2).mean().backward()
        grads = [p.grad for p in model.module.parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads)
    else:
        assert not z.requires_grad


@pytest.mark.parametrize("name", ["opensora_v1_2", "wan2_2_ti2v_5b"])
def test_frame_zero_is_the_first_frame_as_the_vae_reconstructs_it(name):
    """Backbones that replace latent frame 0 with the image's latent, with causal VAEs: decoded frame 0 is
    exactly the VAE's reconstruction of the first frame. (CogVideoX and Wan 2.1 condition by concatenation
    and LTX decodes non-causally: there frame 0 is the model's work, which random weights cannot show.)"""
    args = tiny_args(name)
    bb = build_backbone(args, "cpu", torch.float32, RFlowArgs())
    first = to_model_range(first_frame(args.height, args.width))[None]
    gen = torch.Generator().manual_seed(0)
    z = sample_latents(bb, None, first, bb.encode_prompts([PROMPT]), steps=2, guidance_scale=2.0, generator=gen)
    with torch.no_grad():
        frame0 = bb.decode(z)[:, :, 0]
        recon = bb.decode(
            bb.encode(first[:, :, None].repeat(1, 1, 1, 1, 1), generator=torch.Generator().manual_seed(0))
        )
    gen_err = (frame0 - first).abs().mean().item()
    vae_err = (recon[:, :, 0] - first).abs().mean().item()
    assert gen_err == pytest.approx(vae_err, rel=0.05, abs=1e-3)


def test_a_pipeline_folder_loads_by_path_and_bad_folders_are_named(tmp_path):
    from evaluation.core.errors import InputError

    folder = resolve_weights("tiny:ltx_video")
    args = tiny_args("ltx_video")
    args.model_path = folder  # the same folder by its path, as users pass a local copy
    bb = build_backbone(args, "cpu", torch.float32)
    assert bb.describe()["model_id"] == folder and bb.describe()["square_handling"] == "native"
    args.model_path = str(tmp_path)
    with pytest.raises(InputError, match="model_index.json"):
        build_backbone(args, "cpu", torch.float32)


def test_padding_places_the_square_frame_and_takes_it_back():
    from opensora.backbones.frames import pad_to_canvas, video_to_square

    img = first_frame(40, 40)
    canvas = pad_to_canvas(img, (40, 60))
    assert canvas.shape == (40, 60, 3) and (canvas[:, :10] == 0).all() and (canvas[:, 10:50] == img).all()
    video = to_model_range(canvas)[:, None]  # [3, 1, 40, 60]
    back = video_to_square(video[None], Geometry(40, 60, 1, 8, "pad"), 40)
    torch.testing.assert_close(back[0, :, 0], to_model_range(img))


def test_geometry_the_model_cannot_take_is_a_config_error():
    from evaluation.core.errors import ConfigError

    args = tiny_args("wan2_1_i2v_14b_480p")
    args.num_frames = 10  # Wan needs 4k + 1 frames
    with pytest.raises(ConfigError, match="num_frames=10"):
        build_backbone(args, "cpu", torch.float32)
