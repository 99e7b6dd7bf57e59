r"""Score any image-to-video model on PisaBench in one command: generate → masks → evaluate → report.

Usage::

    python -m opensora.score_model --backbone cogvideox_5b_i2v --split real
    python -m opensora.score_model --backbone ltx_video --model-path /models/LTX-Video --split sim_seen
    python -m opensora.score_model --pred-root my_videos/ --pred-fps 24 --split real --run-dir outputs/score/mine

One run folder (default ``outputs/score/<model>-<split>/``) holds every stage:

1. ``predictions/`` — with ``--backbone``: ``python -m opensora.inference`` on the split's first
   frames and prompts (frames written at the ground truth's size). With ``--pred-root``: videos
   made elsewhere, imported as sample folders (sample folders are copied; ``<sample id>.mp4`` files
   decoded; ``fps`` from ``clip_info.json``, the video file, or ``--pred-fps``). Your folder is
   never written to.
2. ``ground_truth/`` — only when the split's samples have no ``mask.npz``: SAM 2 masks from their
   annotated points (the protocol's ground truth for the real split).
3. ``masks.jsonl`` → ``predictions/<id>/mask.npz`` — SAM 2 prompted as PisaBench says: the
   ground truth's annotated points (real) or its frame-0 masks (simulated).
4. ``eval/`` — ``python -m evaluation.run`` (per_sample.jsonl, summary.json, report.md, figures/).

Each stage resumes where it stopped and is skipped when complete; each prints one summary line.
The exit status is the evaluator's (a failed earlier stage stops the run with its own status).
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.config import copy_flags, parse_cli, run_reporting_errors, section
from evaluation.errors import ConfigError, InputError
from evaluation.outdirs import claim_output_dir, staged_folder
from evaluation.schema import (
    CLIP_INFO_FILE,
    MASK_FILE,
    find_samples,
    list_frames,
    read_clip_info,
    read_image,
    write_json,
    write_sample,
)

DEFAULT_CONFIG = "configs/eval/score_model.py"
SPLITS = ("real", "sim_seen", "sim_unseen")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm")


@dataclass
class ScoreArgs:
    """The ``score`` config section."""

    backbone: str | None = None
    inference_config: str | None = None
    model_path: str | None = None
    pred_root: str | None = None
    pred_fps: float | None = None
    split: str = "real"
    benchmark_dir: str | None = None
    benchmark_dirs: dict = field(
        default_factory=lambda: {
            "real": "data/pisabench/real_256",
            "sim_seen": "data/pisabench/sim_seen_256",
            "sim_unseen": "data/pisabench/sim_unseen_256",
        }
    )
    run_dir: str | None = None
    sam2: str = "facebook/sam2.1-hiera-large"
    sam2_image_size: int | None = None
    device: str = "auto"
    seed: int = 1024
    allow_failures: bool = False

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"score.split must be one of {SPLITS}, got {self.split!r}")

    @property
    def bench(self) -> Path:
        """The split's ground-truth folder."""
        return Path(self.benchmark_dir or self.benchmark_dirs[self.split])

    @property
    def run_folder(self) -> Path:
        """The run folder."""
        if self.run_dir:
            return Path(self.run_dir)
        name = self.backbone or Path(self.pred_root).name
        return Path("outputs/score") / f"{name}-{self.split}"


def frame_size(bench: Path) -> int:
    """The ground truth's (square) frame size."""
    samples = find_samples(bench)
    if not samples:
        raise InputError(bench, "no samples (folders with frames or clip_info.json); convert the split first")
    return read_image(list_frames(samples[0])[0]).shape[0]


# --- stage 1: predictions --------------------------------------------------------------------
def generate(a: ScoreArgs, preds: Path, size: int) -> int:
    """``opensora.inference`` into ``preds`` at the ground truth's frame size."""
    from opensora import inference

    argv = [a.inference_config] if a.inference_config else []
    argv += ["--backbone", a.backbone, "--benchmark-dir", str(a.bench), "--output-dir", str(preds)]
    argv += ["--seed", str(a.seed), f"--inference.output_size={size}", f"--inference.device={a.device}"]
    if a.model_path:
        argv += ["--model-path", a.model_path]
    if a.allow_failures:
        argv.append("--allow-failures")
    return inference.main(argv)


