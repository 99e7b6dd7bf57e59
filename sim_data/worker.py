r"""Simulate and render one drop sample.

Usage::

    python -m sim_data.worker configs/sim/base.py --seed 7 --output-dir outputs/sim/00007 \
        [--renderer preview|cycles] [--gso-dir DIR] [--hdri-dir DIR] [--sim.num_dropped="(1, 2)"]

Idempotent: a sample whose ``DONE`` record matches its files and that the same seed and settings
made (its stage record) is skipped; a damaged one is made again; one of other settings is refused; an existing folder that is not a sample of ours is an error (nothing is deleted). Same
seed and config → the same scene, trajectories and masks.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evaluation.core.config import parse_cli, run_reporting_errors, section, set_if_given
from evaluation.core.errors import ConfigError
from evaluation.core.identity import refuse, stage_identity
from evaluation.core.outdirs import sample_state
from sim_data.assets import AssetLibrary
from sim_data.physics import simulate_clip
from sim_data.sample import write_simulated_sample
from sim_data.scene import SCENARIOS, SimArgs, sample_scene

DEFAULT_CONFIG = "configs/sim/base.py"
RENDERERS = ("preview", "cycles")


@dataclass
class RenderArgs:
    """The ``render`` config section (Cycles settings are ignored by the preview renderer)."""

    renderer: str = "preview"  # preview | cycles
    samples: int = 32  # Cycles samples per pixel (PISA: 64, denoised)
    walls_samples: int | None = 20  # samples for a procedural room (walls fill the frame); None = samples
    denoise: bool = True
    denoise_quality: str = "BALANCED"  # OpenImageDenoise quality: FAST | BALANCED | HIGH
    denoise_prefilter: str = "FAST"  # NONE | FAST | ACCURATE (denoising of the albedo / normal guides)
    adaptive_threshold: float = 0.05  # Cycles adaptive sampling noise threshold (0 = off; Blender default 0.01)
    adaptive_min_samples: int = 16  # samples every pixel gets before adaptive sampling may stop it (0 = Blender's auto)
    max_bounces: int = 3  # Cycles light-path bounces (Blender default: 12)
    device: str = "auto"  # auto | CPU | GPU
    threads: int = 0  # 0 = all cores
    tuned: bool = True  # False: keep Blender's factory Cycles settings (the benchmark's baseline)
    movie: bool = True

    def __post_init__(self):
        if self.renderer not in RENDERERS:
            raise ValueError(f"render.renderer must be one of {RENDERERS}, got {self.renderer!r}")
        if self.denoise_quality not in ("FAST", "BALANCED", "HIGH"):
            raise ValueError(f"render.denoise_quality must be FAST, BALANCED or HIGH, got {self.denoise_quality!r}")
        if self.denoise_prefilter not in ("NONE", "FAST", "ACCURATE"):
            raise ValueError(f"render.denoise_prefilter must be NONE, FAST or ACCURATE, got {self.denoise_prefilter!r}")
        if self.samples < 1 or (self.walls_samples is not None and self.walls_samples < 1):
            raise ValueError("render.samples and render.walls_samples must be >= 1")


def render(scene, traj, library, args: RenderArgs):
    """Dispatch to the configured renderer (both return a ``RenderOutput``)."""
    if args.renderer == "cycles":
        from sim_data.render_cycles import render_cycles  # imports bpy

        return render_cycles(scene, traj, library, args)
    from sim_data.render_preview import render_preview

    return render_preview(scene, traj, library)


SIM_VERSION = (
    2  # bump when a change of the simulator changes the samples it writes (2: velocities, contacts, scenarios)
)


def sample_identity(sim: SimArgs, rargs: RenderArgs, seed: int) -> dict:
    """The stage record of one simulated sample: its seed and every simulation and render setting.

    Asset and HDRI folders (``sim.gso_dir``, ``sim.hdri_dir``) are recorded by path, not content.
    ``render.threads`` and ``render.device`` say where it runs, not what it makes, and are left out.
    """
    render = {k: v for k, v in asdict(rargs).items() if k not in ("threads", "device")}
    return stage_identity("sim", SIM_VERSION, inputs={}, settings={"seed": seed, "sim": asdict(sim), "render": render})


def generate_sample(
    sim: SimArgs, rargs: RenderArgs, seed: int, out_dir: str | Path, library: AssetLibrary | None = None
) -> dict:
    """Make one sample at ``out_dir`` unless it is done; returns timings and the status.

    Raises:
        InputError: ``out_dir`` exists and is not a sample of ours (checked before any work).
    """
    out_dir = Path(out_dir)
    ident = sample_identity(sim, rargs, seed)
    state, diffs = sample_state(out_dir, ident)
    if state == "same":
        return {"seed": seed, "status": "skipped", "path": str(out_dir)}
    if state == "changed":
        raise refuse(out_dir, diffs, "choose another --output-dir for these settings (or move the old samples away)")
    if state != "absent":
        print(f"{out_dir}: {state}; making it again", file=sys.stderr)
    library = library or AssetLibrary(sim.asset_sources, sim.gso_dir)
    t0 = time.perf_counter()
    scene = sample_scene(sim, np.random.default_rng(seed), library, seed)
    scene, traj = simulate_clip(scene, library)
    t1 = time.perf_counter()
    out = render(scene, traj, library, rargs)
    t2 = time.perf_counter()
    write_simulated_sample(out_dir, scene, traj, out, movie=rargs.movie, identity=ident)
    t3 = time.perf_counter()
    return {
        "seed": seed,
        "status": "done",
        "path": str(out_dir),
        "physics_s": t1 - t0,
        "render_s": t2 - t1,
        "write_s": t3 - t2,
    }


def add_sim_flags(p) -> None:
    """Flags shared by the single-sample and the parallel entry points."""
    p.add_argument("--renderer", choices=RENDERERS, help="preview (TinyRenderer, fast) or cycles (Blender)")
    p.add_argument(
        "--gso-dir", "--gso_dir", dest="gso_dir", help="local Google Scanned Objects folder (adds the 'gso' source)"
    )
    p.add_argument("--hdri-dir", "--hdri_dir", dest="hdri_dir", help="folder of .hdr/.exr environment maps (Cycles)")


def add_scenario_flag(p) -> None:
    """``--scenario``: what the clips show (``sim.scenario``)."""
    p.add_argument(
        "--scenario",
        choices=(*SCENARIOS, "mix"),
        help="drop (default) | ramp_slide | roll | bounce | collide | pendulum | mix (per seed, by sim.scenario_weights)",
    )


def apply_sim_flags(cfg, flags) -> None:
    """Copy the shared flags into the config."""
    set_if_given(cfg, "render.renderer", flags.renderer)
    set_if_given(cfg, "sim.hdri_dir", flags.hdri_dir)
    set_if_given(cfg, "sim.scenario", getattr(flags, "scenario", None))
    if flags.gso_dir:
        set_if_given(cfg, "sim.gso_dir", flags.gso_dir)
        if "gso" not in cfg.sim.asset_sources:
            cfg.sim.asset_sources = [*cfg.sim.asset_sources, "gso"]


def main(argv=None) -> int:
    """Parse the command line and make one sample."""

    def flags(p):
        p.add_argument("--seed", type=int, required=True, help="scene seed (the only source of randomness)")
        p.add_argument(
            "--output-dir", "--output_dir", dest="output_dir", required=True, help="the sample folder to write"
        )
        add_sim_flags(p)
        add_scenario_flag(p)

    args, cfg = parse_cli(
        argv, prog="python -m sim_data.worker", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    apply_sim_flags(cfg, args)

    def run(cfg) -> int:
        if args.seed < 0:
            raise ConfigError(f"--seed {args.seed}: a seed is a non-negative integer (numpy's SeedSequence)")
        sim, rargs = section(cfg, "sim", SimArgs), section(cfg, "render", RenderArgs)
        print(generate_sample(sim, rargs, args.seed, args.output_dir))
        return 0

    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
