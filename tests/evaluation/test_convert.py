"""Resolution conversion: round trips, crop/pad consistency, released JSONL mode, failures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from evaluation import convert as C
from evaluation import schema as S
from tests.conftest import write_clip


def _args(**kw):
    return C.ConvertArgs(**{"write_movie": False, **kw})


def test_square_round_trip_masks_and_points_exact(tmp_path):
    masks = write_clip(tmp_path / "src", resolution=64)
    info = S.read_clip_info(tmp_path / "src" / S.CLIP_INFO_FILE)
    assert C.convert_sample(tmp_path / "src", tmp_path / "up", _args(resolution=128)) == "done"
    assert C.convert_sample(tmp_path / "up", tmp_path / "back", _args(resolution=64)) == "done"
    np.testing.assert_array_equal(S.read_mask(tmp_path / "back" / S.MASK_FILE), masks)
    back = S.read_clip_info(tmp_path / "back" / S.CLIP_INFO_FILE)
    for a, b in zip(info["points"], back["points"], strict=True):
        np.testing.assert_allclose(a["positive"], b["positive"])
    up = S.read_clip_info(tmp_path / "up" / S.CLIP_INFO_FILE)
    assert up["height"] == up["width"] == 128
    np.testing.assert_allclose(up["points"][0]["positive"], np.array(info["points"][0]["positive"]) * 2)
    frames = S.read_frames(tmp_path / "back").astype(float)
    assert np.abs(frames - S.read_frames(tmp_path / "src")).mean() < 6  # bicubic + JPEG
    assert S.validate_sample(tmp_path / "up")["height"] == 128


def test_nearest_index_matches_pil_nearest():
    rng = np.random.default_rng(0)
    m = rng.random((37, 37)) < 0.5
    for r in (16, 64, 100):
        ours = C.convert_nearest(m[None], C.plan_geometry(37, 37, r, crop=None, pad=False), 1)[0]
        pil = np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize((r, r), Image.Resampling.NEAREST)) > 0
        np.testing.assert_array_equal(ours, pil)


def _non_square_sample(path, h=48, w=80):
    """A sample with a rectangle object and a point on it, non-square frames."""
    mask = np.zeros((2, 1, h, w), bool)
    mask[:, 0, 20:30, 50:60] = True
    frames = np.zeros((2, h, w, 3), np.uint8)
    frames[mask[:, 0]] = 255
    info = {"fps": 16, "points": [{"positive": [[54.5, 24.5]], "negative": [[5.0, 5.0]]}]}
    S.write_sample(path, frames=frames, mask=mask, clip_info=info, frame_prefix="", movie=False)


@pytest.mark.parametrize("mode", [{"crop": "center"}, {"pad": True}])
def test_crop_and_pad_keep_points_on_masks(tmp_path, mode):
    _non_square_sample(tmp_path / "src")
    C.convert_sample(tmp_path / "src", tmp_path / "dst", _args(resolution=32, **mode))
    mask = S.read_mask(tmp_path / "dst" / S.MASK_FILE)
    info = S.read_clip_info(tmp_path / "dst" / S.CLIP_INFO_FILE)
    x, y = info["points"][0]["positive"][0]
    assert mask[0, 0, int(y), int(x)]
    frames = S.read_frames(tmp_path / "dst")
    assert frames.shape == (2, 32, 32, 3)
    assert frames[0, int(y), int(x)].mean() > 128  # the bright object is under the point too
    assert S.list_frames(tmp_path / "dst")[0].name == "00000.jpg"  # real layout kept
    assert info["conversion"]["mode"] == ("crop_center" if "crop" in mode else "pad")
    assert info["conversion"]["dropped_negative_points"] == (1 if "crop" in mode else 0)


def test_crop_cutting_off_a_positive_point_is_an_error(tmp_path):
    _non_square_sample(tmp_path / "src")
    info = S.read_clip_info(tmp_path / "src" / S.CLIP_INFO_FILE)
    info["points"][0]["positive"].append([75.0, 24.0])  # outside the central 48x48 square
    S.write_clip_info(tmp_path / "src" / S.CLIP_INFO_FILE, info)
    with pytest.raises(S.SchemaError, match="clip_info.json: points.0..positive .* outside the cropped square"):
        C.convert_sample(tmp_path / "src", tmp_path / "dst", _args(resolution=32, crop="center"))


def test_pad_geometry_values():
    g = C.plan_geometry(48, 80, 40, crop=None, pad=True)
    assert (g.y0, g.x0, g.side, g.scale) == (-16, 0, 80, 0.5)
    g = C.plan_geometry(48, 80, 24, crop="center", pad=False)
    assert (g.y0, g.x0, g.side, g.scale) == (0, 16, 48, 0.5)


def test_non_square_refused_without_mode(tmp_path):
    _non_square_sample(tmp_path / "src")
    with pytest.raises(S.SchemaError, match="80x48, not square; use --crop center or --pad"):
        C.convert_sample(tmp_path / "src", tmp_path / "dst", _args(resolution=32))
    assert not (tmp_path / "dst" / S.CLIP_INFO_FILE).exists()


def test_flow_and_depth_are_converted(tmp_path):
    frames = np.zeros((3, 8, 8, 3), np.uint8)
    flow = np.zeros((2, 8, 8, 2), np.float32)
    flow[..., 0] = 1.5
    S.write_sample(
        tmp_path / "s", frames=frames, clip_info={"fps": 16}, depth=np.full((3, 8, 8), 2.0), flow=flow, movie=False
    )
    C.convert_sample(tmp_path / "s", tmp_path / "d", _args(resolution=16))
    np.testing.assert_allclose(S.read_flow(tmp_path / "d" / S.FLOW_FILE)[..., 0], 3.0)  # vectors scale with the image
    assert S.read_depth(tmp_path / "d" / S.DEPTH_FILE).shape == (3, 16, 16)


def test_cli_jsonl_mode_resume_and_failures(tmp_path, capsys):
    write_clip(tmp_path / "a")
    _non_square_sample(tmp_path / "b")
    cfg = tmp_path / "conv.jsonl"
    lines = [
        {"src_video": str(tmp_path / "a"), "dst_video": str(tmp_path / "out" / "a"), "resolution": 32},
        {"src_video": str(tmp_path / "b"), "dst_video": str(tmp_path / "out" / "b"), "resolution": 32},
    ]
    cfg.write_text("\n".join(json.dumps(x) for x in lines))
    argv = ["configs/data_processing/convert_real.py", "--config_file", str(cfg)]
    assert C.main(argv) == 1  # b is not square
    err = capsys.readouterr().err
    assert "FAILED" in err and str(tmp_path / "b") in err
    assert C.main([*argv, "--allow-failures"]) == 0
    assert "already done 1" in capsys.readouterr().out  # a is skipped on the re-run
    assert C.main([*argv, "--crop", "center"]) == 0
    assert S.validate_sample(tmp_path / "out" / "b")["height"] == 32


def test_cli_directory_mode(tmp_path):
    write_clip(tmp_path / "src" / "x" / "0001")
    write_clip(tmp_path / "src" / "x" / "0002", seed=2)
    rc = C.main(
        [
            "configs/data_processing/convert_sim.py",
            "--src-root",
            str(tmp_path / "src"),
            "--dst-root",
            str(tmp_path / "dst"),
            "--resolution",
            "32",
        ]
    )
    assert rc == 0
    assert S.validate_sample(tmp_path / "dst" / "x" / "0002")["height"] == 32
