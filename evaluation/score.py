r"""Score videos on PisaBench as a list of stages: predictions → ground-truth masks → prediction masks → evaluation.

Usage::

    python -m evaluation.score --pred-root my_videos/ --pred-fps 24 --split real
    python -m opensora.score_model --backbone ltx_video --split sim_seen   # the same stages after generation

One run folder (default ``$PISA_OUT_ROOT/score/<model>-<split>-<identity>/``, the identity a short
hash of the weights' content fingerprint or of the prediction folder's path) holds every stage:

1. ``predictions/`` — videos made elsewhere (``--pred-root``), imported as sample folders (sample
   folders' frames are copied; ``<sample id>.mp4`` files decoded; ``fps`` from ``clip_info.json``,
   the video file, or ``--pred-fps``); or, from ``opensora.score_model --backbone``, generated.
   Your folder is never written to.
2. ``ground_truth/`` — only when the split's samples have no ``mask.npz``: SAM 2 masks from their
   annotated points (the protocol's ground truth for the real split).
3. ``predictions/<id>/mask.npz`` — SAM 2 prompted as PisaBench says: the ground truth's
   annotated points (real) or its frame-0 masks (simulated).
4. ``eval/`` — :mod:`evaluation.run` (per_sample.jsonl, summary.json, report.md, figures/).

Every stage records what made each of its results (README "Errors and recovery"): an imported
video its source's content and the fps; a mask the video, the prompts and the SAM 2 weights; the
evaluation every mask and clip_info it read and its settings. A rerun skips what the same inputs
and settings made, redoes what changed (and so everything downstream of it), and says which.
Each stage is a function of the run's :class:`ScoreRun`; a stage returns an exit status and the
run stops at the first that fails.

``--benchmark physics_iq`` runs Physics-IQ's stages instead (:mod:`evaluation.physics_iq.stages`:
generation per seed, then the released-identical scorer into ``eval/``); ``--benchmark all`` runs
PisaBench real, sim_seen, sim_unseen, Physics-IQ and the Newtonian split (when it is there) into
one run folder, a subfolder each (:func:`run_all`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from evaluation.core.config import artifact_root, copy_flags, load_config, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError, InputError, UserError
from evaluation.core.files import write_json, write_text
from evaluation.core.identity import (
    compare,
    differences,
    digest,
    fingerprint,
    read_record,
    record_path,
    refuse,
    stage_identity,
    write_record,
)
from evaluation.core.outdirs import check_writable, claim_output_dir, has_done_record, sample_state, staged_folder
from evaluation.core.weightfiles import check_weights
from evaluation.physical import SCENARIOS
from evaluation.schema import (
    CLIP_INFO_FILE,
    MASK_FILE,
    find_samples,
    list_frames,
    read_clip_info,
    read_image,
    write_sample,
)

DEFAULT_CONFIG = "configs/eval/score_model.py"
SPLITS = ("real", "sim_seen", "sim_unseen", "newton", *(f"newton_{s}" for s in SCENARIOS))
BENCHMARKS = ("pisabench", "physics_iq", "all")
PROTOCOLS = ("i2v", "v2v")  # Physics-IQ's: the switch frame, or the 3 s conditioning clip
NEWTON_ROOT = "data/newton/newton_256"  # python -m sim_data.newton's default ground truth
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm")
MASK_CONFIG = "configs/data_processing/generate_mask.py"
EVAL_CONFIGS = {"real": "configs/eval/real.py"}  # every simulated split: configs/eval/sim.py


def eval_config(split: str) -> str:
    """The evaluation config of a split."""
    return EVAL_CONFIGS.get(split, "configs/eval/sim.py")


IMPORT_VERSION = 1  # bump when a change of the import stage changes what it writes
EVAL_VERSION = 1  # bump when a change of the evaluation stage changes its results


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
            "newton": NEWTON_ROOT,
            **{f"newton_{s}": f"{NEWTON_ROOT}/{s}" for s in SCENARIOS},
        }
    )
    run_dir: str | None = None
    sam2: str = "facebook/sam2.1-hiera-large"
    sam2_image_size: int | None = None
    device: str = "auto"
    seed: int = 1024
    overwrite: bool = False
    allow_failures: bool = False
    benchmark: str = "pisabench"  # pisabench (--split) | physics_iq | all
    seeds: int = 1  # Physics-IQ: videos per case (the Verified rule's mean ± sd over seeds)
    protocol: str = "i2v"  # Physics-IQ: i2v (switch frame) | v2v (3 s conditioning clip)
    physics_iq_root: str = "data/physics_iq/physics-IQ-benchmark"

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f"score.split must be one of {SPLITS}, got {self.split!r}")
        if self.benchmark not in BENCHMARKS:
            raise ValueError(f"score.benchmark must be one of {BENCHMARKS}, got {self.benchmark!r}")
        if self.seeds < 1:
            raise ValueError(f"score.seeds must be >= 1, got {self.seeds}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"score.protocol must be i2v or v2v, got {self.protocol!r}")
        if self.protocol == "v2v" and self.benchmark == "pisabench":
            raise ValueError(
                "score.protocol=v2v is Physics-IQ's (3 s of conditioning frames): add --benchmark physics_iq"
            )
        if self.pred_fps is not None and not self.pred_fps > 0:
            raise ValueError(f"score.pred_fps must be a positive frame rate, got {self.pred_fps}")
        if self.sam2_image_size is not None and self.sam2_image_size < 1:
            raise ValueError(f"score.sam2_image_size must be positive, got {self.sam2_image_size}")

    @property
    def bench(self) -> Path:
        """The split's ground-truth folder."""
        return Path(self.benchmark_dir or self.benchmark_dirs[self.split])

    @property
    def model_name(self) -> str:
        """The name shown in reports: the backbone, or the prediction folder's name."""
        return self.backbone or Path(self.pred_root).name

    def model_identity(self) -> dict:
        """What the default run folder is keyed on: the weights' content, or the prediction folder's path."""
        if self.backbone:
            return {"backbone": self.backbone, "weights": fingerprint(self.model_path), "config": self.inference_config}
        return {"pred_root": os.path.realpath(self.pred_root)}

    @property
    def tag(self) -> str:
        """What the run scores, in its folder name: the split, ``physics_iq`` (``physics_iq_v2v``) or ``all``."""
        if self.benchmark == "pisabench":
            return self.split
        return self.benchmark + ("_v2v" if self.protocol == "v2v" else "")

    @property
    def run_folder(self) -> Path:
        """The run folder: ``--run-dir``, else ``$PISA_OUT_ROOT/score/<model>-<tag>-<identity hash>``."""
        if self.run_dir:
            return Path(self.run_dir)
        root = artifact_root("PISA_OUT_ROOT") / "score"
        return root / f"{self.model_name}-{self.tag}-{digest(self.model_identity(), 8)}"


