"""The command line PSFT and ORO share.

``[config] [--backbone NAME] [--run-dir DIR] [--resume auto|CKPT] [--max-steps N] [--outputs DIR] [--section.key=value ...]``

``--backbone NAME`` (other than ``opensora_v1_2``, the paper's model) reads the same stage's config
from ``configs/post_training/NAME/``: ``base.py`` → ``NAME/psft.py``, ``oro_seg.py`` → ``NAME/oro_seg.py``,
``tiny.py`` → ``NAME/tiny_psft.py``, ``oro_tiny.py`` → ``NAME/tiny_oro.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from evaluation.core.config import copy_flags, parse_cli, run_reporting_errors
from evaluation.core.errors import ConfigError

OPENSORA = "opensora_v1_2"
STAGE_FILES = {
    "base.py": "psft.py",
    "tiny.py": "tiny_psft.py",
    "oro_tiny.py": "tiny_oro.py",
    "grpo_base.py": "grpo.py",
    "dpo_base.py": "dpo.py",
}  # the rest keep their name


def add_train_flags(p) -> None:
    """Flags shared by the PSFT and ORO command lines."""
    p.add_argument("--run-dir", "--run_dir", dest="run_dir", help="run folder (default: <outputs>/<NNN>-<experiment>)")
    p.add_argument("--resume", help="'auto' (newest complete checkpoint of --run-dir) or a checkpoint folder")
    p.add_argument("--max-steps", "--max_steps", dest="max_steps", type=int, help="stop after this many steps")
    p.add_argument("--outputs", help="parent folder of new run folders")
    p.add_argument("--backbone", help="train another backbone: the stage's config in configs/post_training/NAME/")


def backbone_config(config: str, backbone: str | None) -> str:
    """The stage's config for ``backbone``: ``config`` itself for Open-Sora v1.2, else its file in ``NAME/``."""
    if not backbone or backbone == OPENSORA:
        return config
    p = Path(config)
    if p.parent.name == backbone:  # already the backbone's own
        return config
    out = p.parent / backbone / STAGE_FILES.get(p.name, p.name)
    if not out.is_file():
        raise ConfigError(f"--backbone {backbone}: there is no {out} (the {p.stem} stage of that backbone)")
    return str(out)


def train_main(argv, prog: str, description: str, default_config: str, make_job: Callable) -> int:
    """Parse, copy the shared flags into ``train``, then ``fit(cfg, make_job(cfg))``; returns the exit status."""
    import sys

    from opensora.tiny import resolve_specs
    from opensora.train.loop import fit

    argv = sys.argv[1:] if argv is None else list(argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("config", nargs="?", default=default_config)
    pre.add_argument("--backbone")
    known, rest = pre.parse_known_args(argv)
    try:
        config = backbone_config(known.config, known.backbone)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    flags, cfg = parse_cli(
        [config, *rest], prog=prog, description=description, default_config=default_config, add_flags=add_train_flags
    )
    copy_flags(cfg, "train", flags, ("run_dir", "resume", "max_steps", "outputs"))
    configured = cfg.get("model", {}).get("backbone", OPENSORA)
    if known.backbone and configured != known.backbone:
        print(
            f"error: {config} is a config for {configured}, but --backbone says {known.backbone}; "
            f"leave out --backbone or pass that backbone's config (configs/post_training/{known.backbone}/)",
            file=sys.stderr,
        )
        return 2
    return run_reporting_errors(lambda c: fit(c, make_job(c)), resolve_specs(cfg))