def read_movie(path: Path) -> tuple:
    """Frames ``uint8 [T, H, W, 3]`` and the stream's frame rate (None when the file does not say)."""
    import av
    import numpy as np

    try:
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            rate = float(stream.average_rate) if stream.average_rate else None
            frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    except (av.error.FFmpegError, ValueError) as e:
        raise InputError(path, f"cannot decode video ({e})") from e
    return frames, rate


def import_predictions(a: ScoreArgs, preds: Path, gt_ids: list[str]) -> int:
    """Copy sample folders / decode ``<id>.mp4`` files from ``pred_root`` into ``preds`` (skips finished ones)."""
    src = Path(a.pred_root)
    if not src.is_dir():
        raise InputError(src, "prediction root does not exist")
    preds.mkdir(parents=True, exist_ok=True)
    made = missing = 0
    for sid in gt_ids:
        if (preds / sid / CLIP_INFO_FILE).is_file():
            continue
        folder = src / sid
        movie = next((src / f"{sid}{s}" for s in VIDEO_SUFFIXES if (src / f"{sid}{s}").is_file()), None)
        if folder.is_dir() and list_frames(folder):
            info = read_clip_info(folder / CLIP_INFO_FILE) if (folder / CLIP_INFO_FILE).is_file() else {}
            fps = info.get("fps") or a.pred_fps
            if not fps:
                raise InputError(folder, "no fps in clip_info.json; pass --pred-fps")
            with staged_folder(preds / sid) as tmp:
                tmp.mkdir(parents=True, exist_ok=True)
                for f in list_frames(folder):
                    shutil.copy2(f, tmp / f.name)
                write_json(tmp / CLIP_INFO_FILE, {**info, "fps": fps, "source": str(folder)})
        elif movie is not None:
            frames, rate = read_movie(movie)
            fps = a.pred_fps or rate
            if not fps:
                raise InputError(movie, "the file does not give its frame rate; pass --pred-fps")
            with staged_folder(preds / sid) as tmp:
                write_sample(tmp, frames=frames, clip_info={"fps": fps, "source": str(movie)}, movie=False)
        else:
            missing += 1
            continue
        made += 1
    print(f"predictions: imported {made} from {src}; {missing} of {len(gt_ids)} sample ids have no video there")
    return 0


# --- stages 2 and 3: masks ---------------------------------------------------------------------
def mask_argv(a: ScoreArgs) -> list[str]:
    """``evaluation.generate_masks`` flags for the configured SAM 2."""
    from opensora.models.tiny import resolve_weights

    argv = ["configs/data_processing/generate_mask.py", f"--model={resolve_weights(a.sam2)}"]
    argv.append(f"--masks.device={a.device}")
    if a.sam2_image_size:
        argv.append(f"--masks.image_size={a.sam2_image_size}")
    if a.allow_failures:
        argv.append("--allow-failures")
    return argv


def ground_truth(a: ScoreArgs, run: Path, samples: dict[str, Path]) -> tuple[Path, int]:
    """The folder with ground-truth masks: the split itself, or SAM 2 masks from its points into ``run/ground_truth``."""
    if all((s / MASK_FILE).is_file() for s in samples.values()):
        print(f"ground truth: {len(samples)} masks in {a.bench}")
        return a.bench, 0
    from evaluation import generate_masks

    gt = run / "ground_truth"
    lines = []
    for sid, s in samples.items():
        (gt / sid).mkdir(parents=True, exist_ok=True)
        shutil.copy2(s / CLIP_INFO_FILE, gt / sid / CLIP_INFO_FILE)
        lines.append({"video": str(s), "annotation": str(s / CLIP_INFO_FILE), "mask": str(gt / sid / MASK_FILE)})
    manifest = run / "gt_masks.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
    rc = generate_masks.main([*mask_argv(a), "--config_file", str(manifest)])
    print(f"ground truth: SAM 2 masks from the annotated points into {gt} (status {rc})")
    return gt, rc


