"""Metric conventions on hand-made masks, and equality with the released definitions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from evaluation import analytic
from evaluation import metrics as M
from evaluation import metrics_reference as R

H = 32


def square(t_frames: int, y: int, x: int, size: int = 6, h: int = H) -> np.ndarray:
    m = np.zeros((t_frames, h, h), bool)
    m[:, y : y + size, x : x + size] = True
    return m


# --- identical / disjoint / empty ---------------------------------------------------------------
def test_identical_masks_are_perfect():
    m = square(4, 5, 5)
    assert M.scaled_l2_distance(m, m) == 0.0
    assert M.chamfer_distance(m, m) == 0.0
    assert M.mask_iou(m, m) == 1.0
    assert M.centroid_error(m, m) == 0.0
    assert M.centroid_error_strict(m, m) == 0.0
    assert M.chamfer_strict(m, m) == 0.0


def test_disjoint_masks_iou_zero_and_distances_positive():
    a, b = square(3, 2, 2), square(3, 20, 20)
    assert M.mask_iou(a, b) == 0.0
    assert M.scaled_l2_distance(a, b) > 0
    assert M.chamfer_distance(a, b) > 0


def test_both_empty_frames_iou_one_and_nan_distances():
    e = np.zeros((3, H, H), bool)
    assert M.mask_iou(e, e) == 1.0
    assert math.isnan(M.scaled_l2_distance(e, e))
    assert math.isnan(M.chamfer_distance(e, e))
    assert math.isnan(M.centroid_error_strict(e, e))


def test_empty_prediction_paper_quirk_vs_strict():
    gt = square(4, 5, 5)
    pd = gt.copy()
    pd[2:] = False  # object vanishes in the last two frames
    # paper L2 / CD skip the vanished frames entirely (NaN + nanmean)
    assert M.scaled_l2_distance(pd, gt) == 0.0
    assert M.chamfer_distance(pd, gt) == 0.0
    # IoU counts them as 0
    assert M.mask_iou(pd, gt) == pytest.approx(0.5)
    # strict metrics charge VANISH_PENALTY for each vanished frame
    assert M.centroid_error_strict(pd, gt) == pytest.approx(0.5 * M.VANISH_PENALTY)
    assert M.chamfer_strict(pd, gt) == pytest.approx(0.5 * M.VANISH_PENALTY)
    diag = M.video_diagnostics(pd, gt)
    assert diag["vanished_frames"] == 2 and diag["object_vanished"]


def test_prediction_empty_everywhere():
    gt = square(3, 5, 5)
    pd = np.zeros_like(gt)
    assert math.isnan(M.scaled_l2_distance(pd, gt))
    assert M.mask_iou(pd, gt) == 0.0
    assert M.centroid_error_strict(pd, gt) == M.VANISH_PENALTY


def test_gt_empty_frame_is_skipped_by_strict_metrics():
    gt = square(2, 5, 5)
    pd = gt.copy()
    gt[1] = False  # ground truth lost the object; prediction still shows it
    assert M.centroid_error_strict(pd, gt) == 0.0
    assert M.mask_iou(pd, gt) == pytest.approx(0.5)


# --- shift by k pixels: known values ---------------------------------------------------------
@pytest.mark.parametrize("k", [1, 3, 7])
def test_vertical_shift_known_values(k):
    gt = square(5, 4, 10, size=6)
    pd = square(5, 4 + k, 10, size=6)
    # centroid moves k pixels in y only: mean over (|dx|, |dy|) = k / 2
    assert M.scaled_l2_distance(pd, gt) == pytest.approx((k / 2) / math.sqrt(2) / H, rel=1e-12)
    assert M.centroid_error(pd, gt) == pytest.approx(k / math.hypot(H, H), rel=1e-12)
    overlap = max(6 - k, 0)
    assert M.mask_iou(pd, gt) == pytest.approx(overlap * 6 / (72 - overlap * 6), rel=1e-12)
    # Chamfer: the k non-overlapping rows of each square lie 1..k rows from the other square
    per_dir = sum(range(1, min(k, 6) + 1)) * 6 / 36 if k <= 6 else None
    if per_dir is not None:
        assert M.chamfer_distance(pd, gt) == pytest.approx(2 * per_dir / math.sqrt(2) / H, rel=1e-12)


def test_diagonal_shift_l2_is_not_euclidean():
    gt = square(2, 4, 4)
    pd = square(2, 7, 8)  # dx = 4, dy = 3: Euclidean 5, mean |d| = 3.5
    assert M.scaled_l2_distance(pd, gt) == pytest.approx(3.5 / math.sqrt(2) / H)
    assert M.centroid_error(pd, gt) == pytest.approx(5 / math.hypot(H, H))


# --- equality with the released per-frame definitions --------------------------------------------
def _random_video(rng, t=6, h=48, p_empty=0.2):
    m = np.zeros((t, h, h), bool)
    for i in range(t):
        if rng.random() < p_empty:
            continue
        for _ in range(rng.integers(1, 3)):
            y, x = rng.integers(0, h, 2)
            ry, rx = rng.integers(1, 12, 2)
            m[i, max(0, y - ry) : y + ry, max(0, x - rx) : x + rx] = True
        m[i] &= rng.random((h, h)) < 0.9  # holes make the sets non-convex
    return m


BACKENDS = ["numba", "opencv", "scipy"]


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    """Each implementation of the geometry: the compiled kernel, and the numpy path with each transform."""
    if request.param == "numba":
        pytest.importorskip("numba", reason="the compiled kernel needs numba (requirements/core.txt)")
        assert M.backend() == "numba"
    else:
        monkeypatch.setattr(M, "_kernel", lambda: None)
        if request.param == "scipy":
            monkeypatch.setattr(M, "_edt_backend", lambda: (M._edt_scipy, M._identity))
        assert M.backend() == request.param
    return request.param


def _assert_paper_metrics_equal(pd, gt):
    """Bit for bit: the same integer distances and coordinate sums, reduced in numpy's order."""
    for ours, ref in (
        (M.scaled_l2_distance, R.scaled_l2_distance),
        (M.chamfer_distance, R.chamfer_distance),
        (M.mask_iou, R.mask_iou),
    ):
        a, b = ours(pd, gt), ref(pd, gt)
        if math.isnan(b):
            assert math.isnan(a), ours.__name__
        else:
            assert a == b, (ours.__name__, a, b)


