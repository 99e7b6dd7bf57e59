r"""Physics-IQ scoring speed: this project's scorer vs the released scripts on the same synthetic tree.

Usage::

    python benchmarks/physics_iq_speed.py --release-code /path/to/physics-IQ-benchmark/code \
        --release-python /venv/with/pandas/bin/python [--scenarios 66 --fps 8 --size 540 960]

Writes a synthetic tree in the released layout (:mod:`evaluation.physics_iq.synthetic`;
``--scenarios 66`` = the release's 198 cases, 5 s per video; ``--size`` height width), then times,
end to end on the same inputs:

- the release: ``binary_mask_generator.generate_binary_masks`` on the generated videos (their masks
  written as mp4), ``calculate_and_write_metrics_to_csv.process_videos`` and
  ``calculate_iq_score.calculate_iq_score`` — the work ``run_physics_iq.py`` does once its folder
  checks pass (they need exactly 198 videos and ffprobe), in the interpreter given by
  ``--release-python`` (the release needs pandas);
- ``python -m evaluation.physics_iq`` (all cores, the release's mask round trip on): cold (no cache),
  then with the real masks cached, then with the real takes' working-size frames cached too
  (``physics_iq.cache_frames``), then with ``--no-released-masks`` (no cache), and with both (the
  fastest mode; not the leaderboard's numbers, which need the round trip);

and checks the values are identical (largest per-scenario difference, both scores). Prints
seconds and the speed-up over the release measured in this run. Without ``--release-code`` only
this project's rows are printed.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RELEASE = """
import sys, json
sys.path.insert(0, {code!r})
from binary_mask_generator import generate_binary_masks
from calculate_and_write_metrics_to_csv import process_videos
from calculate_iq_score import calculate_iq_score
generate_binary_masks({pred!r}, {gen_masks!r}, False)
process_videos({real!r}, {pred!r}, {masks!r}, {gen_masks!r}, {csv!r}, {fps})
print(json.dumps(calculate_iq_score({csv!r})))
"""


def run_release(a, tree: dict, work: Path) -> tuple[float, dict]:
    """Seconds and (score, per-scenario CSV values) of the released scripts."""
    code = RELEASE.format(code=a.release_code, pred=str(tree["pred"]), gen_masks=str(work / "gen_masks"),
                          real=str(tree["real"]), masks=str(tree["masks"]), csv=str(work / "release.csv"), fps=a.fps)  # fmt: skip
    t = time.perf_counter()
    res = subprocess.run([a.release_python, "-c", code], capture_output=True, text=True, cwd=work)
    seconds = time.perf_counter() - t
    if res.returncode:
        raise SystemExit(f"the release failed:\n{res.stderr[-3000:]}")
    score, _ = json.loads(res.stdout.strip().splitlines()[-1])
    rows = {}
    for row in csv.DictReader(open(work / "release.csv")):
        name = row.pop("scenario").removesuffix(".mp4")
        rows[name] = {k: ast.literal_eval(v) if v.startswith("[") else float(v) for k, v in row.items()}
    return seconds, {"score": score, "rows": rows}


def run_ours(tree: dict, out: Path, cache: Path | None, released: bool, frames: bool = False) -> tuple[float, dict]:
    """Seconds and summary of ``python -m evaluation.physics_iq`` (a fresh process, as a user runs it)."""
    argv = [sys.executable, "-m", "evaluation.physics_iq", "--real-root", str(tree["root"]),
            "--pred-root", str(tree["pred"]), "--output-dir", str(out), "--physics_iq.bootstrap_samples=0",
            f"--physics_iq.cache_dir={str(cache) if cache else None!r}", f"--physics_iq.cache_frames={frames}",
            "--released-masks" if released else "--no-released-masks"]  # fmt: skip
    t = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    seconds = time.perf_counter() - t
    if res.returncode:
        raise SystemExit(f"evaluation.physics_iq failed:\n{res.stderr[-3000:]}")
    return seconds, json.loads((out / "summary.json").read_text())


def largest_difference(release_rows: dict, per_sample: Path) -> float:
    """Largest absolute difference of any per-scenario value between the release's CSV and our records."""
    ours = {}
    for line in per_sample.read_text().splitlines():
        r = json.loads(line)
        ours[r["scenario"], r["view"]] = r
    worst = 0.0
    for scenario, cols in release_rows.items():
        for col, ref in cols.items():
            key, view = col.rsplit("_perspective-", 1)
            got = ours[scenario, f"perspective-{view}"][key]
            worst = max(worst, float(np.max(np.abs(np.asarray(got, float) - np.asarray(ref, float)))))
    return worst


