"""The benchmark's self-test: analytic drop clips, physically perturbed predictions, one report.

Usage::

    python -m evaluation.selftest configs/eval/selftest.py [--selftest.num_clips=40]

Steps:

1. Build a small benchmark of analytic drop clips (``evaluation.analytic``: exact ballistic
   fall, pinhole projection, floor or block contact) in the data schema, under
   ``<out_dir>/benchmark/gt``.
2. Build predictions for every variant (ground truth, gravity ×0.5, gravity ×2, frozen,
   constant-velocity fall, object vanishing mid-clip) under ``<out_dir>/benchmark/pred/<variant>``.
3. Evaluate each variant with ``evaluation.run`` (``<out_dir>/eval/<variant>``) and write the
   combined ``<out_dir>/report.md`` and ``<out_dir>/selftest_metrics.png``.
4. Check the expected ordering: ground truth is best on every metric; frozen and vanishing are
   worst on the strict metrics. Exit status 1 when an expectation fails.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation import analytic
from evaluation import metrics as M
from evaluation.core.config import parse_cli, section
from evaluation.report import json_safe, metric_table, paper_table
from evaluation.schema import write_sample

DEFAULT_CONFIG = "configs/eval/selftest.py"
STRICT_METRICS = ("centroid_error_strict", "chamfer_strict")
WORST_ON_STRICT = ("frozen", "vanish")


@dataclass
class SelftestArgs:
    """The ``selftest`` config section."""

    out_dir: str = "outputs/selftest"
    num_clips: int = 12
    resolution: int = 256
    num_frames: int = 32
    fps: float = 16.0
    seed: int = 0
    variants: list[str] = field(default_factory=lambda: list(analytic.VARIANTS))
    write_movies: bool = False
    readme_figure: str | None = None  # also save the comparison figure here (figures/...)

    def __post_init__(self):
        unknown = sorted(set(self.variants) - set(analytic.VARIANTS))
        if unknown or "ground_truth" not in self.variants:
            raise ValueError(f"selftest.variants must include ground_truth and come from {analytic.VARIANTS}")


def build_benchmark(args: SelftestArgs) -> Path:
    """Write ground-truth clips and every variant's predictions; returns the benchmark root."""
    root = Path(args.out_dir) / "benchmark"
    for i in tqdm(range(args.num_clips), desc="building clips", unit="clip", disable=None):
        seed = args.seed + i
        scene = analytic.sample_scene(
            np.random.default_rng(seed), resolution=args.resolution, num_frames=args.num_frames, fps=args.fps, seed=seed
        )
        sid = f"clip_{i:04d}"
        for variant in args.variants:
            frames, masks, pos = analytic.render(scene, variant)
            info = analytic.clip_info(scene, masks if variant != "vanish" else analytic.render(scene)[1], pos)
            target = root / "gt" / sid if variant == "ground_truth" else root / "pred" / variant / sid
            write_sample(target, frames=frames, mask=masks, clip_info=info, movie=args.write_movies)
            if variant == "ground_truth":  # the ground-truth clip is also the perfect prediction
                write_sample(root / "pred" / variant / sid, frames=frames, mask=masks, clip_info=info, movie=False)
    return root


def check_ordering(summaries: dict[str, dict]) -> list[str]:
    """Violations of the expected ordering (empty list = all expectations hold)."""
    problems = []
    gt = summaries["ground_truth"]["metrics"]
    for name, m in gt.items():
        spec = M.METRICS[name]
        for variant, s in summaries.items():
            other = s["metrics"][name]["mean"]
            if other is None or m["mean"] is None or (isinstance(other, float) and math.isnan(other)):
                continue
            if spec.higher_is_better is None:
                worse = abs(m["mean"] - spec.target) > abs(other - spec.target) + 1e-12
            elif spec.higher_is_better:
                worse = m["mean"] < other - 1e-12
            else:
                worse = m["mean"] > other + 1e-12
            if worse:
                problems.append(f"ground truth is not best on {name}: {m['mean']:.4f} vs {variant} {other:.4f}")
    for name in STRICT_METRICS:
        bad = [v for v in WORST_ON_STRICT if v in summaries]
        rest = [v for v in summaries if v not in WORST_ON_STRICT]
        if not bad or not rest:
            continue
        floor = min(summaries[v]["metrics"][name]["mean"] for v in bad)
        best_rest = max(summaries[v]["metrics"][name]["mean"] for v in rest)
        if not floor > best_rest:
            problems.append(f"{'/'.join(bad)} not worst on {name}: {floor:.4f} <= {best_rest:.4f}")
    return problems


