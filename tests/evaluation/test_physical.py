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


def test_resized_geometry_maps_the_same_pixel_to_the_same_world_point():
    """Scaling the frames by (sx, sy) then cropping at (left, top) moves pixel u to sx·u − left."""
    look = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])  # camera looking along +x
    w2c = np.eye(4)
    w2c[:3, :3] = look
    w2c[:3, 3] = -look @ np.array([-2.0, 0.1, 0.5])
    k = np.array([[70.0, 0, 40], [0, 70.0, 30], [0, 0, 1]])
    g = Geometry("drop", k, w2c, np.zeros(3), np.array([1.0, 0, 0]), {})
    uv = np.array([[12.25, 7.5], [50.0, 44.0]])
    small = g.resized(0.5, 0.25, left=3.0, top=1.0)
    uv_small = uv * [0.5, 0.25] - [3.0, 1.0]
    np.testing.assert_allclose(small.to_plane(uv_small), g.to_plane(uv), atol=1e-12)
    assert small.metres_per_pixel() == pytest.approx(2 * g.metres_per_pixel())
    assert g.K[0, 0] == 70.0  # the original is unchanged