@dataclass
class ScoreRun:
    """What every stage reads: the arguments, the split's samples and the run's folders."""

    args: ScoreArgs
    folder: Path
    samples: dict[str, Path]  # sample id -> ground-truth sample folder
    size: int  # the ground truth's square frame size
    gt_root: Path | None = None  # set by the ground-truth stage

    @property
    def preds(self) -> Path:
        """The predictions folder."""
        return self.folder / "predictions"


Stage = Callable[[ScoreRun], int]


def frame_size(bench: Path) -> int:
    """The ground truth's (square) frame size."""
    samples = find_samples(bench)
    if not samples:
        raise InputError(bench, "no samples (folders with frames or clip_info.json); convert the split first")
    return read_image(list_frames(samples[0])[0]).shape[0]


# --- stage: import predictions made elsewhere --------------------------------------------------
def read_movie(path: Path) -> tuple:
    """Frames ``uint8 [T, H, W, 3]`` and the stream's frame rate (None when the file does not say)."""
    import av
    import numpy as np

    try:
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            rate = float(stream.average_rate) if stream.average_rate else None
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    except (av.error.FFmpegError, ValueError, IndexError) as e:
        raise InputError(path, f"cannot decode video ({type(e).__name__}: {e})") from e
    if not frames:
        raise InputError(path, "video has no decodable frames (truncated or empty)")
    return np.stack(frames), rate


def _source(src: Path, sid: str) -> Path | None:
    """The sample folder or video file of ``sid`` in ``src`` (None when there is none)."""
    if (src / sid).is_dir() and list_frames(src / sid):
        return src / sid
    return next((src / f"{sid}{s}" for s in VIDEO_SUFFIXES if (src / f"{sid}{s}").is_file()), None)


