"""The evaluation CLI: manifests, directory mode, outputs, failures, alignment and object selection."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from evaluation import run as R
from evaluation.benchmark import EvalArgs, align_indices, select_object
from evaluation.schema import MASK_FILE, write_mask
from tests.conftest import write_clip


# --- protocol steps ---------------------------------------------------------------------------
def test_align_indices_real_and_sim():
    np.testing.assert_array_equal(align_indices(4, 100, 120, 16), [0, 7, 15, 22])  # int(7.5 i)
    np.testing.assert_array_equal(align_indices(5, 5, 16, 16), [0, 1, 2, 3, 4])
    assert len(align_indices(32, 100, 120, 16)) == 14  # frames past the GT end are dropped
    np.testing.assert_array_equal(align_indices(3, 10, 8, 16), [0, 0, 1])  # GT slower than prediction


def test_select_object():
    pts = [{"positive": [[5, 40], [6, 30]]}, {"positive": [[5, 10]]}, {"positive": [[5, 20]]}]
    assert select_object(3, pts, "highest_point") == 1
    assert select_object(3, pts, "auto") == 1
    assert select_object(3, None, "auto") == 2
    assert select_object(3, pts, "last") == 2
    with pytest.raises(ValueError, match="needs point annotations"):
        select_object(3, None, "highest_point")
    with pytest.raises(ValueError, match="3 annotated objects but the mask has 2"):
        select_object(2, pts, "highest_point")


def test_eval_args_validation():
    with pytest.raises(ValueError, match="split"):
        EvalArgs(split="nope")
    with pytest.raises(ValueError, match="unknown metric"):
        EvalArgs(metrics=["l3"])


# --- end to end -----------------------------------------------------------------------------
@pytest.fixture
def bench(tmp_path):
    """Three ground-truth clips and predictions: perfect, frozen, and one missing."""
    for i in range(3):
        write_clip(tmp_path / "gt" / f"c{i}", seed=i)
    write_clip(tmp_path / "pd" / "c0", seed=0)
    write_clip(tmp_path / "pd" / "c1", seed=1, variant="frozen")
    return tmp_path


def _manifest(bench, ids=(0, 1)):
    path = bench / "manifest.jsonl"
    lines = [
        {
            "gt_mask": str(bench / "gt" / f"c{i}" / MASK_FILE),
            "gt_fps": 16,
            "pd_mask": str(bench / "pd" / f"c{i}" / MASK_FILE),
            "pd_fps": 16,
        }
        for i in ids
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def test_manifest_mode_outputs(bench):
    out = bench / "out"
    rc = R.main(
        ["configs/eval/sim.py", "--config_file", str(_manifest(bench)), "--output_dir", str(out), "--model", "m"]
    )
    assert rc == 0
    recs = [json.loads(x) for x in (out / "per_sample.jsonl").read_text().splitlines()]
    assert [r["index"] for r in recs] == [0, 1]
    assert recs[0]["gt_mask"].endswith("gt/c0/mask.npz") and recs[0]["pd_mask"].endswith("pd/c0/mask.npz")
    assert recs[0]["l2"] == 0 and recs[0]["iou"] == 1 and recs[0]["chamfer_distance"] == 0
    assert recs[1]["object_static"] and recs[1]["l2"] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"expected": 2, "found": 2, "evaluated": 2, "failed": 0}
    assert summary["metrics"]["iou"]["higher_is_better"] is True
    lo, hi = summary["metrics"]["l2"]["ci95"]
    assert lo <= summary["metrics"]["l2"]["mean"] <= hi
    assert summary["benchmark_version"] == "pisabench-1.0" and "packages" in summary["versions"]
    report = (out / "report.md").read_text()
    assert "Open-Sora + PSFT (base) (paper)" in report and "m (this run)" in report
    svg = "{http://www.w3.org/2000/svg}"
    hist = ET.parse(out / "figures" / "metric_histograms.svg").getroot()  # well-formed SVG
    titles = [t.text for t in hist.iter(f"{svg}text")]
    assert "iou (higher better)" in titles and "n=2" in titles  # a panel per metric, both videos counted
    assert "eval = dict(" in (out / "config.py").read_text()
    assert "git" in json.loads((out / "env.json").read_text())
    trajs = sorted((out / "figures" / "trajectories").glob("*.svg"))
    assert len(trajs) == 2
    lines = list(ET.parse(trajs[0]).getroot().iter(f"{svg}polyline"))
    assert len(lines) == 4  # ground truth and prediction, x(t) and y(t)
    assert len(list((out / "figures" / "filmstrips").glob("*.png"))) == 2


def test_directory_mode_missing_prediction_fails_loudly(bench, capsys):
    out = bench / "out"
    argv = [
        "configs/eval/sim.py",
        "--gt-root",
        str(bench / "gt"),
        "--pred-root",
        str(bench / "pd"),
        "--output_dir",
        str(out),
    ]
    assert R.main(argv) == 1
    err = capsys.readouterr().err
    assert "1 of 3 failed" in err and "c2" in err
    # a failed run leaves only its failure record, nothing that looks like a result
    assert sorted(p.name for p in out.iterdir()) == [".pisa-output.json", "failed-eval.json"]
    record = json.loads((out / "failed-eval.json").read_text())
    assert record["counts"]["failed"] == 1 and "c2" in record["failures"][0]["job"]
    assert R.main([*argv, "--allow-missing"]) == 0
    recs = [json.loads(x) for x in (out / "per_sample.jsonl").read_text().splitlines()]
    assert [r["status"] for r in recs] == ["ok", "ok", "failed"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["failed"] == 1 and summary["counts"]["evaluated"] == 2
    assert "c2" in summary["failures"][0]["error"]


def test_corrupt_prediction_is_reported_with_its_file(bench, capsys):
    (bench / "pd" / "c1" / MASK_FILE).write_bytes(b"garbage")
    rc = R.main(["configs/eval/sim.py", "--config_file", str(_manifest(bench)), "--output_dir", str(bench / "o")])
    assert rc == 1
    assert "pd/c1/mask.npz: cannot read npz" in capsys.readouterr().err


def test_parallel_workers_give_identical_records(bench):
    m = _manifest(bench)
    common = ["configs/eval/sim.py", "--config_file", str(m), "--figures.enabled=False"]
    assert R.main([*common, "--output_dir", str(bench / "a")]) == 0
    assert R.main([*common, "--output_dir", str(bench / "b"), "--workers", "2"]) == 0
    a = (bench / "a" / "per_sample.jsonl").read_text()
    assert a == (bench / "b" / "per_sample.jsonl").read_text()


def test_real_protocol_fps_alignment_and_highest_object(tmp_path):
    """120 fps GT with two objects; the higher-annotated one is scored at int(7.5 i)."""
    t_gt, h = 60, 32
    gt = np.zeros((t_gt, 2, h, h), bool)
    for t in range(t_gt):
        gt[t, 0, 28:30, 2:6] = True  # a static object low in the image
        y = min(2 + t // 3, 24)
        gt[t, 1, y : y + 4, 20:24] = True  # the dropped object, annotated highest
    write_mask(tmp_path / "gt.npz", gt)
    pd = gt[[int(i * 7.5) for i in range(8)]]
    write_mask(tmp_path / "pd.npz", pd)
    (tmp_path / "ann.json").write_text(
        json.dumps({"points": [{"positive": [[3, 29]]}, {"positive": [[21, 3]]}], "height": h, "width": h})
    )
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"gt_mask": "gt.npz", "gt_fps": 120, "gt_annotation": "ann.json", "pd_mask": "pd.npz", "pd_fps": 16})
    )
    out = tmp_path / "out"
    assert R.main(["configs/eval/real.py", "--config_file", str(tmp_path / "m.jsonl"), "--output_dir", str(out)]) == 0
    rec = json.loads((out / "per_sample.jsonl").read_text())
    assert rec["object_index"] == 1 and rec["frames_evaluated"] == 8
    assert rec["l2"] == 0 and rec["iou"] == 1


def test_unknown_override_is_an_error(bench, capsys):
    with pytest.raises(SystemExit):
        R.main(["configs/eval/sim.py", "--eval.workerz=2"])
    assert "no key 'eval.workerz'" in capsys.readouterr().err


def test_neither_input_given_is_an_error(capsys):
    assert R.main(["configs/eval/sim.py"]) == 2
    assert "--config_file" in capsys.readouterr().err