@pytest.mark.parametrize("seed", range(25))
def test_paper_metrics_match_reference(seed, backend):
    rng = np.random.default_rng(seed)
    _assert_paper_metrics_equal(_random_video(rng), _random_video(rng))


def test_chamfer_matches_reference_with_far_apart_objects(backend):
    # the nearest pixel lies far outside the other object's box: the crop must still be exact
    gt = np.zeros((1, 64, 64), bool)
    pd = np.zeros_like(gt)
    gt[0, 0:3, 0:40] = True
    pd[0, 60:64, 50:52] = True
    assert M.chamfer_distance(pd, gt) == R.chamfer_distance(pd, gt)


def _far_off_video(rng, t=8, h=96, w=96):
    """Wrong physics: the prediction drifts sideways, falls at another rate, splits, vanishes."""
    yy, xx = np.mgrid[:h, :w]
    gt = np.zeros((t, h, w), bool)
    pd = np.zeros_like(gt)
    for i in range(t):
        gt[i] = ((yy - 10 - 8 * i) / 7) ** 2 + ((xx - 30) / 9) ** 2 <= 1
        if rng.random() < 0.15:
            continue  # vanished
        for cx in (50 + 4 * i, 20 + 3 * i) if rng.random() < 0.4 else (60 + 3 * i,):
            pd[i] |= ((yy - 5 - 2 * i) / rng.integers(3, 8)) ** 2 + ((xx - cx) / rng.integers(3, 8)) ** 2 <= 1
        pd[i] &= rng.random((h, w)) < 0.95
    return pd, gt


@pytest.mark.parametrize("seed", range(6))
def test_paper_metrics_match_reference_far_off(seed, backend):
    pd, gt = _far_off_video(np.random.default_rng(seed))
    _assert_paper_metrics_equal(pd, gt)
    _assert_paper_metrics_equal(gt, pd)


@pytest.mark.parametrize("width", [37, 40, 130])
def test_widths_that_are_not_whole_words(width, backend):
    """The kernel scans 8-pixel words; other widths take its byte loop. Non-square frames too."""
    rng = np.random.default_rng(width)
    pd = rng.random((5, 29, width)) < 0.05
    gt = np.roll(pd, 7, axis=2) | (rng.random((5, 29, width)) < 0.01)
    _assert_paper_metrics_equal(pd, gt)


def test_kernel_threads_give_the_same_values():
    K = pytest.importorskip("evaluation.metrics_kernel", reason="the compiled kernel needs numba")
    rng = np.random.default_rng(3)
    pd, gt = _far_off_video(rng, t=13)
    try:
        K.set_threads(1)
        one = K.video_geometry(pd, gt)
        K.set_threads(3)  # capped at numba's thread count; chunks of frames per thread
        many = K.video_geometry(pd, gt)
    finally:
        K.set_threads(1)
    for a, b in zip(one, many, strict=True):
        np.testing.assert_array_equal(a, b)


