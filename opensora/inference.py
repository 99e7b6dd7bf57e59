r"""First-frame-conditioned video generation with any backbone (Open-Sora v1.2, CogVideoX, Wan, LTX-Video).

Usage::

    python -m opensora.inference --backbone cogvideox_5b_i2v --benchmark-dir data/pisabench/real_256 \
        --output-dir outputs/predictions/cogvideox/real
    python -m opensora.inference configs/inference/sample.py --prompt-file prompts.txt --output-dir outputs/gen
    python -m opensora.inference --backbone ltx_video --model-path /models/LTX-Video --benchmark-dir ... --shard 0/4

``--backbone NAME`` reads ``configs/inference/NAME.py`` (its PisaBench canvas, frames, fps, steps
and guidance) unless a config is given; ``--model-path`` is a hub id or a folder (a diffusers
pipeline folder written by ``save_pretrained``, or Open-Sora weights / one of our exports, whose
``pisa.json`` supplies the latent space, size and frame count it was trained for).

Inputs: a prompt file in the released format (one ``text{"reference_path": "...", "mask_strategy": "0"}``
per line), or a benchmark folder whose samples give the prompt (``clip_info.json`` ``text``) and
the first frame. The first frame is prepared by the backbone's one preprocessing path
(:meth:`opensora.backbones.base.Backbone.prepare_first_frame`); the output is brought back to a
square of ``inference.output_size`` and written as ``<output_dir>/<sample_id>/`` in the data schema
(frames, ``movie.mp4``, ``clip_info.json`` with backbone, model id, seed, sampler, fps, canvas and
square handling, a ``DONE`` record), so the benchmark reads the outputs directly. Each batch uses a
generator seeded with ``seed + index of its first prompt`` (recorded), so a resumed or sharded run
makes the same videos.

Samples are written in a temporary folder and renamed into place; finished ones (their ``DONE``
record matches) are skipped, damaged ones made again. ``--output-dir`` must be new, empty or an
earlier inference output. A prompt whose first frame cannot be read fails alone; if any failed,
``failed-inference.json`` lists them and the exit status is 1 (``--allow-failures``: 0).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from evaluation.core.batch import finish, run_jobs, skipped
from evaluation.core.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.core.errors import ConfigError, InputError
from evaluation.core.identity import fingerprint, refuse, stage_identity
from evaluation.core.outdirs import (
    check_writable,
    claim_output_dir,
    remove_stale_temporaries,
    sample_state,
    staged_folder,
)
from evaluation.schema import CLIP_INFO_FILE, find_samples, list_frames, read_clip_info, read_image, write_sample
from opensora.backbones import NAMES, BackboneArgs, apply_identity, backbone_class, build_backbone
from opensora.backbones.frames import to_uint8
from opensora.backbones.prompts import PromptFeatures
from opensora.backbones.sampling import sample_latents
from opensora.schedulers.rf import RFlowArgs
from opensora.tiny import resolve_specs

CONFIG_DIR = "configs/inference"
DEFAULT_BACKBONE = "opensora_v1_2"
DTYPES = ("auto", "fp32", "bf16")
WEIGHT_KEYS = ("model_path", "vae_path", "text_encoder_path")  # backbone keys naming weights (hub id or path)


@dataclass
class InferenceArgs:
    """The ``inference`` config section (the model is the ``backbone`` section)."""

    prompt_file: str | None = None
    benchmark_dir: str | None = None
    output_dir: str = "outputs/inference"
    output_size: int | None = 256  # square size of the written frames; None = the canvas's square
    seed: int = 1024
    batch_size: int = 1
    dtype: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | fp32 | bf16
    device: str = "auto"
    text_cache_dir: str | None = "outputs/cache/text"
    shard: str | None = None  # "i/n"
    allow_failures: bool = False  # exit 0 even if some prompts failed (they are listed)
    overwrite: bool = False  # remake videos that earlier runs made with other weights / settings
    frames: list | None = None  # [start, stop): the generated frames written (None = all)
    context_frames: int | None = None  # video-to-video: condition on the last K frames of each prompt's clip
    geometry_from_weights: bool = True  # take canvas / frames / fps from an export's pisa.json (not: Physics-IQ)

    def __post_init__(self):
        if self.output_size is not None and self.output_size < 1:
            raise ValueError(
                f"inference.output_size must be a positive size in pixels (or None), got {self.output_size}"
            )
        if self.dtype not in DTYPES:
            raise ValueError(f"inference.dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.batch_size < 1:
            raise ValueError("inference.batch_size must be >= 1")
        if self.frames is not None and not (len(self.frames) == 2 and 0 <= self.frames[0] < self.frames[1]):
            raise ValueError(f"inference.frames must be [start, stop) with 0 <= start < stop, got {self.frames}")
        if self.context_frames is not None and self.context_frames < 1:
            raise ValueError(f"inference.context_frames must be >= 1, got {self.context_frames}")
        self.shard_index()

    def shard_index(self) -> tuple[int, int]:
        """``(i, n)`` of ``shard`` (``(0, 1)`` when unset)."""
        if self.shard is None:
            return 0, 1
        try:
            i, n = (int(v) for v in str(self.shard).split("/"))
        except ValueError:
            i, n = -1, 0
        if not 0 <= i < n:
            raise ValueError(f"inference.shard must be 'i/n' with 0 <= i < n, got {self.shard!r}")
        return i, n


@dataclass(frozen=True)
class Prompt:
    """One video to generate: its id, text, first frame and position in the full job list."""

    sample_id: str
    text: str
    reference: str  # first frame image
    index: int = 0
    mask_strategy: str = "0"
    context: str | None = None  # video-to-video: the clip whose last inference.context_frames frames condition


def parse_prompt_line(line: str, where: str) -> tuple[str, dict]:
    """``text{"reference_path": ..., "mask_strategy": ...}`` → (text, options)."""
    i = line.find("{")
    if i < 0:
        return line.strip(), {}
    try:
        return line[:i].strip(), json.loads(line[i:])
    except json.JSONDecodeError as e:
        raise InputError(where, f"the JSON after the prompt is invalid ({e})") from e


def load_jobs(args: InferenceArgs) -> list[Prompt]:
    """Jobs from the prompt file or the benchmark folder."""
    if bool(args.prompt_file) == bool(args.benchmark_dir):
        raise ConfigError("give exactly one of --prompt-file and --benchmark-dir")
    jobs = []
    if args.prompt_file:
        path = Path(args.prompt_file)
        if not path.is_file():
            raise InputError(path, "prompt file does not exist")
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            text, opts = parse_prompt_line(line, f"{path}:{n}")
            if not isinstance(opts, dict) or "reference_path" not in opts:
                raise InputError(f"{path}:{n}", "no reference_path (image-to-video needs a first frame)")
            if opts.get("mask_strategy", "0") != "0":
                raise InputError(f"{path}:{n}", "only mask_strategy '0' (first frame fixed) is supported")
            ref = Path(opts["reference_path"])
            ref = ref if ref.exists() else path.parent / ref
            jobs.append(Prompt(f"{len(jobs):04d}", text, str(ref), len(jobs)))
        return jobs
    for s in find_samples(args.benchmark_dir):
        info = read_clip_info(s / CLIP_INFO_FILE)
        sid = s.relative_to(args.benchmark_dir).as_posix()
        jobs.append(Prompt(sid, info.get("text", ""), str(list_frames(s)[0]), len(jobs)))
    if not jobs:
        raise InputError(args.benchmark_dir, "no samples (folders with frames or clip_info.json)")
    return jobs


class Generator:
    """A loaded backbone, its prompt features and the settings one batch needs."""

    def __init__(self, backbone, args: InferenceArgs, sched: RFlowArgs, jobs: list[Prompt], settings: dict):
        self.backbone, self.args, self.sched, self.settings = backbone, args, sched, settings
        self.sent = {j.text: backbone.inference_prompt(j.text) for j in jobs}
        self.features = PromptFeatures(backbone, list(self.sent.values()), args.text_cache_dir)
        self.out_size = args.output_size or min(backbone.geometry.height, backbone.geometry.width)
        self.record = {
            "num_sampling_steps": sched.num_sampling_steps,
            "guidance_scale": sched.cfg_scale,
            **backbone.sampler_record(),
        }

    @torch.no_grad()
    def batch(self, batch: list[Prompt]) -> list[str]:
        """Generate one batch and write each video as a sample folder (atomically); returns the folders."""
        bb, args = self.backbone, self.args
        out_root = Path(args.output_dir)
        if args.context_frames:
            first = torch.stack([self.context(j) for j in batch])
        else:
            first = torch.stack([bb.prepare_first_frame(read_image(j.reference)) for j in batch])
        prompts = [self.sent[j.text] for j in batch]
        seed = args.seed + batch[0].index
        gen = torch.Generator(device="cpu").manual_seed(seed)
        z = sample_latents(
            bb,
            None,
            first,
            self.features.batch(prompts, bb.device),
            steps=self.sched.num_sampling_steps,
            guidance_scale=self.sched.cfg_scale,
            generator=gen,
            progress=sys.stderr.isatty(),  # a bar over the denoising steps of this batch (full-size models take minutes)
        )
        video = bb.decode(z, generator=gen).float()
        if bb.geometry.square != "fill":  # "fill": the canvas is the output (Physics-IQ's 16:9 videos)
            video = bb.to_square(video, self.out_size)
        if args.frames:
            video = self.kept(video)
        written = []
        for j, v, sent in zip(batch, video, prompts, strict=True):
            info = {
                "text": j.text,
                **bb.describe(),
                "seed": seed,
                "batch": [b.sample_id for b in batch],
                "reference_path": j.reference,
                "mask_strategy": j.mask_strategy,
                "prompt_sent": sent,
                "sampler": self.record,
                "output_size": self.out_size if bb.geometry.square != "fill" else list(video.shape[-2:]),
            }
            if args.frames:
                info["frames_kept"] = list(args.frames)  # of the generated num_frames
            if j.context:
                info |= {"context_path": j.context, "context_frames": args.context_frames}
            with staged_folder(out_root / j.sample_id, job_identity(j, self.settings)) as tmp:
                write_sample(tmp, frames=to_uint8(v), clip_info=info)
            written.append(str(out_root / j.sample_id))
        return written

    def context(self, job: Prompt) -> torch.Tensor:
        """The conditioning clip ``[3, K, H, W]``: the last ``context_frames`` frames of ``job.context``, each prepared.

        Streamed: only the last K frames are prepared and kept (a 3 s 4K clip is never held whole).
        """
        from collections import deque

        from evaluation.physics_iq.video import iter_frames, probe

        if not job.context:
            raise InputError(job.sample_id, "inference.context_frames is set but this prompt has no conditioning clip")
        k = self.args.context_frames
        for first in (max(probe(job.context)[1] - k, 0), 0):  # the container's count; if it overstates, all frames
            kept, n = deque(maxlen=k), 0
            for n, f in enumerate(iter_frames(job.context), start=1):  # BGR
                if n > first:
                    kept.append(self.backbone.prepare_first_frame(np.ascontiguousarray(f[..., ::-1])))
            if len(kept) == k or first == 0:
                break
        if len(kept) < k:
            raise InputError(job.context, f"has {n} frames; video-to-video conditions on the last {k}")
        return torch.stack(list(kept), dim=1)

    def kept(self, video: torch.Tensor) -> torch.Tensor:
        """``video [B, 3, T, H, W]`` cut to ``inference.frames``; too short a video is a config error."""
        start, stop = self.args.frames
        if video.shape[2] < stop:
            raise ConfigError(
                f"inference.frames = [{start}, {stop}) but {self.backbone.name} made {video.shape[2]} frames "
                "(backbone.num_frames)"
            )
        return video[:, :, start:stop]


STAGE_VERSION = 1  # bump when a change of this module changes the videos it writes


def run_settings(args: InferenceArgs, bargs: BackboneArgs, sched: RFlowArgs, dtype: torch.dtype) -> dict:
    """What every generated video of this run depends on besides its prompt: model, weights, sampler, seed."""
    weights = {k: fingerprint(getattr(bargs, k, None)) for k in WEIGHT_KEYS}
    settings = {
        "backbone": asdict(bargs),
        "weights": {k: v for k, v in weights.items() if v is not None},
        "scheduler": asdict(sched),
        "seed": args.seed,
        "batch_size": args.batch_size,
        "dtype": str(dtype).removeprefix("torch."),
        "output_size": args.output_size,
    }
    extra = {"frames": args.frames, "context_frames": args.context_frames}
    return settings | {k: v for k, v in extra.items() if v is not None}  # absent when unset: older records match


def job_identity(job: Prompt, settings: dict) -> dict:
    """The stage record of one generated video."""
    inputs = {"first_frame": fingerprint(job.reference)}
    if job.context:
        inputs["context"] = fingerprint(job.context)
    return stage_identity(
        "inference",
        STAGE_VERSION,
        inputs=inputs,
        settings={**settings, "text": job.text, "index": job.index},
    )


def _batch_key(batch: list[Prompt]) -> str:
    return ", ".join(j.sample_id for j in batch)


def pending(jobs: list[Prompt], out_root: Path, settings: dict, overwrite: bool) -> list[Prompt]:
    """Jobs to generate: absent, damaged, or (with ``overwrite``) made with other weights or settings.

    Raises:
        InputError: a folder that is not ours, before any work.
        StaleResult: videos made with other weights or settings, without ``overwrite`` (names what differs).
    """
    todo, stale = [], []
    for j in jobs:
        state, diffs = sample_state(out_root / j.sample_id, job_identity(j, settings))
        if state == "same":
            continue
        if state == "changed":
            stale.append((j, diffs))
            if not overwrite:
                continue
        elif state != "absent":
            print(f"{out_root / j.sample_id}: {state}; generating it again")
        todo.append(j)
    if stale and not overwrite:
        j, diffs = stale[0]
        remedy = "pass --overwrite to remake them, or another output folder (--output-dir; score_model: --run-dir)"
        raise refuse(out_root / j.sample_id, diffs, remedy, more=len(stale) - 1)
    if stale:
        print(f"{len(stale)} videos were made with other weights or settings: generating them again (--overwrite)")
    return todo


def generate(jobs: list[Prompt], todo: list[Prompt], gen: Generator):
    """Generate the jobs of ``todo`` (from :func:`pending`) in batches; returns the outcomes of every job."""
    size = gen.args.batch_size
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    outcomes = run_jobs(batches, gen.batch, key=_batch_key, desc="generating", unit="batch")
    return [skipped(j.sample_id) for j in jobs if j not in todo] + outcomes


def pick_device(name: str) -> torch.device:
    """``auto`` = CUDA when available."""
    return torch.device(
        "cuda" if (name == "auto" and torch.cuda.is_available()) else ("cpu" if name == "auto" else name)
    )


def run(cfg, jobs: list[Prompt] | None = None) -> int:
    """Generate as configured (``jobs``: given by the caller, e.g. Physics-IQ's cases); returns the exit status."""
    args = section(cfg, "inference", InferenceArgs)
    bargs = section(cfg, "backbone", BackboneArgs)
    sched = section(cfg, "scheduler", RFlowArgs)
    changes = apply_identity(bargs, geometry=args.geometry_from_weights)
    if changes:
        print(f"{bargs.model_path}/pisa.json: the weights were trained with " + ", ".join(changes))
    device = pick_device(args.device)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}.get(
        args.dtype, torch.bfloat16 if device.type == "cuda" else torch.float32
    )
    backbone_class(bargs.name).check_sampling_steps(sched.num_sampling_steps)
    i, n = args.shard_index()
    jobs = (load_jobs(args) if jobs is None else jobs)[i::n]
    claim_output_dir(args.output_dir, "inference", create=False)  # a folder not of ours: fail before loading models
    check_writable(args.output_dir)
    settings = run_settings(args, bargs, sched, dtype)
    todo = pending(jobs, Path(args.output_dir), settings, args.overwrite)  # stale videos refused before loading
    backbone = build_backbone(bargs, device, dtype, sched)
    out_root = claim_output_dir(args.output_dir, "inference")
    for p in remove_stale_temporaries(out_root):
        print(f"removed {p} (left by a killed run)")
    outcomes = generate(jobs, todo, Generator(backbone, args, sched, jobs, settings))
    made = sum(len(o.value) for o in outcomes if o.status == "done")
    already = sum(o.status == "skipped" for o in outcomes)
    shard = f" (shard {i}/{n})" if n > 1 else ""
    print(
        f"{bargs.name}: generated {made} of {len(jobs)} videos{shard} into {args.output_dir} ({already} already there)"
    )
    return finish(
        out_root,
        "inference" if n == 1 else f"inference-shard{i}of{n}",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        info={"config": config_to_dict(cfg)},
    )


