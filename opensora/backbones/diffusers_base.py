"""What the diffusers backbones share: loading a pipeline folder's model classes, memory knobs, prompts.

Each diffusers backbone loads the model classes of a diffusers pipeline folder — transformer,
VAE, text encoder, tokenizer, image encoder, scheduler — with the pipeline class's own
``from_pretrained`` (a hub id such as ``THUDM/CogVideoX-5b-I2V`` or a local folder written by
``save_pretrained``). It uses the pipeline's helper methods for what must match it exactly
(prompt encoding, the first-frame latents and initial noise, latent packing and decoding) and
runs the denoising loop itself, through :mod:`opensora.backbones.sampling`, so gradients can flow
(ORO) and every model is sampled by the same code. The pipeline's ``__call__`` is never used.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from typing_extensions import override

from evaluation.core.errors import ConfigError, InputError
from evaluation.core.weightfiles import check_weights
from opensora.backbones.base import Backbone, Geometry


def read_base_model(model_id: str) -> str:
    """The pipeline an export's weights sit on: its own ``base_model`` for our exports, else ``model_id``."""
    from opensora.backbones import read_identity

    ident = read_identity(model_id)
    return ident["base_model"] if ident and ident.get("base_model") else model_id


def check_pipeline_folder(folder: Path) -> dict:
    """Every component folder that ``model_index.json`` lists exists and holds files; returns the index.

    Raises:
        InputError: naming the missing or empty component folder, before any weights load.
    """
    from evaluation.core.files import read_json_object

    index = read_json_object(folder / "model_index.json")
    for part, spec in index.items():
        if part.startswith("_") or not isinstance(spec, list) or not spec or spec[0] is None:
            continue
        if not (folder / part).is_dir():
            raise InputError(folder / part, f"missing: model_index.json lists the {part} component ({spec[-1]})")
        if not any((folder / part).iterdir()):
            raise InputError(folder / part, f"empty: the {part} component ({spec[-1]}) has no files")
    return index


