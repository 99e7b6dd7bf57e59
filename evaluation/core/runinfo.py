"""What ran: git commit, package versions and command line, for every output directory."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

_PACKAGES = ("numpy", "scipy", "mmengine", "pillow", "torch", "torchvision", "transformers", "pybullet", "bpy")


def git_state(root: str | Path | None = None) -> dict:
    """Commit hash and dirty flag of the repository holding this file (None outside git).

    Cached per process: simulator batches record it in every sample and should not start two
    git subprocesses per clip.
    """
    return dict(_git_state(str(root) if root else None))


@functools.cache
def _git_state(root: str | None) -> tuple:
    root = Path(root) if root else Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout.strip()
        )
        return (("commit", commit), ("dirty", dirty))
    except (OSError, subprocess.SubprocessError):
        return (("commit", None), ("dirty", None))


def package_versions(names=_PACKAGES) -> dict:
    """Installed versions of the packages that matter to results (absent ones are omitted)."""
    return dict(_package_versions(tuple(names)))


@functools.cache
def _package_versions(names: tuple) -> tuple:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return tuple(out.items())


def environment() -> dict:
    """The ``env.json`` block: git state, python, platform, package versions, argv, time."""
    return {
        "git": git_state(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "argv": sys.argv,
        "time_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
