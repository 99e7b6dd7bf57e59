r"""Score generated videos on Physics-IQ exactly as the released code does.

Usage::

    python -m evaluation.physics_iq --real-root data/physics_iq/physics-IQ-benchmark \
        --pred-root outputs/my_model/physics_iq [--pred-root SEED2 ...] --output-dir outputs/eval/physics_iq/my_model

``--pred-root`` holds one generated video per case, named as the release asks
(``0001_perspective-left_trimmed-ball-and-block-fall.mp4``: any name starting with the case's
4-digit id) or this project's sample folders with the same prefix; give it once per seed. Every
video must be at least 5 s (the first 5 s are scored) at one frame rate. Nothing is written into
``--real-root`` or ``--pred-root``. See the README section "Physics-IQ".
"""

from __future__ import annotations

import argparse

from evaluation.core.config import copy_flags, exit_now, parse_cli, run_reporting_errors

DEFAULT_CONFIG = "configs/eval/physics_iq.py"


def _flags(p) -> None:
    p.add_argument("--real-root", dest="real_root", help="the downloaded physics-IQ-benchmark folder")
    p.add_argument("--pred-root", dest="pred_roots", action="append", help="generated videos (repeat per seed)")
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", help="the run folder")
    p.add_argument("--model", help="model name in the report")
    p.add_argument("--descriptions", help="descriptions.csv (default: <real-root>/descriptions.csv)")
    p.add_argument("--fps", type=int, help="the predictions' frame rate (default: read from them)")
    p.add_argument("--released-masks", dest="released_masks", action=argparse.BooleanOptionalAction, default=None,
                   help="pass masks through the release's mp4 round trip (default on: the leaderboard's numbers)")  # fmt: skip
    p.add_argument("--allow-missing", dest="allow_missing", action="store_true", default=None,
                   help="score the cases that can be scored and list the failed ones instead of exiting 1")  # fmt: skip
    p.add_argument("--workers", type=int, help="processes over cases (default: the machine's cores)")


def main(argv=None) -> int:
    """Parse the command line and score."""
    from evaluation.physics_iq.run import run

    flags, cfg = parse_cli(argv, prog="python -m evaluation.physics_iq", description=__doc__,
                           default_config=DEFAULT_CONFIG, add_flags=_flags)  # fmt: skip
    keys = ("real_root", "pred_roots", "output_dir", "model", "descriptions", "fps", "released_masks")
    copy_flags(cfg, "physics_iq", flags, (*keys, "allow_missing", "workers"))
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    exit_now(main())