def prediction_masks(a: ScoreArgs, run: Path, gt_root: Path, samples: dict[str, Path], preds: Path) -> int:
    """SAM 2 masks of every prediction, prompted with the ground truth's points (real) or frame-0 masks (sim)."""
    from evaluation import generate_masks

    lines = []
    for sid, s in samples.items():
        if not (preds / sid).is_dir():
            continue  # reported as missing by the evaluator
        line = {"video": str(preds / sid), "mask": str(preds / sid / MASK_FILE)}
        if a.split == "real":
            line["annotation"] = str(s / CLIP_INFO_FILE)
        else:
            line["prompt_mask"] = str(gt_root / sid / MASK_FILE)
        lines.append(line)
    if not lines:
        raise InputError(preds, "no predicted videos to segment")
    manifest = run / "masks.jsonl"
    manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
    rc = generate_masks.main([*mask_argv(a), "--config_file", str(manifest)])
    print(f"masks: SAM 2 masks of {len(lines)} predicted videos (status {rc})")
    return rc


# --- stage 4: evaluation -------------------------------------------------------------------------
def evaluate(a: ScoreArgs, run: Path, gt_root: Path, preds: Path) -> int:
    """``evaluation.run`` on the split (skipped when its summary is newer than every mask)."""
    from evaluation import run as eval_run

    out = run / "eval"
    summary = out / "summary.json"
    masks = [*preds.glob(f"*/{MASK_FILE}"), *gt_root.glob(f"*/{MASK_FILE}")]
    if summary.is_file() and all(m.stat().st_mtime <= summary.stat().st_mtime for m in masks):
        print(f"evaluation: up to date in {out} (summary.json newer than every mask)")
        return 0
    config = "configs/eval/real.py" if a.split == "real" else "configs/eval/sim.py"
    model = a.backbone or Path(a.pred_root).name
    argv = [config, "--gt-root", str(gt_root), "--pred-root", str(preds), "--output_dir", str(out)]
    argv += ["--split", a.split, "--model", model]
    if a.allow_failures:
        argv.append("--allow-missing")
    rc = eval_run.main(argv)
    print(f"evaluation: {out}/summary.json, report.md (status {rc})")
    return rc


def run(cfg) -> int:
    """All stages; returns the evaluator's exit status (or the first failing stage's)."""
    a = section(cfg, "score", ScoreArgs)
    if bool(a.backbone) == bool(a.pred_root):
        raise ConfigError("give exactly one of --backbone (generate) and --pred-root (videos made elsewhere)")
    bench = a.bench
    if not bench.is_dir():
        raise InputError(
            bench,
            f"the {a.split} split is not there: download and convert it (README: Get PisaBench) or pass --benchmark-dir",
        )
    samples = {s.relative_to(bench).as_posix(): s for s in find_samples(bench)}
    size = frame_size(bench)
    run_dir = claim_output_dir(a.run_folder, "score_model")
    preds = run_dir / "predictions"
    rc = generate(a, preds, size) if a.backbone else import_predictions(a, preds, list(samples))
    if rc:
        return rc
    gt_root, rc = ground_truth(a, run_dir, samples)
    if rc:
        return rc
    rc = prediction_masks(a, run_dir, gt_root, samples, preds)
    if rc:
        return rc
    return evaluate(a, run_dir, gt_root, preds)


def main(argv=None) -> int:
    """Parse the command line and score."""

    def flags(p):
        p.add_argument("--backbone", help="generate with this backbone (configs/inference/<name>.py)")
        p.add_argument("--inference-config", dest="inference_config", help="inference config (default: the backbone's)")
        p.add_argument("--model-path", dest="model_path", help="weights: hub id or folder")
        p.add_argument("--pred-root", dest="pred_root", help="videos made elsewhere (sample folders or <id>.mp4)")
        p.add_argument("--pred-fps", dest="pred_fps", type=float, help="their frame rate when the files do not say")
        p.add_argument("--split", choices=SPLITS, help="real | sim_seen | sim_unseen")
        p.add_argument("--benchmark-dir", dest="benchmark_dir", help="the split's ground-truth samples")
        p.add_argument("--run-dir", dest="run_dir", help="run folder (default outputs/score/<model>-<split>)")
        p.add_argument("--sam2", help="SAM 2 weights: hub id or folder")
        p.add_argument("--device", help="auto | cpu | cuda")
        p.add_argument(
            "--allow-failures",
            dest="allow_failures",
            action="store_true",
            default=None,
            help="go on past failed videos (listed; the evaluator scores the rest)",
        )

    ns, cfg = parse_cli(
        argv, prog="python -m opensora.score_model", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    keys = ("backbone", "inference_config", "model_path", "pred_root", "pred_fps", "split", "benchmark_dir")
    copy_flags(cfg, "score", ns, (*keys, "run_dir", "sam2", "device", "allow_failures"))
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
