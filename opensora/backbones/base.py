"""The backbone interface: what inference, validation, PSFT and ORO need of an image-to-video model.

One object per video model holds its frozen parts (autoencoder, text and image encoders, the
noise schedule) and knows how the model is conditioned and sampled; the denoiser being trained
or sampled is passed in as ``model`` (it may be wrapped: FSDP, DDP, LoRA). What is the same for
every model — the denoising loop with classifier-free guidance and ``grad_steps=K``, the
prompt-feature cache, writing samples — lives outside (:mod:`opensora.backbones.sampling`,
:mod:`opensora.backbones.prompts`), so no caller branches on which model it is.

Per generation the sampler calls, in order: :meth:`Backbone.start` (first-frame condition,
initial noise, timesteps: a :class:`Trajectory`), then for each step :meth:`~Backbone.model_input`
(anything that draws random numbers happens here, outside activation checkpointing),
:meth:`~Backbone.predict` (the denoiser call(s): conditional and unconditional predictions) and
:meth:`~Backbone.step` (the scheduler update), and finally :meth:`~Backbone.finish` (latents
ready for :meth:`~Backbone.decode`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from opensora.backbones.frames import resize_crop_to_fill, to_model_range


@dataclass(frozen=True)
class Geometry:
    """How a backbone generates a PisaBench clip: size, frames, fps, and how the square frame is placed."""

    height: int
    width: int
    num_frames: int
    fps: int
    # "native": the model runs at the square size itself; "pad": the square first frame is
    # centred on a wider canvas (black bars) and the output's centre square taken back; "fill": a
    # frame of any shape is resized to cover the canvas and centre-cropped, the output kept whole.
    square: str = "native"

    @property
    def is_square(self) -> bool:
        """Whether the model's canvas is square."""
        return self.height == self.width


@dataclass
class Trajectory:
    """The state of one batch being denoised."""

    x: torch.Tensor  # current latents, in the backbone's own layout
    timesteps: list  # one entry per denoiser call
    cond: dict = field(default_factory=dict)  # first-frame conditioning tensors
    features: dict = field(default_factory=dict)  # prompt features (positive and negative)
    state: dict = field(default_factory=dict)  # scheduler objects, per-step values
    guidance: bool = True  # whether an unconditional prediction is made