def import_identity(source: Path, pred_fps: float | None) -> dict:
    """The stage record of one imported video: the source's content and the fps override."""
    return stage_identity(
        "import", IMPORT_VERSION, inputs={"source": fingerprint(source)}, settings={"pred_fps": pred_fps}
    )


def _import_one(source: Path, final: Path, a: ScoreArgs) -> None:
    if source.is_dir():
        info = read_clip_info(source / CLIP_INFO_FILE) if (source / CLIP_INFO_FILE).is_file() else {}
        fps = a.pred_fps or info.get("fps")
        if not fps:
            raise InputError(source, "no fps in clip_info.json; pass --pred-fps")
        with staged_folder(final, import_identity(source, a.pred_fps)) as tmp:
            tmp.mkdir(parents=True, exist_ok=True)
            for f in list_frames(source):
                shutil.copy2(f, tmp / f.name)
            write_json(tmp / CLIP_INFO_FILE, {**info, "fps": fps, "source": str(source)})
        return
    frames, rate = read_movie(source)
    fps = a.pred_fps or rate
    if not fps:
        raise InputError(source, "the file does not give its frame rate; pass --pred-fps")
    with staged_folder(final, import_identity(source, a.pred_fps)) as tmp:
        write_sample(tmp, frames=frames, clip_info={"fps": fps, "source": str(source)}, movie=False)


def import_predictions(r: ScoreRun) -> int:
    """Copy sample folders / decode ``<id>.mp4`` files of ``pred_root`` into ``predictions/``.

    Kept: imports whose record matches (same source content, same ``--pred-fps``). Redone: a
    source that changed. Removed: an import of ours whose source is gone (never scored stale).
    """
    a, preds = r.args, r.preds
    src = Path(a.pred_root)
    if not src.is_dir():
        raise InputError(src, "prediction root does not exist")
    preds.mkdir(parents=True, exist_ok=True)
    made = kept = missing = removed = 0
    for sid in r.samples:
        source, final = _source(src, sid), preds / sid
        if source is None:
            missing += 1
            if has_done_record(final) and (read_record(final) or {}).get("stage") == "import":
                shutil.rmtree(final)  # our import of a video that is no longer there
                removed += 1
            continue
        ident = import_identity(source, a.pred_fps)
        state, _ = sample_state(final, ident)
        if state == "same":
            kept += 1
            continue
        old = read_record(final) if final.exists() else None
        if old is not None and old.get("stage") != "import" and not a.overwrite:
            raise refuse(final, differences(old, ident), "pass --overwrite to replace it, or another --run-dir")
        _import_one(source, final, a)
        made += 1
    gone = f"; removed {removed} imports whose video is gone" if removed else ""
    print(
        f"predictions: imported {made} from {src} ({kept} unchanged since the last run){gone}; "
        f"{missing} of {len(r.samples)} sample ids have no video there"
    )
    return 0


# --- stages: masks --------------------------------------------------------------------------------
def _segment(r: ScoreRun, manifest: Path, lines: list[dict]) -> int:
    """:func:`evaluation.generate_masks.run` on ``lines`` (written to ``manifest``) with the run's SAM 2."""
    from evaluation import generate_masks

    a = r.args
    write_text(manifest, "".join(json.dumps(x) + "\n" for x in lines))
    overrides = {"masks.model": a.sam2, "masks.device": a.device, "masks.config_file": str(manifest)}
    overrides["masks.allow_failures"] = a.allow_failures
    if a.sam2_image_size:
        overrides["masks.image_size"] = a.sam2_image_size
    return generate_masks.run(load_config(MASK_CONFIG, overrides))


def ground_truth(r: ScoreRun) -> int:
    """The ground-truth masks: the split's own, or SAM 2 masks from its points in ``ground_truth/``."""
    a = r.args
    if all((s / MASK_FILE).is_file() for s in r.samples.values()):
        print(f"ground truth: {len(r.samples)} masks in {a.bench}")
        r.gt_root = a.bench
        return 0
    gt = r.folder / "ground_truth"
    lines = []
    for sid, s in r.samples.items():
        (gt / sid).mkdir(parents=True, exist_ok=True)
        shutil.copy2(s / CLIP_INFO_FILE, gt / sid / CLIP_INFO_FILE)
        lines.append({"video": str(s), "annotation": str(s / CLIP_INFO_FILE), "mask": str(gt / sid / MASK_FILE)})
    rc = _segment(r, r.folder / "gt_masks.jsonl", lines)
    print(f"ground truth: SAM 2 masks from the annotated points into {gt} (status {rc})")
    r.gt_root = gt
    return rc


