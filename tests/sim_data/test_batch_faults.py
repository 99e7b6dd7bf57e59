"""The simulator (single sample and batch) against faults: kill -9 while a sample is written, damaged
samples, folders that are not ours, failed batches."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from evaluation.core.outdirs import DONE_FILE, OUTPUT_MARKER
from evaluation.schema import MASK_FILE, validate_sample
from sim_data import parallel, worker
from tests.conftest import assert_user_error, run_cli, snapshot

ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}  # the test runner already uses every core
ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--sim.resolution=64", "--sim.num_frames=12", "--sim.num_dropped=(1, 2)", "--render.movie=False"]
# larger clips with a movie: writing one takes long enough to be caught in the act
SLOW_WRITE = ["--sim.resolution=160", "--sim.num_frames=24", "--render.movie=True"]


def _temporaries(samples: Path) -> list[Path]:
    try:
        return [p for p in samples.iterdir() if p.name.startswith(".") and ".tmp-" in p.name]
    except FileNotFoundError:
        return []


def test_kill_while_writing_then_rerun_completes(tmp_path):
    out = tmp_path / "batch"
    n = 6
    cmd = [sys.executable, "-m", "sim_data.parallel", "configs/sim/base.py", "--num-samples", str(n)]
    cmd += ["--output-dir", str(out), *SLOW_WRITE]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=ONE_THREAD, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    caught, deadline = [], time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        tmps = [p for p in _temporaries(out / "samples") if any(p.iterdir())]  # files being written into it
        if tmps:
            os.killpg(proc.pid, signal.SIGKILL)  # kill -9 mid-write
            caught = tmps
            break
    proc.wait()
    assert caught, "the batch finished (or timed out) before a sample was caught being written"
    assert all(p.is_dir() for p in caught)  # the killed write left its temporary behind
    done_before = len(list((out / "samples").glob(f"*/{DONE_FILE}")))
    assert done_before < n
    res = subprocess.run(cmd, cwd=ROOT, env=ONE_THREAD, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "left by a killed run" in res.stdout
    samples = sorted((out / "samples").iterdir())
    assert [p.name for p in samples] == [f"{s:05d}" for s in range(n)]  # no temporaries, no duplicates
    for p in samples:
        validate_sample(p)
    rows = [r for name in ("psft", "oro", "val") for r in csv.DictReader(open(out / f"{name}.csv"))]
    assert sorted(r["sample"] for r in rows) == [f"{s:05d}" for s in range(n)]
    assert len((out / "eval_sim.jsonl").read_text().splitlines()) == n


def batch(out, capsys, *extra, n=3):
    argv = ["configs/sim/base.py", "--num-samples", n, "--output-dir", out, *SMALL, *extra]
    return run_cli(parallel.main, argv, capsys)


def test_damaged_samples_are_made_again(tmp_path, capsys):
    out = tmp_path / "b"
    assert batch(out, capsys)[0] == 0
    s0, s1 = out / "samples" / "00000", out / "samples" / "00001"
    (s0 / MASK_FILE).write_bytes((s0 / MASK_FILE).read_bytes()[:50])  # truncated
    (s1 / "rgba_00004.jpg").unlink()  # deleted
    rc, out_text, err = batch(out, capsys)
    assert rc == 0
    assert "1 already done, 2 to make" in out_text
    assert "mask.npz is 50 bytes" in err and "rgba_00004.jpg is missing" in err
    for s in (s0, s1):
        validate_sample(s)


def test_batch_refuses_a_users_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "samples").mkdir(parents=True)
    (out / "thesis.tex").write_text("mine")
    before = snapshot(out)
    rc, _, err = batch(out, capsys)
    assert_user_error(rc, err, str(out), "not written by PISA")
    assert snapshot(out) == before


def test_batch_refuses_a_foreign_sample_folder_inside_its_batch(tmp_path, capsys):
    out = tmp_path / "b"
    assert batch(out, capsys, n=1)[0] == 0
    foreign = out / "samples" / "00001"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("user data")
    rc, _, err = batch(out, capsys, n=2)
    assert rc == 2 and "00001" in err and "not a complete sample written by PISA" in err  # before any work
    assert (foreign / "keep.txt").read_text() == "user data"
    rows = list(csv.DictReader(open(out / "psft.csv"))) + list(csv.DictReader(open(out / "val.csv")))
    assert [r["sample"] for r in rows] == ["00000"]  # the refused batch left the earlier one's manifests as they were


def test_worker_refuses_an_existing_user_folder(tmp_path, capsys):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "cat.jpg").write_bytes(b"jpeg")
    argv = ["configs/sim/base.py", "--seed", "1", "--output-dir", target, *SMALL]
    rc, _, err = run_cli(worker.main, argv, capsys)
    assert_user_error(rc, err, str(target), "not a complete sample written by PISA")
    assert sorted(p.name for p in target.iterdir()) == ["cat.jpg"]


def test_worker_fills_an_empty_folder(tmp_path, capsys):
    target = tmp_path / "empty"
    target.mkdir()
    rc, _, _ = run_cli(worker.main, ["configs/sim/base.py", "--seed", "1", "--output-dir", target, *SMALL], capsys)
    assert rc == 0 and validate_sample(target)


def test_failed_batch_removes_earlier_manifests_and_lists_failures(tmp_path, capsys, monkeypatch):
    out = tmp_path / "b"
    assert batch(out, capsys, n=2)[0] == 0
    assert (out / "psft.csv").is_file()

    def broken(*a, **k):
        raise MemoryError("renderer ran out of memory")

    monkeypatch.setattr(parallel, "generate_sample", broken)
    rc, _, err = batch(out, capsys, n=3)
    assert rc == 1 and "FAILED seed 2" in err
    names = sorted(p.name for p in out.iterdir())
    assert names == [OUTPUT_MARKER, "failed-sim.json", "samples"]
    record = json.loads((out / "failed-sim.json").read_text())
    assert record["counts"]["failed"] == 1 and "MemoryError" in record["failures"][0]["error"]
    rc, _, _ = batch(out, capsys, "--allow-failures", n=3)
    assert rc == 0 and (out / "psft.csv").is_file() and (out / "failed-sim.json").is_file()


def test_rerun_with_other_settings_is_refused_naming_them(tmp_path, capsys):
    out = tmp_path / "b"
    assert batch(out, capsys, n=1)[0] == 0
    before = snapshot(out)
    rc, out_text, _ = batch(out, capsys, n=1)
    assert rc == 0 and "1 already done, 0 to make" in out_text  # the same settings: skipped
    rc, _, err = batch(out, capsys, "--sim.num_frames=10", n=1)
    assert_user_error(rc, err, "00000", "settings.sim.num_frames: 12 → 10", "another --output-dir")
    assert snapshot(out) == before  # nothing of the earlier batch was touched
