"""Shared test helpers: tiny analytic clips written in the data schema."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation import analytic
from evaluation.schema import write_sample


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
