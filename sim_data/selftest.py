"""The main job: a simulated PisaBench split scored against physically perturbed simulations.

Usage::

    python -m sim_data.selftest configs/sim/selftest.py [--selftest.num_clips=8] [--render.renderer=cycles]
    python -m sim_data.selftest configs/sim/selftest_newton.py   # the Newtonian scenarios (sim_data/newton_selftest.py)

Steps:

1. Simulate and render ``num_clips`` drop clips (the ground truth, ``<out_dir>/benchmark/gt``).
2. For the same scenes, render predictions with perturbed physics
   (``<out_dir>/benchmark/pred/<variant>``): gravity ×0.5 and ×2 (re-simulated), the objects
   frozen in their first pose, a constant-velocity fall that lands at the true contact frame,
   and the main object vanishing half-way.
3. Score every variant with ``evaluation.run`` on the renderer's exact masks and write
   ``<out_dir>/report.md`` and ``selftest_metrics.png``; exit status 1 when the expected
   ordering fails (ground truth best everywhere; frozen and vanish worst on strict metrics).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation.core.config import parse_cli, run_reporting_errors, section
from evaluation.core.outdirs import sample_state
from evaluation.selftest import evaluate_variants
from sim_data.assets import AssetLibrary
from sim_data.physics import Trajectory, simulate
from sim_data.sample import write_simulated_sample
from sim_data.scene import DropScene, SimArgs, sample_scene
from sim_data.worker import RenderArgs, render, sample_identity

DEFAULT_CONFIG = "configs/sim/selftest.py"
VARIANTS = ("ground_truth", "gravity_x0.5", "gravity_x2", "frozen", "constant_velocity", "vanish")
HIDDEN_Z_M = -100.0  # where a vanished object is put (below the floor, out of view)


@dataclass
class SimSelftestArgs:
    """The ``selftest`` section of configs/sim/selftest.py."""

    out_dir: str = "outputs/sim_selftest"
    num_clips: int = 8
    seed: int = 0
    variants: list[str] = field(default_factory=lambda: list(VARIANTS))
    readme_figure: str | None = None

    def __post_init__(self):
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown or "ground_truth" not in self.variants:
            raise ValueError(f"selftest.variants must include ground_truth and come from {VARIANTS}")


def perturb(variant: str, scene: DropScene, traj: Trajectory, library: AssetLibrary) -> Trajectory:
    """The trajectory a physically wrong model would produce for ``scene``."""
    if variant == "ground_truth":
        return traj
    if variant.startswith("gravity_x"):
        k = float(variant.removeprefix("gravity_x"))
        return simulate(replace(scene, args=replace(scene.args, gravity=scene.args.gravity * k)), library)
    pos, quat = traj.positions.copy(), traj.quaternions.copy()
    t_frames = len(pos)
    if variant == "frozen":
        pos[:], quat[:] = pos[0], quat[0]
    elif variant == "constant_velocity":
        for i, obj in enumerate(scene.objects):
            c = int(traj.first_contact_frame[i])
            if obj.dynamic and c > 1:
                w = np.minimum(np.arange(t_frames) / c, 1.0)[:, None]
                pos[:c, i] = (pos[0, i] + w * (pos[c, i] - pos[0, i]))[:c]
    elif variant == "vanish":
        pos[t_frames // 2 :, -1, 2] = HIDDEN_Z_M
    else:
        raise ValueError(f"unknown variant {variant!r}")
    return replace(traj, positions=pos, quaternions=quat)


def build_benchmark(args: SimSelftestArgs, sim: SimArgs, rargs: RenderArgs, root: Path) -> None:
    """Simulate, perturb, render and write every clip and variant (samples the same settings made are kept)."""
    library = AssetLibrary(sim.asset_sources, sim.gso_dir)
    jobs = [(i, v) for i in range(args.num_clips) for v in args.variants]
    scenes: dict[int, tuple[DropScene, Trajectory]] = {}
    for i, variant in tqdm(jobs, desc="simulating clips", unit="clip", disable=None):
        sid = f"clip_{i:04d}"
        target = root / "gt" / sid if variant == "ground_truth" else root / "pred" / variant / sid
        ident = sample_identity(sim, rargs, args.seed + i)
        ident["settings"]["variant"] = variant
        if sample_state(target, ident)[0] == "same":
            continue  # other settings (renderer, clip size, …) make it again: the folder is the self-test's own
        if i not in scenes:
            scene = sample_scene(sim, np.random.default_rng(args.seed + i), library, args.seed + i)
            scenes[i] = (scene, simulate(scene, library))
        scene, traj = scenes[i]
        pred = perturb(variant, scene, traj, library)
        out = render(scene, pred, library, rargs)
        write_simulated_sample(target, scene, pred, out, movie=rargs.movie, identity=ident)
    # the ground truth is also the perfect prediction
    if "ground_truth" in args.variants:
        for i in range(args.num_clips):
            link = root / "pred" / "ground_truth" / f"clip_{i:04d}"
            if not link.exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to((root / "gt" / f"clip_{i:04d}").resolve(), target_is_directory=True)


def run(cfg) -> int:
    """Build the simulated benchmark, evaluate every variant, report; returns the exit status."""
    args = section(cfg, "selftest", SimSelftestArgs)
    sim, rargs = section(cfg, "sim", SimArgs), section(cfg, "render", RenderArgs)
    out = Path(args.out_dir)
    root = out / "benchmark"
    build_benchmark(args, sim, rargs, root)
    description = (
        f"{args.num_clips} simulated drop clips ({sim.resolution}², {sim.num_frames} frames at {sim.fps} fps, "
        f"{rargs.renderer} renderer, exact simulator masks); each row renders the same scenes with perturbed physics."
    )
    title = f"PisaBench self-test: {args.num_clips} simulated drops vs renders with perturbed physics"
    return evaluate_variants(cfg, root, args.variants, out, description, args.readme_figure, title)


def main(argv=None) -> int:
    """Parse the command line and run (the Newtonian self-test when the config has a ``newton_selftest`` section)."""
    _, cfg = parse_cli(argv, prog="python -m sim_data.selftest", description=__doc__, default_config=DEFAULT_CONFIG)
    if "newton_selftest" in cfg:
        from sim_data import newton_selftest

        return run_reporting_errors(newton_selftest.run, cfg)
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
