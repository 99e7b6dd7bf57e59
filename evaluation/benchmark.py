"""PisaBench evaluation steps: inputs, time alignment, object selection, per-video scoring, aggregation.

The released protocol (PISA release: ``eval.py``, ``utils/metrics.py``, ``configs/eval/real_example.jsonl``), kept exactly:

1. Ground-truth and predicted masks are ``mask.npz`` files ``[T, N, H, W]`` of the same square
   resolution (convert first with ``python -m evaluation.convert``).
2. Only the dropped object is scored: the object whose positive points are highest in the image
   (smallest y) when a ground-truth annotation is given (real clips), else the last object
   (simulated clips). The prediction's object with the same index is used; a prediction mask
   with a single object is taken to be that object.
3. Predicted frame ``i`` is compared with ground-truth frame ``int(i * gt_fps / pd_fps)``;
   predicted frames past the end of the ground truth are dropped.
4. Metrics per video (``evaluation.metrics``), then means over videos (NaN skipped) with
   bootstrap 95 % intervals.

Departures from the released code: a video that cannot be read or does not match its ground
truth is an error (listed, exit status 1) instead of being skipped silently; ``allow_missing``
turns failures into counted, listed omissions.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evaluation import metrics as M
from evaluation import physical
from evaluation.core.errors import ConfigError
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, SchemaError, find_samples, read_clip_info, read_mask

NEWTON_SPLITS = ("newton", *(f"newton_{s}" for s in physical.SCENARIOS))
SPLITS = ("real", "sim_seen", "sim_unseen", "custom", *NEWTON_SPLITS)
# A worker process starts in about a second (imports, loading the compiled metric kernel): the time
# one process takes to read and score ~120 videos. With fewer per worker the pool is slower.
VIDEOS_PER_WORKER = 128
OBJECT_SELECTION = ("auto", "last", "highest_point")


@dataclass
class EvalArgs:
    """The ``eval`` config section (configs/eval/*.py)."""

    benchmark_version: str = "pisabench-1.0"
    split: str = "custom"  # column group in the paper table: real | sim_seen | sim_unseen | custom
    model: str = "model"
    config_file: str | None = None  # released JSONL manifest
    gt_root: str | None = None  # or: directories of samples matched by sample id
    pred_root: str | None = None
    gt_fps: float | None = None  # directory mode, when clip_info.json has no fps
    pd_fps: float | None = None
    output_dir: str = "outputs/eval/run"
    object_selection: str = "auto"  # auto | last | highest_point
    metrics: list[str] | None = None  # None = every registered metric
    allow_missing: bool = False
    allow_short: bool = False  # score predictions shorter than the ground truth on the overlap (flagged)
    workers: int = 0  # processes over videos; 0 = one per core (a pool only for >= VIDEOS_PER_WORKER videos each)
    bootstrap_samples: int = 1000
    seed: int = 0

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"eval.split must be one of {SPLITS}, got {self.split!r}")
        if self.object_selection not in OBJECT_SELECTION:
            raise ValueError(f"eval.object_selection must be one of {OBJECT_SELECTION}, got {self.object_selection!r}")
        unknown = sorted(set(self.metrics or []) - set(M.METRICS))
        if unknown:
            raise ValueError(f"eval.metrics: unknown metric(s) {unknown}; known: {sorted(M.METRICS)}")
        if self.workers < 0 or self.bootstrap_samples < 0:
            raise ValueError("eval.workers must be >= 0 (0 = one per core) and eval.bootstrap_samples >= 0")

    def worker_count(self, num_videos: int) -> int:
        """Processes to use: ``workers`` (0 = the machine's cores), no more than the videos justify."""
        want = self.workers or (os.cpu_count() or 1)
        return max(1, min(want, num_videos // VIDEOS_PER_WORKER))


@dataclass(frozen=True)
class EvalItem:
    """One ground-truth / prediction pair, as a manifest line or a matched sample id names it."""

    index: int
    sample_id: str
    gt_mask: str
    gt_fps: float
    pd_mask: str
    pd_fps: float
    gt_annotation: str | None = None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
def _resolve(path: str, base: Path) -> str:
    """Relative paths are taken from the working directory, else from the manifest's folder."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (base / p).exists():
        return str(p)
    return str(base / p)


def _positive_fps(value, where) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise SchemaError(where, f"fps must be a positive number, got {value!r}")
    return float(value)


def load_manifest(path: str | os.PathLike) -> list[EvalItem]:
    """Read a released-format JSONL manifest (``gt_mask``, ``gt_fps``, ``gt_annotation``?, ``pd_mask``, ``pd_fps``).

    Raises:
        SchemaError: unreadable file, invalid JSON or missing/invalid keys (naming the line).
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaError(path, "manifest does not exist")
    items = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise SchemaError(path, f"cannot read manifest ({e})") from e
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise SchemaError(where, f"invalid JSON ({e})") from e
        if not isinstance(rec, dict):
            raise SchemaError(where, "each line must be a JSON object")
        missing = [k for k in ("gt_mask", "gt_fps", "pd_mask", "pd_fps") if k not in rec]
        if missing:
            raise SchemaError(where, f"missing key(s) {missing}")
        if not all(isinstance(rec[k], str) and rec[k] for k in ("gt_mask", "pd_mask")):
            raise SchemaError(where, "gt_mask and pd_mask must be non-empty paths")
        gt_mask = _resolve(rec["gt_mask"], path.parent)
        ann = rec.get("gt_annotation")
        ann = os.path.realpath(_resolve(ann, path.parent)) if ann else None
        item = EvalItem(
            index=len(items),
            sample_id=rec.get("sample_id") or Path(rec["gt_mask"]).parent.name,
            gt_mask=gt_mask,
            gt_fps=_positive_fps(rec["gt_fps"], where),
            pd_mask=_resolve(rec["pd_mask"], path.parent),
            pd_fps=_positive_fps(rec["pd_fps"], where),
            gt_annotation=ann,
            extra={"gt_mask_arg": rec["gt_mask"], "pd_mask_arg": rec["pd_mask"]},
        )
        pair = (os.path.realpath(item.gt_mask), os.path.realpath(item.pd_mask), item.gt_annotation)
        if pair in first_line:
            raise SchemaError(
                where,
                f"duplicates line {first_line[pair]} (same gt_mask, pd_mask and gt_annotation): it would be scored twice",
            )
        first_line[pair] = lineno
        items.append(item)
    if not items:
        raise SchemaError(path, "manifest has no entries")
    return items


def _fps_of(sample: Path, fallback: float | None, what: str) -> float:
    info_path = sample / CLIP_INFO_FILE
    if info_path.is_file():
        info = read_clip_info(info_path)
        if "fps" in info:
            return float(info["fps"])
    if fallback is None:
        raise SchemaError(info_path, f"no fps for the {what} (add it to clip_info.json or set eval.{what}_fps)")
    return float(fallback)


def items_from_dirs(args: EvalArgs) -> list[EvalItem]:
    """Pair every ground-truth sample with ``pred_root/<same id>/mask.npz``.

    Samples are folders with frames or ``clip_info.json`` (symlinks followed). A ground-truth sample without ``mask.npz`` or a missing prediction still yields an item, so
    it is reported as a failure, never silently left out of the split.
    """
    gt_root, pred_root = Path(args.gt_root), Path(args.pred_root)
    if not gt_root.is_dir():
        raise SchemaError(gt_root, "ground-truth root does not exist")
    if not pred_root.is_dir():
        raise SchemaError(pred_root, "prediction root does not exist")
    samples = find_samples(gt_root)
    if not samples:
        raise SchemaError(gt_root, "no samples (folders with frames or clip_info.json) under the ground-truth root")
    items = []
    for sample in samples:
        sid = sample.relative_to(gt_root).as_posix()
        pred = pred_root / sid
        info_path = sample / CLIP_INFO_FILE
        has_points = info_path.is_file() and "points" in read_clip_info(info_path)
        items.append(
            EvalItem(
                index=len(items),
                sample_id=sid,
                gt_mask=str(sample / MASK_FILE),
                gt_fps=_fps_of(sample, args.gt_fps, "gt"),
                pd_mask=str(pred / MASK_FILE),
                pd_fps=_fps_of(pred, args.pd_fps, "pd") if pred.is_dir() else math.nan,  # NaN: missing
                gt_annotation=str(info_path) if has_points and args.object_selection != "last" else None,
            )
        )
    return items


def load_items(args: EvalArgs) -> list[EvalItem]:
    """Items from ``config_file`` or from ``gt_root``/``pred_root`` (exactly one must be given)."""
    if bool(args.config_file) == bool(args.gt_root or args.pred_root):
        raise ConfigError("give either --config_file or both --gt-root and --pred-root")
    if args.config_file:
        return load_manifest(args.config_file)
    if not (args.gt_root and args.pred_root):
        raise ConfigError("--gt-root and --pred-root must be given together")
    return items_from_dirs(args)


# --------------------------------------------------------------------------------------------
# protocol steps (pure)
# --------------------------------------------------------------------------------------------
def align_indices(num_pd: int, num_gt: int, gt_fps: float, pd_fps: float) -> np.ndarray:
    """Ground-truth frame for each predicted frame, ``int(i * gt_fps / pd_fps)``, cut at the GT length.

    Returns:
        ``int [T']`` with ``T' <= num_pd``: predicted frames ``0..T'-1`` map to these GT frames.
    """
    idx = [int(i * gt_fps / pd_fps) for i in range(num_pd)]
    return np.array([j for j in idx if j < num_gt], dtype=np.int64)


def select_object(num_objects: int, points: list | None, mode: str) -> int:
    """Index of the evaluated (dropped) object.

    ``highest_point``: the object whose highest positive point has the smallest y (real clips);
    ``last``: the last object (simulated clips); ``auto``: ``highest_point`` when points are
    given, else ``last``.
    """
    if mode == "auto":
        mode = "highest_point" if points else "last"
    if mode == "last":
        return num_objects - 1
    if not points:
        raise ValueError("object_selection 'highest_point' needs point annotations (gt_annotation)")
    if len(points) != num_objects:
        raise ValueError(f"{len(points)} annotated objects but the mask has {num_objects}")
    tops = [min(p[1] for p in obj["positive"]) for obj in points]
    return int(np.argmin(tops))


# --------------------------------------------------------------------------------------------
# one video
# --------------------------------------------------------------------------------------------
def _read_checked_mask(path: str) -> np.ndarray:
    """``read_mask`` plus: the frame count must equal ``num_frames`` of a ``clip_info.json`` beside it."""
    mask = read_mask(path)
    info_path = Path(path).parent / CLIP_INFO_FILE
    if info_path.is_file():
        n = read_clip_info(info_path).get("num_frames")
        if n is not None and n != mask.shape[0]:
            raise SchemaError(path, f"mask has {mask.shape[0]} frames but {info_path} says num_frames={n}")
    return mask


def is_short(num_pd: int, num_gt: int, gt_fps: float, pd_fps: float) -> bool:
    """The prediction ends before the ground truth: ``(num_pd + 0.5) / pd_fps < num_gt / gt_fps``.

    Half a predicted frame of slack absorbs the off-by-one of frame-count conventions (PisaBench
    real: 32 frames at 16 fps against 240 at 120 fps is not short; 31 frames is).
    """
    return (num_pd + 0.5) / pd_fps < num_gt / gt_fps


def load_pair(item: EvalItem, mode: str) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Read, check and align one pair: ``(pred bool [T', H, W], gt bool [T', H, W], object index, short)``."""
    pd, gt, k, short, _ = load_pair_all(item, mode)
    return pd, gt, k, short


def load_pair_all(item: EvalItem, mode: str) -> tuple[np.ndarray, np.ndarray, int, bool, M.PhysicsInputs | None]:
    """:func:`load_pair` plus what the physical-unit metrics read (None for clips without geometry).

    The geometry comes from the ``clip_info.json`` beside the ground-truth mask; the prediction's
    objects must be the ground truth's (same count) for a scenario that reads several objects.
    """
    if not Path(item.gt_mask).is_file():
        raise SchemaError(item.gt_mask, "ground-truth mask does not exist (every ground-truth sample needs mask.npz)")
    gt = _read_checked_mask(item.gt_mask)
    pd = _read_checked_mask(item.pd_mask)
    if pd.shape[2:] != gt.shape[2:]:
        raise SchemaError(
            item.pd_mask,
            f"prediction is {pd.shape[3]}x{pd.shape[2]} but ground truth {item.gt_mask} is "
            f"{gt.shape[3]}x{gt.shape[2]}; convert one of them (python -m evaluation.convert)",
        )
    points = None
    if item.gt_annotation:
        info = read_clip_info(item.gt_annotation, height=gt.shape[2], width=gt.shape[3])
        points = info.get("points")
    try:
        k = select_object(gt.shape[1], points, mode)
    except ValueError as e:
        raise SchemaError(item.gt_annotation or item.gt_mask, str(e)) from e
    if pd.shape[1] == 1:
        k_pd = 0
    elif pd.shape[1] == gt.shape[1]:
        k_pd = k
    else:
        raise SchemaError(item.pd_mask, f"prediction has {pd.shape[1]} objects, ground truth has {gt.shape[1]}")
    idx = align_indices(pd.shape[0], gt.shape[0], item.gt_fps, item.pd_fps)
    if len(idx) == 0:
        raise SchemaError(item.pd_mask, "no predicted frame falls inside the ground-truth clip")
    short = is_short(pd.shape[0], gt.shape[0], item.gt_fps, item.pd_fps)
    physics = None
    info_path = Path(item.gt_mask).parent / CLIP_INFO_FILE
    if info_path.is_file():
        try:
            geometry = physical.Geometry.from_clip_info(read_clip_info(info_path))
        except ValueError as e:
            raise SchemaError(info_path, str(e)) from e
        if geometry is not None:
            pd_all = pd[: len(idx)] if pd.shape[1] == gt.shape[1] else np.zeros((len(idx), *gt.shape[1:]), bool)
            if pd.shape[1] == 1:
                pd_all[:, k] = pd[: len(idx), 0]
            physics = M.PhysicsInputs(pd_all, gt[idx], geometry, k)
    return pd[: len(idx), k_pd], gt[idx, k], k, short, physics


def evaluate_item(item: EvalItem, args: EvalArgs) -> dict:
    """Score one pair; never raises for bad data: failures come back as ``status: failed`` records."""
    record = {
        "index": item.index,
        "sample_id": item.sample_id,
        "model": args.model,
        "gt_mask": item.extra.get("gt_mask_arg", item.gt_mask),
        "pd_mask": item.extra.get("pd_mask_arg", item.pd_mask),
        "gt_fps": item.gt_fps,
        "pd_fps": item.pd_fps,
        "found": Path(item.gt_mask).is_file() and Path(item.pd_mask).is_file(),
    }
    try:
        if not math.isfinite(item.pd_fps):
            raise SchemaError(Path(item.pd_mask).parent, "prediction sample directory is missing")
        pred, gt, k, short, physics = load_pair_all(item, args.object_selection)
        if short and not args.allow_short:
            raise SchemaError(
                item.pd_mask,
                f"short_prediction: {pred.shape[0]} frames at {item.pd_fps:g} fps end before the ground truth "
                f"({item.gt_mask}) does; --allow-short scores the overlap and flags it",
            )
        values = M.compute_all(pred, gt, item.pd_fps, args.metrics, centroids=True, physics=physics)
    except SchemaError as e:
        return {**record, "status": "failed", "error": str(e)}
    record.update(
        status="ok",
        object_index=k,
        frames_evaluated=int(gt.shape[0]),
        height=int(gt.shape[1]),
        short_prediction=bool(short),
        **values,  # with "centroids": [T', 2] (x, y) px
    )
    record["gt_dir"] = str(Path(item.gt_mask).resolve().parent)  # the sample folders, for pages and figures
    record["pd_dir"] = str(Path(item.pd_mask).resolve().parent)
    return record


# --------------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------------
def bootstrap_ci(values: np.ndarray, samples: int, seed: int) -> tuple[float, float]:
    """Percentile bootstrap 95 % interval of the mean (NaN values dropped first)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if len(v) == 0 or samples == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(samples, len(v)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def summarize(records: list[dict], args: EvalArgs) -> dict:
    """Means (NaN skipped, as released), bootstrap intervals, directions, counts and failures."""
    ok = [r for r in records if r["status"] == "ok"]
    failed = [r for r in records if r["status"] != "ok"]
    names = args.metrics or list(M.METRICS)
    metrics = {}
    for i, name in enumerate(names):
        spec = M.METRICS[name]
        have = [r for r in ok if name in r]  # physical-unit metrics: only the clips of their scenarios
        if spec.physical and not have:
            continue
        vals = np.array([r[name] for r in have], dtype=np.float64)
        finite = vals[~np.isnan(vals)]
        lo, hi = bootstrap_ci(vals, args.bootstrap_samples, args.seed + i)
        if spec.physical:
            none = [r for r in have if name in r["physics"]["failures"]]
            extra = {"failed": len(none), "failure_reasons": _reasons(r["physics"]["failures"][name] for r in none)}
        else:
            extra = {}
        metrics[name] = {
            "mean": float(finite.mean()) if len(finite) else math.nan,
            "ci95": [lo, hi],
            "n": int(len(finite)),
            "higher_is_better": spec.higher_is_better,
            "target": spec.target,
            "paper": spec.paper,
            "description": spec.description,
            **extra,
        }
    return {
        "benchmark_version": args.benchmark_version,
        "split": args.split,
        "model": args.model,
        "counts": {
            "expected": len(records),
            "found": sum(bool(r["found"]) for r in records),
            "evaluated": len(ok),
            "failed": len(failed),
        },
        "metrics": metrics,
        "flags": {
            "videos_with_vanished_object": sum(bool(r.get("object_vanished")) for r in ok),
            "videos_with_static_object": sum(bool(r.get("object_static")) for r in ok),
            "videos_with_short_prediction": sum(bool(r.get("short_prediction")) for r in ok),
        },
        "failures": [{"index": r["index"], "pd_mask": r["pd_mask"], "error": r["error"]} for r in failed],
        "physics": physics_summary(ok, args),
    }


def _reasons(reasons) -> dict:
    out: dict[str, int] = {}
    for r in reasons:
        out[r] = out.get(r, 0) + 1
    return out


def physics_summary(records: list[dict], args: EvalArgs) -> dict:
    """Per scenario and constant: what the predictions imply (mean, bootstrap 95 %) beside the ground truth.

    E.g. ``{"bounce": {"g": {"pred": 6.1, "pred_ci95": [5.4, 6.9], "gt": 9.78, "n": 40, "failed": 2}}}``.
    """
    out: dict = {}
    by_scenario: dict[str, list[dict]] = {}
    for r in records:
        if r.get("physics"):
            by_scenario.setdefault(r["physics"]["scenario"], []).append(r["physics"])
    for j, (scenario, recs) in enumerate(sorted(by_scenario.items())):
        out[scenario] = {}
        for c in physical.SCENARIO_CONSTANTS.get(scenario, ()):
            pd = np.array([x["pd"].get(c, math.nan) for x in recs], dtype=np.float64)
            gt = np.array([x["gt"].get(c, math.nan) for x in recs], dtype=np.float64)
            lo, hi = bootstrap_ci(pd, args.bootstrap_samples, args.seed + 100 + j)
            out[scenario][c] = {
                "pred": float(np.nanmean(pd)) if np.isfinite(pd).any() else math.nan,
                "pred_ci95": [lo, hi],
                "gt": float(np.nanmean(gt)) if np.isfinite(gt).any() else math.nan,
                "unit": physical.UNITS[c],
                "n": int(np.isfinite(pd).sum()),
                "failed": int((~np.isfinite(pd)).sum()),
            }
    return out
