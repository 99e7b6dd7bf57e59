"""Physical-unit estimators: bad geometry is named, degenerate videos are failures with reasons."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.physical import Geometry, estimate

CAMERA = {
    "K": [[70.0, 0, 32], [0, 70.0, 32], [0, 0, 1]],
    "world_to_camera": [[0.0, -1, 0, 0], [0, 0, -1, 0.5], [1, 0, 0, 2.0], [0, 0, 0, 1]],
}


def test_clip_info_without_what_the_estimator_reads_is_named():
    info = {"camera": CAMERA, "scenario": "pendulum", "constants": {"pivot": [0, 0, 1]}}
    with pytest.raises(ValueError, match=r"needs constants \['length_m', 'length_eff_m'\]"):
        Geometry.from_clip_info(info)
    with pytest.raises(ValueError, match="unknown scenario"):
        Geometry.from_clip_info({**info, "scenario": "orbit"})
    assert Geometry.from_clip_info({"camera": CAMERA}) is None  # real clips and older samples: no geometry


@pytest.mark.parametrize("scenario", ["drop", "bounce", "pendulum"])
def test_an_empty_or_static_video_is_a_failure_with_a_reason(scenario):
    constants = {"pivot": [0.0, 0.0, 1.0], "length_m": 0.5, "length_eff_m": 0.5, "g": 9.81}
    geom = Geometry.from_clip_info({"camera": CAMERA, "scenario": scenario, "constants": constants,
                                    "motion_plane": {"point": [0, 0, 0], "normal": [1, 0, 0]}})  # fmt: skip
    empty = np.zeros((12, 1, 64, 64), bool)
    est = estimate(empty, 16.0, geom, 0)
    assert est.failure and not est.values
    static = empty.copy()
    static[:, 0, 40:48, 28:36] = True
    est = estimate(static, 16.0, geom, 0)
    assert est.failure == "never moved" and not est.values