def load_checked(model_class, folder: Path, dtype: torch.dtype):
    """``model_class.from_pretrained(folder)`` whose ``config.json`` must describe exactly the weights there.

    diffusers leaves parameters the weights lack on the meta device (a traceback much later) and
    drops weights the config has no place for (silently another model).

    Raises:
        InputError: names ``config.json`` and the first parameters that differ.
    """
    from safetensors import safe_open

    model = model_class.from_pretrained(str(folder), torch_dtype=dtype)
    stored = set()
    for f in sorted(folder.glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as sf:
            stored |= set(sf.keys())
    wanted = set(model.state_dict())
    missing, extra = sorted(wanted - stored), sorted(stored - wanted)
    if stored and (missing or extra):
        what = [f"{len(missing)} parameters the weights lack (e.g. {missing[:2]})"] if missing else []
        what += [f"no place for {len(extra)} stored weights (e.g. {extra[:2]})"] if extra else []
        raise InputError(folder / "config.json", "does not match the weights beside it: " + "; ".join(what))
    return model


def load_pipeline(class_name: str, name_or_path: str, dtype: torch.dtype, **components):
    """``diffusers.<class_name>.from_pretrained``; a local folder's files are checked first, errors name it."""
    import diffusers

    path = name_or_path
    local = Path(path)
    if local.exists():
        if not (local / "model_index.json").is_file():
            raise InputError(local, f"not a diffusers pipeline folder (no model_index.json); expected {class_name}")
        check_pipeline_folder(local)
    check_weights(local)  # the folder and its component subfolders; a path that does not exist is named
    cls = getattr(diffusers, class_name)
    try:
        return cls.from_pretrained(path, dtype=dtype, **components)
    except OSError as e:
        raise InputError(
            name_or_path, f"{class_name} weights not found locally or on the hub ({e}); see models/README.md"
        ) from e


def save_export(
    model_class, config, pipeline_class: str, base_model: str, denoiser_sd, lora_sd, folder, identity, lora_base: str
):
    """Write an export folder: ``transformer/`` (diffusers format), the LoRA adapters, ``pisa.json``.

    ``denoiser_sd`` holds plain weights (LoRA merged) for ``model_class(**config)``, which is built
    on the meta device and takes the tensors as they are (no second copy of a 14 B model);
    ``lora_sd`` (diffusers' ``<module>.lora_A/B.weight`` keys) is written with the pipeline class's
    ``save_lora_weights`` — what ``load_lora_weights`` reads. ``pisa.json`` names the base pipeline
    (``base_model``: what ``transformer/`` completes) and, with adapters, the model they were
    trained on (``lora_base``: the run's weights — the base pipeline, or an earlier export such as
    PSFT's when ORO trained LoRA on it; the adapters reproduce the run only on that model's
    transformer).
    """
    import diffusers

    from evaluation.core.files import write_json

    folder = Path(folder)
    with torch.device("meta"):
        model = model_class.from_config(config)
    model.load_state_dict(denoiser_sd, strict=True, assign=True)
    model.save_pretrained(str(folder / "transformer"))
    if lora_sd:
        getattr(diffusers, pipeline_class).save_lora_weights(str(folder), transformer_lora_layers=lora_sd)
    record = {**identity, "base_model": base_model}
    if lora_sd:
        record["lora_base"] = lora_base
    write_json(folder / "pisa.json", record)
    return folder


def transformer_class_and_config(pipeline_class: str, model_id: str):
    """The denoiser's class and config of a pipeline folder or hub id, without loading any weights."""
    import diffusers

    path = model_id
    try:
        index = getattr(diffusers, pipeline_class).load_config(path)
        cls = getattr(diffusers, index["transformer"][1])
        return cls, cls.load_config(path, subfolder="transformer")
    except (OSError, KeyError, TypeError, AttributeError) as e:
        raise InputError(model_id, f"cannot read the {pipeline_class} transformer's config ({e})") from e


class DiffusersBackbone(Backbone):
    """A diffusers image-to-video pipeline's model classes behind the backbone interface."""

    pipeline_class = ""
    default_negative_prompt = ""
    default_max_sequence_length = 226

    def __init__(
        self,
        model_path: str,
        geometry: Geometry,
        *,
        device=None,
        dtype: torch.dtype = torch.float32,
        negative_prompt: str | None = None,
        max_sequence_length: int | None = None,
        vae_tiling: bool = False,
        vae_slicing: bool = False,
        cpu_offload: bool = False,
    ):
        self.model_id, self.geometry = model_path, geometry
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype
        self.negative_prompt = self.default_negative_prompt if negative_prompt is None else negative_prompt
        self.max_sequence_length = max_sequence_length or self.default_max_sequence_length
        self.pipe = self._load(model_path, dtype)
        self.pipe.set_progress_bar_config(disable=True)
        if vae_tiling:
            self.pipe.vae.enable_tiling()
        if vae_slicing:
            self.pipe.vae.enable_slicing()
        if cpu_offload:
            if self.device.type != "cuda":
                raise ConfigError("inference.cpu_offload needs a CUDA device (it moves models to the GPU as they run)")
            self.pipe.enable_model_cpu_offload(device=self.device)
        else:
            self.pipe.to(self.device)
        self.check_geometry()

    def _load(self, model_path: str, dtype):
        """The pipeline; for one of our exports (``pisa.json`` with ``base_model``) its base with the trained transformer."""
        from opensora.backbones import read_identity

        ident = read_identity(model_path)
        pipeline = ident["base_model"] if ident and ident.get("base_model") else model_path
        if (Path(pipeline) / "model_index.json").is_file():
            self.check_index(Path(pipeline), check_pipeline_folder(Path(pipeline)))
        if ident and ident.get("backbone") not in (None, self.name):
            raise InputError(
                model_path,
                f"holds {ident['backbone']} weights (pisa.json), not {self.name}: pass --backbone {ident['backbone']}",
            )
        if not (ident and ident.get("base_model")):
            return load_pipeline(self.pipeline_class, model_path, dtype)
        base = load_pipeline(self.pipeline_class, ident["base_model"], dtype)
        folder = Path(model_path) / "transformer"
        if not folder.is_dir():
            raise InputError(model_path, "pisa.json names a base model but there is no transformer/ folder")
        check_weights(folder)
        base.transformer = load_checked(type(base.transformer), folder, dtype)
        return base

    def check_index(self, folder: Path, index: dict) -> None:
        """The pipeline folder holds this backbone's model: its transformer class is the pipeline's.

        Raises:
            InputError: another model's pipeline, naming both (before any weights load).
        """
        import inspect

        import diffusers

        want = inspect.signature(getattr(diffusers, self.pipeline_class).__init__).parameters["transformer"].annotation
        want = want if isinstance(want, str) else want.__name__
        got = (index.get("transformer") or [None, None])[-1]
        if got != want:
            raise InputError(
                folder,
                f"holds a {index.get('_class_name')} pipeline (transformer {got}), not {self.name}'s "
                f"(transformer {want}): pass the --backbone these weights are for",
            )

    @override
    def release_text_encoder(self) -> None:
        self.pipe.text_encoder = None

    @override
    def freeze(self) -> None:
        for part in ("vae", "text_encoder", "image_encoder"):
            module = getattr(self.pipe, part, None)
            if module is not None:
                module.eval().requires_grad_(False)

    @override
    def fresh_denoiser(self, like):
        like = getattr(like, "module", like)
        return type(like).from_config(like.config)

    @override
    def export_weights(self, like, denoiser_sd, lora_sd, folder, identity):
        """``transformer/`` (diffusers format, LoRA merged), LoRA adapters, ``pisa.json``.

        ``pytorch_lora_weights.safetensors`` (for ``load_lora_weights``) is written when LoRA was
        trained; ``pisa.json`` names the base pipeline the transformer belongs to.
        """
        like = getattr(like, "module", like)
        base = read_base_model(self.model_id)
        return save_export(
            type(like), like.config, self.pipeline_class, base, denoiser_sd, lora_sd, folder, identity, self.model_id
        )

    # identity
    @override
    def latent_space(self) -> str:
        return f"{type(self.pipe.vae).__name__}:{self.model_id}"

    @override
    def latent_weights(self) -> str:
        from evaluation.core.identity import fingerprint

        base = Path(read_base_model(self.model_id))
        return fingerprint(base / "vae" if base.is_dir() else base)

    @override
    def text_identity(self) -> str:
        """The text encoder's and tokenizer's content (not their path), its settings, the negative prompt."""
        from evaluation.core.identity import fingerprint

        base = Path(read_base_model(self.model_id))
        parts = ("text_encoder", "tokenizer")
        weights = [fingerprint(base / p) for p in parts] if base.is_dir() else [fingerprint(base)]
        return f"{self.name}:{weights}:{self.max_sequence_length}:neg={self.negative_prompt}"

    @override
    def denoiser(self):
        return self.pipe.transformer

    def check_geometry(self) -> None:
        """Frame count and canvas the model's autoencoder and patching accept (a ConfigError names the key)."""

    def _check_grid(self, temporal: int, spatial: int) -> None:
        """Frames ``temporal·k + 1`` and a canvas on the ``spatial`` grid (VAE compression × patch)."""
        g = self.geometry
        self._check_multiple("num_frames", g.num_frames, temporal, 1)
        self._check_multiple("height", g.height, spatial)
        self._check_multiple("width", g.width, spatial)

    @override
    def encode_prompts(self, texts):
        pos, neg = self.pipe.encode_prompt(
            prompt=list(texts),
            negative_prompt=[self.negative_prompt] * len(texts),
            do_classifier_free_guidance=True,
            num_videos_per_prompt=1,
            max_sequence_length=self.max_sequence_length,
            device=self.device,
        )
        return {"pos": pos, "neg": neg}

    def _check_multiple(self, key: str, value: int, multiple: int, offset: int = 0) -> None:
        if (value - offset) % multiple:
            raise ConfigError(
                f"{key}={value} does not suit {self.name}: it must be {multiple}k{' + ' + str(offset) if offset else ''}"
            )

    @override
    def describe(self) -> dict:
        d = super().describe()
        d["pipeline"] = self.pipeline_class
        d["negative_prompt"] = self.negative_prompt
        return d

    @override
    def sampler_record(self) -> dict:
        sched = self.pipe.scheduler
        return {"scheduler": type(sched).__name__, "scheduler_config": dict(sched.config)}

    temporal_axis = 2  # of the latents ([B, C, T, h, w]; CogVideoX: 1)
    causal_decoder = True  # decoded frame f depends only on latent frames up to f's

    def temporal_ratio(self) -> int:
        """Pixel frames per latent frame after the first."""
        return self.pipe.vae_scale_factor_temporal

    def decode_plan(self, frames) -> int | None:
        """Latent frames a frame subset needs: a prefix for causal decoders (None = all of them).

        Pixel frame 0 is latent frame 0; pixel frame f > 0 belongs to latent ``(f - 1) // r + 1``.
        """
        if frames is None or not self.causal_decoder:
            return None
        last = max(frames)
        return 1 if last == 0 else (last - 1) // self.temporal_ratio() + 2

    def frames_cost(self, frames) -> str:
        """What a frame subset really decodes (ORO prints it)."""
        n = self.decode_plan(frames)
        if n is None:
            return "all latent frames (the decoder is not causal)" if frames is not None else "all frames"
        last = (n - 1) * self.temporal_ratio()
        return f"latent frames 0..{n - 1} (pixel frames 0..{last}) for the {len(frames)} frames scored"

    def _prefix(self, latents, frames):
        n = self.decode_plan(frames)
        return latents if n is None else latents.narrow(self.temporal_axis, 0, n)

    def fresh_scheduler(self):
        """A copy of the pipeline's scheduler (schedulers keep per-generation state)."""
        return copy.deepcopy(self.pipe.scheduler)

    def uint8_frames(self, first_frames: torch.Tensor) -> list:
        """``[B, 3, H, W]`` in [-1, 1] → ``uint8 [H, W, 3]`` arrays (what an image encoder's processor takes)."""
        x = ((first_frames.float().cpu() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        return list(x.permute(0, 2, 3, 1).numpy())


class FlowMatching:
    """Flow-matching objective of Wan and LTX-Video: ``x_σ = (1 - σ) x0 + σ ε``, target ``ε - x0``, t = 1000 σ."""

    def add_noise(self, x0, noise, t):
        """Interpolate towards noise at ``σ = t / 1000``."""
        s = (t.float() / 1000).view(-1, *([1] * (x0.ndim - 1))).to(x0.dtype)
        return (1 - s) * x0 + s * noise

    def training_target(self, x0, noise, t):
        """The velocity ``ε - x0``."""
        return noise - x0

    def flow_sigmas(self, traj, i):
        """``(σ_i, σ_{i+1})`` from the scheduler's sigmas (stochastic sampling, ``opensora.backbones.stochastic``)."""
        sig = traj.state["sched"].sigmas
        return float(sig[i]), float(sig[i + 1])

    def flow_velocity(self, traj, i, prediction):
        """The prediction is already the velocity ``ε − x₀``."""
        return prediction
