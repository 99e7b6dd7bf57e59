"""Perception adapters on tiny random models of the real classes: save/reload, outputs, gradients,
and the SAM 2 mask-generation CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from evaluation import generate_masks as G  # noqa: E402
from evaluation.core.errors import InputError  # noqa: E402
from evaluation.perception import depth as D  # noqa: E402
from evaluation.perception import raft as R  # noqa: E402
from evaluation.perception.sam2 import Sam2Segmenter, save_tiny_sam2  # noqa: E402
from evaluation.schema import read_mask, write_mask, write_sample  # noqa: E402
from tests.conftest import write_clip  # noqa: E402


@pytest.fixture(scope="module")
def sam_dir(tmp_path_factory):
    return save_tiny_sam2(tmp_path_factory.mktemp("sam2"), image_size=128)


@pytest.fixture(scope="module")
def seg(sam_dir):
    return Sam2Segmenter(str(sam_dir), device="cpu")


def video(t=3, s=64, seed=0):
    return (np.random.default_rng(seed).random((t, s, s, 3)) * 255).astype(np.uint8)


def test_sam2_points_and_masks(seg):
    frames = video()
    m = seg.segment(
        frames,
        points=[{"positive": [[10, 12]], "negative": []}, {"positive": [[40, 40], [42, 41]], "negative": [[5, 5]]}],
    )
    assert m.shape == (3, 2, 64, 64) and m.dtype == bool
    gt = np.zeros((2, 64, 64), bool)
    gt[0, 5:20, 5:20] = True
    gt[1, 30:50, 30:50] = True
    m2 = seg.segment(frames, masks=gt)
    assert m2.shape == (3, 2, 64, 64)
    assert (m2[0] == gt).mean() > 0.95  # frame 0 reproduces the prompt masks
    assert seg.record["adapter"] == "sam2_video" and "model.safetensors" in seg.record["weights_sha256"]


def test_sam2_bad_prompts(seg):
    frames = video()
    with pytest.raises(ValueError, match="outside the 64x64"):
        seg.segment(frames, points=[{"positive": [[70, 3]]}])
    with pytest.raises(ValueError, match="either point prompts or frame-0 masks"):
        seg.segment(frames)
    with pytest.raises(ValueError, match="empty in frame 0"):
        seg.segment(frames, masks=np.zeros((1, 64, 64), bool))


def test_sam2_soft_masks_gradient(seg):
    vid = torch.tensor(video(), dtype=torch.float32).permute(0, 3, 1, 2).requires_grad_(True)
    gt = np.zeros((1, 64, 64), bool)
    gt[0, 10:40, 10:40] = True
    p = seg.soft_masks(vid, gt)
    assert p.shape == (3, 1, 64, 64) and ((p >= 0) & (p <= 1)).all()
    p.mean().backward()
    assert torch.isfinite(vid.grad).all() and vid.grad.abs().sum() > 0


def test_sam2_reduced_image_size(sam_dir):
    small = Sam2Segmenter(str(sam_dir), device="cpu", image_size=64)
    assert small.model.config.image_size == 64 and small.record["options"]["image_size"] == 64
    frames = video()
    gt = np.zeros((1, 64, 64), bool)
    gt[0, 10:40, 10:40] = True
    assert small.segment(frames, masks=gt).shape == (3, 1, 64, 64)
    vid = torch.tensor(frames, dtype=torch.float32).permute(0, 3, 1, 2).requires_grad_(True)
    small.soft_masks(vid, gt).mean().backward()
    assert vid.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="multiple of 16"):
        Sam2Segmenter(str(sam_dir), device="cpu", image_size=50)


def test_raft_tiny_round_trip_and_gradient(tmp_path):
    m = R.build_raft("raft_tiny", weights=None, device="cpu")
    path = R.save_raft(m, tmp_path / "raft_tiny.pth", "raft_tiny")
    m2 = R.build_raft("raft_tiny", weights=str(path), device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values(), strict=True))
    f = R.flow(m2, video(3, 60), num_flow_updates=2)
    assert f.shape == (2, 60, 60, 2) and f.dtype == np.float32
    vid = torch.tensor(video(3, 60), dtype=torch.float32).permute(0, 3, 1, 2).requires_grad_(True)
    R.flow_differentiable(m2, vid, 2).abs().mean().backward()
    assert torch.isfinite(vid.grad).all() and vid.grad.abs().sum() > 0
    with pytest.raises(InputError, match="download_raft.sh"):
        R.build_raft("raft_tiny", weights=str(tmp_path / "missing.pth"))


def test_depth_tiny_round_trip_and_gradient(tmp_path):
    folder = D.save_tiny_depth(tmp_path / "depth")
    m = D.build_depth(str(folder), device="cpu")
    vid = torch.tensor(video(2, 40), dtype=torch.float32).permute(0, 3, 1, 2).requires_grad_(True)
    d = D.depth_differentiable(m, vid, input_size=56)
    assert d.shape == (2, 40, 40)
    n = D.minmax_per_frame(d)
    assert float(n.amin()) >= 0 and float(n.amax()) <= 255.0 + 1e-3
    n.mean().backward()
    assert torch.isfinite(vid.grad).all() and vid.grad.abs().sum() > 0
    with pytest.raises(InputError, match="download_depth_anything_v2.sh"):
        D.build_depth(str(tmp_path / "nope"))


def test_generate_masks_cli(tmp_path, sam_dir, capsys):
    # ground truth from annotated points
    for i in range(2):
        write_clip(tmp_path / "gt" / f"{i:04d}", seed=i)
    argv = ["configs/data_processing/generate_mask.py", f"--model={sam_dir}", "--masks.device=cpu"]
    out = tmp_path / "gt_masks"
    assert G.main([*argv, "--video-root", str(tmp_path / "gt"), "--output-root", str(out)]) == 0
    m = read_mask(out / "0000" / "mask.npz")
    n_obj = len(json.loads((tmp_path / "gt" / "0000" / "clip_info.json").read_text())["points"])
    assert m.shape == (16, n_obj, 64, 64)
    assert "already have masks" in capsys.readouterr().out
    # generated clips prompted with ground-truth frame-0 masks; one clip is corrupt
    for i in range(2):
        write_sample(tmp_path / "gen" / f"{i:04d}", frames=video(4, 64, i + 5), clip_info={"fps": 16}, movie=False)
    (tmp_path / "gen" / "0001" / "rgba_00002.jpg").write_bytes(b"broken")
    rc = G.main([*argv, "--video-root", str(tmp_path / "gen"), "--prompt-mask-root", str(tmp_path / "gt")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "0001" in err and "cannot read image" in err
    assert (tmp_path / "gen" / "0000" / "mask.npz").is_file() and not (tmp_path / "gen" / "0001" / "mask.npz").exists()
    assert not (tmp_path / "gen" / "masks_run.json").exists()  # a failed run writes only its failure record
    run = json.loads((tmp_path / "gen" / "failed-masks.json").read_text())
    assert run["adapter"]["adapter"] == "sam2_video" and len(run["failures"]) == 1


def test_generate_masks_shards_and_errors(tmp_path, sam_dir):
    for i in range(3):
        write_clip(tmp_path / "v" / f"{i:04d}", seed=i)
    args = G.MaskArgs(video_root=str(tmp_path / "v"), shard="1/2")
    assert [j.video[-4:] for j in G.plan_jobs(args)] == ["0001"]
    with pytest.raises(ValueError, match="i/n"):
        G.MaskArgs(shard="x").shard_index()
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"video": "a"}\n')
    with pytest.raises(Exception, match="m.jsonl:1"):
        G.plan_jobs(G.MaskArgs(config_file=str(bad)))
    write_mask(tmp_path / "pm.npz", np.zeros((2, 1, 32, 32), bool))
    job = G.MaskJob(str(tmp_path / "v" / "0000"), None, str(tmp_path / "pm.npz"), str(tmp_path / "o.npz"))
    with pytest.raises(Exception, match="32 height, expected 64"):
        G.prompts_for(job, 64, 64)
