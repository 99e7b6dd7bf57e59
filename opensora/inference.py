r"""First-frame-conditioned video generation with Open-Sora v1.2 (image-to-video, mask strategy "0").

Usage::

    python -m opensora.inference configs/inference/sample.py --prompt-file prompts.txt --output-dir outputs/gen
    python -m opensora.inference configs/inference/sample.py --benchmark-dir data/pisabench/real_256 \
        --output-dir outputs/predictions/real

Inputs: a prompt file in the released format (one ``text{"reference_path": "...", "mask_strategy": "0"}``
per line), or a benchmark folder whose samples give the prompt (``clip_info.json`` ``text``) and
the first frame. Each prompt becomes ``<output_dir>/<sample_id>/`` in the data schema (frames,
``movie.mp4``, ``clip_info.json`` with prompt, seed and sampler settings, a ``DONE`` record), so
the benchmark reads the outputs directly. Batches, bf16 on GPU, progress bar.

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
from PIL import Image

from evaluation.batch import finish, run_jobs, skipped
from evaluation.config import config_to_dict, copy_flags, parse_cli, run_reporting_errors, section
from evaluation.errors import ConfigError, InputError
from evaluation.outdirs import check_sample_target, claim_output_dir, remove_stale_temporaries, staged_folder
from evaluation.schema import CLIP_INFO_FILE, find_samples, list_frames, read_clip_info, read_image, write_sample
from opensora.models import stdit3_from_path_or_preset, vae_from_path_or_preset
from opensora.models.text_encoder.t5 import T5Encoder
from opensora.models.tiny import resolve_weights
from opensora.schedulers.rf import RFlowArgs, i2v_mask, sample

DEFAULT_CONFIG = "configs/inference/sample.py"
DTYPES = ("auto", "fp32", "bf16")


@dataclass
class InferenceArgs:
    """The ``inference`` config section."""

    model: str = "STDiT3-XL/2"  # preset (architecture when no config.json is found)
    model_path: str | None = "hpcai-tech/OpenSora-STDiT-v3"  # hub id, folder or file; None = random init
    model_weights: str = "model"  # PISA checkpoint folders: "model" (shards) or "ema"
    vae: str = "OpenSoraVAE_V1_2"
    vae_path: str | None = "hpcai-tech/OpenSora-VAE-v1.2"
    text_encoder_path: str = "DeepFloyd/t5-v1_1-xxl"
    text_max_length: int = 300
    prompt_file: str | None = None
    benchmark_dir: str | None = None
    output_dir: str = "outputs/inference"
    num_frames: int = 32
    resolution: int = 256
    fps: int = 16
    seed: int = 1024
    batch_size: int = 1
    aes: float | None = 6.5  # Open-Sora appends "aesthetic score: 6.5." to each prompt
    dtype: str = "auto"  # auto (bf16 on GPU, fp32 on CPU) | fp32 | bf16
    device: str = "auto"
    allow_random_weights: bool = False  # only for tiny smoke runs
    allow_failures: bool = False  # exit 0 even if some prompts failed (they are listed)

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"inference.dtype must be one of {DTYPES}, got {self.dtype!r}")
        no_vae_weights = self.vae_path is None and self.vae != "PixelSpace"  # PixelSpace has no weights
        if (self.model_path is None or no_vae_weights) and not self.allow_random_weights:
            raise ValueError(
                "model_path/vae_path is None: set inference.allow_random_weights=True for a random-weight smoke run"
            )


@dataclass(frozen=True)
class Prompt:
    """One video to generate: its id, text and first frame."""

    sample_id: str
    text: str
    reference: str  # first frame image
    mask_strategy: str = "0"


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
            jobs.append(Prompt(f"{len(jobs):04d}", text, str(ref)))
        return jobs
    for s in find_samples(args.benchmark_dir):
        info = read_clip_info(s / CLIP_INFO_FILE)
        jobs.append(Prompt(s.relative_to(args.benchmark_dir).as_posix(), info.get("text", ""), str(list_frames(s)[0])))
    if not jobs:
        raise InputError(args.benchmark_dir, "no samples (folders with frames or clip_info.json)")
    return jobs


def load_reference(path: str, size: int) -> torch.Tensor:
    """First frame → ``[3, size, size]`` in [-1, 1] (scale to cover, centre crop: Open-Sora's ``resize_crop``)."""
    im = Image.fromarray(read_image(path))  # a missing or corrupt image is an InputError naming it
    s = size / min(im.size)
    im = im.resize((max(size, round(im.width * s)), max(size, round(im.height * s))), Image.Resampling.BICUBIC)
    left, top = (im.width - size) // 2, (im.height - size) // 2
    arr = np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.float32)
    return torch.from_numpy(arr).permute(2, 0, 1) / 127.5 - 1.0


