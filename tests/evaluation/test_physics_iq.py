"""Physics-IQ scoring: equal to the released code's frozen outputs, hand-checked metrics, and every trap it avoids."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from evaluation.physics_iq import layout, metrics
from evaluation.physics_iq.pipeline import Settings, real_view, score_case
from evaluation.physics_iq.synthetic import write_tree, write_video
from evaluation.physics_iq.video import crossfade, read_frames

pytest.importorskip("cv2")
FROZEN = Path(__file__).parent / "fixtures" / "physics_iq_release_frozen.json"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("piq"), scenarios=3, fps=8, size=(64, 96), seed=0)


def score_tree(tree, pred=None, released=True):
    cases = layout.read_descriptions(tree["descriptions"])
    preds, missing, extra = layout.match_predictions(pred or tree["pred"], cases)
    assert not missing and not extra
    s = Settings(fps=8, released_masks=released)
    out = {}
    for c in cases:
        out.setdefault(c.scenario, {})[c.view] = score_case(real_view(tree["root"], c, s), preds[c.case_id], s)
    return out


def run_cli(argv, capsys=None):
    from evaluation.physics_iq.__main__ import main

    rc = main(argv)
    return rc, (capsys.readouterr() if capsys else None)


def test_equal_to_the_released_codes_frozen_outputs(tree):
    """Every per-scenario value within 1e-9 and the score within 0.01 of what the release computed."""
    frozen = json.loads(FROZEN.read_text())
    for rel, sha in frozen["input_sha256"].items():  # the same synthetic inputs (the same OpenCV encoder)
        assert hashlib.sha256((tree["root"].parent / rel).read_bytes()).hexdigest() == sha, rel
    ours = score_tree(tree)
    worst = 0.0
    for scenario, cols in frozen["scenarios"].items():
        for col, ref in cols.items():
            key, view = col.rsplit("_perspective-", 1)
            got = ours[scenario][f"perspective-{view}"][key]
            assert np.shape(got) == np.shape(ref), col
            worst = max(worst, float(np.max(np.abs(np.asarray(got, float) - np.asarray(ref, float)))))
    assert worst < 1e-9
    score = metrics.physics_iq_score(list(ours.values()))
    assert abs(score["score"] - frozen["score"]) <= 0.01
    v = score["variance"]
    total = round(v["spatiotemporal_iou"] + v["spatial_iou"] + v["weighted_spatial_iou"] - v["mse"], 4)
    assert total == pytest.approx(frozen["physical_variance_all"], abs=1e-9)


def test_metrics_by_hand():
    a = np.zeros((2, 2, 2), np.uint8)
    b = np.zeros((2, 2, 2), np.uint8)
    a[0, 0, 0] = a[0, 0, 1] = 1  # frame 0: two pixels vs one shared
    b[0, 0, 0] = 1
    a[1, 1, 1] = 1  # frame 1: disjoint single pixels
    b[1, 0, 0] = 1
    assert metrics.iou_per_frame(a, b) == [0.5, 0.0]
    assert metrics.iou_per_frame(np.zeros((1, 2, 2)), np.zeros((1, 2, 2))) == [1.0]  # both empty
    assert metrics.spatial_iou(a, b) == pytest.approx(1 / 3)  # unions {00, 01, 11} vs {00}
    # weighted: a moves 0.5 at 00, 01, 11; b moves 1.0 at 00 → Σmin / Σmax = 0.5 / (1 + 0.5 + 0.5)
    assert metrics.weighted_spatial_iou(a, b) == pytest.approx(0.25)
    x = np.full((1, 2, 2, 3), 255, np.uint8)
    y = np.zeros((1, 2, 2, 3), np.uint8)
    assert metrics.mse_per_frame(x, y) == [1.0]  # frames scaled to [0, 1]
    with pytest.raises(metrics.FrameMismatch):
        metrics.iou_per_frame(a, b[:1])  # the release would zip-truncate silently


def test_crossfade_blends_neighbours_and_truncates():
    frames = (np.arange(11, dtype=np.uint8) * 20)[:, None, None, None].repeat(3, axis=-1)  # 11 frames, 10 fps
    out = crossfade(frames, 10.0, 4.0)  # 1.1 s → int(1.1 × 4) = 4 frames
    assert len(out) == 4
    # a = j × 10 / 3 → 0, 3.33, 6.67, 10: blends (1−f)·20i + f·20(i+1), truncated
    assert out[:, 0, 0, 0].tolist() == [0, 66, 133, 200]


def test_verified_rule_clips_each_ratio():
    view = {"spatiotemporal_iou_v1": [0.5, 0.5], "variance_spatiotemporal_iou": [0.25, 0.25],  # ratio 2 → 1
            "spatial_iou_v1": 0.3, "variance_spatial": 0.6,  # 0.5
            "weighted_spatial_iou_v1": 0.0, "variance_weighted_spatial": 0.0,  # both zero → 1
            "v1_mse": [0.02], "variance_mse": [0.01]}  # fmt: skip  # var / mse = 0.5
    assert metrics.verified_sample_score(view) == pytest.approx((1 + 0.5 + 1 + 0.5) / 4)


def _digest_tree(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def test_cli_writes_a_run_and_never_touches_the_inputs(tree, tmp_path, capsys):
    before_real, before_pred = _digest_tree(tree["root"]), _digest_tree(tree["pred"])
    out = tmp_path / "run"
    argv = ["--real-root", str(tree["root"]), "--pred-root", str(tree["pred"]), "--output-dir", str(out),
            f"--physics_iq.cache_dir={str(tmp_path / 'cache')!r}", "--physics_iq.bootstrap_samples=50"]  # fmt: skip
    rc, cap = run_cli(argv, capsys)
    assert rc == 0, cap.err
    summary = json.loads((out / "summary.json").read_text())
    frozen = json.loads(FROZEN.read_text())
    assert summary["seeds"][0]["physics_iq"]["score"] == pytest.approx(frozen["score"], abs=0.01)
    assert len((out / "per_sample.jsonl").read_text().splitlines()) == 9 and (out / "figures").is_dir()
    assert "Physics-IQ score" in (out / "report.md").read_text() and "Magi-1" in (out / "report.md").read_text()
    assert _digest_tree(tree["root"]) == before_real and _digest_tree(tree["pred"]) == before_pred
    cached = sorted((tmp_path / "cache" / "real").glob("*.npz"))
    assert len(cached) == 9  # one entry per case: both takes' masks, keyed by the files' content
    stamps = [p.stat().st_mtime_ns for p in cached]
    rc, _ = run_cli(argv, capsys)  # the rerun reads the cache and computes the same score
    again = json.loads((out / "summary.json").read_text())["seeds"][0]["physics_iq"]
    assert rc == 0 and again["score"] == summary["seeds"][0]["physics_iq"]["score"]
    assert [p.stat().st_mtime_ns for p in cached] == stamps
    inside = [
        "--real-root",
        str(tree["root"]),
        "--pred-root",
        str(tree["pred"]),
        "--output-dir",
        str(tree["pred"] / "x"),
    ]
    rc, cap = run_cli(inside, capsys)
    assert rc == 2 and "only reads" in cap.err and not (tree["pred"] / "x").exists()


def test_same_folder_name_different_content_gives_different_scores(tree, tmp_path, capsys):
    """The release caches generated masks by folder name; two 'model' folders must not share them."""
    a, b = tmp_path / "a" / "model", tmp_path / "b" / "model"
    shutil.copytree(tree["pred"], a)
    shutil.copytree(tree["pred"], b)
    first = sorted(b.glob("*.mp4"))[0]
    v = read_frames(first)
    write_video(first, v.frames[::-1].copy(), 8)  # the other model's video: the fall played backwards
    scores = []
    for pred, out in ((a, tmp_path / "ra"), (b, tmp_path / "rb")):
        argv = ["--real-root", str(tree["root"]), "--pred-root", str(pred), "--output-dir", str(out),
                f"--physics_iq.cache_dir={str(tmp_path / 'cache')!r}", "--physics_iq.bootstrap_samples=0"]  # fmt: skip
        assert run_cli(argv, capsys)[0] == 0
        scores.append(json.loads((out / "summary.json").read_text())["seeds"][0]["physics_iq"]["unclipped"])
    assert scores[0] != scores[1]


def test_sample_folders_score_like_their_mp4s(tree, tmp_path):
    from PIL import Image

    folders = tmp_path / "samples"
    for mp4 in sorted(tree["pred"].glob("*.mp4")):
        d = folders / mp4.stem
        d.mkdir(parents=True)
        for k, f in enumerate(read_frames(mp4).frames):
            Image.fromarray(f[..., ::-1]).save(d / f"{k:05d}.png")
        (d / "clip_info.json").write_text(json.dumps({"fps": 8}))
    a, b = score_tree(tree), score_tree(tree, pred=folders)
    key = "spatiotemporal_iou_v1"
    assert all(a[s][v][key] == b[s][v][key] for s in a for v in a[s])


@pytest.mark.parametrize("problem", ["missing", "extra", "short", "unreadable", "fps"])
def test_bad_predictions_are_named_and_leave_no_result(tree, tmp_path, capsys, problem):
    pred = tmp_path / "model"
    shutil.copytree(tree["pred"], pred)
    victim = sorted(pred.glob("*.mp4"))[1]
    if problem == "missing":
        victim.unlink()
    elif problem == "extra":
        victim = pred / "notes.txt"
        victim.write_text("hi")
    elif problem == "short":
        write_video(victim, read_frames(victim).frames[:30], 8)  # 3.75 s
    elif problem == "unreadable":
        victim.write_bytes(b"not a video")
    else:
        write_video(victim, read_frames(victim).frames, 16)
    out = tmp_path / "run"
    argv = ["--real-root", str(tree["root"]), "--pred-root", str(pred), "--output-dir", str(out),
            "--physics_iq.bootstrap_samples=0"]  # fmt: skip
    rc, cap = run_cli(argv, capsys)
    assert rc in (1, 2), cap.err
    assert victim.name[:4] in cap.err or victim.name in cap.err
    assert not (out / "summary.json").exists()
    if problem in ("missing", "short", "unreadable"):
        rc, cap = run_cli([*argv, "--allow-missing"], capsys)
        assert rc == 0, cap.err
        s = json.loads((out / "summary.json").read_text())
        assert s["failed"] == 1 and s["seeds"][0]["scenarios_scored"] == 2  # the case's scenario is left out


def test_comparison_page_shows_physics_iq_runs_beside_the_published_rows(tree, tmp_path, capsys):
    from evaluation.compare import build

    out = tmp_path / "run"
    argv = ["--real-root", str(tree["root"]), "--pred-root", str(tree["pred"]), "--output-dir", str(out),
            "--model", "my-model", "--physics_iq.bootstrap_samples=20"]  # fmt: skip
    assert run_cli(argv, capsys)[0] == 0
    page = build([str(out)], tmp_path / "page")
    text = page.read_text()
    assert 'id="physics-iq"' in text and "my-model" in text and "Magi-1" in text
    assert "## Physics-IQ — my-model" in (tmp_path / "page" / "leaderboard.md").read_text()


def test_cached_frames_give_the_same_numbers(tree, tmp_path):
    """cache_frames keeps the real takes' working-size frames: a warm run gives the same arrays as a cold one."""
    cases = layout.read_descriptions(tree["descriptions"])[:3]
    s = Settings(fps=8, released_masks=True, cache_frames=True)
    cold = [real_view(tree["root"], c, s, tmp_path / "c") for c in cases]
    warm = [real_view(tree["root"], c, s, tmp_path / "c") for c in cases]
    for a, b in zip(cold, warm, strict=True):
        assert all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("take1", "take2", "mask1", "mask2"))
    plain = real_view(tree["root"], cases[0], Settings(fps=8), None)
    assert np.array_equal(plain.take1, warm[0].take1) and np.array_equal(plain.mask2, warm[0].mask2)
