"""Verifiable rewards: the benchmark's metrics of a generated video as a reward, failures filled per group."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.core.errors import ConfigError
from evaluation.perception.colour import ColourSegmenter
from evaluation.physical import Geometry
from opensora.rewards.verifiable import check_metric_weights, fill_failures, score_video

R_LOOK_PLUS_X = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def falling_square(t=12, size=64, fall=True):
    """Grey frames with a red square falling (or resting), and its exact masks ``[T, 1, H, W]``."""
    frames = np.full((t, size, size, 3), 128, np.uint8)
    masks = np.zeros((t, 1, size, size), bool)
    for k in range(t):
        y = 4 + int(0.35 * k * k) if fall else 4
        y = min(y, size - 10)
        frames[k, y : y + 8, 28:36] = (220, 30, 30)
        masks[k, 0, y : y + 8, 28:36] = True
    return frames, masks


def geometry():
    w2c = np.eye(4)
    w2c[:3, :3] = R_LOOK_PLUS_X
    w2c[:3, 3] = -R_LOOK_PLUS_X @ np.array([-2.0, 0.0, 0.5])
    k = np.array([[70.0, 0, 32], [0, 70.0, 32], [0, 0, 1]])
    return Geometry("drop", k, w2c, np.zeros(3), np.array([1.0, 0, 0]), {"g": 9.81})


def test_a_video_equal_to_the_ground_truth_gets_the_best_reward():
    frames, masks = falling_square()
    weights = check_metric_weights({"iou": 1.0, "centroid_error_strict": 2.0})
    reward, values, failure = score_video(frames, masks, 16.0, weights, ColourSegmenter())
    assert failure is None and reward == pytest.approx(1.0) and values["iou"] == pytest.approx(1.0)
    static, _ = falling_square(fall=False)
    worse, _, _ = score_video(static, masks, 16.0, weights, ColourSegmenter())
    assert worse < reward


def test_a_failed_estimate_is_a_named_failure_and_takes_the_group_minimum():
    frames, masks = falling_square()
    static, _ = falling_square(fall=False)
    weights = check_metric_weights({"g_est": 1.0})
    good, _, failure = score_video(frames, masks, 16.0, weights, ColourSegmenter(), geometry=geometry())
    assert failure is None and good == pytest.approx(0.0)
    bad, _, failure = score_video(static, masks, 16.0, weights, ColourSegmenter(), geometry=geometry())
    assert bad is None and "g_est" in failure and "never moved" in failure
    rewards, failed = fill_failures([good, bad, -0.5, None, None], [0, 0, 0, 1, 1])
    assert failed == 3 and rewards.tolist() == [0.0, -0.5, -0.5, 0.0, 0.0]


def test_metric_weights_are_checked():
    with pytest.raises(ConfigError, match="unknown metric"):
        check_metric_weights({"l3": 1.0})
    with pytest.raises(ConfigError, match="target"):
        check_metric_weights({"accel_ratio": 1.0})