def _flags(p):
    p.add_argument("--backbone", choices=NAMES, help=f"model family (default config: {CONFIG_DIR}/NAME.py)")
    p.add_argument("--prompt-file", "--prompt_file", dest="prompt_file", help="released prompt file")
    p.add_argument(
        "--benchmark-dir", "--benchmark_dir", dest="benchmark_dir", help="samples giving prompt + first frame"
    )
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", help="where generated samples go")
    p.add_argument(
        "--model-path", "--ckpt-path", dest="model_path", help="weights: hub id or folder (diffusers pipeline folder)"
    )
    p.add_argument("--seed", type=int, help="sampling seed")
    p.add_argument("--shard", help="i/n: generate every n-th prompt starting at i (one process per GPU)")
    p.add_argument(
        "--allow-failures", dest="allow_failures", action="store_true", default=None, help="exit 0 despite failures"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="remake videos an earlier run made with other weights or settings (default: refuse, naming what differs)",
    )


def default_config(argv) -> str:
    """``configs/inference/<--backbone>.py`` (Open-Sora v1.2's when no backbone is named)."""
    import argparse

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--backbone", choices=NAMES, default=DEFAULT_BACKBONE)
    known, _ = pre.parse_known_args(argv)
    return f"{CONFIG_DIR}/{known.backbone}.py"


