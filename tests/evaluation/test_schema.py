"""The data schema: round trips, and malformed inputs giving errors that name the file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from evaluation import schema as S
from evaluation.benchmark import EvalItem, load_manifest, load_pair
from tests.conftest import write_clip


def test_round_trip(tmp_path):
    masks = write_clip(tmp_path / "c", movie=True)
    frames = S.read_frames(tmp_path / "c")
    assert frames.shape == (16, 64, 64, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(S.read_mask(tmp_path / "c" / S.MASK_FILE), masks)
    info = S.read_clip_info(tmp_path / "c" / S.CLIP_INFO_FILE)
    assert info["num_frames"] == 16 and info["fps"] == 16 and len(info["points"]) == masks.shape[1]
    summary = S.validate_sample(tmp_path / "c")
    assert summary == {"sample": "c", "frames": 16, "height": 64, "width": 64, "objects": masks.shape[1]}
    assert (tmp_path / "c" / S.MOVIE_FILE).stat().st_size > 0
    assert [p.name for p in S.list_frames(tmp_path / "c")][:2] == ["rgba_00000.jpg", "rgba_00001.jpg"]
    assert not list((tmp_path / "c").glob(".*tmp*"))  # atomic writes leave no temp files


def test_real_layout_frames_and_depth_flow(tmp_path):
    d = tmp_path / "0000"
    frames = np.zeros((3, 8, 8, 3), np.uint8)
    S.write_sample(
        d,
        frames=frames,
        clip_info={"fps": 120, "points": [{"positive": [[1, 1]], "negative": []}]},
        frame_prefix="",
        movie=False,
        depth=np.ones((3, 8, 8)),
        flow=np.zeros((2, 8, 8, 2)),
    )
    assert S.list_frames(d)[0].name == "00000.jpg"
    assert S.validate_sample(d)["frames"] == 3
    assert S.read_depth(d / S.DEPTH_FILE).dtype == np.float16


def test_integer_masks_accepted(tmp_path):
    np.savez(tmp_path / "m.npz", mask=np.ones((2, 1, 4, 4), np.uint8))
    assert S.read_mask(tmp_path / "m.npz").dtype == bool


def test_points_from_mask_inside_object():
    m = np.zeros((2, 20, 20), bool)
    m[0, 2:6, 3:15] = True
    m[1, 10:19, 10:12] = True
    pts = S.points_from_mask(m)
    for obj, mm in zip(pts, m, strict=True):
        x, y = obj["positive"][0]
        assert mm[int(y), int(x)]
    with pytest.raises(ValueError, match="not visible"):
        S.points_from_mask(np.zeros((1, 4, 4), bool))


# --- malformed inputs -------------------------------------------------------------------------
def _info(c):
    return json.loads((c / S.CLIP_INFO_FILE).read_text())


def _set_info(c, **kw):
    (c / S.CLIP_INFO_FILE).write_text(json.dumps({**_info(c), **kw}))


def _save_mask(c, arr):
    np.savez(c / S.MASK_FILE, mask=arr)


def corrupt_truncated_npz(c):
    data = (c / S.MASK_FILE).read_bytes()
    (c / S.MASK_FILE).write_bytes(data[: len(data) // 2])
    return S.MASK_FILE, "truncated or corrupt"


def corrupt_npz_not_zip(c):
    (c / S.MASK_FILE).write_text("not an npz")
    return S.MASK_FILE, "cannot read npz"


def corrupt_npz_wrong_key(c):
    np.savez(c / S.MASK_FILE, masks=np.zeros((16, 1, 64, 64), bool))
    return S.MASK_FILE, "no key 'mask'"


def corrupt_mask_ndim(c):
    _save_mask(c, np.zeros((16, 64, 64), bool))
    return S.MASK_FILE, "4-D"


def corrupt_mask_nan(c):
    m = np.zeros((16, 1, 64, 64), np.float32)
    m[0, 0, 0, 0] = np.nan
    _save_mask(c, m)
    return S.MASK_FILE, "NaN"


def corrupt_mask_not_binary(c):
    _save_mask(c, np.full((16, 1, 64, 64), 2, np.uint8))
    return S.MASK_FILE, "not binary"


def corrupt_mask_non_square(c):
    _save_mask(c, np.zeros((16, 1, 64, 48), bool))
    return S.MASK_FILE, "not square"


def corrupt_mask_empty_axis(c):
    _save_mask(c, np.zeros((16, 0, 64, 64), bool))
    return S.MASK_FILE, "empty axis"


def corrupt_mask_frame_count(c):
    _save_mask(c, np.zeros((15, 2, 64, 64), bool))
    return S.MASK_FILE, "15 frames, expected 16"


def corrupt_mask_resolution(c):
    _save_mask(c, np.zeros((16, 2, 32, 32), bool))
    return S.MASK_FILE, "32 height, expected 64"


def corrupt_mask_string_dtype(c):
    _save_mask(c, np.full((16, 1, 64, 64), "a"))
    return S.MASK_FILE, "not boolean or numeric"


def corrupt_missing_clip_info(c):
    (c / S.CLIP_INFO_FILE).unlink()
    return S.CLIP_INFO_FILE, "missing clip_info.json"


def corrupt_clip_info_json(c):
    (c / S.CLIP_INFO_FILE).write_text("{not json")
    return S.CLIP_INFO_FILE, "invalid JSON"


def corrupt_clip_info_not_object(c):
    (c / S.CLIP_INFO_FILE).write_text("[1, 2]")
    return S.CLIP_INFO_FILE, "top level must be an object"


def corrupt_points_out_of_range(c):
    _set_info(c, points=[{"positive": [[70.0, 3.0]], "negative": []}])
    return S.CLIP_INFO_FILE, "outside the 64x64 image"


def corrupt_points_negative(c):
    _set_info(c, points=[{"positive": [[-1.0, 3.0]], "negative": []}])
    return S.CLIP_INFO_FILE, "outside"


def corrupt_points_structure(c):
    _set_info(c, points=[{"negative": []}])
    return S.CLIP_INFO_FILE, "'positive' list"


def corrupt_points_not_pair(c):
    _set_info(c, points=[{"positive": [[1.0, 2.0, 3.0]]}])
    return S.CLIP_INFO_FILE, "must be [x, y]"


def corrupt_points_nan(c):
    (c / S.CLIP_INFO_FILE).write_text(json.dumps({**_info(c), "points": [{"positive": [[float("nan"), 1.0]]}]}))
    return S.CLIP_INFO_FILE, "not finite"


def corrupt_points_count(c):
    _set_info(c, points=[{"positive": [[1.0, 1.0]]}] * 5)
    return S.CLIP_INFO_FILE, "5 point prompts but mask.npz has"


def corrupt_fps(c):
    _set_info(c, fps=-16)
    return S.CLIP_INFO_FILE, "'fps' must be a positive number"


def corrupt_num_frames_disagree(c):
    _set_info(c, num_frames=99)
    return S.CLIP_INFO_FILE, "num_frames is 99"


def corrupt_truncated_jpg(c):
    p = c / "rgba_00003.jpg"
    p.write_bytes(p.read_bytes()[:100])
    return "rgba_00003.jpg", "cannot read image"


def corrupt_frame_gap(c):
    (c / "rgba_00005.jpg").unlink()
    return c.name, "frame 5 is missing"


def corrupt_frames_mixed_names(c):
    (c / "rgba_00000.jpg").rename(c / "00000.jpg")
    return c.name, "mixes"


def corrupt_frame_size(c):
    Image.new("RGB", (64, 60)).save(c / "rgba_00002.jpg")
    return "rgba_00002.jpg", "frame 0 is 64x64"


def corrupt_non_square_frames(c):
    for p in S.list_frames(c):
        Image.new("RGB", (80, 64)).save(p)
    return "rgba_00000.jpg", "not square"


def corrupt_no_frames(c):
    for p in S.list_frames(c):
        p.unlink()
    return c.name, "no frames"


def corrupt_depth_nan(c):
    np.savez(c / S.DEPTH_FILE, depth=np.full((16, 64, 64), np.nan, np.float16))
    return S.DEPTH_FILE, "NaN"


def corrupt_flow_shape(c):
    np.savez(c / S.FLOW_FILE, forward_flow=np.zeros((16, 64, 64, 2), np.float16))
    return S.FLOW_FILE, "flow shape"


MALFORMED = [v for k, v in sorted(globals().items()) if k.startswith("corrupt_")]


@pytest.mark.parametrize("corrupt", MALFORMED, ids=lambda f: f.__name__.removeprefix("corrupt_"))
def test_malformed_sample_gives_clear_error(tmp_path, corrupt):
    c = tmp_path / "sample_07"
    write_clip(c)
    file_part, problem = corrupt(c)
    with pytest.raises(S.SchemaError) as err:
        S.validate_sample(c)
    msg = str(err.value)
    assert file_part in msg, msg
    assert problem in msg, msg


def test_at_least_fifteen_malformed_cases():
    assert len(MALFORMED) >= 15


def test_mismatched_resolution_between_gt_and_prediction(tmp_path):
    write_clip(tmp_path / "gt", resolution=64)
    write_clip(tmp_path / "pd", resolution=32)
    item = EvalItem(0, "x", str(tmp_path / "gt" / S.MASK_FILE), 16.0, str(tmp_path / "pd" / S.MASK_FILE), 16.0)
    with pytest.raises(S.SchemaError, match=r"pd/mask.npz: prediction is 32x32 but ground truth .* is 64x64"):
        load_pair(item, "last")


def test_prediction_object_count_mismatch(tmp_path):
    write_clip(tmp_path / "gt")
    np.savez(tmp_path / "pd.npz", mask=np.zeros((16, 7, 64, 64), bool))
    item = EvalItem(0, "x", str(tmp_path / "gt" / S.MASK_FILE), 16.0, str(tmp_path / "pd.npz"), 16.0)
    with pytest.raises(S.SchemaError, match="pd.npz: prediction has 7 objects"):
        load_pair(item, "last")


@pytest.mark.parametrize(
    "line, problem",
    [
        ("{bad json", "invalid JSON"),
        ('{"gt_mask": "a", "gt_fps": 16, "pd_mask": "b"}', "missing key(s) ['pd_fps']"),
        ('{"gt_mask": "a", "gt_fps": 0, "pd_mask": "b", "pd_fps": 16}', "fps must be a positive number"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_malformed_manifest_line(tmp_path, line, problem):
    p = tmp_path / "m.jsonl"
    p.write_text('{"gt_mask": "a", "gt_fps": 16, "pd_mask": "b", "pd_fps": 16}\n' + line + "\n")
    with pytest.raises(S.SchemaError) as err:
        load_manifest(p)
    assert "m.jsonl:2" in str(err.value) and problem in str(err.value)
