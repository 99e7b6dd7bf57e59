"""Small SVG charts written as text: centroid trajectories and metric histograms.

An evaluation's figures and the comparison page draw with these instead of matplotlib, whose
import and rendering used to cost more than scoring the videos (README "Speed"). Each function
returns SVG markup; the ``*_document`` functions return a standalone file's content.
"""

from __future__ import annotations

import html
import math

import numpy as np

COLORS = ["#28b450", "#3c5aff", "#e0542b", "#a040c0", "#d0a000", "#00a0b0", "#808080"]  # ground truth first
_FONT = 'font-family="sans-serif"'


def _num(v: float) -> str:
    return "nan" if not math.isfinite(v) else f"{v:.3g}"


def trajectory_svg(series: dict[str, np.ndarray], axis: int, height: int, fps: float) -> str:
    """A small inline SVG of one centroid coordinate over time per model (ground truth first).

    Args:
        series: name → ``float [T, 2]`` centroids (x, y) in pixels, NaN where absent.
        axis: 0 for x(t), 1 for y(t) (drawn downwards, as in the image).
        height: the image size in pixels (the plot's full range).
        fps: frames per second (the time label).
    """
    w, h, pad = 260, 120, 6
    t_max = max((len(v) for v in series.values()), default=1) - 1 or 1
    lines = []
    for i, (name, pts) in enumerate(series.items()):
        coords = [
            f"{pad + (w - 2 * pad) * j / t_max:.1f},{pad + (h - 2 * pad) * p[axis] / height:.1f}"
            for j, p in enumerate(np.asarray(pts, dtype=float))
            if np.isfinite(p[axis])
        ]
        if coords:
            lines.append(
                f'<polyline fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="2" '
                f'points="{" ".join(coords)}"><title>{html.escape(name)}</title></polyline>'
            )
    label = "x(t)" if axis == 0 else "y(t), down"
    return (
        f'<svg width="{w}" height="{h}" class="traj"><rect width="{w}" height="{h}" fill="#fafafa" stroke="#ddd"/>'
        f'{"".join(lines)}<text x="8" y="{h - 8}" font-size="11" {_FONT}>{label}, {t_max / fps:.2f} s</text></svg>'
    )


def trajectory_document(record: dict, height: int) -> str:
    """Standalone SVG: x(t) and y(t) of one video's ground-truth and predicted centroids, with a title."""
    series = {"ground truth": record["centroids"]["gt"], "prediction": record["centroids"]["pd"]}
    fps = record["pd_fps"]
    title = (
        f"{record['sample_id']}  L2={_num(record.get('l2', math.nan))}  IoU={_num(record.get('iou', math.nan))}"
        f"  a-ratio={_num(record.get('accel_ratio', math.nan))}"
    )
    legend = "".join(
        f'<rect x="{300 + 120 * i}" y="8" width="12" height="4" fill="{COLORS[i]}"/>'
        f'<text x="{316 + 120 * i}" y="14" font-size="11" {_FONT}>{name}</text>'
        for i, name in enumerate(series)
    )
    panels = "".join(
        f'<g transform="translate({10 + 270 * axis}, 24)">{trajectory_svg(series, axis, height, fps)}</g>'
        for axis in (0, 1)
    )
    return _document(
        550, 150, f'<text x="10" y="14" font-size="11" {_FONT}>{html.escape(title)}</text>{legend}{panels}'
    )


def histogram_svg(values: np.ndarray, title: str, bins: int = 20) -> str:
    """One histogram (finite values only) with its range and count, 240 × 150."""
    w, h, pad, top = 240, 150, 8, 20
    vals = np.asarray(values, dtype=float)
    vals = vals[np.isfinite(vals)]
    parts = [f'<rect width="{w}" height="{h}" fill="#fafafa" stroke="#ddd"/>']
    parts.append(f'<text x="{pad}" y="14" font-size="11" {_FONT}>{html.escape(title)}</text>')
    if len(vals):
        lo, hi = float(vals.min()), float(vals.max())
        counts, _ = np.histogram(vals, bins=bins, range=(lo, hi if hi > lo else lo + 1))
        bw, plot_h = (w - 2 * pad) / bins, h - top - 2 * pad - 12
        for i, c in enumerate(counts):
            bh = plot_h * c / counts.max()
            parts.append(
                f'<rect x="{pad + i * bw:.1f}" y="{top + pad + plot_h - bh:.1f}" width="{bw - 1:.1f}" '
                f'height="{bh:.1f}" fill="{COLORS[1]}"><title>{c}</title></rect>'
            )
        parts.append(
            f'<text x="{pad}" y="{h - 6}" font-size="10" {_FONT}>{_num(lo)}</text>'
            f'<text x="{w - pad}" y="{h - 6}" font-size="10" text-anchor="end" {_FONT}>{_num(hi)}</text>'
            f'<text x="{w / 2}" y="{h - 6}" font-size="10" text-anchor="middle" {_FONT}>n={len(vals)}</text>'
        )
    else:
        parts.append(
            f'<text x="{w / 2}" y="{h / 2}" font-size="11" text-anchor="middle" {_FONT}>no finite values</text>'
        )
    return f'<svg width="{w}" height="{h}">{"".join(parts)}</svg>'


def histograms_document(columns: dict[str, np.ndarray], cols: int = 3) -> str:
    """Standalone SVG: one :func:`histogram_svg` per named column, ``cols`` per row."""
    rows = max(1, math.ceil(len(columns) / cols))
    cells = "".join(
        f'<g transform="translate({5 + 250 * (i % cols)}, {5 + 160 * (i // cols)})">{histogram_svg(v, name)}</g>'
        for i, (name, v) in enumerate(columns.items())
    )
    return _document(10 + 250 * cols, 10 + 160 * rows, cells)


def _document(w: int, h: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
        f'<rect width="{w}" height="{h}" fill="white"/>{body}</svg>\n'
    )
