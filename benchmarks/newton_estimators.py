r"""Do the physical-unit estimators recover the simulated constants? And how fast is each scenario's physics?

Usage::

    python benchmarks/newton_estimators.py [--clips 50] [--resolution 256] [--scenarios drop,bounce,...]

For each scenario, ``--clips`` seeds are simulated and rendered with the preview renderer (its
masks are exact, as Cycles'), and the scenario's estimator (:mod:`evaluation.physical`) reads the
constant back from the main object's masks. Printed per constant: the relative error against what
the simulator was given (g = 9.81, μ, e, 1/(1 + I/(m r²)), the elliptic-integral period;
momentum after / before a collision against 1), as median / 90th percentile / max, the share of
clips within 5 %, and the clips where no estimate could be made; then physics seconds per clip
(median and max) per scenario. Ramp slides that stay put (μ ≥ tan θ) are counted apart: the
estimator gives tan θ, a lower bound, and the check is that it calls them static.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evaluation.physical import SCENARIOS, Geometry, estimate
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate_clip
from sim_data.render_preview import render_preview
from sim_data.sample import clip_info
from sim_data.scene import SimArgs, sample_scene


def truth(scene) -> dict:
    """What the simulator was given, per estimated constant."""
    c, g = scene.constants, -scene.args.gravity
    return {
        "drop": {"g": g},
        "bounce": {"g": g, "e": c.get("e")},
        "ramp_slide": {"mu": c.get("mu")} if c.get("slides") else {},
        "roll": {"rolling_accel_ratio": c.get("accel_ratio")},
        "collide": {"momentum_ratio": 1.0},
        "pendulum": {"period": c.get("period_s"), "g": g},
    }[scene.scenario]


def main() -> None:
    """Run every scenario and print the tables."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=50)
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--start-seed", type=int, default=500000)
    a = p.parse_args()
    lib = AssetLibrary(["procedural", "pybullet"])
    rows, speed = [], []
    for scenario in a.scenarios.split(","):
        errs: dict[str, list[float]] = {}
        failures: dict[str, int] = {}
        static = [0, 0]  # stays put: called static / all
        seconds = []
        for seed in range(a.start_seed, a.start_seed + a.clips):
            args = SimArgs(scenario=scenario, resolution=a.resolution)
            scene = sample_scene(args, np.random.default_rng(seed), lib, seed)
            t0 = time.perf_counter()
            scene, traj = simulate_clip(scene, lib)
            seconds.append(time.perf_counter() - t0)
            out = render_preview(scene, traj, lib)
            geom = Geometry.from_clip_info(clip_info(scene, traj, out))
            est = estimate(out.masks, args.fps, geom, len(scene.objects) - 1)
            if scenario == "ramp_slide" and not scene.constants["slides"]:
                static[1] += 1
                static[0] += bool(est.details.get("static"))
                continue
            for name, value in truth(scene).items():
                if est.failure or name not in est.values:
                    failures[est.failure or "no estimate"] = failures.get(est.failure or "no estimate", 0) + 1
                    continue
                errs.setdefault(name, []).append(abs(est.values[name] / value - 1))
        for name, e in errs.items():
            e = np.array(e)
            rows.append(
                f"| {scenario} | {name} | {len(e)} | {np.median(e):.2%} | {np.percentile(e, 90):.2%} | {e.max():.2%} "
                f"| {np.mean(e <= 0.05):.0%} | {sum(failures.values())} |"
            )
        if static[1]:
            rows.append(f"| {scenario} | stays put | {static[1]} | called static: {static[0]}/{static[1]} | | | | |")
        speed.append(f"| {scenario} | {np.median(seconds):.2f} | {np.max(seconds):.2f} |")
        if failures:
            print(f"{scenario}: no estimate: {failures}")
    print(f"\n{a.clips} clips per scenario, {a.resolution}², preview renderer (exact masks), 16 fps\n")
    print("| scenario | constant | clips | median error | p90 | max | within 5 % | no estimate |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| scenario | physics s/clip (median) | max |\n|---|---|---|")
    print("\n".join(speed))


if __name__ == "__main__":
    main()
