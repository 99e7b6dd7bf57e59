"""Physics-IQ run report (markdown, the published rows beside the run) and the mask-overlay figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation.physics_iq.published import PHYSICS_IQ, VERIFIED


def _f(v, d=2) -> str:
    return "—" if v is None else f"{v:.{d}f}"


def markdown_report(summary: dict) -> str:
    """The run's scores per seed (95 % bootstrap intervals over scenarios), by category, and the published rows."""
    lines = [f"# Physics-IQ — {summary['model']}", ""]
    lines += [f"{summary['fps']} fps; masks through the release's mp4 round trip: {summary['released_masks']} "
              "(the leaderboard's numbers need it on). Scoring: evaluation/physics_iq (README \"Physics-IQ\").", ""]  # fmt: skip
    lines += ["| run | Physics-IQ score [95 % CI] | Physics-IQ Verified [95 % CI] | scenarios |", "|---|---|---|---|"]
    for k, s in enumerate(summary["seeds"]):
        p, v = s["physics_iq"], s["verified"]
        pci = f" [{p['ci95'][0]:.1f}, {p['ci95'][1]:.1f}]" if p.get("ci95") else ""
        vci = f" [{v['ci95'][0]:.1f}, {v['ci95'][1]:.1f}]" if v.get("ci95") else ""
        lines.append(f"| {summary['model']} (seed {k}) | {_f(p['score'])}{pci} | {_f(v['score'], 1)}{vci} | "
                     f"{s['scenarios_scored']}/{s['scenarios_total']} |")  # fmt: skip
    if len(summary["seeds"]) > 1:
        p, v = summary["physics_iq"], summary["verified"]
        lines.append(f"| {summary['model']} (mean ± sd over seeds) | {_f(p['mean'])} ± {_f(p['sd'])} | "
                     f"{_f(v['mean'], 1)} ± {_f(v['sd'], 1)} | |")  # fmt: skip
    first = summary["seeds"][0]
    if first.get("by_category"):
        lines += ["", "## By category (seed 0; the release's formula on the category's scenarios alone)", "",
                  "| category | scenarios | Physics-IQ score | Verified |", "|---|---|---|---|"]  # fmt: skip
        for cat, c in first["by_category"].items():
            lines.append(f"| {cat} | {c['scenarios']} | {_f(c['physics_iq'])} | {_f(c['verified'], 1)} |")
        p = first["physics_iq"]
        lines += ["", "Terms (seed 0) and the physical variance they are divided by:", "",
                  "| | spatiotemporal IoU | spatial IoU | weighted spatial IoU | MSE |", "|---|---|---|---|---|",
                  "| run | " + " | ".join(_f(p["terms"][k], 4) for k in ("spatiotemporal_iou", "spatial_iou", "weighted_spatial_iou", "mse")) + " |",
                  "| physical variance | " + " | ".join(_f(p["variance"][k], 5) for k in ("spatiotemporal_iou", "spatial_iou", "weighted_spatial_iou", "mse")) + " |"]  # fmt: skip
    lines += ["", "## Published (for comparison; other generation settings)", "",
              "Physics-IQ score (google-deepmind/physics-IQ-benchmark README leaderboard):", "",
              "| model | input | Physics-IQ score |", "|---|---|---|"]  # fmt: skip
    lines += [f"| {m} | {kind} | {v:.1f} |" for m, kind, v in PHYSICS_IQ]
    lines += ["", "Physics-IQ Verified (arXiv 2606.18943):", "", "| model | input | Verified |", "|---|---|---|"]
    lines += [f"| {m} | {kind} | {v:.1f} |" for m, kind, v in VERIFIED]
    return "\n".join(lines) + "\n"


def _overlay(frame_bgr: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    rgb = frame_bgr[..., ::-1].astype(np.float32)
    m = mask > 0
    rgb[m] = 0.5 * rgb[m] + 0.5 * np.asarray(colour, np.float32)
    return rgb.astype(np.uint8)


def write_figures(folder: Path, results: list[dict]) -> list[Path]:
    """Per figured case: real take 1 (moving pixels over 5 s in red) | generated (in blue), middle frames."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for res in results:
        for k, seed in res["seeds"].items():
            fig = seed.get("figure")
            if fig is None:
                continue
            left = _overlay(fig["real"], fig["real_mask"], (230, 30, 30))
            right = _overlay(fig["pred"], fig["pred_mask"], (30, 80, 230))
            gap = np.full((left.shape[0], 4, 3), 255, np.uint8)
            img = Image.fromarray(np.concatenate([left, gap, right], axis=1))
            scale = max(1, 256 // img.height)
            img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
            path = folder / f"{res['case'].key}_seed{k}.png"
            img.save(path)
            out.append(path)
    return out
