"""Shared test helpers: tiny analytic clips written in the data schema."""

from __future__ import annotations

import os

import numpy as np
import pytest

from evaluation import analytic
from evaluation.schema import write_sample


@pytest.fixture(scope="session", autouse=True)
def _tiny_weights_root(tmp_path_factory):
    """``tiny:`` weight specs (opensora/tiny/__init__.py) write under a per-session ``$PISA_CKPT_ROOT``."""
    os.environ["PISA_CKPT_ROOT"] = str(tmp_path_factory.mktemp("ckpt_root"))


def make_scene(seed: int = 0, resolution: int = 64, num_frames: int = 16, fps: float = 16.0):
    return analytic.sample_scene(
        np.random.default_rng(seed), resolution=resolution, num_frames=num_frames, fps=fps, seed=seed
    )


def write_clip(path, seed: int = 0, variant: str = "ground_truth", resolution: int = 64, num_frames: int = 16, **kw):
    """Write one analytic clip (frames, mask.npz, clip_info.json) and return its masks."""
    scene = make_scene(seed, resolution, num_frames)
    frames, masks, pos = analytic.render(scene, variant)
    info = analytic.clip_info(scene, analytic.render(scene)[1], pos)
    write_sample(path, frames=frames, mask=masks, clip_info=info, movie=kw.get("movie", False))
    return masks


@pytest.fixture
def clip_factory(tmp_path):
    def _make(name="clip", **kw):
        path = tmp_path / name
        write_clip(path, **kw)
        return path

    return _make


# --- fault tests: run a CLI in-process and check what it left --------------------------------
def run_cli(main, argv, capsys) -> tuple[int, str, str]:
    """``main(argv)`` → ``(exit status, stdout, stderr)``; argparse's ``SystemExit`` becomes its code."""
    try:
        rc = main(list(map(str, argv)))
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return rc, out, err


def assert_user_error(rc: int, err: str, *needles: str) -> None:
    """Exit status 2, one ``error:`` message containing every needle, and no traceback."""
    assert rc == 2, err
    assert "Traceback" not in err, err
    assert "error:" in err, err
    for n in needles:
        assert n in err, (n, err)


def snapshot(root) -> dict:
    """Every file under ``root`` with its bytes (to assert a folder was left untouched)."""
    from pathlib import Path

    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
