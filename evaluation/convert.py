r"""Convert PisaBench samples to a model's square resolution R×R.

Usage::

    python -m evaluation.convert configs/data_processing/convert_real.py \
        --src-root data/pisabench/real --dst-root data/pisabench/real_256 --resolution 256
    python -m evaluation.convert configs/data_processing/convert_real.py \
        --config_file configs/data_processing/real_resolution_example.jsonl   # released format

What happens to each sample (as the released converter does for square input):

- frames are resized to R×R (bicubic);
- point annotations are scaled by R / width on both axes;
- ``mask.npz`` is resized nearest-neighbour (output pixel ``i`` takes input pixel
  ``floor((i + 0.5) * side / R)``), ``depth.npz`` the same way, ``flow.npz`` the same way with
  its vectors multiplied by the scale;
- ``clip_info.json`` gets the new ``height``/``width`` and a ``conversion`` record.

Non-square input is refused unless ``--crop center`` (central square) or ``--pad`` (black
borders to a square) is given; points and masks go through the same crop or pad.

Each converted sample is written in a temporary folder and renamed into place with a ``DONE``
record (files, sizes, sha256) and a stage record (the source folder's content fingerprint, the
resolution, crop / pad) written last; a finished sample whose files still match its record and
that the same source and settings made is skipped on re-runs, a damaged one or one of another
source or settings is converted again (and said so), and a folder at
the destination that is not a sample written by this tool is an error (nothing is deleted).
Every sample folder under ``--src-root`` (frames or ``clip_info.json``, symlinks followed) is a
job: one without ``clip_info.json`` fails, it is not skipped. Failures are listed in
``failed-convert.json`` and make the exit status 1 unless ``--allow-failures``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation.core.batch import counts, finish, run_jobs, skipped
from evaluation.core.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError
from evaluation.core.identity import fingerprint, stage_identity
from evaluation.core.outdirs import claim_output_dir, remove_stale_temporaries, sample_state, staged_folder
from evaluation.schema import (
    CLIP_INFO_FILE,
    DEPTH_FILE,
    FLOW_FILE,
    MASK_FILE,
    MOVIE_FILE,
    SIM_FRAME_PREFIX,
    SchemaError,
    find_samples,
    list_frames,
    read_clip_info,
    read_depth,
    read_flow,
    read_frames,
    read_mask,
    write_sample,
)

DEFAULT_CONFIG = "configs/data_processing/convert_real.py"
MIN_RESOLUTION = 8  # smallest output side; below it masks of small objects vanish


@dataclass
class ConvertArgs:
    """The ``convert`` config section."""

    config_file: str | None = None  # released JSONL: {"src_video", "dst_video", "resolution"}
    src_root: str | None = "data/pisabench/real"  # or: every sample under src_root → same relative path under dst_root
    dst_root: str | None = "data/pisabench/real_256"
    resolution: int = 256
    crop: str | None = None  # "center": central square of non-square input
    pad: bool = False  # pad non-square input to a square with black borders
    overwrite: bool = False
    allow_failures: bool = False
    write_movie: bool = True
    workers: int = 1

    def __post_init__(self):
        if self.crop not in (None, "center"):
            raise ValueError(f"convert.crop must be None or 'center', got {self.crop!r}")
        if self.crop and self.pad:
            raise ValueError("give at most one of --crop center and --pad")
        if self.resolution < MIN_RESOLUTION:
            raise ValueError(f"convert.resolution must be at least {MIN_RESOLUTION}, got {self.resolution}")


@dataclass(frozen=True)
class Geometry:
    """Square crop/pad of an H×W image followed by a resize to R×R.

    ``y0, x0``: offset of the square's top-left corner in source pixels (negative = padding);
    ``side``: the square's side in source pixels; ``resolution``: R.
    """

    height: int
    width: int
    y0: int
    x0: int
    side: int
    resolution: int

    @property
    def scale(self) -> float:
        """Output pixels per source pixel."""
        return self.resolution / self.side


def plan_geometry(height: int, width: int, resolution: int, *, crop: str | None, pad: bool, where="input") -> Geometry:
    """The square to cut (or pad to) before resizing; non-square input needs ``crop`` or ``pad``."""
    if height == width:
        return Geometry(height, width, 0, 0, width, resolution)
    if crop == "center":
        side = min(height, width)
        return Geometry(height, width, (height - side) // 2, (width - side) // 2, side, resolution)
    if pad:
        side = max(height, width)
        return Geometry(height, width, -((side - height) // 2), -((side - width) // 2), side, resolution)
    raise SchemaError(where, f"frames are {width}x{height}, not square; use --crop center or --pad")


def _square(arr: np.ndarray, g: Geometry, h_axis: int) -> np.ndarray:
    """Crop or pad axes ``h_axis`` (H) and ``h_axis + 1`` (W) to ``side × side`` (fill 0)."""
    out_shape = list(arr.shape)
    out_shape[h_axis] = out_shape[h_axis + 1] = g.side
    out = np.zeros(out_shape, dtype=arr.dtype)
    sy, sx = max(g.y0, 0), max(g.x0, 0)  # source window
    dy, dx = max(-g.y0, 0), max(-g.x0, 0)  # destination offset
    hh, ww = min(g.height - sy, g.side - dy), min(g.width - sx, g.side - dx)
    src = [slice(None)] * arr.ndim
    dst = [slice(None)] * arr.ndim
    src[h_axis], src[h_axis + 1] = slice(sy, sy + hh), slice(sx, sx + ww)
    dst[h_axis], dst[h_axis + 1] = slice(dy, dy + hh), slice(dx, dx + ww)
    out[tuple(dst)] = arr[tuple(src)]
    return out


def nearest_index(side: int, resolution: int) -> np.ndarray:
    """Source index of every output pixel for nearest-neighbour resizing: ``floor((i + 0.5) * side / R)``."""
    return np.minimum(((np.arange(resolution) + 0.5) * side / resolution).astype(np.int64), side - 1)


def convert_frames(frames: np.ndarray, g: Geometry) -> np.ndarray:
    """``uint8 [T, H, W, 3]`` → ``uint8 [T, R, R, 3]`` (crop/pad, then bicubic resize)."""
    sq = _square(frames, g, h_axis=1)
    r = g.resolution
    if g.side == r:
        return sq
    return np.stack([np.asarray(Image.fromarray(f).resize((r, r), Image.Resampling.BICUBIC)) for f in sq])


def convert_nearest(arr: np.ndarray, g: Geometry, h_axis: int) -> np.ndarray:
    """Nearest-neighbour crop/pad + resize of axes ``h_axis``, ``h_axis + 1`` (masks, depth, flow)."""
    idx = nearest_index(g.side, g.resolution)
    return np.take(np.take(_square(arr, g, h_axis), idx, axis=h_axis), idx, axis=h_axis + 1)


def convert_points(points: list[dict], g: Geometry, where="clip_info.json") -> tuple[list[dict], int]:
    """Move point prompts through the crop/pad and scale (pixel coordinates, x right, y down).

    Returns:
        The moved points and the number of negative points dropped because the crop cut them
        off. A positive point that the crop cuts off is an error (the object would lose its
        prompt).
    """
    dropped = 0
    out = []
    for i, obj in enumerate(points):
        moved = {}
        for kind in ("positive", "negative"):
            kept = []
            for pt in obj.get(kind, []):
                x, y = (pt[0] - g.x0) * g.scale, (pt[1] - g.y0) * g.scale
                if 0 <= x <= g.resolution and 0 <= y <= g.resolution:
                    kept.append([x, y])
                elif kind == "negative":
                    dropped += 1
                else:
                    raise SchemaError(where, f"points[{i}].positive {pt} falls outside the cropped square")
            moved[kind] = kept
        out.append({**obj, **moved})
    return out, dropped


CONVERT_VERSION = 1  # bump when a change of this module changes the samples it writes


def conversion_identity(src: Path, args: ConvertArgs, resolution: int) -> dict:
    """The stage record of one converted sample: the source folder's content and the geometry settings."""
    settings = {"resolution": resolution, "crop": args.crop, "pad": args.pad, "write_movie": args.write_movie}
    return stage_identity("convert", CONVERT_VERSION, inputs={"source": fingerprint(src)}, settings=settings)