def main(argv=None) -> None:
    """Write the tree, time both, check equality, print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", type=int, default=66, help="66 = the release's 198 cases (3 views each)")
    p.add_argument("--fps", type=int, default=8)
    p.add_argument("--size", type=int, nargs=2, default=[540, 960], metavar=("H", "W"), help="real takes 2160 3840")
    p.add_argument("--release-code", help="the release's code/ folder (google-deepmind/physics-IQ-benchmark)")
    p.add_argument("--release-python", default=sys.executable, help="an interpreter with the release's requirements")
    p.add_argument("--work", help="folder for the tree and outputs (default: a temporary one)")
    a = p.parse_args(argv)
    from evaluation.physics_iq.synthetic import write_tree

    work = Path(a.work or tempfile.mkdtemp(prefix="piq_speed_"))
    t = time.perf_counter()
    params = {"scenarios": a.scenarios, "fps": a.fps, "size": a.size}
    stamp = work / "tree.json"  # a tree this script wrote with the same parameters is reused
    if stamp.is_file() and json.loads(stamp.read_text()).get("params") == params:
        tree = {k: Path(v) if v else None for k, v in json.loads(stamp.read_text())["tree"].items()}
    else:
        tree = write_tree(work / "tree", scenarios=a.scenarios, fps=a.fps, size=tuple(a.size))
        stamp.write_text(json.dumps({"params": params, "tree": {k: str(v) for k, v in tree.items()}}))
    made = ("ours_cold", "ours_warm", "ours_fill", "ours_frames", "ours_mem", "ours_mem_fill", "ours_mem_frames")
    for old in (*made, "cache", "cache_frames", "cache_mem", "gen_masks"):
        shutil.rmtree(work / old, ignore_errors=True)
    print(f"synthetic tree: {a.scenarios * 3} cases, {a.size[1]}x{a.size[0]}, {a.fps} fps x 5 s "
          f"({time.perf_counter() - t:.0f} s to write) in {work}; {os.cpu_count()} cores")  # fmt: skip
    rows = []
    release = None
    if a.release_code:
        s, release = run_release(a, tree, work)
        rows.append(("released scripts", s, release["score"]))
    s_cold, cold = run_ours(tree, work / "ours_cold", work / "cache", True)
    rows.append(("ours, cold (no cache)", s_cold, cold["seeds"][0]["physics_iq"]["score"]))
    s_warm, warm = run_ours(tree, work / "ours_warm", work / "cache", True)
    rows.append(("ours, real masks cached", s_warm, warm["seeds"][0]["physics_iq"]["score"]))
    run_ours(tree, work / "ours_fill", work / "cache_frames", True, frames=True)  # fills the frame cache
    s_fr, fr = run_ours(tree, work / "ours_frames", work / "cache_frames", True, frames=True)
    rows.append(("ours, real frames cached too", s_fr, fr["seeds"][0]["physics_iq"]["score"]))
    s_mem, mem = run_ours(tree, work / "ours_mem", None, False)
    rows.append(("ours, --no-released-masks", s_mem, mem["seeds"][0]["physics_iq"]["score"]))
    run_ours(tree, work / "ours_mem_fill", work / "cache_mem", False, frames=True)  # fills that mode's cache
    s_best, best = run_ours(tree, work / "ours_mem_frames", work / "cache_mem", False, frames=True)
    rows.append(("ours, no round trip, frames cached", s_best, best["seeds"][0]["physics_iq"]["score"]))
    base = rows[0][1] if release else None
    print(f"{'scorer':<36}{'seconds':>9}{'speed-up':>10}{'score':>8}")
    for name, s, score in rows:
        ratio = f"{base / s:.1f}x" if base else "-"
        print(f"{name:<36}{s:>9.1f}{ratio:>10}{score:>8}")
    if release:
        diff = largest_difference(release["rows"], work / "ours_cold" / "per_sample.jsonl")
        print(f"largest per-scenario difference vs the release: {diff:.2e}; scores {release['score']} vs "
              f"{cold['seeds'][0]['physics_iq']['score']}")  # fmt: skip


if __name__ == "__main__":
    main()
