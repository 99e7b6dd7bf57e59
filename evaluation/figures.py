"""Figures of an evaluation run: centroid trajectories and metric histograms (SVG), mask-overlay filmstrips (PNG)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation import metrics as M
from evaluation import svgplot
from evaluation.benchmark import EvalItem, load_pair
from evaluation.core.files import write_text
from evaluation.schema import SchemaError, list_frames, read_image

GT_COLOR = np.array([40, 220, 80])  # green: ground truth
PD_COLOR = np.array([60, 90, 255])  # blue: prediction


@dataclass
class FigureArgs:
    """The ``figures`` config section."""

    enabled: bool = True
    trajectory_plots: int = 4  # number of per-video trajectory plots; -1 = every video
    filmstrip_videos: int = 4
    filmstrip_frames: int = 8


def trajectory_plot(path: Path, record: dict, height: int) -> Path:
    """x(t) and y(t) of the ground-truth and predicted centroids of one video (pixels, y down), as SVG."""
    return write_text(path, svgplot.trajectory_document(record, height))


def _overlay(frame: np.ndarray, gt: np.ndarray, pd: np.ndarray) -> np.ndarray:
    out = frame.astype(np.float64)
    out[pd] = 0.5 * out[pd] + 0.5 * PD_COLOR
    edge = gt & ~(np.roll(gt, 1, 0) & np.roll(gt, -1, 0) & np.roll(gt, 1, 1) & np.roll(gt, -1, 1))
    out[edge] = GT_COLOR
    return out.astype(np.uint8)


def filmstrip(path: Path, item: EvalItem, record: dict, object_selection: str, num_frames: int) -> Path:
    """Predicted frames with the predicted mask (blue fill) and the ground-truth outline (green)."""
    from PIL import Image

    pred, gt, _, _ = load_pair(item, object_selection)
    t_sel = np.unique(np.linspace(0, len(gt) - 1, num_frames).round().astype(int))
    frames = np.zeros((len(t_sel), *gt.shape[1:], 3), np.uint8)  # masks only when there are no frames
    try:
        paths = list_frames(Path(item.pd_mask).parent)
        picked = [read_image(paths[min(t, len(paths) - 1)]) for t in t_sel]  # only the frames shown
        if picked[0].shape[:2] == gt.shape[1:]:
            frames = np.stack(picked)
    except SchemaError:
        pass
    tiles = [_overlay(frame, gt[t], pred[t]) for frame, t in zip(frames, t_sel, strict=True)]
    strip = np.concatenate(tiles, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(strip).save(path)
    return path


def histograms(path: Path, records: list[dict], names: list[str]) -> Path:
    """One histogram per metric over the evaluated videos, as SVG."""
    ok = [r for r in records if r["status"] == "ok"]
    columns = {
        f"{name} ({M.METRICS[name].direction})": np.array([r[name] for r in ok if name in r], dtype=float)
        for name in names
        if any(name in r for r in ok)  # physical-unit metrics: only on the clips of their scenarios
    }
    return write_text(path, svgplot.histograms_document(columns))


def write_figures(
    out_dir: Path,
    items: list[EvalItem],
    records: list[dict],
    args: FigureArgs,
    object_selection: str,
    metric_names: list[str],
) -> list[Path]:
    """All figures of a run under ``out_dir/figures``; returns the written paths."""
    if not args.enabled:
        return []
    fig_dir = out_dir / "figures"
    ok = [(it, r) for it, r in zip(items, records, strict=True) if r["status"] == "ok"]
    written = [histograms(fig_dir / "metric_histograms.svg", records, metric_names)] if ok else []
    n_traj = len(ok) if args.trajectory_plots < 0 else args.trajectory_plots
    for _, r in ok[:n_traj]:
        written.append(
            trajectory_plot(fig_dir / "trajectories" / f"{r['index']:05d}_{_safe(r['sample_id'])}.svg", r, r["height"])
        )
    for it, r in ok[: args.filmstrip_videos]:
        written.append(
            filmstrip(
                fig_dir / "filmstrips" / f"{r['index']:05d}_{_safe(r['sample_id'])}.png",
                it,
                r,
                object_selection,
                args.filmstrip_frames,
            )
        )
    return written


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