def convert_sample(src: Path, dst: Path, args: ConvertArgs, resolution: int | None = None) -> str:
    """Convert one sample directory; returns ``"done"`` or ``"skipped"`` (already converted).

    Raises:
        SchemaError: the source is unreadable or inconsistent, or ``dst`` exists and is not a
            sample this tool wrote (nothing is written at ``dst``, so a re-run retries it).
    """
    r = args.resolution if resolution is None else resolution
    ident = conversion_identity(src, args, r)
    state, diffs = sample_state(dst, ident)
    if state == "same" and not args.overwrite:
        return "skipped"
    if state.startswith("broken"):
        print(f"{dst}: {state}; converting it again")
    elif state == "changed":
        print(f"{dst}: made from another source or with other settings ({'; '.join(diffs[:2])}); converting it again")
    frames = read_frames(src, require_square=False)
    t, h, w = frames.shape[:3]
    info_path = src / CLIP_INFO_FILE
    if not info_path.is_file():
        raise SchemaError(info_path, "missing clip_info.json")
    info = read_clip_info(info_path, height=h, width=w)
    for key, got in (("height", h), ("width", w), ("num_frames", t)):
        if key in info and info[key] != got:
            raise SchemaError(info_path, f"{key} is {info[key]} but the frames give {got}")
    g = plan_geometry(h, w, r, crop=args.crop, pad=args.pad, where=src)
    mask = depth = flow = None
    if (src / MASK_FILE).exists():
        mask = convert_nearest(read_mask(src / MASK_FILE, num_frames=t, height=h, width=w, require_square=False), g, 2)
    if (src / DEPTH_FILE).exists():
        depth = convert_nearest(read_depth(src / DEPTH_FILE), g, 1)
    if (src / FLOW_FILE).exists():
        flow = convert_nearest(read_flow(src / FLOW_FILE).astype(np.float32), g, 1) * g.scale
    new_info = dict(info)
    dropped = 0
    if "points" in info:
        new_info["points"], dropped = convert_points(info["points"], g, where=info_path)
    new_info.update(height=r, width=r, num_frames=t)
    if "fps" not in info:
        raise SchemaError(info_path, "clip_info.json has no fps")
    new_info["conversion"] = {
        "source": str(src),
        "source_size": [h, w],
        "resolution": r,
        "mode": "crop_center" if args.crop else ("pad" if args.pad and h != w else "resize"),
        "dropped_negative_points": dropped,
    }
    prefix = SIM_FRAME_PREFIX if list_frames(src)[0].name.startswith(SIM_FRAME_PREFIX) else ""
    with staged_folder(dst, ident) as tmp:
        write_sample(
            tmp,
            frames=convert_frames(frames, g),
            clip_info=new_info,
            mask=mask,
            depth=depth,
            flow=flow,
            frame_prefix=prefix,
            movie=args.write_movie and (src / MOVIE_FILE).exists(),
        )
    return "done"