def build_models(args: InferenceArgs, device, dtype):
    """STDiT3, VAE and T5 as configured (random tiny weights only when allowed)."""
    model = stdit3_from_path_or_preset(args.model, args.model_path, args.model_weights)
    vae = vae_from_path_or_preset(args.vae, args.vae_path)
    text = T5Encoder(resolve_weights(args.text_encoder_path), args.text_max_length, device=device)
    return model.to(device, dtype).eval(), vae.to(device).eval(), text


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """``[3, T, H, W]`` in [-1, 1] → ``uint8 [T, H, W, 3]``."""
    x = ((video.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).cpu().numpy()


def sample_i2v(
    model,
    vae,
    ref: torch.Tensor,
    y: torch.Tensor,
    text_mask: torch.Tensor,
    sched: RFlowArgs,
    *,
    num_frames: int,
    fps: int,
    dtype,
    generator: torch.Generator,
    grad_steps: int = 0,
    checkpoint_model: bool = False,
) -> torch.Tensor:
    """First-frame-conditioned latents ``[B, C, T_lat, h, w]`` (mask strategy "0", CFG with the null caption).

    ``ref [B, 3, H, W]`` in [-1, 1] is encoded as latent frame 0; the rest starts from noise drawn
    with ``generator``. Shared by inference, in-training validation and ORO (which keeps a graph
    through the last ``grad_steps`` denoiser calls).
    """
    b, _, h, w = ref.shape
    device = ref.device
    t_lat, h_lat, w_lat = vae.latent_size(num_frames, h, w)
    ref_z = vae.encode(ref[:, :, None], generator=None)  # (B, C, 1, h, w)
    noise = torch.randn(
        (b, vae.config.latent_channels, t_lat, h_lat, w_lat), generator=generator, device=generator.device
    )
    z = torch.cat([ref_z.to(noise.device, noise.dtype), noise[:, :, 1:]], dim=2).to(device)
    null = getattr(model, "module", model).y_embedder.y_embedding[None].repeat(b, 1, 1)[:, None]  # DDP: .module
    # size tensors in the model dtype, as Open-Sora passes them (the timestep transform's ratio
    # is then bf16-quantised on GPU, reproducing the reference numerics)
    res_h, res_w, n_f, fps_t = (torch.full((b,), float(v), device=device, dtype=dtype) for v in (h, w, num_frames, fps))
    kwargs = dict(mask=text_mask.to(device), height=res_h, width=res_w, num_frames=n_f, fps=fps_t)
    with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
        return sample(
            model,
            z,
            y.to(device),
            null.to(y.dtype).to(device),
            sched,
            kwargs,
            cond_mask=i2v_mask(b, t_lat, device),
            generator=generator,
            grad_steps=grad_steps,
            checkpoint_model=checkpoint_model,
        )


@torch.no_grad()
def generate_batch(batch: list[Prompt], args: InferenceArgs, sched: RFlowArgs, models, device, dtype, gen) -> list[str]:
    """Generate one batch of jobs and write each as a sample folder (atomically); returns the folders."""
    model, vae, text_enc = models
    out_root = Path(args.output_dir)
    ref = torch.stack([load_reference(j.reference, args.resolution) for j in batch]).to(device)
    prompts = [f"{j.text} aesthetic score: {args.aes}." if args.aes is not None else j.text for j in batch]
    y, mask = text_enc.encode(prompts)
    z = sample_i2v(
        model, vae, ref, y, mask, sched, num_frames=args.num_frames, fps=args.fps, dtype=dtype, generator=gen
    )
    video = vae.decode(z.float(), args.num_frames)
    written = []
    for j, v, sent in zip(batch, video, prompts, strict=True):
        info = {
            "text": j.text,
            "fps": args.fps,
            "seed": args.seed,
            "reference_path": j.reference,
            "mask_strategy": j.mask_strategy,
            "model": args.model_path or f"random {args.model}",
            "sampler": asdict(sched),
            "prompt_sent": sent,
        }
        with staged_folder(out_root / j.sample_id) as tmp:
            write_sample(tmp, frames=to_uint8(v), clip_info=info)
        written.append(str(out_root / j.sample_id))
    return written


def _batch_key(batch: list[Prompt]) -> str:
    return ", ".join(j.sample_id for j in batch)


def generate(jobs: list[Prompt], args: InferenceArgs, sched: RFlowArgs, models, device, dtype):
    """Generate every unfinished job in batches; returns the batch runner's outcomes."""
    out_root = Path(args.output_dir)
    todo = []
    for j in jobs:
        state = check_sample_target(out_root / j.sample_id)  # a folder not of ours: InputError, before any work
        if state != "done":
            if state != "absent":
                print(f"{out_root / j.sample_id}: {state}; generating it again")
            todo.append(j)
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    batches = [todo[i : i + args.batch_size] for i in range(0, len(todo), args.batch_size)]

    def one(batch):
        return generate_batch(batch, args, sched, models, device, dtype, gen)

    outcomes = run_jobs(batches, one, key=_batch_key, desc="generating", unit="batch")
    return [skipped(j.sample_id) for j in jobs if j not in todo] + outcomes


def pick_device(name: str) -> torch.device:
    """``auto`` = CUDA when available."""
    return torch.device(
        "cuda" if (name == "auto" and torch.cuda.is_available()) else ("cpu" if name == "auto" else name)
    )


def run(cfg) -> int:
    """Generate as configured; returns the exit status."""
    args = section(cfg, "inference", InferenceArgs)
    sched = section(cfg, "scheduler", RFlowArgs)
    device = pick_device(args.device)
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}.get(
        args.dtype, torch.bfloat16 if device.type == "cuda" else torch.float32
    )
    jobs = load_jobs(args)
    claim_output_dir(args.output_dir, "inference", create=False)  # a folder not of ours: fail before loading models
    models = build_models(args, device, dtype)
    out_root = claim_output_dir(args.output_dir, "inference")
    for p in remove_stale_temporaries(out_root):
        print(f"removed {p} (left by a killed run)")
    outcomes = generate(jobs, args, sched, models, device, dtype)
    made = sum(len(o.value) for o in outcomes if o.status == "done")
    already = sum(o.status == "skipped" for o in outcomes)
    print(f"generated {made} of {len(jobs)} videos into {args.output_dir} ({already} already there)")
    return finish(
        out_root,
        "inference",
        outcomes,
        allow=args.allow_failures,
        allow_flag="--allow-failures",
        info={"config": config_to_dict(cfg)},
    )


def main(argv=None) -> int:
    """Parse the command line and generate."""

    def flags(p):
        p.add_argument("--prompt-file", "--prompt_file", dest="prompt_file", help="released prompt file")
        p.add_argument(
            "--benchmark-dir", "--benchmark_dir", dest="benchmark_dir", help="samples giving prompt + first frame"
        )
        p.add_argument("--output-dir", "--output_dir", dest="output_dir", help="where generated samples go")
        p.add_argument("--model-path", "--ckpt-path", dest="model_path", help="STDiT3 weights: hub id, folder or file")
        p.add_argument("--seed", type=int, help="sampling seed")
        p.add_argument(
            "--allow-failures", dest="allow_failures", action="store_true", default=None, help="exit 0 despite failures"
        )

    flags_ns, cfg = parse_cli(
        argv, prog="python -m opensora.inference", description=__doc__, default_config=DEFAULT_CONFIG, add_flags=flags
    )
    copy_flags(
        cfg,
        "inference",
        flags_ns,
        ("prompt_file", "benchmark_dir", "output_dir", "model_path", "seed", "allow_failures"),
    )
    return run_reporting_errors(run, cfg)


if __name__ == "__main__":
    sys.exit(main())
