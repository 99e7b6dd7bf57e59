"""``python -m evaluation.convert`` against malformed inputs and faults."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaluation import convert as C
from evaluation.core.files import host_name, process_start
from evaluation.core.outdirs import DONE_FILE, OUTPUT_MARKER
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, validate_sample
from tests.conftest import assert_user_error, run_cli, snapshot, write_clip

CFG = "configs/data_processing/convert_sim.py"


@pytest.fixture
def src(tmp_path):
    for i in range(2):
        write_clip(tmp_path / "src" / f"s{i}", seed=i, resolution=32)
    return tmp_path / "src"


def convert_dirs(src, dst, capsys, *extra):
    return run_cli(C.main, [CFG, "--src-root", src, "--dst-root", dst, "--resolution", 64, *extra], capsys)


def jsonl(tmp_path, recs):
    p = tmp_path / "conv.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return run_cli_jsonl(p)


def run_cli_jsonl(p):
    return [CFG, "--config_file", p]


@pytest.mark.parametrize(
    "resolution, problem", [(0, "at least 8"), (-64, "at least 8"), ("abc", "must be an integer"), (64.5, "integer")]
)
def test_bad_resolution_in_jsonl_names_the_line(src, tmp_path, capsys, resolution, problem):
    argv = jsonl(
        tmp_path, [{"src_video": str(src / "s0"), "dst_video": str(tmp_path / "d0"), "resolution": resolution}]
    )
    rc, _, err = run_cli(C.main, argv, capsys)
    assert_user_error(rc, err, "conv.jsonl:1", problem)
    assert not (tmp_path / "d0").exists()


def test_destination_equal_to_source(src, tmp_path, capsys):
    argv = jsonl(tmp_path, [{"src_video": str(src / "s0"), "dst_video": str(src / "s0"), "resolution": 64}])
    rc, _, err = run_cli(C.main, argv, capsys)
    assert_user_error(rc, err, "conv.jsonl:1", "is the source itself")


def test_destination_root_inside_source_root(src, capsys):
    rc, _, err = convert_dirs(src, src / "converted", capsys)
    assert_user_error(rc, err, "lies inside the source")
    assert not (src / "converted").exists()


def test_destination_root_equal_to_source_root(src, capsys):
    rc, _, err = convert_dirs(src, src, capsys)
    assert_user_error(rc, err, "is the source itself")


def test_two_lines_with_one_destination(src, tmp_path, capsys):
    d = str(tmp_path / "d")
    recs = [{"src_video": str(src / f"s{i}"), "dst_video": d, "resolution": 64} for i in range(2)]
    rc, _, err = run_cli(C.main, jsonl(tmp_path, recs), capsys)
    assert_user_error(rc, err, "conv.jsonl:2", "also the destination of line 1")


def test_jsonl_line_without_keys(tmp_path, capsys):
    rc, _, err = run_cli(C.main, jsonl(tmp_path, [{"src": "a"}]), capsys)
    assert_user_error(rc, err, "conv.jsonl:1", "src_video")


def test_sample_without_clip_info_fails_not_skipped(src, tmp_path, capsys):
    (src / "s1" / CLIP_INFO_FILE).unlink()  # frames still there: it is a sample folder
    dst = tmp_path / "dst"
    rc, _, err = convert_dirs(src, dst, capsys)
    assert rc == 1 and "s1" in err and "missing clip_info.json" in err and "Traceback" not in err
    record = json.loads((dst / "failed-convert.json").read_text())
    assert record["counts"] == {"done": 1, "skipped": 0, "failed": 1, "total": 2}
    validate_sample(dst / "s0")  # the good one is converted
    assert not (dst / "s1").exists()


def test_allow_failures_exits_zero_and_lists(src, tmp_path, capsys):
    (src / "s1" / MASK_FILE).write_bytes(b"junk")
    rc, _, _ = convert_dirs(src, tmp_path / "dst", capsys, "--allow-failures")
    assert rc == 0 and (tmp_path / "dst" / "failed-convert.json").is_file()


def test_symlinked_sample_is_converted(src, tmp_path, capsys):
    write_clip(tmp_path / "outside" / "s9", seed=9, resolution=32)
    (src / "s9").symlink_to(tmp_path / "outside" / "s9", target_is_directory=True)
    dst = tmp_path / "dst"
    assert convert_dirs(src, dst, capsys)[0] == 0
    assert validate_sample(dst / "s9")["height"] == 64


def test_existing_foreign_folder_at_destination_is_not_touched(src, tmp_path, capsys):
    dst = tmp_path / "dst"
    assert convert_dirs(src, dst, capsys)[0] == 0
    foreign = dst / "s1"
    for p in foreign.iterdir():
        p.unlink()
    (foreign / "notes.txt").write_text("mine")
    rc, _, err = convert_dirs(src, dst, capsys)
    assert rc == 1 and "not a complete sample written by PISA" in err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_damaged_converted_sample_is_converted_again(src, tmp_path, capsys):
    dst = tmp_path / "dst"
    assert convert_dirs(src, dst, capsys)[0] == 0
    mask = dst / "s0" / MASK_FILE
    mask.write_bytes(mask.read_bytes()[:100])  # truncated
    (dst / "s1" / "rgba_00003.jpg").unlink()  # deleted
    rc, out, _ = convert_dirs(src, dst, capsys)
    assert rc == 0 and "converted 2, already done 0" in out
    assert "mask.npz is 100 bytes" in out and "rgba_00003.jpg is missing" in out
    for s in ("s0", "s1"):
        validate_sample(dst / s)
    rc, out, _ = convert_dirs(src, dst, capsys)
    assert "converted 0, already done 2" in out


def test_destination_root_of_the_user_is_refused(src, tmp_path, capsys):
    dst = tmp_path / "mine"
    dst.mkdir()
    (dst / "paper.pdf").write_bytes(b"%PDF")
    before = snapshot(dst)
    rc, _, err = convert_dirs(src, dst, capsys)
    assert_user_error(rc, err, str(dst), "not written by PISA")
    assert snapshot(dst) == before


def test_stale_temporary_of_a_dead_process_is_removed_a_live_ones_kept(src, tmp_path, capsys):
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / OUTPUT_MARKER).write_text(json.dumps({"job": "convert"}))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    host = host_name()
    stale = dst / f".s0.tmp-{host}-{dead_pid}"
    live = dst / f".s1.tmp-{host}-1-{process_start(1)}"  # pid 1 is always alive (and started then)
    reused = dst / f".s2.tmp-{host}-1-{(process_start(1) or 0) + 12345}"  # pid 1, but not the writer: reused
    zombie_proc = subprocess.Popen([sys.executable, "-c", "pass"])
    while Path(f"/proc/{zombie_proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.01)  # exited, not yet reaped: a zombie
    zombie = dst / f".s3.tmp-{host}-{zombie_proc.pid}-{process_start(zombie_proc.pid)}"
    for d in (stale, live, reused, zombie):
        d.mkdir()
        (d / "rgba_00000.jpg").write_bytes(b"partial")
    rc, out, _ = convert_dirs(src, dst, capsys)
    zombie_proc.wait()
    assert rc == 0 and f"removed {stale}" in out
    assert not stale.exists() and live.exists() and not reused.exists() and not zombie.exists()
    assert (dst / "s0" / DONE_FILE).is_file()


def test_missing_source_root(tmp_path, capsys):
    rc, _, err = convert_dirs(tmp_path / "nope", tmp_path / "dst", capsys)
    assert_user_error(rc, err, "nope", "source root does not exist")


def test_source_root_without_samples(tmp_path, capsys):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    rc, _, err = convert_dirs(tmp_path / "empty", tmp_path / "dst", capsys)
    assert_user_error(rc, err, "no samples")


def test_a_rerun_with_another_resolution_or_a_changed_source_converts_again(src, tmp_path, capsys):
    dst = tmp_path / "dst"
    assert convert_dirs(src, dst, capsys)[0] == 0
    rc, out, _ = convert_dirs(src, dst, capsys)
    assert rc == 0 and "converted 0, already done" in out  # the same source and settings
    rc, out, _ = run_cli(C.main, [CFG, "--src-root", src, "--dst-root", dst, "--resolution", 32], capsys)
    assert rc == 0 and "settings.resolution: 64 → 32" in out
    first = sorted(p for p in src.iterdir() if p.is_dir())[0]
    assert validate_sample(dst / first.name)["height"] == 32
    frame = sorted(first.glob("*.jpg"))[0]
    frame.write_bytes(frame.read_bytes() + b"\0")  # the source sample changed
    rc, out, _ = run_cli(C.main, [CFG, "--src-root", src, "--dst-root", dst, "--resolution", 32], capsys)
    assert rc == 0 and "converted 1," in out and "inputs.source" in out