def prediction_masks(r: ScoreRun) -> int:
    """SAM 2 masks of every prediction, prompted with the ground truth's points (real) or frame-0 masks (sim)."""
    lines = []
    for sid, s in r.samples.items():
        if not (r.preds / sid).is_dir():
            continue  # reported as missing by the evaluator
        line = {"video": str(r.preds / sid), "mask": str(r.preds / sid / MASK_FILE)}
        if r.args.split == "real":
            line["annotation"] = str(s / CLIP_INFO_FILE)
        else:
            line["prompt_mask"] = str(r.gt_root / sid / MASK_FILE)
        lines.append(line)
    if not lines:
        raise InputError(r.preds, "no predicted videos to segment")
    rc = _segment(r, r.folder / "masks.jsonl", lines)
    print(f"masks: SAM 2 masks of {len(lines)} predicted videos (status {rc})")
    return rc


# --- stage: evaluation ------------------------------------------------------------------------------
def eval_identity(r: ScoreRun, overrides: dict) -> dict:
    """The evaluation's record: every mask and clip_info it reads (content), its config and settings."""
    inputs = {"config": fingerprint(eval_config(r.args.split))}
    for sid in r.samples:
        for side, root in (("gt", r.gt_root), ("pred", r.preds)):
            for name in (MASK_FILE, CLIP_INFO_FILE):
                f = root / sid / name
                inputs[f"{side}/{sid}/{name}"] = fingerprint(f) if f.is_file() else None
    return stage_identity("eval", EVAL_VERSION, inputs=inputs, settings=overrides)


def evaluate(r: ScoreRun) -> int:
    """:func:`evaluation.run.run` on the split; skipped when the same masks and settings made ``eval/``."""
    from evaluation import run as eval_run

    a, out = r.args, r.folder / "eval"
    overrides = {"eval.gt_root": str(r.gt_root), "eval.pred_root": str(r.preds), "eval.output_dir": str(out)}
    overrides |= {"eval.split": a.split, "eval.model": a.model_name, "eval.allow_missing": a.allow_failures}
    ident = eval_identity(r, overrides)
    state, diffs = compare(out, ident)
    if state == "same" and (out / "summary.json").is_file():
        print(f"evaluation: up to date in {out} (the same masks, fps and settings made it)")
        return 0
    if state == "changed":
        print(f"evaluation: redone ({'; '.join(diffs[:3])}{' …' if len(diffs) > 3 else ''})")
    record_path(out).unlink(missing_ok=True)  # a failed rerun leaves no record claiming the old results
    rc = eval_run.run(load_config(eval_config(a.split), overrides))
    if rc == 0:
        write_record(out, ident)
    print(f"evaluation: {out}/summary.json, report.md (status {rc})")
    return rc


BENCHMARK_STAGES: tuple[Stage, ...] = (ground_truth, prediction_masks, evaluate)


def prepare(a: ScoreArgs) -> ScoreRun:
    """Check the split and the run folder (before any model loads); claim the folder."""
    if bool(a.backbone) == bool(a.pred_root):
        raise ConfigError("give exactly one of --backbone (generate) and --pred-root (videos made elsewhere)")
    bench = a.bench
    if not bench.is_dir():
        raise InputError(
            bench,
            f"the {a.split} split is not there: download and convert it (README: Get PisaBench) or pass --benchmark-dir",
        )
    if a.pred_root and not Path(a.pred_root).is_dir():
        raise InputError(a.pred_root, "prediction root does not exist")
    check_weights(a.sam2)  # a SAM 2 path that does not exist is named before any work
    samples = {s.relative_to(bench).as_posix(): s for s in find_samples(bench)}
    size = frame_size(bench)
    folder = a.run_folder  # fingerprints the weights: once
    claim_output_dir(folder, "score_model", create=False)
    check_writable(folder)
    return ScoreRun(a, folder, samples, size)


def run_stages(r: ScoreRun, stages: tuple[Stage, ...]) -> int:
    """Run ``stages`` in order; returns the first non-zero status (or the last stage's)."""
    claim_output_dir(r.folder, "score_model")
    print(f"run folder: {r.folder}")
    rc = 0
    for stage in stages:
        rc = stage(r)
        if rc:
            return rc
    return rc


