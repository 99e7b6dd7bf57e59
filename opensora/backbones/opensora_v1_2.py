"""Open-Sora v1.2 (our STDiT3, VAE and rectified flow; the paper's model) behind the backbone interface.

Conditioning is mask strategy ``"0"`` of the release: the first frame's VAE latent is latent
frame 0, kept clean (re-inserted after every step and modulated with timestep 0 inside STDiT3);
the unconditional branch of classifier-free guidance uses the model's learned null caption. The
sampler is the release's rectified flow (:mod:`opensora.schedulers.rf`): per step it draws the
noise the release draws for masked frames (so the random stream matches), calls STDiT3 on
``[cond; null]``, and takes an Euler step. References are encoded one at a time with the
generation's generator (the release encodes each reference separately; its posterior sample
used the global RNG, which made one seed give different videos within a process).

Inference prompts are prepared as the release's ``scripts/inference.py``: the aesthetic score is
appended as ``" aesthetic score: 6.5."`` unless the prompt already has one, then the caption is
cleaned twice with ``clean_caption`` (``opensora/models/text_encoder/t5.py`` of the release; we
call diffusers' copy of the same DeepFloyd-IF function with the one step it lacks restored). Training captions stay verbatim.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import torch
from typing_extensions import override

from opensora.backbones.base import Backbone, Geometry, Trajectory
from opensora.schedulers.rf import (
    RFlowArgs,
    add_noise,
    i2v_mask,
    sample_training_timesteps,
    sampling_timesteps,
    step_sizes,
    timestep_transform,
)

NAME = "opensora_v1_2"


def identity_of_vae(vae: str, vae_path: str | None) -> str:
    """The latent space's name ``<preset>:<weights>`` (``PixelSpace:None`` for pixels); latent caches key on it."""
    return f"{vae}:{vae_path}"


def _inner(model):
    return getattr(model, "module", model)  # DDP keeps the model in .module


def _stripped_unescape(text: str) -> str:
    import html

    return html.unescape(text).strip()


def clean_caption(text: str) -> str:
    """The release's caption cleaning (``clean_caption`` of ``opensora/models/text_encoder/t5.py``), once.

    diffusers' copy of it (DeepFloyd IF's ``_clean_caption``) runs the same steps except one: the
    release's ``basic_clean`` strips the text right after ``html.unescape``, before the steps that
    look at its first and last character, and diffusers' does not — so ``'(:-) A ball falls.'``
    became ``'- a ball falls.'`` instead of ``'a ball falls.'``. We run diffusers' function with its
    ``html.unescape`` stripping the result, which is the release's order of steps (the strip
    commutes with the unescape; tested against the release's outputs).
    """
    from types import SimpleNamespace
    from unittest import mock

    from diffusers.pipelines.deepfloyd_if import pipeline_if
    from diffusers.pipelines.deepfloyd_if.pipeline_if import IFPipeline

    from evaluation.core.errors import MissingDependencyError

    try:
        import bs4  # noqa: F401
        import ftfy  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(
            f"Open-Sora's prompt cleaning needs {e.name} (pip install -r requirements/train.txt)"
        ) from e
    with _CLEAN_LOCK, mock.patch.object(pipeline_if, "html", SimpleNamespace(unescape=_stripped_unescape)):
        return IFPipeline._clean_caption(IFPipeline, text)  # only reads the class's bad_punct_regex


_CLEAN_LOCK = threading.Lock()  # the patch above is process-wide while it lasts


def released_prompt(text: str, aes: float | None) -> str:
    """``text`` as the release's inference sends it to T5: score suffix, then ``clean_caption`` twice."""
    if aes is not None and "aesthetic score:" not in text:
        text = f"{text} aesthetic score: {aes:.1f}."
    return clean_caption(clean_caption(text))


