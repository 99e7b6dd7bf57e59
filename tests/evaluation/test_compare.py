"""The comparison page: leaderboard, tables, players; rendered by a real browser when one is installed."""

from __future__ import annotations

import re
import subprocess

import pytest

from evaluation import compare as C
from evaluation import run as R
from tests.conftest import assert_user_error, run_cli, write_clip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two evaluation runs of three clips: a perfect prediction and a frozen one."""
    root = tmp_path_factory.mktemp("cmp")
    for i in range(3):
        write_clip(root / "gt" / f"c{i}", seed=i)
        write_clip(root / "good" / f"c{i}", seed=i)
        write_clip(root / "frozen" / f"c{i}", seed=i, variant="frozen")
    out = []
    for name in ("good", "frozen"):
        argv = ["configs/eval/sim.py", "--gt-root", root / "gt", "--pred-root", root / name]
        argv += ["--output_dir", root / f"eval_{name}", "--model", name, "--figures.enabled=False"]
        assert R.main([str(a) for a in argv]) == 0
        out.append(root / f"eval_{name}")
    return out


def test_page_and_leaderboard(runs, tmp_path, capsys):
    out = tmp_path / "page"
    rc, stdout, _ = run_cli(C.main, [*runs, "--output-dir", out, "--videos", "2"], capsys)
    assert rc == 0 and "index.html" in stdout
    board = (out / "leaderboard.md").read_text()
    assert "| good (this run) |" in board.replace("*", "") and "frozen" in board
    page = (out / "index.html").read_text()
    assert page.count('<tr class="run">') == 4  # two runs in the paper table, two in the metric table
    assert len(re.findall(r'<section class="video">', page)) == 2
    videos = re.findall(r'<video src="([^"]+)"', page)
    assert len(videos) == 2 * 3 and all((out / v).is_file() for v in videos)  # ground truth + 2 models
    assert "static" in page  # the frozen prediction's flag
    assert 'src="http' not in page and "<link" not in page  # nothing fetched from the network


def test_two_runs_of_one_model_keep_their_own_videos(runs, tmp_path, capsys):
    root = runs[0].parent
    again = []
    for name in ("good", "frozen"):  # two runs, both called "m"
        argv = ["configs/eval/sim.py", "--gt-root", root / "gt", "--pred-root", root / name]
        argv += ["--output_dir", tmp_path / f"m_{name}", "--model", "m", "--figures.enabled=False"]
        assert R.main([str(a) for a in argv]) == 0
        again.append(tmp_path / f"m_{name}")
    out = tmp_path / "page"
    assert run_cli(C.main, [*again, "--output-dir", out, "--videos", "1"], capsys)[0] == 0
    page = (out / "index.html").read_text()
    gt, first, second = re.findall(r'<video src="([^"]+)"', page)
    assert first != second and (out / first).read_bytes() != (out / second).read_bytes()
    assert "m (m_good)" in page and "m (m_frozen)" in page


def test_a_failed_rebuild_keeps_the_previous_page(runs, tmp_path, capsys):
    import shutil

    root = tmp_path / "r"
    shutil.copytree(runs[0].parent, root)
    run = root / "eval_good"
    text = (run / "per_sample.jsonl").read_text().replace(str(runs[0].parent), str(root))
    (run / "per_sample.jsonl").write_text(text)
    out = tmp_path / "page"
    assert run_cli(C.main, [run, "--output-dir", out, "--videos", "1"], capsys)[0] == 0
    (out / "shot.png").write_bytes(b"png")  # something the user keeps beside the page
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shutil.move(root / "gt", root / "gt_moved")  # the ground truth's masks moved
    rc, _, err = run_cli(C.main, [run, "--output-dir", out, "--videos", "1"], capsys)
    assert_user_error(rc, err, "mask.npz")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # the old page, whole
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    shutil.move(root / "gt_moved", root / "gt")
    assert run_cli(C.main, [run, "--output-dir", out, "--videos", "1"], capsys)[0] == 0
    assert (out / "shot.png").read_bytes() == b"png"


def test_not_a_run_is_named(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    rc, _, err = run_cli(C.main, [tmp_path / "x", "--output-dir", tmp_path / "page"], capsys)
    assert_user_error(rc, err, str(tmp_path / "x"), "summary.json is missing")
    assert not (tmp_path / "page").exists()


def test_users_folder_is_refused(runs, tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    rc, _, err = run_cli(C.main, [runs[0], "--output-dir", tmp_path / "mine"], capsys)
    assert_user_error(rc, err, "not written by PISA")


def test_browser_renders_tables_and_playable_videos(runs, tmp_path):
    exe = C.chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it): page not rendered")
    page = C.build([str(r) for r in runs], tmp_path / "page", videos=1)
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=8000",
        "--dump-dom",
        page.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert dom.count('<tr class="run">') == 4, dom[:2000]
    videos = re.findall(r"<video[^>]*>", dom)
    assert len(videos) == 3
    assert any('data-ready="1"' in v for v in videos), videos  # the browser decoded a frame
    png = C.screenshot(page, tmp_path / "page.png", width=900, height=700)
    assert png.stat().st_size > 10_000
