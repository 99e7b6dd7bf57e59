"""Read and validate a training manifest before any training starts.

A manifest is the simulator's CSV (``path,text,num_frames,height,width,aspect_ratio,resolution,
sample,split,mask_strategy``; only ``path`` and ``text`` are required). Every row's sample
directory is checked at start-up — it exists, has enough readable frame files, a readable
``clip_info.json`` and whichever of ``mask.npz`` / ``depth.npz`` / ``flow.npz`` the job needs —
and all problems are reported together, each naming the CSV line and the directory, so a bad
row is an error now rather than a crash hours into a run.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from evaluation.core.errors import ConfigError, InputError, UserError
from evaluation.schema import (
    CLIP_INFO_FILE,
    DEPTH_FILE,
    FLOW_FILE,
    MASK_FILE,
    TRAINING_CSV_REQUIRED,
    SchemaError,
    list_frames,
    read_clip_info,
)

EXTRA_FILES = {"mask": MASK_FILE, "depth": DEPTH_FILE, "flow": FLOW_FILE}
GEOMETRY = "geometry"  # a need read from clip_info.json: the camera and motion plane of physical-unit metrics
MAX_LISTED = 10


class ManifestError(UserError, ValueError):
    """One or more manifest rows point at unusable sample directories."""


@dataclass(frozen=True)
class ManifestRow:
    """One usable training clip."""

    path: str  # sample directory
    text: str
    sample_id: str
    split: str
    line: int  # CSV line number (header = 1)
    fps: float | None = None  # the clip's frame rate (clip_info.json), None when it does not say


def _resolve(path: str, base: Path) -> Path:
    p = Path(path)
    if p.is_absolute() or p.exists() or not (base / p).exists():
        return p
    return base / p


def _check_row(sample: Path, num_frames: int, needs: tuple[str, ...]) -> str | dict:
    """Problem with one sample directory, or its ``clip_info.json``."""
    if not sample.is_dir():
        return "sample directory does not exist"
    try:
        frames = list_frames(sample)
        if len(frames) < num_frames:
            return f"has {len(frames)} frames, training needs {num_frames}"
        for f in frames[:num_frames]:
            if f.stat().st_size == 0:
                return f"{f.name} is empty"
        info = read_clip_info(sample / CLIP_INFO_FILE)
    except SchemaError as e:
        return str(e)
    missing = [EXTRA_FILES[k] for k in needs if k in EXTRA_FILES and not (sample / EXTRA_FILES[k]).is_file()]
    if missing:
        return f"missing {', '.join(missing)}"
    if GEOMETRY in needs:
        from evaluation.physical import Geometry

        try:
            geometry = Geometry.from_clip_info(info)
        except ValueError as e:
            return f"{CLIP_INFO_FILE}: {e}"
        if geometry is None:
            return f"{CLIP_INFO_FILE} records no camera / scenario: physical-unit metrics need a simulated clip"
    return info


def read_manifest(
    csv_path: str | os.PathLike,
    *,
    num_frames: int,
    needs: tuple[str, ...] = (),
    split: str | None = None,
    limit: int | None = None,
) -> list[ManifestRow]:
    """Rows of ``csv_path`` (optionally one ``split``, the first ``limit``), all validated.

    Raises:
        FileNotFoundError: the CSV does not exist.
        ManifestError: missing columns, no rows, or any row whose sample is unusable (all listed).
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise InputError(csv_path, "manifest does not exist (write one with sim_data/generate_parallel.sh)")
    unknown = set(needs) - set(EXTRA_FILES) - {GEOMETRY}
    if unknown:
        raise ConfigError(f"unknown sample needs {sorted(unknown)}; known: {sorted([*EXTRA_FILES, GEOMETRY])}")
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        missing_cols = [c for c in TRAINING_CSV_REQUIRED if c not in (reader.fieldnames or [])]
        if missing_cols:
            raise ManifestError(f"{csv_path}: missing column(s) {missing_cols} (header: {reader.fieldnames})")
        records = list(enumerate(reader, start=2))
    rows, problems = [], []
    for line, rec in records:
        if split is not None and rec.get("split", "train") != split:
            continue
        if limit is not None and len(rows) >= limit:
            break
        sample = _resolve(rec["path"], csv_path.parent)
        info = _check_row(sample, num_frames, needs)
        if isinstance(info, str):
            problems.append(f"{csv_path}:{line}: {sample}: {info}")
            continue
        sid = rec.get("sample") or sample.name
        rows.append(ManifestRow(str(sample), rec["text"], sid, rec.get("split", "train"), line, info.get("fps")))
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise ManifestError(f"{len(problems)} unusable row(s) in {csv_path}:\n  {listed}{more}")
    if not rows:
        raise ManifestError(f"{csv_path}: no rows" + (f" with split {split!r}" if split else ""))
    return rows


def frame_rates(rows: list[ManifestRow]) -> dict[str, int]:
    """How many clips are at each frame rate (``"unknown"`` when clip_info.json does not say)."""
    out: dict[str, int] = {}
    for r in rows:
        key = "unknown" if r.fps is None else f"{r.fps:g}"
        out[key] = out.get(key, 0) + 1
    return out