def comparison_figure(path: Path, summaries: dict[str, dict], title: str) -> Path:
    """Bar chart: every metric (panel) for every variant (bar), with bootstrap intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(next(iter(summaries.values()))["metrics"])
    variants = list(summaries)
    cols = 3
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), dpi=100, squeeze=False)
    colors = plt.cm.tab10(np.arange(len(variants)))
    for ax, name in zip(axes.flat, names, strict=False):
        means = np.array([summaries[v]["metrics"][name]["mean"] or np.nan for v in variants], dtype=float)
        ci = np.array(
            [[x if x is not None else np.nan for x in summaries[v]["metrics"][name]["ci95"]] for v in variants]
        )
        err = np.abs(np.stack([means - ci[:, 0], ci[:, 1] - means]))
        ax.bar(range(len(variants)), means, yerr=np.nan_to_num(err), color=colors, capsize=2)
        ax.set_xticks(range(len(variants)), [v.replace("_", "\n") for v in variants], fontsize=7)
        ax.set_title(f"{name} {M.METRICS[name].arrow}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def run(cfg) -> int:
    """Build, evaluate every variant, report, check; returns the exit status."""
    args = section(cfg, "selftest", SelftestArgs)
    root = build_benchmark(args)
    description = (
        f"{args.num_clips} analytic drop clips ({args.resolution}², {args.num_frames} frames at {args.fps:g} fps); "
        "each row is one physically perturbed prediction of the same clips."
    )
    title = "PisaBench self-test: analytic drops vs physically perturbed predictions"
    return evaluate_variants(cfg, root, args.variants, Path(args.out_dir), description, args.readme_figure, title)


def evaluate_variants(
    cfg, root: Path, variants: list[str], out: Path, description: str, readme_figure: str | None, title: str
) -> int:
    """Evaluate ``root/pred/<variant>`` against ``root/gt`` for every variant, report and check.

    Shared by this analytic self-test and the simulator's (``python -m sim_data.selftest``).
    Returns the exit status: 1 when an evaluation or an ordering expectation fails.
    """
    from evaluation import run as eval_run  # the evaluation CLI's own steps

    summaries = {}
    for variant in variants:
        vcfg = copy.deepcopy(cfg)
        vcfg.eval.gt_root = str(root / "gt")
        vcfg.eval.pred_root = str(root / "pred" / variant)
        vcfg.eval.output_dir = str(out / "eval" / variant)
        vcfg.eval.model = variant
        print(f"\n== {variant} ==")
        if eval_run.run(vcfg) != 0:
            print(f"evaluation of {variant} failed", file=sys.stderr)
            return 1
        summaries[variant] = json.loads((Path(vcfg.eval.output_dir) / "summary.json").read_text())
    fig = comparison_figure(out / "selftest_metrics.png", summaries, title)
    if readme_figure:
        comparison_figure(Path(readme_figure), summaries, title)
    problems = check_ordering(summaries)
    runs = [json_safe(s) for s in summaries.values()]
    verdict = "PASS: ground truth best on every metric; frozen and vanish worst on the strict metrics."
    if problems:
        verdict = "FAIL:\n" + "\n".join(f"- {p}" for p in problems)
    report = "\n".join(
        [
            "# PisaBench self-test",
            "",
            description,
            "",
            "## Paper metrics (released definitions)",
            "",
            paper_table(runs),
            "",
            "## All metrics (mean [bootstrap 95 % CI])",
            "",
            metric_table(runs),
            "",
            f"![metrics]({fig.name})",
            "",
            "## Expected ordering",
            "",
            verdict,
            "",
        ]
    )
    (out / "report.md").write_text(report)
    from evaluation.compare import build as build_page  # the comparison page of every variant

    page = build_page([str(out / "eval" / v) for v in variants], out / "compare", videos=4, title=title)
    print("\n" + metric_table(runs))
    print(f"\n{verdict}\nreport: {out / 'report.md'}; page: {page}")
    return 1 if problems else 0


def main(argv=None) -> int:
    """Parse the command line and run the self-test."""
    _, cfg = parse_cli(argv, prog="python -m evaluation.selftest", description=__doc__, default_config=DEFAULT_CONFIG)
    return run(cfg)


if __name__ == "__main__":
    sys.exit(main())