def _resolution(value, where) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(where, f"resolution must be an integer, got {value!r}")
    if value < MIN_RESOLUTION:
        raise SchemaError(where, f"resolution must be at least {MIN_RESOLUTION} pixels, got {value}")
    return value


def _check_pair(src: Path, dst: Path, where) -> None:
    s, d = Path(os.path.realpath(src)), Path(os.path.realpath(dst))
    if s == d:
        raise SchemaError(where, f"destination {dst} is the source itself; choose another destination")
    if s in d.parents:
        raise SchemaError(where, f"destination {dst} lies inside the source {src}; choose a folder outside it")


def plan_jobs(args: ConvertArgs) -> list[tuple[Path, Path, int]]:
    """``(src, dst, resolution)`` per sample from the JSONL config or the directory roots.

    Raises:
        SchemaError: unreadable config, a bad line (naming it), a resolution that is not an
            integer >= 8, a destination equal to or inside its source, two lines with one
            destination, or a source root without samples.
    """
    if args.config_file:
        path = Path(args.config_file)
        if not path.is_file():
            raise SchemaError(path, "conversion config does not exist")
        jobs, seen = [], {}
        for lineno, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                rec = json.loads(line)
                src, dst = Path(rec["src_video"]), Path(rec["dst_video"])
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise SchemaError(where, f"expected {{'src_video', 'dst_video', 'resolution'}} ({e})") from e
            r = _resolution(rec["resolution"], where) if "resolution" in rec else args.resolution
            _check_pair(src, dst, where)
            key = os.path.realpath(dst)
            if key in seen:
                raise SchemaError(where, f"dst_video {dst} is also the destination of line {seen[key]}")
            seen[key] = lineno
            jobs.append((src, dst, r))
        if not jobs:
            raise SchemaError(path, "conversion config has no lines")
        return jobs
    if not (args.src_root and args.dst_root):
        raise ConfigError("give --config_file, or --src-root and --dst-root")
    src_root, dst_root = Path(args.src_root), Path(args.dst_root)
    if not src_root.is_dir():
        raise SchemaError(src_root, "source root does not exist")
    _check_pair(src_root, dst_root, "--dst-root")
    samples = find_samples(src_root)
    if not samples:
        raise SchemaError(src_root, "no samples (folders with frames or clip_info.json) found")
    return [(s, dst_root / s.relative_to(src_root), args.resolution) for s in samples]