def run(cfg, generators: dict[str, Stage] | None = None) -> int:
    """All stages of ``score.benchmark``.

    ``generators`` (benchmark → stage, from :mod:`opensora.score_model`) make the predictions
    when ``score.backbone`` is set.
    """
    a = section(cfg, "score", ScoreArgs)
    if a.backbone and not generators:
        raise ConfigError("--backbone needs generation: run python -m opensora.score_model")
    if a.benchmark == "all":
        return run_all(a, generators or {})
    return run_prepared(prepare_any(a, generators or {}), generators or {})


def prepare_any(a: ScoreArgs, generators: dict):
    """The prepared run of one benchmark (checks its data, folder and generation settings; nothing loaded or written)."""
    if a.benchmark == "physics_iq":
        if bool(a.backbone) == bool(a.pred_root):
            raise ConfigError("give exactly one of --backbone (generate) and --pred-root (videos made elsewhere)")
        from evaluation.physics_iq import stages

        r = stages.prepare(a)
        if a.backbone:
            generators["physics_iq_plan"](r)  # the canvas, frames and every case's inputs: errors before any write
        return r
    return prepare(a)


def run_prepared(r, generators: dict[str, Stage]) -> int:
    """The stages of a prepared run (:func:`prepare_any`)."""
    if r.args.benchmark == "physics_iq":
        from evaluation.physics_iq import stages

        return run_stages(r, ((generators["physics_iq"],) if r.args.backbone else ()) + (stages.evaluate,))
    first = generators["pisabench"] if r.args.backbone else import_predictions
    return run_stages(r, (first, *BENCHMARK_STAGES))


def all_parts(a: ScoreArgs) -> list[ScoreArgs]:
    """``--benchmark all``: PisaBench real, sim_seen, sim_unseen, Physics-IQ, and the Newtonian split when it exists."""
    if a.benchmark_dir:
        raise ConfigError("--benchmark-dir names one split's folder; --benchmark all reads score.benchmark_dirs")
    if a.pred_root:
        raise ConfigError(
            "--benchmark all generates every benchmark's videos with --backbone; score videos made elsewhere one "
            "benchmark at a time (--split …, or --benchmark physics_iq), each with its own --pred-root"
        )
    root = a.run_folder
    parts = [replace(a, benchmark="pisabench", split=s, run_dir=str(root / f"pisabench_{s}"))
             for s in ("real", "sim_seen", "sim_unseen")]  # fmt: skip
    parts.append(replace(a, benchmark="physics_iq", run_dir=str(root / parts_name(a))))
    if Path(a.benchmark_dirs["newton"]).is_dir():
        parts.append(replace(a, benchmark="pisabench", split="newton", run_dir=str(root / "newton")))
    else:
        print(f"newton: {a.benchmark_dirs['newton']} is not there (python -m sim_data.newton); left out")
    return parts


def parts_name(a: ScoreArgs) -> str:
    """The Physics-IQ part's folder in an ``all`` run."""
    return "physics_iq_v2v" if a.protocol == "v2v" else "physics_iq"


def headline(folder: Path) -> str:
    """One line of a finished part: its main numbers from ``eval/summary.json``."""
    f = folder / "eval" / "summary.json"
    if not f.is_file():
        return "no results"
    s = json.loads(f.read_text())
    if s.get("benchmark") == "physics_iq":
        p, v = s["physics_iq"], s["verified"]
        sd = f" ± {p['sd']:.2f}" if p.get("sd") is not None else ""
        return f"Physics-IQ score {p['mean']:.2f}{sd}, Verified {v['mean']:.2f} ({len(p['per_seed'])} seed(s))"
    m = s["metrics"]
    return ", ".join(f"{k} {m[k]['mean']:.3f}" for k in ("l2", "chamfer_distance", "iou") if k in m)


