r"""Simulate the Newtonian test split: six scenarios, each with seen and unseen halves, and their manifests.

Usage::

    python -m sim_data.newton [configs/sim/newton.py] [--output-dir DIR] [--num-samples 20] \
        [--scenarios ramp_slide,bounce] [--workers W] [--renderer cycles|preview] [--allow-failures]

Shaped like NewtonBench (arXiv 2512.00425) and PisaBench-sim: per scenario (``drop``,
``ramp_slide``, ``roll``, ``bounce``, ``collide``, ``pendulum``; :mod:`sim_data.scenarios`)
``num_samples`` clips with seen and as many with unseen objects and environments (the catalogue
split of PisaBench-sim). Each (scenario, half) is one batch of :mod:`sim_data.parallel`, written to
``<output_dir>/newton_<res>/<scenario>/<half>/`` — the folder ``score_model.sh --split newton``
(all scenarios) or ``--split newton_<scenario>`` reads — and its evaluation manifest to
``<output_dir>/newton_<scenario>_<half>.jsonl`` (predicted masks expected under
``batch.pred_root/newton/<scenario>/<half>/``). Every clip records its scenario's constants, the
motion plane and per-frame states (README "Data schema"), so the physical-unit metrics
(``g_est``, ``mu_est``, ``e_est``, ``momentum_ratio``, ``rolling_accel_ratio``) score it.
Resumable like any batch; exit status 0 when every batch succeeded.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.core.config import copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError
from sim_data.pisabench_sim import SPLIT_FLAG_KEYS, add_split_flags, run_batches
from sim_data.scene import SCENARIOS
from sim_data.worker import apply_sim_flags

DEFAULT_CONFIG = "configs/sim/newton.py"
MANIFEST_STAGE = "newton_manifest"
HALVES = ("seen", "unseen")
SEED_STRIDE = 10_000  # scenario i, half h starts at start_seed + (2 i + h) * SEED_STRIDE


@dataclass
class NewtonSplitArgs:
    """The ``newton_split`` config section."""

    start_seed: int = 300000  # far from the training seeds and PisaBench-sim's 100000 / 200000
    scenarios: list[str] = field(default_factory=lambda: list(SCENARIOS))

    def __post_init__(self):
        unknown = sorted(set(self.scenarios) - set(SCENARIOS))
        if unknown or not self.scenarios:
            raise ValueError(f"newton_split.scenarios: choose from {SCENARIOS}, got {self.scenarios}")
        if self.start_seed < 0:
            raise ValueError("newton_split.start_seed must be >= 0")


def split_folder(output_dir: str | Path, resolution: int) -> Path:
    """``<output_dir>/newton_<res>``: the ground truth of ``--split newton``."""
    return Path(output_dir) / f"newton_{resolution}"


def batch_config(cfg, scenario: str, half: str, args: NewtonSplitArgs):
    """The batch config of one scenario's half."""
    if cfg.batch.num_samples > SEED_STRIDE:
        raise ConfigError(f"batch.num_samples above {SEED_STRIDE} would overlap the next scenario's seeds")
    sub = copy.deepcopy(cfg)
    sub.pop("newton_split", None)
    i, h = SCENARIOS.index(scenario), HALVES.index(half)
    sub.sim.scenario, sub.sim.split = scenario, half
    sub.batch.start_seed = args.start_seed + (2 * i + h) * SEED_STRIDE
    sub.batch.output_dir = str(split_folder(cfg.batch.output_dir, cfg.sim.resolution) / scenario / half)
    sub.batch.pred_root = str(Path(cfg.batch.pred_root) / "newton" / scenario / half)
    return sub


def run(cfg) -> int:
    """Every scenario's halves, then their manifests; returns the exit status."""
    args = section(cfg, "newton_split", NewtonSplitArgs)
    subs = {f"newton_{s}_{h}": batch_config(cfg, s, h, args) for s in args.scenarios for h in HALVES}
    rc = run_batches(subs, Path(cfg.batch.output_dir), MANIFEST_STAGE, "sim_data.newton")
    print(f"ground truth of score_model --split newton: {split_folder(cfg.batch.output_dir, cfg.sim.resolution)}")
    return rc


def main(argv=None) -> int:
    """Parse the command line and make the split."""

    def flags(p):
        add_split_flags(p, "scenario and half")
        p.add_argument("--scenarios", help=f"comma-separated subset of {','.join(SCENARIOS)}")

    ns, cfg = parse_cli(
        argv, prog="python -m sim_data.newton", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    apply_sim_flags(cfg, ns)
    copy_flags(cfg, "batch", ns, SPLIT_FLAG_KEYS)
    if ns.scenarios:
        cfg.newton_split.scenarios = [s.strip() for s in ns.scenarios.split(",") if s.strip()]
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
