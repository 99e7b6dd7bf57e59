r"""Score any image-to-video model on PisaBench in one command: generate → masks → evaluate → report.

Usage::

    python -m opensora.score_model --backbone cogvideox_5b_i2v --split real
    python -m opensora.score_model --backbone ltx_video --model-path /models/LTX-Video --split sim_seen
    python -m opensora.score_model --pred-root my_videos/ --pred-fps 24 --split real --run-dir outputs/score/mine

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


def inference_config(a: score.ScoreArgs, r: score.ScoreRun):
    """The inference config this run generates with: the backbone's, with the run's folder, seed and size."""
    from opensora import inference

    path = a.inference_config or f"{inference.CONFIG_DIR}/{a.backbone}.py"
    overrides = {
        "inference.benchmark_dir": str(a.bench),
        "inference.output_dir": str(r.preds),
        "inference.seed": a.seed,
        "inference.output_size": r.size,
        "inference.device": a.device,
        "inference.allow_failures": a.allow_failures,
        "inference.overwrite": a.overwrite,
    }
    if a.model_path:
        overrides["backbone.model_path"] = a.model_path
    cfg = load_config(path, overrides)
    inference.check_backbone(cfg, a.backbone, path)
    return cfg


def generate(r: score.ScoreRun) -> int:
    """Stage 1: :func:`opensora.inference.run` into ``predictions/`` at the ground truth's frame size."""
    from opensora import inference
    from opensora.tiny import resolve_specs

    return inference.run(resolve_specs(inference_config(r.args, r)))


def run(cfg) -> int:
    """Every stage; returns the evaluator's exit status (or the first failing stage's)."""
    backbone = cfg.score.get("backbone")
    if backbone is not None and backbone not in NAMES:
        raise ConfigError(f"score.backbone: unknown backbone {backbone!r}; known: {', '.join(NAMES)}")
    return score.run(cfg, generate=generate)


def main(argv=None) -> int:
    """Parse the command line and score."""
    from opensora.tiny import resolve_specs

    cfg = score.parse(argv, prog="python -m opensora.score_model", description=__doc__, backbone=True)
    return run_reporting_errors(lambda c: run(resolve_specs(c)), cfg)


if __name__ == "__main__":
    sys.exit(main())
