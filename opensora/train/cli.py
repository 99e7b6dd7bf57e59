"""The command line PSFT and ORO share.

``[config] [--run-dir DIR] [--resume auto|CKPT] [--max-steps N] [--outputs DIR] [--section.key=value ...]``
"""

from __future__ import annotations

from collections.abc import Callable

from evaluation.config import copy_flags, parse_cli, run_reporting_errors


def add_train_flags(p) -> None:
    """Flags shared by the PSFT and ORO command lines."""
    p.add_argument("--run-dir", "--run_dir", dest="run_dir", help="run folder (default: <outputs>/<NNN>-<experiment>)")
    p.add_argument("--resume", help="'auto' (newest complete checkpoint of --run-dir) or a checkpoint folder")
    p.add_argument("--max-steps", "--max_steps", dest="max_steps", type=int, help="stop after this many steps")
    p.add_argument("--outputs", help="parent folder of new run folders")


def train_main(argv, prog: str, description: str, default_config: str, make_job: Callable) -> int:
    """Parse, copy the shared flags into ``train``, then ``fit(cfg, make_job(cfg))``; returns the exit status."""
    from opensora.train.loop import fit

    flags, cfg = parse_cli(
        argv, prog=prog, description=description, default_config=default_config, add_flags=add_train_flags
    )
    copy_flags(cfg, "train", flags, ("run_dir", "resume", "max_steps", "outputs"))
    return run_reporting_errors(lambda c: fit(c, make_job(c)), cfg)
