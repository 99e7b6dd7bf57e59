"""``python -m evaluation.generate_masks`` and ``evaluation.download`` against malformed inputs and faults."""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pytest

from evaluation import download as D
from evaluation import generate_masks as G
from evaluation.schema import MASK_FILE, read_mask, write_mask
from tests.conftest import assert_user_error, run_cli, snapshot, write_clip

pytest.importorskip("transformers")
from evaluation.perception.sam2 import save_tiny_sam2  # noqa: E402

CFG = "configs/data_processing/generate_mask.py"


@pytest.fixture(scope="module")
def sam_dir(tmp_path_factory):
    return save_tiny_sam2(tmp_path_factory.mktemp("sam2"), image_size=128)


@pytest.fixture
def videos(tmp_path):
    for i in range(2):
        write_clip(tmp_path / "v" / f"{i:04d}", seed=i)
    return tmp_path / "v"


def masks(argv, capsys, model):
    return run_cli(G.main, [CFG, f"--model={model}", "--masks.device=cpu", *argv], capsys)


def test_empty_prompt_mask_names_file_and_object(videos, tmp_path, sam_dir, capsys):
    gt = tmp_path / "gt"
    for i in range(2):
        write_clip(gt / f"{i:04d}", seed=i)
    m = read_mask(gt / "0001" / MASK_FILE)
    m[0, 1] = False  # object 1 is empty in frame 0
    write_mask(gt / "0001" / MASK_FILE, m)
    rc, _, err = masks(
        ["--video-root", videos, "--prompt-mask-root", gt, "--output-root", tmp_path / "o"], capsys, sam_dir
    )
    assert rc == 1 and "Traceback" not in err
    assert f"{gt / '0001' / MASK_FILE}: object 1 is empty in frame 0" in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["0000", "failed-masks.json"]


def test_existing_corrupt_mask_is_named_and_kept(videos, tmp_path, sam_dir, capsys):
    out = tmp_path / "o" / "0000"
    out.mkdir(parents=True)
    (out / MASK_FILE).write_bytes(b"someone's file")
    rc, _, err = masks(["--video-root", videos, "--output-root", tmp_path / "o"], capsys, sam_dir)
    assert rc == 1 and "existing mask is not valid" in err and "--overwrite" in err
    assert (out / MASK_FILE).read_bytes() == b"someone's file"
    rc, _, _ = masks(["--video-root", videos, "--output-root", tmp_path / "o", "--overwrite"], capsys, sam_dir)
    assert rc == 0 and read_mask(out / MASK_FILE).shape[0] == 16


def test_nothing_to_do_loads_no_model(videos, tmp_path, sam_dir, capsys, monkeypatch):
    assert masks(["--video-root", videos, "--output-root", tmp_path / "o"], capsys, sam_dir)[0] == 0

    def no_model(args):
        raise AssertionError("SAM 2 loaded although every mask is up to date")

    with monkeypatch.context() as m:
        m.setattr(G, "_segmenter", no_model)
        rc, out, _ = masks(["--video-root", videos, "--output-root", tmp_path / "o"], capsys, sam_dir)
    assert rc == 0 and "2 already have masks" in out


def test_masks_of_other_weights_or_videos_are_made_again(videos, tmp_path, sam_dir, capsys):
    out_root = tmp_path / "o"
    assert masks(["--video-root", videos, "--output-root", out_root], capsys, sam_dir)[0] == 0
    other = tmp_path / "sam_copy"
    shutil.copytree(sam_dir, other)
    (other / "config.json").write_text((other / "config.json").read_text().replace("{", '{"_note": "other",', 1))
    rc, out, _ = masks(["--video-root", videos, "--output-root", out_root], capsys, other)
    assert rc == 0 and "0 already have masks, 2 segmented" in out  # the weights changed: made again
    frame = sorted((videos / "0000").glob("*.jpg"))[0]
    frame.write_bytes(frame.read_bytes() + b"\0")  # one video's content changes
    rc, out, _ = masks(["--video-root", videos, "--output-root", out_root], capsys, other)
    assert rc == 0 and "1 already have masks, 1 segmented" in out


