"""Open-Sora v1.2's inference front end as the release has it (prompts, crop, seeding, config keys, fp16)."""

from __future__ import annotations

import json

import numpy as np
import torch

from opensora.backbones import BackboneArgs, build_backbone
from opensora.backbones.frames import fill_geometry, resize_crop_to_fill, to_model_range
from opensora.backbones.opensora_v1_2 import released_prompt
from opensora.backbones.sampling import sample_latents
from opensora.schedulers.rf import RFlowArgs, timestep_transform


def test_prompts_get_the_score_suffix_once_and_are_cleaned_twice():
    assert released_prompt("A Red mug falls.", 6.5) == "a red mug falls. aesthetic score: 6.5."
    assert released_prompt("A toy falls.", 7) == "a toy falls. aesthetic score: 7.0."  # one decimal
    assert released_prompt("A toy falls. aesthetic score: 5.0.", 6.5) == "a toy falls. aesthetic score: 5.0."
    assert released_prompt("See https://example.com/x.png the <b>BALL</b>  falls", None) == "see the ball falls"


# outputs of the release's text_preprocessing (Open-Sora v1.2.0, opensora/models/text_encoder/t5.py) on
# prompts whose first or last character is punctuation: diffusers' copy of clean_caption, which does
# not strip after html.unescape, gave '- a ball falls.', '" "', 'drops ’', 'mug 4 ' … for them
RELEASE_OUTPUTS = {
    "(:-) A ball falls.": "a ball falls.",
    ")“»  ” &/'": '"',
    "drops :’ \\n": "drops",
    "mug 4-_ (~}& http://x.com": "mug 4",
    "| 4x5 page 3 &quot; red *a ~}h _-{|": '" red a h',
}


def test_prompt_cleaning_is_the_releases_on_punctuation_heavy_prompts():
    for prompt, want in RELEASE_OUTPUTS.items():
        assert released_prompt(prompt, None) == want, prompt


def test_crop_offset_rounds_half_to_even_as_the_release():
    # 103 wide → 3 px excess: the release centres with round(1.5) = 2 (a floor would give 1)
    assert fill_geometry(100, 103, 100, 100) == (100, 103, 0, 2)
    assert fill_geometry(100, 105, 100, 100) == (100, 105, 0, 2)  # round(2.5) = 2
    img = np.zeros((100, 103, 3), dtype=np.uint8)
    img[:, 2] = 255  # the first column the release keeps
    assert (resize_crop_to_fill(img, (100, 100))[:, 0] == 255).all()


def tiny() -> BackboneArgs:
    from tests.opensora.test_backbones import tiny_args

    return tiny_args("opensora_v1_2")


def test_one_seed_gives_one_video_within_a_process():
    """The reference's VAE posterior sample comes from the generation's generator (the release used the global RNG)."""
    torch.manual_seed(0)
    bb = build_backbone(tiny(), "cpu", torch.float32, RFlowArgs(num_sampling_steps=2))
    first = to_model_range(np.full((32, 32, 3), 90, dtype=np.uint8))[None]
    feats = bb.encode_prompts(["a ball falls"])

    def run(seed):
        torch.manual_seed(seed * 7 + 1)  # the global RNG must not matter
        return sample_latents(
            bb, None, first, feats, steps=2, guidance_scale=3.0, generator=torch.Generator().manual_seed(seed)
        )

    torch.testing.assert_close(run(5), run(5), rtol=0, atol=0)
    assert not torch.equal(run(5), run(6))


def test_training_clips_and_inference_prepare_frame_zero_the_same_way(tmp_path):
    from evaluation.schema import write_sample
    from opensora.datasets.clips import ClipDataset
    from opensora.datasets.manifest import ManifestRow

    rng = np.random.default_rng(0)
    frames = (rng.random((2, 48, 61, 3)) * 255).astype(np.uint8)
    write_sample(tmp_path / "s", frames=frames, clip_info={"fps": 16, "text": "x"}, movie=False)
    row = ManifestRow(path=str(tmp_path / "s"), text="x", sample_id="s", split="", line=2)
    clip = ClipDataset([row], 2, 32)[0]["video"]
    bb = build_backbone(tiny(), "cpu", torch.float32, RFlowArgs())
    from evaluation.schema import list_frames, read_image

    torch.testing.assert_close(clip[:, 0], bb.prepare_first_frame(read_image(list_frames(tmp_path / "s")[0])))


def test_config_json_written_by_transformers_5_loads(tmp_path):
    from opensora.models import build_stdit3, save_pretrained, stdit3_from_pretrained

    folder = save_pretrained(build_stdit3("STDiT3-tiny"), tmp_path / "m")
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "dtype": "bfloat16", "torch_dtype": "bfloat16"}))
    assert stdit3_from_pretrained(str(folder)).config.depth == build_stdit3("STDiT3-tiny").config.depth


def test_timestep_transform_is_finite_for_fp16_sizes():
    args = RFlowArgs(use_timestep_transform=True)
    t = torch.tensor([700.0, 300.0])
    sizes = [torch.full((2,), v) for v in (256.0, 256.0, 32.0)]
    ref = timestep_transform(t, *sizes, args)
    half = timestep_transform(t, *(s.half() for s in sizes), args)
    assert torch.isfinite(half).all()
    torch.testing.assert_close(half.float(), ref)