def run_all(a: ScoreArgs, generators: dict[str, Stage]) -> int:
    """Every benchmark into one run folder (``<run>/<benchmark>/``); a failed part is reported and the rest run."""
    parts = all_parts(a)
    root = a.run_folder
    claim_output_dir(root, "score_model", create=False)
    prepared = [prepare_any(p, generators) for p in parts]  # every part's data is checked before anything is written
    claim_output_dir(root, "score_model")
    status = {}
    for p, r in zip(parts, prepared, strict=True):
        name = Path(p.run_dir).name
        print(f"\n=== {name} ===")
        try:
            status[name] = run_prepared(r, generators)
        except UserError as e:  # e.g. videos made with other settings: this part stops, the others run
            print(f"error: {e}", file=sys.stderr)
            status[name] = 2
    # a failed part shows no numbers: what its folder holds was not made by this run
    lines = [f"{name:<22} {'ok':<18} {headline(root / name)}" if rc == 0 else f"{name:<22} FAILED (status {rc})"
             for name, rc in status.items()]  # fmt: skip
    write_json(root / "benchmarks.json", {n: {"status": rc, "folder": n} for n, rc in status.items()})
    print(f"\nevery benchmark of {a.model_name} in {root}:\n" + "\n".join(lines))
    print(f"compare runs: python -m evaluation.compare {root} [OTHER_RUN ...]")
    return next((rc for rc in status.values() if rc), 0)


def add_flags(p, *, backbone: bool) -> None:
    """The command-line flags of the scoring CLIs (``backbone``: also those of generation)."""
    if backbone:
        p.add_argument("--backbone", help="generate with this backbone (configs/inference/<name>.py)")
        p.add_argument("--inference-config", dest="inference_config", help="inference config (default: the backbone's)")
        p.add_argument("--model-path", dest="model_path", help="weights: hub id or folder")
    p.add_argument("--pred-root", dest="pred_root", help="videos made elsewhere (sample folders or <id>.mp4)")
    p.add_argument("--pred-fps", dest="pred_fps", type=float, help="their frame rate (overrides what the files say)")
    p.add_argument(
        "--split",
        choices=SPLITS,
        metavar="SPLIT",
        help=f"{' | '.join(SPLITS[:4])} | newton_<scenario> ({', '.join(SCENARIOS)})",
    )
    p.add_argument(
        "--benchmark",
        choices=BENCHMARKS,
        help="pisabench (the --split; default) | physics_iq | all (PisaBench real + sim, Physics-IQ, newton if there)",
    )
    p.add_argument("--seeds", type=int, help="Physics-IQ: videos per case, seeds seed + k·1000 (default 1)")
    p.add_argument("--protocol", choices=PROTOCOLS, help="Physics-IQ: switch frame (i2v, default) or 3 s clip (v2v)")
    p.add_argument("--physics-iq-root", dest="physics_iq_root", help="the downloaded physics-IQ-benchmark folder")
    p.add_argument("--benchmark-dir", dest="benchmark_dir", help="the split's ground-truth samples")
    p.add_argument(
        "--run-dir", dest="run_dir", help="run folder (default $PISA_OUT_ROOT/score/<model>-<split>-<identity>)"
    )
    p.add_argument("--seed", type=int, help="sampling seed of generation (default 1024)")
    p.add_argument("--sam2", help="SAM 2 weights: hub id or folder")
    p.add_argument("--device", help="auto | cpu | cuda")
    p.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="replace videos an earlier run made with other weights or settings (default: refuse, naming what differs)",
    )
    p.add_argument(
        "--allow-failures",
        dest="allow_failures",
        action="store_true",
        default=None,
        help="go on past failed videos (listed; the evaluator scores the rest)",
    )


FLAG_KEYS = ("pred_root", "pred_fps", "split", "benchmark_dir", "run_dir", "seed", "sam2", "device", "overwrite")
FLAG_KEYS += ("allow_failures", "benchmark", "seeds", "protocol", "physics_iq_root")
GENERATION_KEYS = ("backbone", "inference_config", "model_path")


def parse(argv, *, prog: str, description: str, backbone: bool):
    """The config of a scoring CLI: ``configs/eval/score_model.py`` with the named flags copied in."""
    ns, cfg = parse_cli(
        argv,
        prog=prog,
        description=description,
        default_config=DEFAULT_CONFIG,
        add_flags=lambda p: add_flags(p, backbone=backbone),
    )
    copy_flags(cfg, "score", ns, (*GENERATION_KEYS, *FLAG_KEYS) if backbone else FLAG_KEYS)
    return cfg


def main(argv=None) -> int:
    """Parse the command line and score videos made elsewhere."""
    cfg = parse(argv, prog="python -m evaluation.score", description=__doc__, backbone=False)
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
