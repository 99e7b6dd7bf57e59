r"""Score any image-to-video model on PisaBench in one command: generate → masks → evaluate → report.

Usage::

    python -m opensora.score_model --backbone cogvideox_5b_i2v --split real
    python -m opensora.score_model --backbone ltx_video --model-path /models/LTX-Video --split sim_seen
    python -m opensora.score_model --pred-root my_videos/ --pred-fps 24 --split real --run-dir outputs/score/mine
    python -m opensora.score_model --backbone wan2_1_i2v_14b_480p --benchmark physics_iq --seeds 4
    python -m opensora.score_model --backbone ltx_video --benchmark physics_iq --protocol v2v
    python -m opensora.score_model --backbone cogvideox_5b_i2v --benchmark all

``--benchmark physics_iq`` generates Physics-IQ's 198 cases as the release asks (the switch frame
and description; v2v: the 3 s conditioning clip; :mod:`opensora.physics_iq_generation`), one
folder per seed, and scores them with :mod:`evaluation.physics_iq` (both scores; over several
seeds their mean ± sd). ``--benchmark all`` runs PisaBench real, sim_seen and sim_unseen,
Physics-IQ and the Newtonian split (when generated) into one run folder, one subfolder each.

The stages after generation are :mod:`evaluation.score`'s (ground-truth masks, prediction masks,
evaluation); this module adds the first one, generation with :mod:`opensora.inference` on the
split's first frames and prompts (frames written at the ground truth's size), into the run
folder's ``predictions/``. The default run folder is ``$PISA_OUT_ROOT/score/<backbone>-<split>-<h>``
where ``<h>`` hashes the weights' content fingerprint, so another checkpoint gets its own folder.
Videos an earlier run made with other weights or settings (seed, steps, guidance, …) are never
scored as this run's: the run refuses, naming what differs, unless ``--overwrite`` remakes them.
The exit status is the evaluator's (a failed earlier stage stops the run with its own status).
"""

from __future__ import annotations

import sys

from evaluation import score
from evaluation.core.config import load_config, run_reporting_errors
from evaluation.core.errors import ConfigError
from opensora.backbones import NAMES

DEFAULT_CONFIG = score.DEFAULT_CONFIG


def inference_config(a: score.ScoreArgs, overrides: dict, physics_iq: str | None = None):
    """The inference config this run generates with: the backbone's, with the run's ``overrides``.

    ``physics_iq`` (a protocol): the config's ``physics_iq_generation`` canvas and frames applied.
    """
    from opensora import inference

    path = a.inference_config or f"{inference.CONFIG_DIR}/{a.backbone}.py"
    overrides = {
        **overrides,
        "inference.device": a.device,
        "inference.allow_failures": a.allow_failures,
        "inference.overwrite": a.overwrite,
    }
    if a.model_path:
        overrides["backbone.model_path"] = a.model_path
    cfg = load_config(path, overrides)
    inference.check_backbone(cfg, a.backbone, path)
    if physics_iq:
        from opensora.physics_iq_generation import plan

        cfg.merge_from_dict(plan(cfg, physics_iq, path))
    return cfg


def generate(r: score.ScoreRun) -> int:
    """Stage 1: :func:`opensora.inference.run` into ``predictions/`` at the ground truth's frame size."""
    from opensora import inference
    from opensora.tiny import resolve_specs

    a = r.args
    overrides = {"inference.benchmark_dir": str(a.bench), "inference.output_dir": str(r.preds)}
    overrides |= {"inference.seed": a.seed, "inference.output_size": r.size}
    return inference.run(resolve_specs(inference_config(a, overrides)))


def plan_physics_iq(r) -> None:
    """Before anything is written: each seed's inference config and the cases' jobs (their files checked), on ``r``."""
    from opensora.physics_iq_generation import SEED_STRIDE, jobs

    a = r.args
    r.configs = []
    for k, out in enumerate(r.pred_roots):
        overrides = {"inference.output_dir": str(out), "inference.seed": a.seed + k * SEED_STRIDE}
        r.configs.append(inference_config(a, overrides, physics_iq=a.protocol))
    r.jobs = jobs(r.real_root, r.cases, a.protocol, r.configs[0].backbone.fps)


def generate_physics_iq(r) -> int:
    """Stage 1 of a Physics-IQ run: each seed's videos into ``predictions/seed-<k>/`` (:mod:`opensora.physics_iq_generation`)."""
    from opensora import inference
    from opensora.tiny import resolve_specs

    for k, cfg in enumerate(r.configs):
        print(f"physics-iq: seed {k + 1} of {len(r.configs)} ({r.args.protocol}, {len(r.jobs)} cases) "
              f"into {r.pred_roots[k]}")  # fmt: skip
        rc = inference.run(resolve_specs(cfg), r.jobs)
        if rc:
            return rc
    return 0


GENERATORS = {"pisabench": generate, "physics_iq": generate_physics_iq, "physics_iq_plan": plan_physics_iq}


def run(cfg) -> int:
    """Every stage; returns the evaluator's exit status (or the first failing stage's)."""
    backbone = cfg.score.get("backbone")
    if backbone is not None and backbone not in NAMES:
        raise ConfigError(f"score.backbone: unknown backbone {backbone!r}; known: {', '.join(NAMES)}")
    return score.run(cfg, generators=GENERATORS)


def main(argv=None) -> int:
    """Parse the command line and score."""
    from opensora.tiny import resolve_specs

    cfg = score.parse(argv, prog="python -m opensora.score_model", description=__doc__, backbone=True)
    return run_reporting_errors(lambda c: run(resolve_specs(c)), cfg)


if __name__ == "__main__":
    sys.exit(main())