class Backbone:
    """Base class; subclasses implement the model-specific methods."""

    name = "backbone"
    model_id: str | None = None  # hub id or folder the weights came from
    geometry: Geometry
    device = torch.device("cpu")
    dtype = torch.float32  # the denoiser's compute dtype

    # --- identity -------------------------------------------------------------------------
    def describe(self) -> dict:
        """What is written into exports and every generated ``clip_info.json``."""
        g = self.geometry
        return {
            "backbone": self.name,
            "model_id": self.model_id,
            "latent_space": self.latent_space(),
            "canvas": [g.height, g.width],  # the size the model generates at
            "num_frames": g.num_frames,
            "fps": g.fps,
            "square_handling": g.square,
        }

    def sampler_record(self) -> dict:
        """The noise schedule / solver, for ``clip_info.json`` (steps and guidance are recorded by the caller)."""
        return {}

    def latent_space(self) -> str:
        """Which autoencoder (or pixel space) the latents belong to."""
        raise NotImplementedError

    def latent_weights(self) -> str:
        """The content fingerprint of the autoencoder's weights (latent caches key on it; "" for none)."""
        return ""

    # --- the one preprocessing path -------------------------------------------------------
    def prepare_first_frame(self, image: np.ndarray) -> torch.Tensor:
        """``uint8 [H, W, 3]`` → ``[3, h, w]`` in [-1, 1] at the model's canvas size.

        A square canvas (or ``Geometry.square == "fill"``) gets the released Open-Sora
        ``resize_crop_to_fill``; a wider one gets the square frame centred on black (``"pad"``).
        """
        g = self.geometry
        if g.is_square or g.square == "fill":
            return to_model_range(resize_crop_to_fill(image, (g.height, g.width)))
        from opensora.backbones.frames import pad_to_canvas

        return to_model_range(pad_to_canvas(image, (g.height, g.width)))

    def to_square(self, video: torch.Tensor, size: int) -> torch.Tensor:
        """Generated ``[B, 3, T, H, W]`` → the benchmark's square ``size``² (undoing the placement)."""
        from opensora.backbones.frames import video_to_square

        return video_to_square(video, self.geometry, size)

    def inference_prompt(self, text: str) -> str:
        """The text the model is given for a benchmark prompt (Open-Sora adds its score suffix)."""
        return text

    min_sampling_steps = 1  # the fewest denoising steps the model's scheduler can take

    @classmethod
    def check_sampling_steps(cls, steps: int) -> None:
        """Refuse a step count the sampler cannot run (before any weights load).

        Raises:
            ConfigError: names ``scheduler.num_sampling_steps`` and the fewest steps allowed.
        """
        from evaluation.core.errors import ConfigError

        if steps < cls.min_sampling_steps:
            raise ConfigError(
                f"scheduler.num_sampling_steps = {steps}: {cls.name} needs at least {cls.min_sampling_steps} steps"
            )

    # --- prompts --------------------------------------------------------------------------
    def text_identity(self) -> str:
        """What the prompt-feature cache keys on (the text encoder and its settings)."""
        raise NotImplementedError

    def encode_prompts(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Features of ``texts`` (each tensor batched on dim 0), positive and negative ones."""
        raise NotImplementedError

    # --- latents ---------------------------------------------------------------------------
    def encode(self, video: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[B, 3, T, H, W]`` in [-1, 1] → latents."""
        raise NotImplementedError

    def decode(self, latents: torch.Tensor, frames: list[int] | None = None, generator=None) -> torch.Tensor:
        """Latents → ``[B, 3, T', H, W]`` in about [-1, 1]; ``frames`` selects output frames."""
        raise NotImplementedError

    # --- sampling --------------------------------------------------------------------------
    def start(
        self, first_frames: torch.Tensor, features: dict, generator: torch.Generator, steps: int, guidance: bool
    ) -> Trajectory:
        """Condition on ``first_frames [B, 3, H, W]`` and draw the initial noise.

        Where :attr:`clip_conditioning`, ``first_frames`` may be a clip ``[B, 3, K, H, W]`` held fixed.
        """
        raise NotImplementedError

    # whether start() conditions on a clip of K frames (video-to-video: Physics-IQ's v2v protocol)
    clip_conditioning = False

    def check_context_frames(self, k: int) -> None:
        """Refuse a conditioning clip of ``k`` frames the model cannot hold fixed (before sampling).

        Raises:
            ConfigError: the model conditions on one frame only, or ``k`` is not a whole number of
                latent frames (the clip's latents would not line up with the generated video's).
        """
        from evaluation.core.errors import ConfigError

        if k != 1 and not self.clip_conditioning:
            raise ConfigError(
                f"{self.name} conditions on its first frame only: video-to-video (a {k}-frame conditioning clip) "
                "is built for opensora_v1_2 (its mask strategy) and ltx_video (its conditioning latents)"
            )

    def uses_guidance(self, scale: float) -> bool:
        """Whether the sampler makes an unconditional prediction at guidance ``scale``."""
        return scale > 1.0

    def model_input(self, traj: Trajectory, i: int) -> torch.Tensor:
        """The denoiser input of step ``i`` (draws any per-step noise)."""
        return traj.x

    def predict(self, model, traj: Trajectory, i: int, x: torch.Tensor):
        """``(conditional, unconditional or None)`` predictions at step ``i``; must not draw random numbers."""
        raise NotImplementedError

    def step(self, traj: Trajectory, i: int, prediction: torch.Tensor) -> torch.Tensor:
        """The latents after step ``i`` given the guided prediction."""
        raise NotImplementedError

    def frames_cost(self, frames) -> str:
        """What decoding the frame subset ``frames`` (None = all) really costs, in words."""
        return "all frames" if frames is None else f"all latent frames, {len(frames)} frames kept"

    def finish(self, traj: Trajectory) -> torch.Tensor:
        """Latents for :meth:`decode` after the last step."""
        return traj.x

    def denoiser(self):
        """The model this backbone loaded (the default ``model`` of the sampler)."""
        raise NotImplementedError

    def to_canvas(self, video: torch.Tensor) -> torch.Tensor:
        """Square clips ``[B, 3, T, S, S]`` (``S`` = the canvas's shorter side) placed on the canvas; canvas-sized ones as they are."""
        from opensora.backbones.frames import video_to_canvas

        return video_to_canvas(video, self.geometry)

    # --- stochastic sampling (GRPO: opensora.backbones.stochastic) -----------------------------
    sde = "flow"  # flow: Flow-GRPO's SDE on the flow's sigmas | ddpm: the DDPM posterior (ε / v schedules)

    def flow_sigmas(self, traj: Trajectory, i: int) -> tuple[float, float]:
        """``(σ_i, σ_{i+1})`` of step ``i`` in the flow-matching convention ``x_σ = (1 − σ) x₀ + σ ε``."""
        raise NotImplementedError

    def flow_velocity(self, traj: Trajectory, i: int, prediction: torch.Tensor) -> torch.Tensor:
        """The guided prediction of step ``i`` as the velocity ``ε − x₀`` in the layout of ``traj.x``."""
        raise NotImplementedError

    def ddpm_alphas(self, traj: Trajectory, i: int) -> tuple[float, float]:
        """``(ᾱ_t, ᾱ_prev)`` of step ``i`` (``sde == "ddpm"``)."""
        raise NotImplementedError

    def x0_prediction(self, traj: Trajectory, i: int, prediction: torch.Tensor) -> torch.Tensor:
        """The clean latents the guided prediction of step ``i`` implies (``sde == "ddpm"``)."""
        raise NotImplementedError

    def generated(self, traj: Trajectory) -> torch.Tensor:
        """1 where step ``i`` generates latents, 0 where a condition is kept (broadcastable to ``traj.x``)."""
        return torch.ones((), device=traj.x.device)

    # --- training (post-training on any backbone) ----------------------------------------------
    default_lora_targets: tuple[str, ...] = ("to_q", "to_k", "to_v", "to_out.0")  # attention projections

    def release_text_encoder(self) -> None:
        """Free the text encoder once every prompt's features are cached (training never needs it again)."""

    def freeze(self) -> None:
        """Put the frozen parts (autoencoder, encoders) in eval mode without gradients."""

    def identity(self) -> dict:
        """What trained weights record in ``pisa.json`` so inference rebuilds the same setting."""
        g = self.geometry
        return {
            "backbone": self.name,
            "latent_space": self.latent_space(),
            "height": g.height,
            "width": g.width,
            "num_frames": g.num_frames,
            "fps": g.fps,
        }

    def training_loss(
        self, model, x0: torch.Tensor, features: dict, first_frames: torch.Tensor, generator, mask=None
    ) -> torch.Tensor:
        """Per-sample loss ``[B]`` of the model's own objective on clean latents ``x0``, conditioned as at inference.

        The first-frame condition comes from :meth:`start` (the inference code path); the noisy
        input from :meth:`training_input`; positions the model does not generate (a replaced
        first latent frame) are left out through :meth:`loss_weight`.
        """
        b = x0.shape[0]
        with torch.no_grad():
            traj = self.start(self.to_canvas(first_frames[:, :, None])[:, :, 0], features, generator, 2, False)
        t = self.sample_timesteps(b, generator)
        noise = torch.randn(x0.shape, generator=generator, device=generator.device).to(x0.device, x0.dtype)
        traj.x = self.training_input(traj, x0, noise, t)
        traj.timesteps = [t]
        pred, _ = self.predict(model, traj, 0, self.model_input(traj, 0))
        err = (pred.float() - self.training_target(x0, noise, t).float()) ** 2
        w = self.loss_weight(traj, x0).expand_as(err)
        return (err * w).flatten(1).sum(1) / w.flatten(1).sum(1).clamp_min(1)

    def training_mask(self, ratios: dict, x0: torch.Tensor, seed: int):
        """Which latent frames are generated in a training sample (``None``: the model's own conditioning only)."""
        return None

    def training_input(self, traj: Trajectory, x0, noise, t) -> torch.Tensor:
        """The noisy latents the denoiser sees in training (default: :meth:`add_noise`)."""
        return self.add_noise(x0, noise, t)

    def loss_weight(self, traj: Trajectory, x0) -> torch.Tensor:
        """1 where the model generates, 0 where a condition is inserted (broadcastable to ``x0``)."""
        return torch.ones((), device=x0.device)

    def fresh_denoiser(self, like) -> torch.nn.Module:
        """A new module with ``like``'s architecture (validation and export load gathered weights into it)."""
        raise NotImplementedError

    def export_weights(self, like, denoiser_sd: dict, lora_sd: dict | None, folder, identity: dict):
        """Write trained weights in the model's own format and ``pisa.json``; returns ``folder``.

        ``denoiser_sd`` is for a module like ``like`` (LoRA merged); ``lora_sd`` holds the adapters,
        written where the format has a place for them.
        """
        raise NotImplementedError

    # --- training objective (used by post-training) -----------------------------------------
    def sample_timesteps(self, b: int, generator: torch.Generator) -> torch.Tensor:
        """Training timesteps ``[B]`` as the model's authors sample them."""
        raise NotImplementedError

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The noisy latents at ``t``."""
        raise NotImplementedError

    def training_target(self, x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """What the denoiser's output is regressed onto."""
        raise NotImplementedError
