"""PisaBench metrics: pure functions over per-frame masks of the evaluated object.

Every metric takes ``pred`` and ``gt`` as ``bool [T, H, W]`` (already aligned in time, same
resolution, square frames) and returns a float. No file I/O, no model loading.

Three families:

1. **Paper-compatible** (``l2``, ``chamfer_distance``, ``iou``): the released PISA definitions,
   quirks included (PISA release: ``eval.py`` and ``utils/metrics.py``):
   - "L2" is the mean *absolute* centroid coordinate difference (averaged over frames and over x
     and y) × (1/√2) / H. It is not a Euclidean norm.
   - Chamfer is the two-sided mean nearest-pixel distance × (1/√2) / H.
   - Frames where either mask is empty give NaN and are skipped by ``nanmean`` in L2 and
     Chamfer, so a vanishing object is not penalised by them. IoU scores such a frame 0, and 1
     when both masks are empty.
   All three come from one per-video pass (:mod:`evaluation.metrics_kernel`, compiled with
   numba: counts, centroid sums, intersections and exact directed nearest-pixel distances, each
   computed inside each mask's own bounding box, so the cost does not grow with the distance
   between the masks), bit-identical to the released per-frame KD-trees and ~40-50x faster on one
   thread, 60-80x on two (benchmarks/metrics_speed.py). Without numba the same values come from exact Euclidean
   distance transforms (OpenCV's when cv2 imports, else scipy's) on the masks' common bounding
   box, several times slower.

   **Why three implementations.** The kernel is the one that runs. The numpy fallback stays
   because numba is optional: this module and the schema need only numpy/scipy (README: Layout),
   so the benchmark still scores where numba does not install (new Python versions first ship
   without it). :mod:`evaluation.metrics_reference` is the released definitions written plainly
   (argwhere + KD-trees per frame); it is never called in a run — the tests and
   ``benchmarks/metrics_speed.py`` compare both other paths against it.
   One metric call (``METRICS[name].compute``) makes one pass of the geometry at most, shared
   by the pieces it reads; IoU, L2 and the centroid metrics skip the distance transforms;
   :func:`compute_all` makes one pass for every metric of a video.
2. **Strict**: Euclidean centroid error normalised by the image diagonal, and vanish-aware
   versions in which a frame with the object present in ground truth but absent in the
   prediction scores :data:`VANISH_PENALTY`.
3. **Physics**: apparent acceleration ratio and drop-time error from the vertical centroid
   trajectory before first contact (:func:`fall_phase`).
4. **Physical units** (``g_est``, ``mu_est``, ``e_est``, ``momentum_ratio``,
   ``rolling_accel_ratio``): for simulated clips that record their camera and motion plane, the
   constant each video implies (:mod:`evaluation.physical`) — the relative error of the
   prediction's estimate against the ground truth's through the same estimator, so segmentation
   and geometry bias cancel. They read every object's masks and the ground truth's
   ``clip_info.json`` (:func:`compute_all` with ``physics``), apply to the scenarios that have
   the constant, and a video whose estimate cannot be made is flagged, never a silent NaN.

Metrics are registered in :data:`METRICS` with their direction; :func:`video_diagnostics`
returns the per-video flags (vanished frames, static object) that are not metrics.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from evaluation import physical

# A frame where the ground-truth object is visible but the prediction has no object scores the
# largest value the diagonal-normalised strict metrics can take in any frame (a centroid, or a
# mean nearest-pixel distance, cannot be farther than the image diagonal): vanishing is as bad
# as the worst possible placement.
VANISH_PENALTY = 1.0

# object_static flag: ground truth must move at least this fraction of the image diagonal (else
# there is no motion to miss) and the prediction less than this fraction of the ground-truth
# motion.
STATIC_MIN_GT_MOTION = 0.05
STATIC_MAX_MOTION_RATIO = 0.2

# fall_phase: a downward centroid speed below this (image heights per second; 0.25 H/s is 4 px
# per frame at 256 px and 16 fps, above SAM 2 mask jitter) is "not falling", and a fall ends
# (first contact) at the first frame whose speed drops below this fraction of the peak so far.
MIN_FALL_SPEED = 0.25
CONTACT_SPEED_DROP = 0.5
MIN_FIT_POINTS = 3  # a parabola needs three positions


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: ``compute(pred, gt, fps) -> float`` and its direction.

    ``higher_is_better`` is None for metrics with a target value (``target``) instead of a
    direction; ``paper`` marks the released PISA definitions.
    """

    name: str
    fn: Callable[..., float]
    higher_is_better: bool | None
    paper: bool
    needs_fps: bool
    description: str
    target: float | None = None
    constant: str | None = None  # physical-unit metrics: the constant of evaluation.physical they compare

    @property
    def physical(self) -> bool:
        """A physical-unit metric (needs the clip's geometry; see :func:`compute_all`)."""
        return self.constant is not None

    @property
    def direction(self) -> str:
        """Short label: "higher better", "lower better" or "target <value>"."""
        if self.higher_is_better is None:
            return f"target {self.target:g}"
        return "higher better" if self.higher_is_better else "lower better"

    @property
    def arrow(self) -> str:
        """One-symbol label for table headers: ↑, ↓ or →target."""
        if self.higher_is_better is None:
            return f"→{self.target:g}"
        return "↑" if self.higher_is_better else "↓"

    def compute(self, pred: np.ndarray, gt: np.ndarray, fps: float) -> float:
        """Evaluate on ``bool [T, H, W]`` masks (one pass of the geometry at most, shared by its pieces)."""
        if self.physical:
            raise TypeError(
                f"{self.name} reads every object's masks and the clip's geometry: use compute_all(physics=...)"
            )
        with _sharing():
            if self.name in CHAMFER_METRICS and _kernel() is not None:
                _piece("chamfer", pred, gt)  # the full pass first: the other pieces it reads come with it
            return float(self.fn(pred, gt, fps) if self.needs_fps else self.fn(pred, gt))