class OpenSoraV12(Backbone):
    """STDiT3 + Open-Sora VAE (or pixel space) + T5, rectified-flow sampling."""

    name = NAME

    def __init__(
        self,
        model,
        vae,
        sched: RFlowArgs,
        geometry: Geometry,
        *,
        text_encoder_path: str | None = None,
        text_max_length: int = 300,
        aes: float | None = None,
        model_id: str | None = None,
        vae_id: str = "OpenSoraVAE_V1_2",
        device=None,
        dtype=torch.float32,
    ):
        self.model, self.vae, self.sched, self.geometry = model, vae, sched, geometry
        self.text_encoder_path, self.text_max_length, self.aes = text_encoder_path, text_max_length, aes
        self.model_id, self.vae_id = model_id, vae_id
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.dtype = dtype
        self._t5 = None

    @classmethod
    def from_args(cls, args, sched: RFlowArgs, *, device, dtype) -> OpenSoraV12:
        """STDiT3, VAE (or pixel space) and T5 as the ``backbone`` section names them.

        Raises:
            ConfigError: the STDiT3 and the VAE disagree on the latent channels (both named).
        """
        from evaluation.core.errors import ConfigError
        from opensora.models import stdit3_from_path_or_preset, vae_from_path_or_preset

        model = stdit3_from_path_or_preset(args.model, args.model_path, args.model_weights, args.model_overrides)
        vae = vae_from_path_or_preset(args.vae, args.vae_path)
        c_model, c_vae = model.config.in_channels, vae.config.latent_channels
        if c_model != c_vae:
            raise ConfigError(
                f"the model {args.model_path or args.model} takes {c_model}-channel latents but the VAE "
                f"{args.vae}{' (' + args.vae_path + ')' if args.vae_path else ''} gives {c_vae}; "
                "set backbone.vae / backbone.vae_path to the latent space the model was trained in"
            )
        return cls(
            model.to(device, dtype).eval(),
            vae.to(device).eval(),
            sched,
            args.geometry,
            text_encoder_path=args.text_encoder_path,
            text_max_length=args.text_max_length,
            aes=args.aes,
            model_id=args.model_path or f"random {args.model}",
            vae_id=identity_of_vae(args.vae, args.vae_path),
            device=device,
            dtype=dtype,
        )

    # identity and prompts
    @override
    def latent_space(self) -> str:
        return self.vae_id

    @override
    def latent_weights(self) -> str:
        from evaluation.core.identity import fingerprint

        _, _, vae_path = self.vae_id.partition(":")
        return "" if vae_path == "None" else fingerprint(vae_path)

    @override
    def sampler_record(self) -> dict:
        from dataclasses import asdict

        return {"rflow": asdict(self.sched)}

    @override
    def inference_prompt(self, text: str) -> str:
        return released_prompt(text, self.aes)

    @override
    def text_identity(self) -> str:
        """The T5 weights' content (not their path) and the token length."""
        from evaluation.core.identity import fingerprint

        return f"t5:{fingerprint(self.text_encoder_path)}:{self.text_max_length}"

    @override
    def encode_prompts(self, texts: list[str]) -> dict[str, torch.Tensor]:
        if self._t5 is None:
            from opensora.models.text_encoder.t5 import T5Encoder

            self._t5 = T5Encoder(self.text_encoder_path, self.text_max_length, device=self.device)
        y, mask = self._t5.encode(texts)
        return {"y": y, "mask": mask}

    @override
    def denoiser(self):
        return self.model

    @override
    def uses_guidance(self, scale: float) -> bool:
        return True  # the release always makes the null-caption prediction

    clip_conditioning = True  # the release's mask strategy holds any leading latent frames fixed

    @override
    def check_context_frames(self, k):
        from evaluation.core.errors import ConfigError

        chunk = getattr(self.vae, "micro_frame_size", 1)  # the temporal VAE encodes chunks of this many frames
        if k % chunk or k >= self.geometry.num_frames:
            raise ConfigError(
                f"a {k}-frame conditioning clip: {self.vae_id}'s temporal VAE encodes {chunk}-frame chunks, so the "
                f"clip must be a multiple of {chunk} frames (and shorter than backbone.num_frames = "
                f"{self.geometry.num_frames}) for its latents to line up with the video's"
            )

    # latents
    @override
    def encode(self, video, generator=None):
        return self.vae.encode(video, generator=generator)

    @override
    def frames_cost(self, frames) -> str:
        if frames is None:
            return "all frames"
        return f"every latent frame through the temporal VAE, the spatial decoder on the {len(frames)} frames scored"

    @override
    def decode(self, latents, frames=None, generator=None):
        return self.vae.decode(latents.float(), self.geometry.num_frames, frames=frames)

    # sampling
    def _sizes(self, b: int) -> dict[str, torch.Tensor]:
        g = self.geometry
        # in the compute dtype, as Open-Sora passes them (bf16-quantised timestep transform on GPU)
        return {
            k: torch.full((b,), float(v), device=self.device, dtype=self.dtype)
            for k, v in (("height", g.height), ("width", g.width), ("num_frames", g.num_frames), ("fps", g.fps))
        }

    @override
    def start(self, first_frames, features, generator, steps, guidance=True) -> Trajectory:
        b, h, w = first_frames.shape[0], *first_frames.shape[-2:]
        g = self.geometry
        t_lat, h_lat, w_lat = self.vae.latent_size(g.num_frames, h, w)
        refs = first_frames.to(self.device)
        clip = refs if refs.ndim == 5 else refs[:, :, None]  # a conditioning clip: mask strategy over its latents
        ref_z = torch.cat([self.vae.encode(clip[k : k + 1], generator=generator) for k in range(b)])
        c, num_cond = ref_z.shape[1], ref_z.shape[2]
        noise = torch.randn((b, c, t_lat, h_lat, w_lat), generator=generator, device=generator.device)
        z = torch.cat([ref_z.to(noise.device, noise.dtype), noise[:, :, num_cond:]], dim=2).to(self.device)
        sizes = self._sizes(b)
        sched = replace(self.sched, num_sampling_steps=steps)
        timesteps = sampling_timesteps(sched, b, self.device, sizes["height"], sizes["width"], sizes["num_frames"])
        state = {
            "sched": sched,
            "sizes": sizes,
            "deltas": step_sizes(timesteps, sched.num_timesteps),
            "cond_mask": i2v_mask(b, t_lat, self.device, num_cond),
            "generator": generator,
        }
        state["noise_added"] = state["cond_mask"] == 1
        feats = {"y": features["y"].to(self.device), "mask": features["mask"].to(self.device)}
        return Trajectory(z, timesteps, features=feats, state=state, guidance=True)

    @override
    def model_input(self, traj: Trajectory, i: int) -> torch.Tensor:
        s, t = traj.state, traj.timesteps[i]
        x0 = traj.x.clone()
        gen = s["generator"]
        eps = torch.randn(x0.shape, generator=gen, device=gen.device, dtype=x0.dtype).to(x0.device)
        x_noise = add_noise(x0, eps, t, s["sched"].num_timesteps)
        upper = s["cond_mask"] * s["sched"].num_timesteps >= t[:, None]  # (B, T) frames being generated
        s["x0"], s["upper"] = x0, upper
        z = torch.where((upper & ~s["noise_added"])[:, None, :, None, None], x_noise, x0)
        s["noise_added"] = upper
        traj.x = z  # the Euler step starts from the model's input
        return z

    @override
    def predict(self, model, traj: Trajectory, i: int, x: torch.Tensor):
        s, t, f = traj.state, traj.timesteps[i], traj.features
        b = x.shape[0]
        null = _inner(model).y_embedder.y_embedding[None].repeat(b, 1, 1)[:, None].to(f["y"].dtype)
        sizes = {k: torch.cat([v, v]) for k, v in s["sizes"].items()}
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype != torch.float32):
            v = model(
                torch.cat([x, x]),
                torch.cat([t, t]),
                y=torch.cat([f["y"], null]),
                mask=f["mask"],
                x_mask=s["upper"].repeat(2, 1),
                **sizes,
            )[:, : x.shape[1]]
        return v.chunk(2, dim=0)

    @override
    def step(self, traj: Trajectory, i: int, prediction: torch.Tensor) -> torch.Tensor:
        s = traj.state
        z = traj.x + prediction * s["deltas"][i].to(traj.x.dtype).view(-1, 1, 1, 1, 1)
        return torch.where(s["upper"][:, None, :, None, None], z, s["x0"])

    # stochastic sampling: σ = t / T; the release's velocity points from noise to data (x + v Δτ)
    @override
    def flow_sigmas(self, traj, i):
        n, scale = len(traj.timesteps), traj.state["sched"].num_timesteps
        t = traj.timesteps[i]
        if not bool((t == t[0]).all()):
            raise ValueError("stochastic sampling needs one timestep per step for the whole batch")
        nxt = float(traj.timesteps[i + 1][0]) / scale if i + 1 < n else 0.0
        return float(t[0]) / scale, nxt

    @override
    def flow_velocity(self, traj, i, prediction):
        return -prediction

    @override
    def generated(self, traj):
        return traj.state["upper"][:, None, :, None, None].to(traj.x.dtype)

    # training: the release's rectified-flow loss with Open-Sora's first-frame mask strategies
    default_lora_targets = ("qkv", "q_linear", "kv_linear")

    @override
    def release_text_encoder(self) -> None:
        self._t5 = None

    @override
    def freeze(self) -> None:
        self.vae.eval().requires_grad_(False)

    @override
    def identity(self) -> dict:
        vae, _, vae_path = self.vae_id.partition(":")
        return {
            **super().identity(),
            "vae": vae,
            "vae_path": None if vae_path == "None" else vae_path,
            "text_encoder_path": self.text_encoder_path,
            "text_max_length": self.text_max_length,
        }

    @override
    def training_mask(self, ratios, x0, seed):
        """Open-Sora's mask strategies (``data.mask_ratios``; PISA: ``image_head``, latent frame 0 clean)."""
        from opensora.schedulers.rf.masks import sample_masks

        return sample_masks(ratios, x0.shape[0], x0.shape[2], torch.Generator().manual_seed(seed)).to(x0.device)

    @override
    def training_loss(self, model, x0, features, first_frames, generator, mask=None):
        """``opensora.schedulers.rf.training_losses``: frames with ``mask == False`` stay clean (the condition)."""
        from opensora.schedulers.rf import training_losses

        b = x0.shape[0]
        g = self.geometry
        sizes = {
            k: torch.full((b,), float(v), device=x0.device)
            for k, v in (("height", g.height), ("width", g.width), ("num_frames", g.num_frames), ("fps", g.fps))
        }
        kwargs = dict(y=features["y"], mask=features["mask"], **sizes)
        return training_losses(model, x0, kwargs, self.sched, mask=mask, generator=generator)["loss"]

    @override
    def fresh_denoiser(self, like):
        from opensora.models.stdit.stdit3 import STDiT3

        return STDiT3(_inner(like).config)

    @override
    def export_weights(self, like, denoiser_sd, lora_sd, folder, identity):
        """``config.json`` + ``model.safetensors`` (LoRA merged) and ``pisa.json``."""
        from evaluation.core.files import write_json
        from opensora.models.checkpoint import save_weights_folder

        config = _inner(like).config.to_json()
        folder = save_weights_folder(denoiser_sd, config, folder)
        write_json(folder / "pisa.json", identity)
        return folder

    # training objective (rectified flow, as opensora.schedulers.rf.training_losses)
    @override
    def sample_timesteps(self, b, generator):
        t = sample_training_timesteps(b, self.sched, self.device, generator)
        if self.sched.use_timestep_transform:
            s = self._sizes(b)
            t = timestep_transform(t, s["height"], s["width"], s["num_frames"], self.sched)
        return t

    @override
    def add_noise(self, x0, noise, t):
        return add_noise(x0, noise, t, self.sched.num_timesteps)

    @override
    def training_target(self, x0, noise, t):
        return x0 - noise
