r"""The Newtonian self-test: each scenario's clips against renders of the same scenes with violated physics.

Usage::

    python -m sim_data.selftest configs/sim/selftest_newton.py [--newton_selftest.num_clips=4]

For every scenario, ``num_clips`` scenes are simulated (the ground truth,
``<out_dir>/benchmark/gt/<scenario>``) and simulated again with one law broken, rendered from the
ground truth's camera (``<out_dir>/benchmark/pred/<violation>/<scenario>``):

| scenario | violations | the metric that must name it |
|---|---|---|
| drop | gravity ×0.5 | ``g_est`` |
| ramp_slide | friction ×2, friction 0 | ``mu_est`` |
| roll | friction 0 (it slides instead of rolling), gravity ×0.5 | ``rolling_accel_ratio`` |
| bounce | restitution 0, restitution 1 | ``e_est``; gravity ×0.5: ``g_est`` |
| collide | the struck cube pinned (no momentum transferred) | ``momentum_ratio`` |
| pendulum | rod length ×2, gravity ×0.5 | ``g_est`` |

Each (scenario, violation) is scored with :mod:`evaluation.run` against the ground truth on the
renderer's exact masks. The check, per violation: the named metric is worse than the ground
truth's own (0; a video with no estimate counts as worse) and the worst of the scenario's
physical-unit metrics — the metrics name the constant that is wrong. ``report.md`` lists what
every violation implies (e.g. the pendulum with a doubled rod implies g ≈ 4.9 m/s²); exit status 1
when a check fails.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation.core.config import section
from evaluation.core.files import write_text
from evaluation.core.outdirs import sample_state
from evaluation.physical import SCENARIOS
from evaluation.report import json_safe
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate, simulate_clip
from sim_data.sample import write_simulated_sample
from sim_data.scene import DropScene, SimArgs, sample_scene
from sim_data.worker import RenderArgs, render, sample_identity

VIOLATIONS = {
    "drop": {"gravity_x0.5": "g_est"},
    "ramp_slide": {"friction_x2": "mu_est", "friction_0": "mu_est"},
    "roll": {"friction_0": "rolling_accel_ratio", "gravity_x0.5": "rolling_accel_ratio"},
    "bounce": {"restitution_0": "e_est", "restitution_1": "e_est", "gravity_x0.5": "g_est"},
    "collide": {"pinned": "momentum_ratio"},
    "pendulum": {"length_x2": "g_est", "gravity_x0.5": "g_est"},
}
PHYSICAL = ("g_est", "mu_est", "e_est", "momentum_ratio", "rolling_accel_ratio")
SEED_STRIDE = 1000


@dataclass
class NewtonSelftestArgs:
    """The ``newton_selftest`` config section."""

    out_dir: str = "outputs/newton_selftest"
    num_clips: int = 4
    seed: int = 700000
    scenarios: list[str] = field(default_factory=lambda: list(SCENARIOS))

    def __post_init__(self):
        unknown = sorted(set(self.scenarios) - set(SCENARIOS))
        if unknown or not self.scenarios or self.num_clips < 1:
            raise ValueError(f"newton_selftest.scenarios from {SCENARIOS} and num_clips >= 1, got {self.scenarios}")


def violate(violation: str, scene: DropScene) -> DropScene:
    """``scene`` with one law broken (same first pose, same camera)."""
    main = scene.objects[-1]
    objects = list(scene.objects)
    if violation.startswith("gravity_x"):
        k = float(violation.removeprefix("gravity_x"))
        return replace(scene, args=replace(scene.args, gravity=scene.args.gravity * k))
    if violation.startswith("friction_"):
        mu = 0.0 if violation == "friction_0" else main.friction * float(violation.removeprefix("friction_x"))
        objects[-1] = replace(main, friction=mu)
    elif violation.startswith("restitution_"):
        objects[-1] = replace(main, restitution=float(violation.removeprefix("restitution_")))
    elif violation == "pinned":
        target = scene.constants["roles"]["target"]
        objects[target] = replace(objects[target], mass_kg=0.0)  # PyBullet: mass 0 is a static body
    elif violation == "length_x2":
        pend = scene.pendulum
        pivot = 2 * np.asarray(pend.pivot) - np.asarray(main.position)  # the rod doubled, the bob where it was
        z = float(pivot[2])
        fixtures = tuple(
            replace(f, position=(f.position[0], f.position[1], z))
            if f.name == "beam"
            else replace(f, position=(f.position[0], f.position[1], z / 2), half_extents=(*f.half_extents[:2], z / 2))
            for f in scene.fixtures
        )
        return replace(scene, pendulum=replace(pend, pivot=tuple(float(v) for v in pivot)), fixtures=fixtures)
    else:
        raise ValueError(f"unknown violation {violation!r}")
    return replace(scene, objects=tuple(objects))


def _scene(scenario: str, sim: SimArgs, seed: int, library: AssetLibrary) -> DropScene:
    """A scene of ``scenario`` whose ground truth shows the law its violations break (a ramp slide slides)."""
    for s in range(seed, seed + 50):
        scene = sample_scene(replace(sim, scenario=scenario), np.random.default_rng(s), library, s)
        if scenario != "ramp_slide" or scene.constants["slides"]:
            return scene
    raise ValueError(f"no sliding ramp scene in seeds {seed}…{seed + 49}")


def build(args: NewtonSelftestArgs, sim: SimArgs, rargs: RenderArgs, root: Path) -> None:
    """Simulate, violate, render and write every clip (samples the same settings made are kept)."""
    library = AssetLibrary(sim.asset_sources, sim.gso_dir)
    jobs = [(s, i) for s in args.scenarios for i in range(args.num_clips)]
    for scenario, i in tqdm(jobs, desc="simulating clips", unit="clip", disable=None):
        seed = args.seed + SCENARIOS.index(scenario) * SEED_STRIDE + 50 * i
        sid = f"clip_{i:04d}"
        targets = {"ground_truth": root / "gt" / scenario / sid}
        targets |= {v: root / "pred" / v / scenario / sid for v in VIOLATIONS[scenario]}
        idents = {}
        for v in targets:
            ident = sample_identity(replace(sim, scenario=scenario), rargs, seed)
            ident["settings"]["violation"] = v
            idents[v] = ident
        if all(sample_state(targets[v], idents[v])[0] == "same" for v in targets):
            continue
        scene, traj = simulate_clip(_scene(scenario, sim, seed, library), library)
        for v, target in targets.items():
            vscene = scene if v == "ground_truth" else violate(v, scene)
            vtraj = traj if v == "ground_truth" else simulate(vscene, library)
            out = render(vscene, vtraj, library, rargs)
            write_simulated_sample(target, vscene, vtraj, out, movie=rargs.movie, identity=idents[v])


def _mean(summary: dict, name: str) -> tuple[float, int]:
    m = summary["metrics"].get(name)
    if m is None:
        return math.nan, 0
    return (math.nan if m["mean"] is None else float(m["mean"])), int(m.get("failed", 0))


def run(cfg) -> int:
    """Build, score every (scenario, violation), check and report; returns the exit status."""
    from evaluation import run as eval_run

    args = section(cfg, "newton_selftest", NewtonSelftestArgs)
    sim, rargs = section(cfg, "sim", SimArgs), section(cfg, "render", RenderArgs)
    out = Path(args.out_dir)
    root = out / "benchmark"
    build(args, sim, rargs, root)
    rows, problems, implied = [], [], []
    for scenario in args.scenarios:
        summaries = {}
        for v in ("ground_truth", *VIOLATIONS[scenario]):
            vcfg = copy.deepcopy(cfg)
            vcfg.eval.gt_root = str(root / "gt" / scenario)
            pred = root / "gt" / scenario if v == "ground_truth" else root / "pred" / v / scenario
            vcfg.eval.pred_root = str(pred)
            vcfg.eval.output_dir = str(out / "eval" / scenario / v)
            vcfg.eval.model = v
            vcfg.eval.allow_missing = False
            if eval_run.run(vcfg) != 0:
                print(f"evaluation of {scenario} / {v} failed", file=sys.stderr)
                return 1
            summaries[v] = json.loads((Path(vcfg.eval.output_dir) / "summary.json").read_text())
        names = [n for n in PHYSICAL if n in summaries["ground_truth"]["metrics"]]
        for v, s in summaries.items():
            cells = []
            for n in names:
                mean, failed = _mean(s, n)
                cells.append(f"{mean:.3f}" + (f" ({failed} no estimate)" if failed else ""))
            rows.append(
                f"| {scenario} | {v} | " + " | ".join(f"{n}: {c}" for n, c in zip(names, cells, strict=True)) + " |"
            )
            for c, val in (s.get("physics") or {}).get(scenario, {}).items():
                p_, g_ = (math.nan if x is None else x for x in (val["pred"], val["gt"]))
                implied.append(f"| {scenario} | {v} | {c} | {p_:.3g} {val['unit']} | {g_:.3g} {val['unit']} |")
        for v, named in VIOLATIONS[scenario].items():
            score = {}
            for n in names:
                mean, failed = _mean(summaries[v], n)
                score[n] = math.inf if failed else mean
            base = _mean(summaries["ground_truth"], named)[0]
            if not score[named] > base:
                problems.append(
                    f"{scenario} / {v}: {named} {score[named]:.3f} is not worse than the truth's {base:.3f}"
                )
            worst = max(score, key=lambda n: (score[n], n == named))
            if worst != named:
                problems.append(f"{scenario} / {v}: the worst metric is {worst}, not {named}")
    verdict = "PASS: every violation scores below the truth on, and is named by, its metric."
    if problems:
        verdict = "FAIL:\n" + "\n".join(f"- {p}" for p in problems)
    report = "\n".join(
        [
            "# Newtonian self-test",
            "",
            f"{args.num_clips} clips per scenario ({sim.resolution}², {sim.num_frames} frames at {sim.fps} fps, "
            f"{rargs.renderer} renderer, exact simulator masks); each violation re-simulates the same scenes.",
            "",
            "## Physical-unit metrics (mean relative error)",
            "",
            "| scenario | variant | metrics |",
            "|---|---|---|",
            *rows,
            "",
            "## What each variant implies",
            "",
            "| scenario | variant | constant | implied | ground truth |",
            "|---|---|---|---|---|",
            *implied,
            "",
            "## Check",
            "",
            verdict,
            "",
        ]
    )
    write_text(out / "report.md", report)
    write_text(out / "checks.json", json.dumps(json_safe({"problems": problems}), indent=1))
    print("\n".join(rows))
    print(f"\n{verdict}\nreport: {out / 'report.md'}")
    return 1 if problems else 0
