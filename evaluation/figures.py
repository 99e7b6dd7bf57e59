"""Figures of an evaluation run: centroid trajectories, mask-overlay filmstrips, metric histograms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation import metrics as M
from evaluation.benchmark import EvalItem, load_pair
from evaluation.schema import SchemaError, read_frames

GT_COLOR = np.array([40, 220, 80])  # green: ground truth
PD_COLOR = np.array([60, 90, 255])  # blue: prediction
MIN_PLOT_SPAN_PX = 10.0  # smallest y-range of a trajectory panel


@dataclass
class FigureArgs:
    """The ``figures`` config section."""

    enabled: bool = True
    trajectory_plots: int = 4  # number of per-video trajectory plots; -1 = every video
    filmstrip_videos: int = 4
    filmstrip_frames: int = 8
    dpi: int = 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def trajectory_plot(path: Path, record: dict) -> Path:
    """x(t) and y(t) of the ground-truth and predicted centroids of one video (pixels, y down)."""
    plt = _pyplot()
    gt = np.array(record["centroids"]["gt"], dtype=float)
    pd = np.array(record["centroids"]["pd"], dtype=float)
    t = np.arange(len(gt)) / record["pd_fps"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), dpi=100)
    for ax, k, name in ((axes[0], 0, "x"), (axes[1], 1, "y")):
        ax.plot(t, gt[:, k], "-o", ms=3, color="tab:green", label="ground truth")
        ax.plot(t, pd[:, k], "-s", ms=3, color="tab:red", label="prediction")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(f"centroid {name} (px)")
        ax.grid(alpha=0.3)
        lo, hi = np.nanmin(np.r_[gt[:, k], pd[:, k]]), np.nanmax(np.r_[gt[:, k], pd[:, k]])
        if np.isfinite(lo) and hi - lo < MIN_PLOT_SPAN_PX:  # keep sub-pixel jitter from looking like motion
            mid = (lo + hi) / 2
            ax.set_ylim(mid - MIN_PLOT_SPAN_PX / 2, mid + MIN_PLOT_SPAN_PX / 2)
    axes[1].invert_yaxis()  # image y points down: falling goes down the plot
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"{record['sample_id']}  L2={record.get('l2', float('nan')):.3f}  IoU={record.get('iou', float('nan')):.3f}"
        f"  a-ratio={record.get('accel_ratio', float('nan')):.2f}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


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
    try:
        frames = read_frames(Path(item.pd_mask).parent)[: len(gt)]
        if frames.shape[1:3] != gt.shape[1:]:
            raise SchemaError(item.pd_mask, "frames and masks differ in size")
    except SchemaError:
        frames = np.zeros((len(gt), *gt.shape[1:], 3), np.uint8)  # masks only: no frames next to the mask
    tiles = [_overlay(frames[min(t, len(frames) - 1)], gt[t], pred[t]) for t in t_sel]
    strip = np.concatenate(tiles, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(strip).save(path)
    return path


def histograms(path: Path, records: list[dict], names: list[str]) -> Path:
    """One histogram per metric over the evaluated videos."""
    plt = _pyplot()
    ok = [r for r in records if r["status"] == "ok"]
    cols = 3
    rows = max(1, int(np.ceil(len(names) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), dpi=100, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        vals = np.array([r[name] for r in ok], dtype=float)
        vals = vals[np.isfinite(vals)]
        ax.hist(vals, bins=20, color="tab:blue", alpha=0.8)
        ax.set_title(f"{name} ({M.METRICS[name].direction})", fontsize=9)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


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
    written = [histograms(fig_dir / "metric_histograms.png", records, metric_names)] if ok else []
    n_traj = len(ok) if args.trajectory_plots < 0 else args.trajectory_plots
    for _, r in ok[:n_traj]:
        written.append(trajectory_plot(fig_dir / "trajectories" / f"{r['index']:05d}_{_safe(r['sample_id'])}.png", r))
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
