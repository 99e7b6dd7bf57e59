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

Finished videos (their ``mask.npz`` exists) are skipped; a failed video never leaves a partial
file (atomic write) and is listed; the run exits 1 if anything failed unless ``--allow-failures``.
``--shard i/n`` processes every n-th video starting at i (one process per GPU).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evaluation.config import copy_flags, parse_cli, run_reporting_errors, section
from evaluation.schema import (
    CLIP_INFO_FILE,
    MASK_FILE,
    SchemaError,
    read_clip_info,
    read_frames,
    read_mask,
    write_json,
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

    def shard_index(self) -> tuple[int, int]:
        """``(i, n)`` from ``"i/n"``."""
        try:
            i, n = (int(v) for v in self.shard.split("/"))
        except ValueError as e:
            raise ValueError(f"--shard must look like i/n, got {self.shard!r}") from e
        if not 0 <= i < n:
            raise ValueError(f"--shard {self.shard}: need 0 <= i < n")
        return i, n


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
    """Jobs from the JSONL config or the directory roots, then this shard's slice."""
    jobs = []
    if args.config_file:
        path = Path(args.config_file)
        if not path.is_file():
            raise SchemaError(path, "mask config does not exist")
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                jobs.append(MaskJob(rec["video"], rec.get("annotation"), rec.get("prompt_mask"), rec["mask"]))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise SchemaError(f"{path}:{n}", f"expected {{'video', 'annotation', 'mask'}} ({e})") from e
    elif args.video_root:
        root = Path(args.video_root)
        if not root.is_dir():
            raise SchemaError(root, "video root does not exist")
        out_root = Path(args.output_root or root)
        for info in sorted(root.rglob(CLIP_INFO_FILE)):
            rel = info.parent.relative_to(root)
            prompt = str(Path(args.prompt_mask_root) / rel / MASK_FILE) if args.prompt_mask_root else None
            jobs.append(
                MaskJob(str(info.parent), None if prompt else str(info), prompt, str(out_root / rel / MASK_FILE))
            )
        if not jobs:
            raise SchemaError(root, "no samples (folders with clip_info.json)")
    else:
        raise ValueError("give --config_file or --video-root")
    i, n = args.shard_index()
    return jobs[i::n]


def prompts_for(job: MaskJob, height: int, width: int) -> dict:
    """``{"points": [...]}`` from the annotation or ``{"masks": bool [N, H, W]}`` from frame 0 of a mask file."""
    if job.prompt_mask:
        m = read_mask(job.prompt_mask, height=height, width=width)
        return {"masks": m[0]}
    if not job.annotation:
        raise SchemaError(job.video, "no prompts: give an annotation (clip_info.json with points) or a prompt mask")
    info = read_clip_info(job.annotation, height=height, width=width)
    if "points" not in info:
        raise SchemaError(job.annotation, "has no 'points' to prompt SAM 2 with")
    return {"points": info["points"]}


def run(cfg) -> int:
    """Segment every video of this shard; returns the exit status."""
    args = section(cfg, "masks", MaskArgs)
    jobs = plan_jobs(args)
    todo = [j for j in jobs if args.overwrite or not Path(j.output).is_file()]
    print(f"{len(jobs)} videos in this shard, {len(jobs) - len(todo)} already have masks")
    if not todo:
        return 0
    from evaluation.perception.sam2 import Sam2Segmenter

    seg = Sam2Segmenter(args.model, args.device, args.dtype, args.image_size)
    failures = []
    for job in tqdm(todo, desc="segmenting", unit="video", disable=None):
        try:
            frames = read_video(job.video)
            p = prompts_for(job, frames.shape[1], frames.shape[2])
            masks = seg.segment(frames, points=p.get("points"), masks=p.get("masks"))
        except (SchemaError, ValueError) as e:
            failures.append({"video": job.video, "error": str(e)})
            continue
        write_mask(job.output, masks)
    out_dir = Path(args.output_root or args.video_root or Path(args.config_file).parent)
    write_json(
        out_dir / "masks_run.json",
        {"adapter": seg.record, "shard": args.shard, "done": len(todo) - len(failures), "failures": failures},
    )
    for f in failures:
        print(f"  FAILED {f['video']}: {f['error']}", file=sys.stderr)
    print(f"segmented {len(todo) - len(failures)} videos, {len(failures)} failed")
    return 1 if failures and not args.allow_failures else 0


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