def _job(job, args):
    src, dst, r = job
    if convert_sample(src, dst, args, r) == "skipped":
        return skipped()
    return "converted"


def _job_key(job) -> str:
    return str(job[0])


def run(cfg) -> int:
    """Convert every sample; returns the exit status."""
    args = section(cfg, "convert", ConvertArgs)
    jobs = plan_jobs(args)
    if args.dst_root and not args.config_file:
        claim_output_dir(args.dst_root, "convert")
    parents = {dst.parent for _, dst, _ in jobs}
    for parent in parents:
        for p in remove_stale_temporaries(parent):
            print(f"removed {p} (left by a killed run)")
    outcomes = run_jobs(
        jobs, partial(_job, args=args), key=_job_key, workers=args.workers, desc="converting", unit="video"
    )
    n = counts(outcomes)
    print(f"converted {n['done']}, already done {n['skipped']}, failed {n['failed']} of {len(jobs)}")
    if args.config_file:  # the failure record goes where the converted samples go
        out_dir = Path(os.path.commonpath([os.path.abspath(dst.parent) for _, dst, _ in jobs]))
    else:
        out_dir = Path(args.dst_root)
    return finish(
        out_dir,
        "convert",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        info={"config": config_to_dict(cfg)},
    )


def _flags(p):
    p.add_argument("--config_file", help="released JSONL lines {src_video, dst_video, resolution}")
    p.add_argument("--src-root", "--src_root", dest="src_root", help="directory of samples to convert")
    p.add_argument("--dst-root", "--dst_root", dest="dst_root", help="where converted samples go (same relative paths)")
    p.add_argument("--resolution", type=int, help="output side R (frames become R×R)")
    p.add_argument("--crop", choices=["center"], help="cut the central square of non-square frames")
    p.add_argument("--pad", action="store_true", default=None, help="pad non-square frames to a square (black)")
    p.add_argument("--overwrite", action="store_true", default=None, help="redo samples that are already converted")
    p.add_argument(
        "--allow-failures",
        dest="allow_failures",
        action="store_true",
        default=None,
        help="exit 0 even if samples failed",
    )
    p.add_argument("--workers", type=int, help="parallel processes")


def main(argv=None) -> int:
    """Parse the command line and convert."""
    flags, cfg = parse_cli(
        argv, prog="python -m evaluation.convert", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=_flags
    )
    copy_flags(
        cfg,
        "convert",
        flags,
        (
            "config_file",
            "src_root",
            "dst_root",
            "resolution",
            "crop",
            "pad",
            "overwrite",
            "allow_failures",
            "workers",
        ),
    )
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