def test_kernel_pairwise_sum_is_numpys():
    K = pytest.importorskip("evaluation.metrics_kernel", reason="the compiled kernel needs numba")
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 8, 9, 127, 128, 129, 1000, 4099, 70001):
        x = rng.random(n) * 300
        assert K._pairwise_sum(x, n) == (np.add.reduce(x) if n else 0.0), n
        x[rng.random(n) < 0.2] = np.nan
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expect = np.nanmean(x)
        assert K.nanmean(x) == expect or (math.isnan(expect) and math.isnan(K.nanmean(x)))


def test_centroids_and_registry():
    m = square(1, 2, 4, size=2)
    np.testing.assert_allclose(M.centroids(m), [[4.5, 2.5]])
    assert np.isnan(M.centroids(np.zeros((1, 4, 4), bool))).all()
    assert M.METRICS["l2"].higher_is_better is False and M.METRICS["l2"].paper
    assert M.METRICS["iou"].higher_is_better is True
    assert M.METRICS["accel_ratio"].higher_is_better is None and M.METRICS["accel_ratio"].target == 1.0
    with pytest.raises(KeyError):
        M.register_metric("l2", higher_is_better=False)(lambda p, g: 0.0)
    with pytest.raises(ValueError):
        M.mask_iou(np.zeros((2, 4, 4), bool), np.zeros((2, 4, 5), bool))


# --- physics ----------------------------------------------------------------------------------------
def _clip(variant, seed=1, res=128, frames=32):
    scene = analytic.sample_scene(np.random.default_rng(seed), resolution=res, num_frames=frames, fps=16, seed=seed)
    return analytic.render(scene, variant)[1][:, -1], analytic.render(scene)[1][:, -1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_physics_ground_truth_vs_itself(seed):
    pd, gt = _clip("ground_truth", seed)
    assert M.accel_ratio(pd, gt, 16) == pytest.approx(1.0)
    assert M.drop_time_error(pd, gt, 16) == 0.0
    assert M.accel_log_error(pd, gt, 16) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_physics_half_and_double_gravity(seed):
    pd, gt = _clip("gravity_x0.5", seed)
    assert M.accel_ratio(pd, gt, 16) == pytest.approx(0.5, abs=0.05)
    assert M.drop_time_error(pd, gt, 16) > 0.05
    pd2, _ = _clip("gravity_x2", seed)
    assert M.accel_ratio(pd2, gt, 16) == pytest.approx(2.0, abs=0.2)


def test_physics_frozen_and_constant_velocity():
    pd, gt = _clip("frozen")
    assert abs(M.accel_ratio(pd, gt, 16)) < 0.05
    phase = M.fall_phase(M.centroids(pd)[:, 1], 16, pd.shape[1])
    assert not phase.falling and phase.contact_time_s is None
    # never lands: charged up to the clip end
    assert M.drop_time_error(pd, gt, 16) == pytest.approx(
        len(gt) / 16 - M.fall_phase(M.centroids(gt)[:, 1], 16, gt.shape[1]).contact_time_s
    )
    assert M.video_diagnostics(pd, gt)["object_static"]
    cv, _ = _clip("constant_velocity")
    assert abs(M.accel_ratio(cv, gt, 16)) < 0.1
    assert not M.video_diagnostics(cv, gt)["object_static"]


def test_fall_phase_on_exact_parabola():
    fps, h = 30.0, 100
    t = np.arange(60) / fps
    y = np.minimum(10 + 0.5 * 50.0 * t**2, 80.0)  # 50 px/s² until it rests at y = 80
    phase = M.fall_phase(y, fps, h)
    assert phase.accel == pytest.approx(0.5, rel=1e-6)  # 50 px/s² / 100 px
    t_land = math.sqrt(2 * 70 / 50.0)
    assert abs(phase.contact_time_s - t_land) <= 1.0 / fps + 1e-9
    assert M.fall_phase(np.full(5, np.nan), fps, h).falling is False


def test_one_metric_call_pays_one_pass_and_iou_no_distance_transforms(monkeypatch):
    kernel = M._kernel()
    if kernel is None:
        pytest.skip("numba not installed: the numpy fallback computes each piece on its own")
    calls = []

    def counting(pred, gt, chamfer=True):
        calls.append(chamfer)
        return kernel(pred, gt, chamfer)

    monkeypatch.setattr(M, "_kernel", lambda: counting)
    rng = np.random.default_rng(0)
    pred, gt = rng.random((6, 32, 32)) > 0.6, rng.random((6, 32, 32)) > 0.6
    for name, spec in ((n, s) for n, s in M.METRICS.items() if not s.physical):
        calls.clear()
        spec.compute(pred, gt, 16.0)
        assert len(calls) <= 1, (name, calls)  # one pass at most
        if name in ("iou", "l2", "centroid_error"):
            assert calls == [False], (name, calls)  # no distance transforms
    calls.clear()
    M.compute_all(pred, gt, 16.0)
    assert calls == [True]  # every metric and the diagnostics from one pass
