"""``python -m evaluation.run`` against malformed inputs and faults: exit status, the message names the
file and the problem (no traceback), and what the output folder holds afterwards."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from evaluation import run as R
from evaluation.core.outdirs import OUTPUT_MARKER
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, read_mask, write_mask
from tests.conftest import assert_user_error, run_cli, snapshot, write_clip

SIM = "configs/eval/sim.py"


@pytest.fixture
def bench(tmp_path):
    """Two ground-truth clips and two good predictions (16 frames at 16 fps)."""
    for i in range(2):
        write_clip(tmp_path / "gt" / f"c{i}", seed=i)
        write_clip(tmp_path / "pd" / f"c{i}", seed=i)
    return tmp_path


def manifest(bench, lines: list[dict], name="m.jsonl"):
    path = bench / name
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def line(bench, i, **kw):
    return {
        "gt_mask": str(bench / "gt" / f"c{i}" / MASK_FILE),
        "gt_fps": 16,
        "pd_mask": str(bench / "pd" / f"c{i}" / MASK_FILE),
        "pd_fps": 16,
        **kw,
    }


def listing(out):
    return sorted(p.name for p in out.iterdir())


FAILED_ONLY = [OUTPUT_MARKER, "failed-eval.json"]


def evaluate(bench, capsys, *extra, lines=None):
    m = manifest(bench, lines if lines is not None else [line(bench, 0), line(bench, 1)])
    return run_cli(R.main, [SIM, "--config_file", m, "--output_dir", bench / "out", *extra], capsys)


def test_duplicated_manifest_line_is_an_error(bench, capsys):
    rc, _, err = evaluate(bench, capsys, lines=[line(bench, 0), line(bench, 1), line(bench, 0)])
    assert_user_error(rc, err, "m.jsonl:3", "duplicates line 1")
    assert not (bench / "out").exists()


def test_duplicate_through_another_spelling_of_the_path(bench, capsys):
    other = line(bench, 0)
    other["pd_mask"] = str(bench / "pd" / "c1" / ".." / "c0" / MASK_FILE)
    rc, _, err = evaluate(bench, capsys, lines=[line(bench, 0), other])
    assert_user_error(rc, err, "m.jsonl:2", "duplicates line 1")


@pytest.mark.parametrize(
    "bad, problem",
    [
        ({"gt_mask": ""}, "non-empty paths"),
        ({"pd_mask": 3}, "non-empty paths"),
        ({"gt_fps": "abc"}, "fps must be a positive number"),
        ({"pd_fps": float("inf")}, "fps must be a positive number"),
        ({"pd_fps": True}, "fps must be a positive number"),
    ],
)
def test_bad_manifest_values_name_the_line(bench, capsys, bad, problem):
    rc, _, err = evaluate(bench, capsys, lines=[line(bench, 0), {**line(bench, 1), **bad}])
    assert_user_error(rc, err, "m.jsonl:2", problem)
    assert not (bench / "out").exists()


def test_empty_manifest(bench, capsys):
    rc, _, err = evaluate(bench, capsys, lines=[])
    assert_user_error(rc, err, "m.jsonl", "no entries")


def test_failed_run_leaves_only_its_failure_record(bench, capsys):
    (bench / "pd" / "c1" / MASK_FILE).write_bytes(b"PK\x03\x04 truncated")
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "pd/c1/mask.npz" in err and "Traceback" not in err
    assert listing(bench / "out") == FAILED_ONLY
    rec = json.loads((bench / "out" / "failed-eval.json").read_text())
    assert rec["counts"]["failed"] == 1 and "truncated or corrupt" in rec["failures"][0]["error"]
    assert "config" in rec and "packages" in rec["versions"]


def test_rerun_that_fails_removes_an_earlier_runs_results(bench, capsys):
    assert evaluate(bench, capsys)[0] == 0
    assert (bench / "out" / "summary.json").is_file()
    write_mask(bench / "pd" / "c0" / MASK_FILE, np.ones((16, 2, 8, 8), bool))  # wrong size now
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "is 8x8 but ground truth" in err
    assert listing(bench / "out") == FAILED_ONLY


def test_successful_rerun_removes_the_stale_failure_record(bench, capsys):
    (bench / "pd" / "c1" / MASK_FILE).write_bytes(b"junk")
    assert evaluate(bench, capsys)[0] == 1
    write_clip(bench / "pd" / "c1x", seed=1)
    os.replace(bench / "pd" / "c1x" / MASK_FILE, bench / "pd" / "c1" / MASK_FILE)
    assert evaluate(bench, capsys)[0] == 0
    assert "failed-eval.json" not in listing(bench / "out") and "summary.json" in listing(bench / "out")


def test_allow_missing_writes_results_and_the_failure_record(bench, capsys):
    (bench / "pd" / "c1" / MASK_FILE).unlink()
    rc, _, _ = evaluate(bench, capsys, "--allow-missing")
    assert rc == 0
    names = listing(bench / "out")
    assert "summary.json" in names and "failed-eval.json" in names
    summary = json.loads((bench / "out" / "summary.json").read_text())
    assert summary["counts"] == {"expected": 2, "found": 1, "evaluated": 1, "failed": 1}


def test_short_prediction_fails_unless_allowed(bench, capsys):
    pd = read_mask(bench / "pd" / "c1" / MASK_FILE)
    write_mask(bench / "pd" / "c1" / MASK_FILE, pd[:10])  # 10 of 16 frames
    info_path = bench / "pd" / "c1" / CLIP_INFO_FILE
    info_path.unlink()  # no clip_info next to it: only the length rule can catch it
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "short_prediction" in err and "--allow-short" in err
    assert listing(bench / "out") == FAILED_ONLY
    rc, _, _ = evaluate(bench, capsys, "--allow-short")
    assert rc == 0
    summary = json.loads((bench / "out" / "summary.json").read_text())
    assert summary["flags"]["videos_with_short_prediction"] == 1 and summary["counts"]["evaluated"] == 2
    recs = [json.loads(x) for x in (bench / "out" / "per_sample.jsonl").read_text().splitlines()]
    assert [r["short_prediction"] for r in recs] == [False, True] and recs[1]["frames_evaluated"] == 10


def test_real_shaped_lengths_are_not_short(tmp_path, capsys):
    """240 GT frames at 120 fps against 32 predicted at 16 fps (PisaBench real) is complete; 31 is short."""
    from evaluation.benchmark import is_short

    assert not is_short(32, 240, 120, 16) and is_short(31, 240, 120, 16)
    assert not is_short(16, 16, 16, 16) and is_short(15, 16, 16, 16)
    assert not is_short(49, 240, 120, 8)  # a longer prediction is cut to the ground truth


def test_mask_shorter_than_its_clip_info(bench, capsys):
    gt = read_mask(bench / "gt" / "c0" / MASK_FILE)
    write_mask(bench / "gt" / "c0" / MASK_FILE, gt[:12])
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "gt/c0/mask.npz" in err and "12 frames but" in err and "num_frames=16" in err


def test_non_binary_prediction(bench, capsys):
    np.savez_compressed(bench / "pd" / "c0" / MASK_FILE, mask=np.full((16, 2, 64, 64), 2, np.uint8))
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "pd/c0/mask.npz" in err and "not binary" in err


def test_prediction_with_wrong_key(bench, capsys):
    np.savez_compressed(bench / "pd" / "c0" / MASK_FILE, masks=np.zeros((16, 2, 64, 64), bool))
    rc, _, err = evaluate(bench, capsys)
    assert rc == 1 and "has no key 'mask'" in err


def dir_mode(bench, capsys, *extra):
    argv = [SIM, "--gt-root", bench / "gt", "--pred-root", bench / "pd", "--output_dir", bench / "out", *extra]
    return run_cli(R.main, argv, capsys)


def test_symlinked_ground_truth_sample_is_discovered(bench, capsys, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write_clip(elsewhere / "c2", seed=2)
    write_clip(bench / "pd" / "c2", seed=2)
    (bench / "gt" / "c2").symlink_to(elsewhere / "c2", target_is_directory=True)
    assert dir_mode(bench, capsys)[0] == 0
    recs = [json.loads(x) for x in (bench / "out" / "per_sample.jsonl").read_text().splitlines()]
    assert [r["sample_id"] for r in recs] == ["c0", "c1", "c2"]


def test_symlink_loop_is_visited_once(bench, capsys):
    (bench / "gt" / "loop").symlink_to(bench / "gt", target_is_directory=True)
    assert dir_mode(bench, capsys)[0] == 0
    assert len((bench / "out" / "per_sample.jsonl").read_text().splitlines()) == 2


def test_ground_truth_sample_without_mask_is_an_error(bench, capsys):
    (bench / "gt" / "c1" / MASK_FILE).unlink()
    rc, _, err = dir_mode(bench, capsys)
    assert rc == 1 and "gt/c1/mask.npz" in err and "ground-truth mask does not exist" in err
    assert listing(bench / "out") == FAILED_ONLY


def test_output_folder_of_the_user_is_refused_and_untouched(bench, capsys):
    out = bench / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "summary.json").write_text("{}")
    before = snapshot(out)
    rc, _, err = evaluate(bench, capsys)
    assert_user_error(rc, err, str(out), "not written by PISA")
    assert snapshot(out) == before


def test_output_folder_of_another_job_is_refused(bench, capsys):
    out = bench / "out"
    out.mkdir()
    (out / OUTPUT_MARKER).write_text(json.dumps({"job": "sim"}))
    rc, _, err = evaluate(bench, capsys)
    assert_user_error(rc, err, "the output of 'sim'")


def test_missing_ground_truth_root(bench, capsys):
    rc, _, err = run_cli(R.main, [SIM, "--gt-root", bench / "nope", "--pred-root", bench / "pd"], capsys)
    assert_user_error(rc, err, "nope", "ground-truth root does not exist")


def test_only_one_root_given(bench, capsys):
    rc, _, err = run_cli(R.main, [SIM, "--gt-root", bench / "gt", "--config_file", bench / "x.jsonl"], capsys)
    assert_user_error(rc, err, "either --config_file or both")


def test_default_config_picks_the_object_per_line_as_released(tmp_path, capsys):
    """No config argument: a real line (gt_annotation) scores the highest object, a sim line the last."""
    h = 32
    gt = np.zeros((8, 2, h, h), bool)
    gt[:, 0, 2:6, 2:6] = True  # object 0: high in the image (annotated highest)
    gt[:, 1, 24:28, 20:24] = True  # object 1: low, last
    write_mask(tmp_path / "gt.npz", gt)
    pd = gt.copy()
    pd[:, 0] = False  # the prediction loses object 0 only
    write_mask(tmp_path / "pd.npz", pd)
    (tmp_path / "ann.json").write_text(json.dumps({"points": [{"positive": [[3, 3]]}, {"positive": [[21, 25]]}]}))
    common = {"gt_mask": "gt.npz", "gt_fps": 16, "pd_mask": "pd.npz", "pd_fps": 16}
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        json.dumps({**common, "gt_annotation": "ann.json"}) + "\n" + json.dumps({**common, "sample_id": "sim"}) + "\n"
    )
    rc, _, err = run_cli(
        R.main, ["--config_file", manifest, "--output_dir", tmp_path / "out", "--allow-missing"], capsys
    )
    assert rc == 0, err
    recs = [json.loads(x) for x in (tmp_path / "out" / "per_sample.jsonl").read_text().splitlines()]
    assert [r["object_index"] for r in recs] == [0, 1]
    assert recs[0]["iou"] == 0.0 and recs[1]["iou"] == 1.0


def test_evaluation_path_does_not_import_torch(bench):
    """Scoring needs numpy/scipy/mmengine only: importing torch would cost ~1 s per run."""
    import subprocess
    import sys

    code = (
        "import sys; from evaluation import run as R; "
        f"rc = R.main(['configs/eval/sim.py', '--gt-root', r'{bench / 'gt'}', '--pred-root', r'{bench / 'pd'}', "
        f"'--output_dir', r'{bench / 'out'}', '--figures.enabled=False']); "
        "print('RC', rc, 'TORCH', 'torch' in sys.modules)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PISA_OUT_ROOT": str(bench)}
    )
    assert "RC 0 TORCH False" in res.stdout, res.stdout + res.stderr
