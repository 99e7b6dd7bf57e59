r"""Make ``mask.npz`` for any video with SAM 2, prompted on frame 0.

Usage::

    python -m evaluation.generate_masks configs/data_processing/generate_mask.py \
        --video-root data/pisabench/real_256 --output-root data/pisabench/real_256     # GT masks from points
    python -m evaluation.generate_masks configs/data_processing/generate_mask.py \
        --video-root outputs/predictions/sim --prompt-mask-root data/pisabench/sim_256 \
        --output-root outputs/predictions/sim                                             # generated sim clips
    python -m evaluation.generate_masks ... --config_file masks.jsonl --shard 0/4

Prompts: the ``points`` of the sample's ``clip_info.json`` (one object each, positive/negative),
or, with ``--prompt-mask-root`` (directory mode) / a ``"prompt_mask"`` key (JSONL mode), the
frame-0 masks of a ground-truth ``mask.npz`` — how generated simulated clips get masks. The
output keeps the prompts' object order. Released JSONL lines ``{"video", "annotation", "mask"}``
are accepted (``video``: a folder of frames or an ``.mp4``).

Each ``mask.npz`` is written with a stage record (``.mask.npz.pisa-stage.json``: the video's and
the prompts' content fingerprints, the SAM 2 weights' fingerprint, image size, dtype). On a
rerun a mask whose record matches is skipped; one whose record differs (the video, its prompts
or the weights changed) is made again. A ``mask.npz`` without a record (a user's file or an older
version's) is kept when it reads as a valid mask of the video's length; one that does not read is
an error naming it (nothing is overwritten unless ``--overwrite``). A failed video never leaves a partial
file (atomic write). When anything failed, the run writes only ``failed-masks.json`` (every
failure, the config, the versions) and exits 1 unless ``--allow-failures``; a run without
failures writes ``masks_run.json`` (the adapter's model id, weights sha256 and versions).
``--shard i/n`` processes every n-th video starting at i (one process per GPU); each shard
writes its own records (``masks_run.shard-i-of-n.json``).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from evaluation.core.batch import counts, finish, run_jobs, skipped
from evaluation.core.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError
from evaluation.core.files import write_json
from evaluation.core.identity import compare, files_fingerprint, fingerprint, stage_identity, write_record
from evaluation.schema import (
    CLIP_INFO_FILE,
    MASK_FILE,
    SchemaError,
    find_samples,
    list_frames,
    read_clip_info,
    read_frames,
    read_mask,
    write_mask,
)

DEFAULT_CONFIG = "configs/data_processing/generate_mask.py"


@dataclass
class MaskArgs:
    """The ``masks`` config section."""

    model: str = "facebook/sam2.1-hiera-large"
    device: str = "auto"
    dtype: str = "auto"  # bf16 on GPU, fp32 on CPU
    image_size: int | None = None  # None: the checkpoint's own (1024); e.g. 256 as PISA's fork
    config_file: str | None = None
    video_root: str | None = None
    output_root: str | None = None  # default: next to the video
    prompt_mask_root: str | None = None
    shard: str = "0/1"
    overwrite: bool = False
    allow_failures: bool = False

    def __post_init__(self):
        self.shard_index()  # "i/n" with 0 <= i < n

    def shard_index(self) -> tuple[int, int]:
        """``(i, n)`` from ``"i/n"``."""
        try:
            i, n = (int(v) for v in self.shard.split("/"))
        except ValueError as e:
            raise ConfigError(f"masks.shard: --shard must look like i/n, got {self.shard!r}") from e
        if not 0 <= i < n:
            raise ConfigError(f"masks.shard: --shard {self.shard}: need 0 <= i < n")
        return i, n

    def record_suffix(self) -> str:
        """``""`` for one shard, ``.shard-i-of-n`` otherwise (each shard writes its own records)."""
        i, n = self.shard_index()
        return "" if n == 1 else f".shard-{i}-of-{n}"


@dataclass(frozen=True)
class MaskJob:
    """One video, its prompts and where its masks go."""

    video: str
    annotation: str | None
    prompt_mask: str | None
    output: str


def read_video(path: str | Path) -> np.ndarray:
    """Frames of a sample folder, or of an ``.mp4`` (PyAV), as ``uint8 [T, H, W, 3]``."""
    path = Path(path)
    if path.is_dir():
        return read_frames(path)
    if path.suffix.lower() in (".mp4", ".mov", ".avi", ".webm"):
        import av

        try:
            with av.open(str(path)) as c:
                frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
        except (av.error.FFmpegError, ValueError) as e:
            raise SchemaError(path, f"cannot decode video ({e})") from e
        if frames.shape[1] != frames.shape[2]:
            raise SchemaError(path, f"frames are {frames.shape[2]}x{frames.shape[1]}, not square")
        return frames
    raise SchemaError(path, "not a folder of frames or a video file")


def plan_jobs(args: MaskArgs) -> list[MaskJob]:
    """Jobs from the JSONL config or the directory roots, then this shard's slice.

    Raises:
        SchemaError: unreadable config, a bad line (naming it), two lines writing one mask, or
            a video root without samples.
    """
    jobs = []
    if args.config_file:
        path = Path(args.config_file)
        if not path.is_file():
            raise SchemaError(path, "mask config does not exist")
        seen: dict[str, int] = {}
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                job = MaskJob(rec["video"], rec.get("annotation"), rec.get("prompt_mask"), rec["mask"])
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise SchemaError(f"{path}:{n}", f"expected {{'video', 'annotation', 'mask'}} ({e})") from e
            if not all(isinstance(v, str) and v for v in (job.video, job.output)):
                raise SchemaError(f"{path}:{n}", "'video' and 'mask' must be non-empty paths")
            key = os.path.realpath(job.output)
            if key in seen:
                raise SchemaError(f"{path}:{n}", f"mask {job.output} is also written by line {seen[key]}")
            seen[key] = n
            jobs.append(job)
        if not jobs:
            raise SchemaError(path, "mask config has no lines")
    elif args.video_root:
        root = Path(args.video_root)
        if not root.is_dir():
            raise SchemaError(root, "video root does not exist")
        out_root = Path(args.output_root or root)
        for sample in find_samples(root):
            rel = sample.relative_to(root)
            prompt = str(Path(args.prompt_mask_root) / rel / MASK_FILE) if args.prompt_mask_root else None
            info = sample / CLIP_INFO_FILE
            jobs.append(MaskJob(str(sample), None if prompt else str(info), prompt, str(out_root / rel / MASK_FILE)))
        if not jobs:
            raise SchemaError(root, "no samples (folders with frames or clip_info.json)")
    else:
        raise ConfigError("give --config_file or --video-root")
    i, n = args.shard_index()
    return jobs[i::n]


def prompts_for(job: MaskJob, height: int, width: int) -> dict:
    """``{"points": [...]}`` from the annotation or ``{"masks": bool [N, H, W]}`` from frame 0 of a mask file."""
    if job.prompt_mask:
        m = read_mask(job.prompt_mask, height=height, width=width)[0]
        empty = np.flatnonzero(~m.any(axis=(1, 2)))
        if len(empty):
            raise SchemaError(
                job.prompt_mask,
                f"object {int(empty[0])} is empty in frame 0 (of {m.shape[0]} objects); SAM 2 cannot be prompted "
                "with an empty mask",
            )
        return {"masks": m}
    if not job.annotation:
        raise SchemaError(job.video, "no prompts: give an annotation (clip_info.json with points) or a prompt mask")
    info = read_clip_info(job.annotation, height=height, width=width)
    if "points" not in info:
        raise SchemaError(job.annotation, "has no 'points' to prompt SAM 2 with")
    return {"points": info["points"]}


STAGE_VERSION = 1  # bump when a change of this module changes the masks it writes


def video_fingerprint(video: str | Path) -> str:
    """Content fingerprint of a video: the frames of a sample folder (not its masks) or the file."""
    video = Path(video)
    if video.is_dir():
        return files_fingerprint(video, list_frames(video))
    return fingerprint(video)


def mask_identity(job: MaskJob, args: MaskArgs) -> dict:
    """The stage record of one masks file: the video, its prompts, the SAM 2 weights and settings."""
    return stage_identity(
        "masks",
        STAGE_VERSION,
        inputs={"video": video_fingerprint(job.video), "prompt": fingerprint(job.prompt_mask or job.annotation)},
        settings={"model": fingerprint(args.model), "image_size": args.image_size, "dtype": args.dtype},
    )


def existing_mask_ok(job: MaskJob) -> bool:
    """Whether ``job.output`` already holds a valid mask (skip); a file that does not read is an error.

    Raises:
        SchemaError: the file exists but is truncated, corrupt or of the wrong length — maybe a
            user's file, so it is named and never overwritten without ``--overwrite``.
    """
    out = Path(job.output)
    if not out.exists():
        return False
    num_frames = len(list_frames(job.video)) if Path(job.video).is_dir() else None
    try:
        read_mask(out, num_frames=num_frames)
    except SchemaError as e:
        raise SchemaError(out, f"existing mask is not valid ({e.problem}); pass --overwrite to replace it") from e
    return True


_SEGMENTER: dict = {}  # this process's SAM 2, loaded at the first video that needs it


def _segmenter(args: MaskArgs):
    if "model" not in _SEGMENTER:
        from evaluation.perception.sam2 import Sam2Segmenter

        _SEGMENTER["model"] = Sam2Segmenter(args.model, args.device, args.dtype, args.image_size)
    return _SEGMENTER["model"]


def segment_job(job: MaskJob, args: MaskArgs) -> str:
    """Segment one video with the (per-process) SAM 2 model and write its mask (atomically) and its stage record.

    An existing mask is kept when its record matches (same video, prompts, weights, settings) or,
    without a record (a user's file or an older PISA's), when it reads as a valid mask; one whose
    record differs is ours and made again.
    """
    ident = mask_identity(job, args)
    if not args.overwrite:
        state, _ = compare(job.output, ident)
        if state == "same" or (state == "unrecorded" and existing_mask_ok(job)):
            return skipped(job.output)
    frames = read_video(job.video)
    p = prompts_for(job, frames.shape[1], frames.shape[2])
    try:
        masks = _segmenter(args).segment(frames, points=p.get("points"), masks=p.get("masks"))
    except ValueError as e:  # the segmenter's own prompt checks
        raise SchemaError(job.annotation or job.prompt_mask or job.video, str(e)) from e
    write_mask(job.output, masks)
    write_record(job.output, ident)
    return job.output


def _job_key(job: MaskJob) -> str:
    return job.video


def run(cfg) -> int:
    """Segment every video of this shard; returns the exit status."""
    args = section(cfg, "masks", MaskArgs)
    suffix = args.record_suffix()
    jobs = plan_jobs(args)
    out_dir = Path(args.output_root or args.video_root or Path(args.config_file).parent)
    _SEGMENTER.clear()
    outcomes = run_jobs(jobs, partial(segment_job, args=args), key=_job_key, desc="segmenting", unit="video")
    n = counts(outcomes)
    print(
        f"{len(jobs)} videos in this shard: {n['skipped']} already have masks, {n['done']} segmented, "
        f"{n['failed']} failed"
    )

    record = _SEGMENTER["model"].record if "model" in _SEGMENTER else None

    def write_results() -> None:
        write_json(
            out_dir / f"masks_run{suffix}.json",
            {"adapter": record, "shard": args.shard, "done": n["done"], "skipped": n["skipped"]},
        )

    return finish(
        out_dir,
        f"masks{suffix}",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        write_results=write_results,
        result_names=(f"masks_run{suffix}.json",),
        info={"adapter": record, "config": config_to_dict(cfg)},
    )


def main(argv=None) -> int:
    """Parse the command line and segment."""

    def flags(p):
        p.add_argument("--config_file", help="released JSONL lines {video, annotation, mask} (+ optional prompt_mask)")
        p.add_argument("--video-root", "--video_root", dest="video_root", help="folder of samples to segment")
        p.add_argument(
            "--output-root",
            "--output_root",
            dest="output_root",
            help="where mask.npz files go (default: next to the frames)",
        )
        p.add_argument(
            "--prompt-mask-root",
            "--prompt_mask_root",
            dest="prompt_mask_root",
            help="prompt with frame 0 of these samples' mask.npz",
        )
        p.add_argument("--model", help="SAM 2 hub id or local folder")
        p.add_argument("--shard", help="i/n: this process's share of the videos")
        p.add_argument("--overwrite", action="store_true", default=None, help="redo videos that have masks")
        p.add_argument(
            "--allow-failures", dest="allow_failures", action="store_true", default=None, help="exit 0 despite failures"
        )

    flags_ns, cfg = parse_cli(
        argv,
        prog="python -m evaluation.generate_masks",
        description=__doc__,
        default_config=DEFAULT_CONFIG,
        add_flags=flags,
    )
    copy_flags(
        cfg,
        "masks",
        flags_ns,
        (
            "config_file",
            "video_root",
            "output_root",
            "prompt_mask_root",
            "model",
            "shard",
            "overwrite",
            "allow_failures",
        ),
    )
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
