"""Readable results: the paper-layout Markdown table, the console summary, JSON helpers."""

from __future__ import annotations

import math
from typing import Any

from evaluation import metrics as M

# The PisaBench results table of the PISA release (figures/evaluation.png in vision-x-nyu/pisa-experiments).
# (L2, CD, IoU) for real, sim-seen and sim-unseen.
PAPER_RESULTS: dict[str, tuple[float, ...]] = {
    "Sora": (0.174, 0.488, 0.065, 0.149, 0.446, 0.040, 0.140, 0.419, 0.031),
    "Kling-V1": (0.157, 0.425, 0.056, 0.142, 0.415, 0.032, 0.145, 0.437, 0.028),
    "Kling-V1.5": (0.155, 0.424, 0.058, 0.137, 0.396, 0.033, 0.132, 0.405, 0.029),
    "Runway Gen3": (0.187, 0.526, 0.042, 0.170, 0.509, 0.040, 0.149, 0.460, 0.038),
    "CogVideoX-5B-I2V": (0.138, 0.366, 0.080, 0.112, 0.315, 0.020, 0.101, 0.290, 0.020),
    "DynamiCrafter": (0.187, 0.504, 0.021, 0.157, 0.485, 0.039, 0.136, 0.430, 0.033),
    "Pyramid-Flow": (0.175, 0.485, 0.062, 0.126, 0.352, 0.059, 0.130, 0.381, 0.048),
    "Open-Sora (v1.2)": (0.175, 0.502, 0.069, 0.139, 0.409, 0.036, 0.130, 0.368, 0.034),
    "Open-Sora + PSFT (base)": (0.076, 0.188, 0.139, 0.036, 0.088, 0.165, 0.028, 0.058, 0.129),
    "base + ORO (Seg)": (0.075, 0.183, 0.142, 0.033, 0.076, 0.170, 0.032, 0.063, 0.145),
    "base + ORO (Flow)": (0.067, 0.164, 0.136, 0.026, 0.062, 0.122, 0.022, 0.045, 0.071),
    "base + ORO (Depth)": (0.067, 0.159, 0.129, 0.031, 0.072, 0.124, 0.022, 0.046, 0.096),
}
PAPER_SPLITS = ("real", "sim_seen", "sim_unseen")
PAPER_METRICS = ("l2", "chamfer_distance", "iou")


