"""End to end on CPU: tiny random models generate clips from PisaBench-format first frames, the
tiny SAM 2 adapter segments them, and the evaluation CLI scores them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from evaluation import generate_masks
from evaluation import run as eval_run
from evaluation.perception.sam2 import save_tiny_sam2
from evaluation.schema import validate_sample, write_sample
from opensora import inference
from opensora.models.text_encoder.t5 import T5Encoder, save_tiny_t5


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    return save_tiny_t5(tmp_path_factory.mktemp("t5"))


def test_generate_and_score(tmp_path, t5_dir):
    bench = tmp_path / "real_64"
    rng = np.random.default_rng(0)
    for i in range(2):
        frames = (rng.random((3, 64, 64, 3)) * 255).astype(np.uint8)
        info = {"fps": 16, "text": "A red mug falls.", "points": [{"positive": [[20.0, 20.0]], "negative": []}]}
        write_sample(bench / f"{i:04d}", frames=frames, clip_info=info, frame_prefix="", movie=False)
    out = tmp_path / "gen"
    argv = [
        "configs/inference/tiny.py",
        "--benchmark-dir",
        str(bench),
        "--output-dir",
        str(out),
        f"--backbone.text_encoder_path={t5_dir}",
    ]
    assert inference.main(argv) == 0
    for i in range(2):
        s = out / f"{i:04d}"
        assert validate_sample(s)["frames"] == 8
        info = json.loads((s / "clip_info.json").read_text())
        assert (
            info["text"] == "A red mug falls." and info["seed"] == 1024 and info["sampler"]["num_sampling_steps"] == 3
        )
    # masks with the (tiny, random) SAM 2 adapter: ground truth from its points, generated clips
    # from the ground truth's frame-0 masks; then the benchmark scores them
    sam = save_tiny_sam2(tmp_path / "sam2")
    masks = ["configs/data_processing/generate_mask.py", f"--model={sam}", "--masks.device=cpu"]
    assert generate_masks.main([*masks, "--video-root", str(bench)]) == 0
    assert generate_masks.main([*masks, "--video-root", str(out), "--prompt-mask-root", str(bench)]) == 0
    res = tmp_path / "eval"
    rc = eval_run.main(
        [
            "configs/eval/sim.py",
            "--gt-root",
            str(bench),
            "--pred-root",
            str(out),
            "--output_dir",
            str(res),
            "--figures.enabled=False",
        ]
    )
    assert rc == 0
    summary = json.loads((res / "summary.json").read_text())
    assert summary["counts"]["evaluated"] == 2 and summary["metrics"]["iou"]["n"] == 2
    assert inference.main(argv) == 0  # finished samples are skipped


def test_prompt_file_format(tmp_path):
    text, opts = inference.parse_prompt_line(
        'A black eraser falls.{"reference_path": "real_256/0000/00000.jpg", "mask_strategy": "0"}', "p:1"
    )
    assert text == "A black eraser falls." and opts["reference_path"].endswith("00000.jpg")
    with pytest.raises(ValueError, match="p:2: the JSON"):
        inference.parse_prompt_line("x{bad", "p:2")
    p = tmp_path / "prompts.txt"
    p.write_text('A toy falls.{"mask_strategy": "0"}\n')
    args = inference.InferenceArgs(prompt_file=str(p))
    with pytest.raises(ValueError, match="no reference_path"):
        inference.load_jobs(args)


def test_prompt_features_are_encoded_once_and_cached(tmp_path, t5_dir):
    from opensora.backbones.prompts import PromptFeatures

    class CountingBackbone:
        """A fake backbone around the tiny T5 that counts how often prompts are encoded."""

        calls = 0

        def text_identity(self):
            return "tiny-t5:16"

        def encode_prompts(self, texts):
            CountingBackbone.calls += 1
            y, m = T5Encoder(str(t5_dir), max_length=16).encode(texts)
            return {"y": y, "mask": m}

    prompt = "a video of an object dropping"
    a = PromptFeatures(CountingBackbone(), [prompt, prompt], tmp_path)
    b = PromptFeatures(CountingBackbone(), [prompt], tmp_path)  # read back from disk
    assert CountingBackbone.calls == 1
    fa, fb = a.batch([prompt, prompt], "cpu"), b.batch([prompt], "cpu")
    assert fa["y"].shape == (2, 1, 16, 32) and torch.equal(fa["y"][:1], fb["y"])
    assert torch.equal(fa["mask"][:1], fb["mask"]) and int(fb["mask"].sum()) == 7  # six words + </s>


def test_random_weights_need_opt_in():
    from opensora.backbones import BackboneArgs

    with pytest.raises(ValueError, match="allow_random_weights"):
        BackboneArgs(model_path=None)


def test_prompt_cache_keys_on_the_text_encoders_content(tmp_path, t5_dir):
    import shutil
    from types import SimpleNamespace

    from opensora.backbones.opensora_v1_2 import OpenSoraV12

    t5 = tmp_path / "t5"
    shutil.copytree(t5_dir, t5)
    args = SimpleNamespace(text_encoder_path=str(t5), text_max_length=16)
    before = OpenSoraV12.text_identity(args)
    moved = tmp_path / "t5_elsewhere"
    shutil.copytree(t5, moved)
    assert OpenSoraV12.text_identity(SimpleNamespace(text_encoder_path=str(moved), text_max_length=16)) == before
    weights = next(t5.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # the text encoder replaced in place, same path
    weights.write_bytes(bytes(data))
    assert OpenSoraV12.text_identity(args) != before