METRICS: dict[str, MetricSpec] = {}


def register_metric(
    name: str,
    *,
    higher_is_better: bool | None,
    paper: bool = False,
    needs_fps: bool = False,
    target: float | None = None,
    constant: str | None = None,
):
    """Register a metric function under ``name`` with its direction (decorator)."""

    def deco(fn):
        if name in METRICS:
            raise KeyError(f"metric {name!r} registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()
        METRICS[name] = MetricSpec(
            name, fn, higher_is_better, paper, needs_fps, doc[0] if doc else "", target, constant
        )
        return fn

    return deco


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _check(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.ndim != 3:
        raise ValueError(f"pred and gt must both be [T, H, W]; got {pred.shape} and {gt.shape}")


def _span(flags: np.ndarray) -> tuple[int, int]:
    """First and one-past-last index of the ``True`` entries of a 1-D flag array (must have one)."""
    return int(flags.argmax()), len(flags) - int(flags[::-1].argmax())


def _crop(*masks: np.ndarray) -> tuple[tuple[np.ndarray, ...], int, int]:
    """Crop ``bool [T, H, W]`` masks to the bounding box of their union over all frames.

    One full-resolution pass per mask (the union over time, the fastest reduction order).

    Returns:
        The cropped arrays and the crop's (y0, x0) offset. Empty masks give a 0×0 crop.
    """
    union = np.zeros(masks[0].shape[1:], bool)
    for m in masks:
        union |= m.any(axis=0)
    rows = union.any(axis=1)
    if not rows.any():
        return tuple(m[:, :0, :0] for m in masks), 0, 0
    (y0, y1), (x0, x1) = _span(rows), _span(union.any(axis=0))
    # contiguous copies: every reduction that follows runs several times faster on them
    return tuple(np.ascontiguousarray(m[:, y0:y1, x0:x1]) for m in masks), y0, x0


def _centroids_cropped(mask: np.ndarray, y0: int, x0: int) -> np.ndarray:
    # integer sums of absolute coordinates, then one division: bit-identical to np.mean(argwhere)
    col_counts = np.count_nonzero(mask, axis=1)  # (T, W')
    count = col_counts.sum(axis=1)
    sx = col_counts @ np.arange(x0, x0 + mask.shape[2])
    sy = np.count_nonzero(mask, axis=2) @ np.arange(y0, y0 + mask.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([sx / count, sy / count], axis=1).astype(np.float64)


def centroids(mask: np.ndarray) -> np.ndarray:
    """Per-frame centroid ``float [T, 2]`` as (x, y) in pixels; NaN rows for empty frames.

    Args:
        mask: ``bool [T, H, W]``.
    """
    mask = np.asarray(mask, dtype=bool)
    (mc,), y0, x0 = _crop(mask)
    return _centroids_cropped(mc, y0, x0)


@functools.cache
def _kernel() -> Callable | None:
    """The compiled per-video geometry (numba), or None when numba does not import."""
    try:
        from evaluation.metrics_kernel import video_geometry
    except ImportError:
        return None
    return video_geometry


def prepare_in_background() -> None:
    """Load the compiled kernel (numba's start-up, ~0.5 s) on a background thread.

    It then overlaps with whatever the caller does before scoring the first video.
    """
    import threading

    def warm() -> None:
        kernel = _kernel()
        if kernel is not None:
            from evaluation.metrics_kernel import nanmean

            empty = np.zeros((1, 8, 8), bool)
            kernel(empty, empty)
            nanmean(np.zeros(1))

    threading.Thread(target=warm, name="metric-kernel", daemon=True).start()


def backend() -> str:
    """Which implementation computes the geometry: "numba", or the fallback's "opencv" / "scipy"."""
    if _kernel() is not None:
        return "numba"
    return "opencv" if _edt_backend()[0] is _edt_opencv else "scipy"


def _pieces_from_kernel(pred: np.ndarray, gt: np.ndarray, chamfer: bool) -> dict:
    """Every piece in one pass; the distance transforms (the chamfer piece) only when asked."""
    cent, iou, dist, present = _kernel()(pred, gt, chamfer)
    out = {"centroids": (cent[:, 0], cent[:, 1]), "iou": iou, "present": (present[:, 0], present[:, 1])}
    if chamfer:
        out["chamfer"] = dist
    return out


def _numpy_piece(name: str, pred: np.ndarray, gt: np.ndarray):
    if name == "centroids":
        (pc, gc), y0, x0 = _crop(pred, gt)
        return _centroids_cropped(pc, y0, x0), _centroids_cropped(gc, y0, x0)
    if name == "iou":
        (p, g), _, _ = _crop(pred, gt)
        inter = (p & g).sum(axis=(1, 2))
        union = (p | g).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union == 0, 1.0, inter / np.maximum(union, 1))
    if name == "chamfer":
        return _chamfer_pairs_numpy(pred, gt)
    return pred.any(axis=(1, 2)), gt.any(axis=(1, 2))  # "present"


# Within one compute_all call, or one metric's compute call, the geometry of one (pred, gt) pair
# is computed once and shared by every piece a metric reads (all nine metrics use some of it).
# Keyed by the arrays' identities, held only while that call lasts.
_SHARED: dict | None = None
CHAMFER_METRICS = ("chamfer_distance", "chamfer_strict")  # the metrics that read distance transforms


@contextlib.contextmanager
def _sharing():
    """Share pieces for the duration of the block (nested blocks join the outer one)."""
    global _SHARED
    if _SHARED is not None:
        yield
        return
    _SHARED = {}
    try:
        yield
    finally:
        _SHARED = None


def _shared(pred: np.ndarray, gt: np.ndarray, name, compute: Callable[[], dict]):
    """``name`` from this video's shared values, else from ``compute()``.

    ``compute()`` returns a dict holding ``name`` and possibly more; all of it is kept while a
    :func:`compute_all` call lasts.
    """
    _check(pred, gt)
    key = (id(pred), id(gt))
    cached = _SHARED.get(key) if _SHARED is not None else None
    if cached is not None and name in cached:
        return cached[name]
    values = compute()
    if _SHARED is not None:
        _SHARED.setdefault(key, {}).update(values)
    return values[name]


def _piece(name: str, pred: np.ndarray, gt: np.ndarray):
    """One shared per-frame quantity of a video: "centroids", "iou", "chamfer" or "present"."""
    if _kernel() is not None:
        return _shared(pred, gt, name, lambda: _pieces_from_kernel(pred, gt, chamfer=name == "chamfer"))
    return _shared(pred, gt, name, lambda: {name: _numpy_piece(name, pred, gt)})


def _centroid_pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _piece("centroids", pred, gt)


def _nanmean(x: np.ndarray) -> float:
    """``np.nanmean`` (the released tool's reduction, bit for bit) without a RuntimeWarning when nothing is finite."""
    x = np.asarray(x, dtype=np.float64)
    if _kernel() is not None:  # the same sum, compiled (one call instead of five numpy ones)
        from evaluation.metrics_kernel import nanmean

        return float(nanmean(np.ascontiguousarray(x).ravel()))
    nan = np.isnan(x)
    count = int(x.size - np.count_nonzero(nan))
    return float(np.where(nan, 0.0, x).sum() / count) if count else math.nan


# --------------------------------------------------------------------------------------------
# paper-compatible
# --------------------------------------------------------------------------------------------
@register_metric("l2", higher_is_better=False, paper=True)
def scaled_l2_distance(pred: np.ndarray, gt: np.ndarray) -> float:
    """Paper "L2": nanmean |Δx|,|Δy| of centroids × (1/√2)/H (NaN frames skipped).

    Args:
        pred, gt: ``bool [T, H, W]``.

    Returns:
        Mean absolute centroid coordinate difference over frames and both axes, times
        ``1/sqrt(2)/H``. Frames where either mask is empty are skipped; NaN if none is left.
    """
    _check(pred, gt)
    c_pd, c_gt = _centroid_pair(pred, gt)
    diff = np.abs(c_gt[:, ::-1] - c_pd[:, ::-1])  # (y, x) per frame: the released order of the sum
    return _nanmean(diff) * (1 / np.sqrt(2)) / gt.shape[1]


def _edt_scipy(background: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance to the nearest ``False`` pixel of ``background``, at the pixels ``at`` (float64)."""
    from scipy.ndimage import distance_transform_edt  # only on the numpy path

    return distance_transform_edt(background)[at]


def _edt_opencv(background: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The same with OpenCV's exact transform (Felzenszwalb, DIST_MASK_PRECISE), ~3x faster; float32.

    Pass the result through :func:`_exact_from_float32` (done once per video, not per frame).
    """
    import cv2  # installed with mmengine (requirements/core.txt); optional for this module

    return cv2.distanceTransform(background.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[at]


def _exact_from_float32(d: np.ndarray) -> np.ndarray:
    """float32 distances → exact float64 ones.

    Squared pixel distances are integers far below 2**24, so rounding the squared float32 value
    recovers them exactly and the float64 square root is then bit-identical to scipy's and to a
    KD-tree's.
    """
    return np.sqrt(np.rint(np.square(d, dtype=np.float64)))


def _identity(d: np.ndarray) -> np.ndarray:
    return d


@functools.cache
def _edt_backend() -> tuple[Callable, Callable]:
    """(distance function, exactifier): OpenCV when it imports, else scipy (same values)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return _edt_scipy, _identity
    return _edt_opencv, _exact_from_float32


def _chamfer_pairs(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Mean nearest distances ``float [T, 2]`` (gt→pred, pred→gt); NaN rows where either is empty."""
    return _piece("chamfer", pred, gt)


def _chamfer_pairs_numpy(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Mean nearest distances ``float [T, 2]`` (gt→pred, pred→gt); NaN rows where either is empty.

    Each frame is cropped to the bounding box of ``pred | gt`` (exact: the nearest pixel of a
    set lies inside the set's own bounding box) and gets two exact distance transforms; a
    direction is skipped when its pixels all lie inside the other set (its distances are 0).
    The per-pixel distances of all frames are made exact in one pass, then averaged per frame
    with numpy's pairwise sum (the same arithmetic as ``ndarray.mean``).
    """
    _check(pred, gt)
    out = np.full((gt.shape[0], 2), np.nan)
    (pc, gc), _, _ = _crop(pred, gt)
    if pc.size == 0:
        return out
    union = pc | gc  # (T, H', W')
    rows, cols = union.any(axis=2), union.any(axis=1)  # (T, H'), (T, W')
    h, w = rows.shape[1], cols.shape[1]
    y0s, y1s = rows.argmax(axis=1), h - rows[:, ::-1].argmax(axis=1)
    x0s, x1s = cols.argmax(axis=1), w - cols[:, ::-1].argmax(axis=1)
    distance, exactify = _edt_backend()
    chunks, slots = [], []
    for t in np.flatnonzero(rows.any(axis=1)):
        p = pc[t, y0s[t] : y1s[t], x0s[t] : x1s[t]]
        g = gc[t, y0s[t] : y1s[t], x0s[t] : x1s[t]]
        if not (p.any() and g.any()):
            continue  # NaN: one mask is empty
        not_p, not_g = ~p, ~g
        if (g & not_p).any():  # some gt pixel lies outside pred
            chunks.append(distance(not_p, g))  # gt pixels -> nearest pred pixel
            slots.append((t, 0))
        else:
            out[t, 0] = 0.0
        if (p & not_g).any():
            chunks.append(distance(not_g, p))
            slots.append((t, 1))
        else:
            out[t, 1] = 0.0
    if chunks:
        exact = exactify(np.concatenate(chunks))
        start = 0
        for (t, k), c in zip(slots, chunks, strict=True):
            out[t, k] = np.add.reduce(exact[start : start + len(c)]) / len(c)
            start += len(c)
    return out


@register_metric("chamfer_distance", higher_is_better=False, paper=True)
def chamfer_distance(pred: np.ndarray, gt: np.ndarray) -> float:
    """Paper Chamfer: two-sided mean nearest-pixel distance × (1/√2)/H, nanmean over frames.

    Args:
        pred, gt: ``bool [T, H, W]``.

    Returns:
        Per frame ``(mean_gt→pred + mean_pred→gt) / sqrt(2) / H``; frames where either mask is
        empty are NaN and skipped; NaN if no frame is left.
    """
    d = _chamfer_pairs(pred, gt)
    return _nanmean((d[:, 0] + d[:, 1]) * (1 / np.sqrt(2)) / gt.shape[1])


def iou_per_frame(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame IoU ``float [T]``; a frame where both masks are empty scores 1."""
    return _piece("iou", pred, gt)


@register_metric("iou", higher_is_better=True, paper=True)
def mask_iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Paper IoU: mean over frames of per-frame IoU (both empty = 1, one empty = 0).

    Args:
        pred, gt: ``bool [T, H, W]``.
    """
    return float(np.mean(iou_per_frame(pred, gt)))


# --------------------------------------------------------------------------------------------
# strict
# --------------------------------------------------------------------------------------------
def _present(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each frame of the prediction, and of the ground truth, has any pixel."""
    return _piece("present", pred, gt)


def _vanished(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    pd_any, gt_any = _present(pred, gt)
    return gt_any & ~pd_any


def _diag(gt: np.ndarray) -> float:
    return float(np.hypot(gt.shape[1], gt.shape[2]))


@register_metric("centroid_error", higher_is_better=False)
def centroid_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """Euclidean centroid distance / image diagonal, mean over frames where both are present.

    Args:
        pred, gt: ``bool [T, H, W]``.

    Returns:
        In [0, 1]; NaN when no frame has both objects (vanishing is not penalised here; see
        ``centroid_error_strict``).
    """
    _check(pred, gt)
    c_pd, c_gt = _centroid_pair(pred, gt)
    return _nanmean(np.linalg.norm(c_pd - c_gt, axis=1) / _diag(gt))


@register_metric("centroid_error_strict", higher_is_better=False)
def centroid_error_strict(pred: np.ndarray, gt: np.ndarray) -> float:
    """Vanish-aware centroid error: frames with gt present and prediction empty score VANISH_PENALTY.

    Args:
        pred, gt: ``bool [T, H, W]``.

    Returns:
        Mean over frames where ground truth is present; frames where ground truth is empty are
        skipped (nothing to locate). NaN if ground truth is empty everywhere.
    """
    _check(pred, gt)
    c_pd, c_gt = _centroid_pair(pred, gt)
    d = np.linalg.norm(c_pd - c_gt, axis=1) / _diag(gt)
    d[_vanished(pred, gt)] = VANISH_PENALTY
    d[~_present(pred, gt)[1]] = np.nan
    return _nanmean(d)


@register_metric("chamfer_strict", higher_is_better=False)
def chamfer_strict(pred: np.ndarray, gt: np.ndarray) -> float:
    """Vanish-aware symmetric Chamfer / diagonal: mean of the two directions; vanished frames score VANISH_PENALTY.

    Args:
        pred, gt: ``bool [T, H, W]``.

    Returns:
        Per frame ``(mean_gt→pred + mean_pred→gt) / 2 / diagonal`` (in [0, 1]), averaged over
        frames where ground truth is present. NaN if ground truth is empty everywhere.
    """
    d = _chamfer_pairs(pred, gt).mean(axis=1) / _diag(gt)
    d[_vanished(pred, gt)] = VANISH_PENALTY
    d[~_present(pred, gt)[1]] = np.nan
    return _nanmean(d)


# --------------------------------------------------------------------------------------------
# physics
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FallPhase:
    """The falling part of a vertical centroid trajectory.

    Attributes:
        accel: fitted acceleration in image heights / s² (positive = downward); NaN when fewer
            than MIN_FIT_POINTS positions fall before contact.
        contact_time_s: time of first contact in seconds; None when no contact happened in the
            clip (still falling at the end, or never moved).
        falling: whether the trajectory ever reached MIN_FALL_SPEED.
    """

    accel: float
    contact_time_s: float | None
    falling: bool


def fall_phase(y: np.ndarray, fps: float, height: int) -> FallPhase:
    """Find the free fall in a vertical centroid trajectory and fit a parabola to it.

    Algorithm: over frames where the object is visible, the downward speed between consecutive
    positions is computed; first contact is the first frame whose incoming speed drops below
    CONTACT_SPEED_DROP × the largest speed so far (once that speed exceeds MIN_FALL_SPEED).
    Positions before it are fitted with ``y = y0 + v0 t + a t²/2`` by least squares.

    Args:
        y: ``float [T]`` centroid row in pixels (down is positive), NaN where not visible.
        fps: frames per second of ``y``.
        height: image height in pixels (accelerations are returned in heights / s²).
    """
    t_all = np.arange(len(y)) / fps
    idx = np.flatnonzero(~np.isnan(y))
    if len(idx) < 2:
        return FallPhase(math.nan, None, False)
    yv, tv = y[idx] / height, t_all[idx]
    speed = np.diff(yv) / np.diff(tv)
    run_max = np.maximum.accumulate(speed)
    falling = bool(run_max[-1] >= MIN_FALL_SPEED)
    stop = np.flatnonzero((run_max >= MIN_FALL_SPEED) & (speed < CONTACT_SPEED_DROP * run_max))
    if falling and len(stop):
        # interval k = (idx[k], idx[k+1]) is the first slow one: the object has stopped falling
        # freely at idx[k] (±1 frame, the same for prediction and ground truth); the positions
        # before it are the free fall
        k = int(stop[0])
        window, contact = slice(0, k), float(tv[k])
    else:
        window, contact = slice(0, len(idx)), None
    if window.stop - window.start < MIN_FIT_POINTS:
        return FallPhase(math.nan, contact, falling)
    coef = np.polyfit(tv[window], yv[window], 2)
    return FallPhase(float(2 * coef[0]), contact, falling)


def _fall_pair(pred: np.ndarray, gt: np.ndarray, fps: float) -> tuple[FallPhase, FallPhase]:
    def both() -> dict:  # three physics metrics use them
        c_pd, c_gt = _centroid_pair(pred, gt)
        h = gt.shape[1]
        return {("fall", fps): (fall_phase(c_pd[:, 1], fps, h), fall_phase(c_gt[:, 1], fps, h))}

    return _shared(pred, gt, ("fall", fps), both)


# below this apparent ground-truth acceleration (heights / s²) there is no fall to compare with
MIN_GT_ACCEL = 0.05
MIN_ACCEL_RATIO = 0.01  # floor for the log: "no fall at all" counts as 100x too weak gravity


@register_metric("accel_ratio", higher_is_better=None, needs_fps=True, target=1.0)
def accel_ratio(pred: np.ndarray, gt: np.ndarray, fps: float) -> float:
    """Apparent acceleration ratio a_pred / a_gt before first contact (1 = right gravity).

    Args:
        pred, gt: ``bool [T, H, W]``; fps: their common frame rate.

    Returns:
        Ratio of the least-squares parabola accelerations; NaN if ground truth does not fall or
        either fall is too short to fit.
    """
    p, g = _fall_pair(pred, gt, fps)
    if not (g.accel > MIN_GT_ACCEL):
        return math.nan
    return p.accel / g.accel


@register_metric("accel_log_error", higher_is_better=False, needs_fps=True)
def accel_log_error(pred: np.ndarray, gt: np.ndarray, fps: float) -> float:
    """|ln(a_pred / a_gt)|, the acceleration error with a direction (0 = right gravity).

    A prediction with no downward acceleration (ratio ≤ 0) scores ``ln(1 / MIN_ACCEL_RATIO)``.
    """
    r = accel_ratio(pred, gt, fps)
    if math.isnan(r):
        return math.nan
    return abs(math.log(max(r, MIN_ACCEL_RATIO)))


@register_metric("drop_time_error", higher_is_better=False, needs_fps=True)
def drop_time_error(pred: np.ndarray, gt: np.ndarray, fps: float) -> float:
    """|t_contact_pred − t_contact_gt| in seconds, first contact read off the trajectories.

    A prediction that never lands within the clip gets ``t_contact = T / fps`` (a lower bound
    on its error, the clip end). NaN if the ground truth does not land in the clip.
    """
    p, g = _fall_pair(pred, gt, fps)
    if g.contact_time_s is None:
        return math.nan
    t_pred = p.contact_time_s if p.contact_time_s is not None else len(gt) / fps
    return abs(t_pred - g.contact_time_s)


# --------------------------------------------------------------------------------------------
# per-video diagnostics (flags, not metrics)
# --------------------------------------------------------------------------------------------
def video_diagnostics(pred: np.ndarray, gt: np.ndarray) -> dict:
    """Flags for one video.

    Returns:
        ``vanished_frames`` (gt present, prediction empty), ``object_vanished``,
        ``gt_empty_frames``, ``gt_motion`` / ``pd_motion`` (largest centroid displacement from
        its first visible position, in image diagonals) and ``object_static`` (ground truth moves
        at least STATIC_MIN_GT_MOTION while the prediction moves less than
        STATIC_MAX_MOTION_RATIO of it).
    """
    _check(pred, gt)
    vanished = int(_vanished(pred, gt).sum())
    diag = _diag(gt)

    def motion(c):
        c = c[~np.isnan(c[:, 0])]
        return float(np.max(np.linalg.norm(c - c[0], axis=1)) / diag) if len(c) else 0.0

    c_pd, c_gt = _centroid_pair(pred, gt)
    gt_motion, pd_motion = motion(c_gt), motion(c_pd)
    static = gt_motion >= STATIC_MIN_GT_MOTION and pd_motion < STATIC_MAX_MOTION_RATIO * gt_motion
    return {
        "vanished_frames": vanished,
        "object_vanished": vanished > 0,
        "gt_empty_frames": int((~_present(pred, gt)[1]).sum()),
        "gt_motion": gt_motion,
        "pd_motion": pd_motion,
        "object_static": bool(static),
    }


# --------------------------------------------------------------------------------------------
# physical units (evaluation.physical): relative error of the prediction's constant
# --------------------------------------------------------------------------------------------
def _physical(constant: str, doc: str):
    def fn(pd, gt):
        return physical.relative_error(pd, gt, constant)

    fn.__doc__ = doc
    return fn


for _name, _constant, _doc in (
    ("g_est", "g", "|g_pred − g_gt| / g_gt: gravity from the fall, the bounce flights or the pendulum's period"),
    ("mu_est", "mu", "|μ_pred − μ_gt| / μ_gt: friction from the slide's acceleration down the ramp"),
    ("e_est", "e", "|e_pred − e_gt| / e_gt: restitution from the velocities at the first bounce"),
    ("momentum_ratio", "momentum_ratio", "relative error of momentum after / before the collision"),
    ("rolling_accel_ratio", "rolling_accel_ratio", "relative error of a_roll / (g sin θ) down the ramp"),
):
    register_metric(_name, higher_is_better=False, constant=_constant)(_physical(_constant, _doc))


@dataclass(frozen=True)
class PhysicsInputs:
    """What the physical-unit metrics read beyond the scored object's masks.

    ``pred_all`` / ``gt_all``: ``bool [T, N, H, W]`` every object (aligned like the scored masks),
    ``geometry``: from the ground truth's ``clip_info.json``; ``main``: the scored object's index.
    """

    pred_all: np.ndarray
    gt_all: np.ndarray
    geometry: physical.Geometry
    main: int


def physical_record(inputs: PhysicsInputs, fps: float, names: list[str]) -> tuple[dict, dict]:
    """The physical-unit metrics of one video that apply to its scenario, and the ``physics`` record.

    A metric whose estimate cannot be made on either side is NaN *and* listed with its reason
    in ``physics.failures`` (counted in the summary).
    """
    geom = inputs.geometry
    gt = physical.estimate(inputs.gt_all, fps, geom, inputs.main)
    pd = physical.estimate(inputs.pred_all, fps, geom, inputs.main)
    have = set(physical.SCENARIO_CONSTANTS.get(geom.scenario, ()))
    values, failures = {}, {}
    for name in names:
        spec = METRICS[name]
        if not spec.physical or spec.constant not in have:
            continue
        err = spec.fn(pd, gt)
        values[name] = math.nan if err is None else float(err)
        if err is None:
            c = spec.constant
            failures[name] = f"ground truth: {gt.why_not(c)}" if c not in gt.values else pd.why_not(c)
    record = {"scenario": geom.scenario, "gt": gt.to_json(), "pd": pd.to_json(), "failures": failures}
    return values, record


def compute_all(
    pred: np.ndarray,
    gt: np.ndarray,
    fps: float,
    names: list[str] | None = None,
    centroids: bool = False,
    physics: PhysicsInputs | None = None,
) -> dict:
    """Every registered metric (or ``names``) on one video, plus its diagnostics (geometry computed once).

    ``centroids=True`` adds ``centroids``: ``{"gt": [[x, y], ...], "pd": ...}`` (pixels, None where empty).
    ``physics`` adds the physical-unit metrics of the clip's scenario and a ``physics`` record
    (both sides' estimates, failures); without it they are left out.
    """
    names = list(names or METRICS)
    mask_names = [n for n in names if not METRICS[n].physical]
    with _sharing():
        if _kernel() is not None and any(n in CHAMFER_METRICS for n in mask_names):
            _piece("chamfer", pred, gt)  # the one full pass every other piece then reads
        out = {name: METRICS[name].compute(pred, gt, fps) for name in mask_names}
        if physics is not None:
            values, record = physical_record(physics, fps, names)
            out.update(values)
            out["physics"] = record
        out.update(video_diagnostics(pred, gt))
        if centroids:
            c_pd, c_gt = _centroid_pair(pred, gt)
            out["centroids"] = {"gt": c_gt.tolist(), "pd": c_pd.tolist()}
    return out