def json_safe(obj: Any) -> Any:
    """NaN/inf → None and private keys (leading ``_``) dropped, recursively, for strict JSON."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _fmt(v, digits=3) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def paper_table(runs: list[dict]) -> str:
    """The paper's results table (the release's figures/evaluation.png) with one row per run summary appended.

    Each run fills the column group of its ``split``; ``custom`` runs fill the "Real" group and
    are marked with an asterisk.
    """
    head = "| Method | Real L2↓ | Real CD↓ | Real IoU↑ | Seen L2↓ | Seen CD↓ | Seen IoU↑ | Unseen L2↓ | Unseen CD↓ | Unseen IoU↑ |"
    lines = [head, "|" + "---|" * 10]
    for name, vals in PAPER_RESULTS.items():
        lines.append(f"| {name} (paper) | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    for s in runs:
        cells = ["—"] * 9
        split = s["split"] if s["split"] in PAPER_SPLITS else "real"
        col = PAPER_SPLITS.index(split) * 3
        for j, m in enumerate(PAPER_METRICS):
            if m in s["metrics"]:
                cells[col + j] = f"**{_fmt(s['metrics'][m]['mean'])}**"
        star = "*" if s["split"] not in PAPER_SPLITS else ""
        lines.append(f"| {s['model']}{star} (this run) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def metric_table(runs: list[dict]) -> str:
    """Every metric of every run: mean [95 % CI], with the direction in the header."""
    names = [n for n in M.METRICS if any(n in s["metrics"] for s in runs)]

    lines = ["| run | " + " | ".join(f"{n} {M.METRICS[n].arrow}" for n in names) + " | vanished | static | failed |"]
    lines.append("|" + "---|" * (len(names) + 4))
    for s in runs:
        cells = []
        for n in names:
            m = s["metrics"].get(n)
            if m is None:
                cells.append("—")
                continue
            lo, hi = m["ci95"]
            ci = f" [{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and not math.isnan(lo) else ""
            cells.append(_fmt(m["mean"]) + ci)
        c, f = s["counts"], s["flags"]
        lines.append(
            f"| {s['model']} | "
            + " | ".join(cells)
            + f" | {f['videos_with_vanished_object']}/{c['evaluated']} | {f['videos_with_static_object']}/{c['evaluated']}"
            + f" | {c['failed']}/{c['expected']} |"
        )
    return "\n".join(lines)


def markdown_report(runs: list[dict], title: str = "PisaBench evaluation") -> str:
    """The whole ``report.md``: paper-layout table, every metric, notes and failures."""
    parts = [f"# {title}", "", f"Benchmark version: {runs[0]['benchmark_version']}", ""]
    parts += ["## Paper metrics beside the published rows", "", paper_table(runs), ""]
    parts += [
        "L2 and CD are the released definitions (L2 = mean |Δx|,|Δy| of centroids × (1/√2)/H; "
        "frames with an empty mask are skipped by L2 and CD). Bold: this run.",
        "",
        "## All metrics (mean [bootstrap 95 % CI])",
        "",
        metric_table(runs),
        "",
        "Strict metrics are normalised by the image diagonal; in `*_strict` a frame where the object "
        f"vanished scores {M.VANISH_PENALTY}. `accel_ratio` (target 1) and `drop_time_error` (s) come from the "
        "centroid trajectory before first contact.",
        "",
    ]
    parts += physics_section(runs)
    for s in runs:
        if s["failures"]:
            parts += [f"## Failures of {s['model']} ({len(s['failures'])})", ""]
            parts += [f"- [{f['index']}] `{f['pd_mask']}`: {f['error']}" for f in s["failures"]]
            parts.append("")
    return "\n".join(parts)


def physics_section(runs: list[dict]) -> list[str]:
    """The "Physical constants by scenario" section: what the videos imply beside the ground truth (empty without any)."""
    if not any(s.get("physics") for s in runs):
        return []
    lines = [
        "## Physical constants by scenario",
        "",
        "What the videos imply, read off their masks on the motion plane (`evaluation/physical.py`): mean over "
        "the videos [bootstrap 95 % CI] beside the ground truth's estimate through the same estimator.",
        "",
        "| run | scenario | constant | implied | ground truth | videos | no estimate |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in runs:
        for scenario, consts in (s.get("physics") or {}).items():
            for c, v in consts.items():
                lo, hi = v["pred_ci95"]
                ci = f" [{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and not math.isnan(lo) else ""
                unit = f" {v['unit']}" if v["unit"] else ""
                lines.append(
                    f"| {s['model']} | {scenario} | {c} | {_fmt(v['pred'])}{unit}{ci} | {_fmt(v['gt'])}{unit} "
                    f"| {v['n']} | {v['failed']} |"
                )
    reasons = []
    for s in runs:
        for name, m in s["metrics"].items():
            for why, count in (m.get("failure_reasons") or {}).items():
                reasons.append(f"- {s['model']}, {name}: {count} video(s) gave no estimate ({why})")
    return [*lines, "", *reasons, *([""] if reasons else [])]


def console_summary(summary: dict) -> str:
    """A short fixed-width table for the terminal."""
    lines = [f"{'metric':<24}{'mean':>10}{'95% CI':>22}{'n':>6}  direction"]
    for name, m in summary["metrics"].items():
        lo, hi = m["ci95"]
        d = M.METRICS[name].direction
        lines.append(
            f"{name:<24}{_fmt(m['mean'], 4):>10}{'[' + _fmt(lo, 4) + ', ' + _fmt(hi, 4) + ']':>22}{m['n']:>6}  {d}"
        )
    c = summary["counts"]
    lines.append(
        f"videos: expected {c['expected']}, found {c['found']}, evaluated {c['evaluated']}, failed {c['failed']}"
    )
    return "\n".join(lines)