def check_backbone(cfg, name: str, config_path: str) -> None:
    """Refuse a config of another backbone than the one asked for (never silently the config's).

    Raises:
        ConfigError: naming both backbones and the config to use.
    """
    configured = cfg.get("backbone", {}).get("name", DEFAULT_BACKBONE)
    if configured != name:
        raise ConfigError(
            f"{config_path} is a config for {configured}, but --backbone says {name}; "
            f"use {CONFIG_DIR}/{name}.py (or leave out the config)"
        )


def main(argv=None) -> int:
    """Parse the command line and generate."""
    argv = sys.argv[1:] if argv is None else list(argv)
    ns, cfg = parse_cli(
        argv,
        prog="python -m opensora.inference",
        description=__doc__,
        default_config=default_config(argv),
        add_flags=_flags,
    )
    copy_flags(
        cfg,
        "inference",
        ns,
        ("prompt_file", "benchmark_dir", "output_dir", "seed", "shard", "allow_failures", "overwrite"),
    )
    copy_flags(cfg, "backbone", ns, ("model_path",))

    def checked_run(cfg):
        if ns.backbone:
            check_backbone(cfg, ns.backbone, ns.config)
        return run(cfg)

    return run_reporting_errors(checked_run, resolve_specs(cfg))


if __name__ == "__main__":
    sys.exit(main())