def test_truncated_sam2_weights_are_named(videos, tmp_path, sam_dir, capsys):
    bad = tmp_path / "sam_cut"
    bad.mkdir()
    for p in sam_dir.iterdir():
        data = p.read_bytes()
        (bad / p.name).write_bytes(data[: len(data) // 2] if p.suffix == ".safetensors" else data)
    rc, _, err = masks(["--video-root", videos, "--output-root", tmp_path / "o"], capsys, bad)
    assert rc == 1  # every video fails alone, each naming the weights file
    assert "model.safetensors: truncated or corrupt safetensors file" in err and "Traceback" not in err


def test_malformed_sam2_config_is_named(videos, tmp_path, sam_dir, capsys):
    bad = tmp_path / "sam_cfg"
    bad.mkdir()
    for p in sam_dir.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    (bad / "config.json").write_text('{"model_type": "sam2_video", ')
    rc, _, err = masks(["--video-root", videos, "--output-root", tmp_path / "o"], capsys, bad)
    assert rc == 1 and "config.json: truncated or corrupt JSON" in err


def test_two_jsonl_lines_write_one_mask(videos, tmp_path, sam_dir, capsys):
    recs = [{"video": str(videos / f"{i:04d}"), "annotation": None, "mask": str(tmp_path / "m.npz")} for i in range(2)]
    cfg = tmp_path / "m.jsonl"
    cfg.write_text("".join(json.dumps(r) + "\n" for r in recs))
    rc, _, err = masks(["--config_file", cfg], capsys, sam_dir)
    assert_user_error(rc, err, "m.jsonl:2", "also written by line 1")


def test_corrupt_mp4_fails_alone(videos, tmp_path, sam_dir, capsys):
    (tmp_path / "bad.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really")
    recs = [
        {
            "video": str(videos / "0000"),
            "annotation": str(videos / "0000" / "clip_info.json"),
            "mask": str(tmp_path / "a.npz"),
        },
        {
            "video": str(tmp_path / "bad.mp4"),
            "annotation": str(videos / "0000" / "clip_info.json"),
            "mask": str(tmp_path / "b.npz"),
        },
    ]
    cfg = tmp_path / "m.jsonl"
    cfg.write_text("".join(json.dumps(r) + "\n" for r in recs))
    rc, _, err = masks(["--config_file", cfg], capsys, sam_dir)
    assert rc == 1 and "bad.mp4: cannot decode video" in err
    assert (tmp_path / "a.npz").is_file() and not (tmp_path / "b.npz").exists()


def test_shards_write_their_own_records(videos, tmp_path, sam_dir, capsys):
    out = tmp_path / "o"
    for i in range(2):
        assert masks(["--video-root", videos, "--output-root", out, "--shard", f"{i}/2"], capsys, sam_dir)[0] == 0
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == ["masks_run.shard-0-of-2.json", "masks_run.shard-1-of-2.json"]


# --- download ---------------------------------------------------------------------------------
@pytest.fixture
def archive(tmp_path):
    write_clip(tmp_path / "src" / "0000", seed=0)
    (tmp_path / "arch").mkdir()
    with zipfile.ZipFile(tmp_path / "arch" / "real.zip", "w") as zf:
        for p in sorted((tmp_path / "src").rglob("*")):
            if p.is_file():
                zf.write(p, f"real/{p.relative_to(tmp_path / 'src').as_posix()}")
    return tmp_path / "arch"


def download(archive, out, capsys, *extra):
    argv = [
        "configs/data_processing/download_pisabench.py",
        "--archive-dir",
        archive,
        "--out-dir",
        out,
        "--splits",
        "real",
    ]
    return run_cli(D.main, [*argv, *extra], capsys)


def test_download_refuses_a_split_folder_it_did_not_unpack(archive, tmp_path, capsys):
    out = tmp_path / "pb"
    (out / "real").mkdir(parents=True)
    (out / "real" / "my_video.mp4").write_bytes(b"mine")
    before = snapshot(out)
    rc, _, err = download(archive, out, capsys)
    assert_user_error(rc, err, str(out / "real"), "was not unpacked by this tool")
    assert snapshot(out) == before


def test_download_corrupt_archive_is_named(tmp_path, capsys):
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "real.zip").write_bytes(b"PK\x03\x04 cut")
    rc, _, err = download(tmp_path / "arch", tmp_path / "pb", capsys)
    assert_user_error(rc, err, "real.zip", "not a valid zip archive")


def test_download_unknown_split(archive, tmp_path, capsys):
    rc, _, err = download(archive, tmp_path / "pb", capsys, "fake")  # --splits real fake
    assert_user_error(rc, err, "unknown split 'fake'")
    assert not (tmp_path / "pb").exists() or not any((tmp_path / "pb").iterdir())


def test_download_rerun_is_idempotent(archive, tmp_path, capsys):
    out = tmp_path / "pb"
    assert download(archive, out, capsys)[0] == 0
    before = snapshot(out)
    assert download(archive, out, capsys)[0] == 0
    assert snapshot(out) == before
    assert np.array_equal(
        read_mask(out / "real" / "real" / "0000" / MASK_FILE), read_mask(tmp_path / "src" / "0000" / MASK_FILE)
    )
