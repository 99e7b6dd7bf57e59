"""Wan 2.1 image-to-video and Wan 2.2 text-image-to-video with diffusers' model classes.

As ``WanImageToVideoPipeline``:

- ``wan2_1_i2v_14b_480p`` (``Wan-AI/Wan2.1-I2V-14B-480P-Diffusers``): UMT5 prompt features (512
  tokens, negative prompt for guidance, conditional and unconditional calls made separately as
  the pipeline does); the VAE latent (mode) of ``[frame, zeros…]`` normalised by the VAE's
  latent mean/std, with a 4-channel first-frame mask, concatenated to the noisy latents on the
  channel axis; CLIP image features (penultimate hidden state) of the first frame; flow matching
  with the folder's scheduler (UniPC with flow shift 3 for 480P).
- ``wan2_2_ti2v_5b`` (``Wan-AI/Wan2.2-TI2V-5B-Diffusers``): the ``expand_timesteps`` path — the
  first latent frame is replaced by the image latent before every call and gets timestep 0 per
  token; no image encoder; the ×16 residual VAE with 48 channels.

A square first frame runs at a square canvas (``square_handling: native``): the size diffusers'
Wan examples derive for a 1:1 image from the model's pixel budget (480×832 → 624², 704×1280 → 928²
rounded to the patch grid). Latents are ``[B, C, T, h, w]``.
"""

from __future__ import annotations

import torch
from typing_extensions import override

from evaluation.core.errors import ConfigError, InputError
from opensora.backbones.base import Trajectory
from opensora.backbones.diffusers_base import DiffusersBackbone, FlowMatching

# the negative prompt of the Wan repositories' examples (Chinese, as the models were trained with it)
WAN_NEGATIVE = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，"
    "丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，"
    "杂乱的背景，三条腿，背景人很多，倒着走"
)


class WanI2V(FlowMatching, DiffusersBackbone):
    """``WanTransformer3DModel`` + ``AutoencoderKLWan`` + UMT5 (+ CLIP image encoder for Wan 2.1)."""

    name = "wan2_1_i2v_14b_480p"
    pipeline_class = "WanImageToVideoPipeline"
    default_negative_prompt = WAN_NEGATIVE
    default_max_sequence_length = 512
    first_frame_replaced = False  # Wan 2.1: image latents on channels; Wan 2.2 TI2V: frame 0 replaced

    @override
    def check_index(self, folder, index) -> None:
        super().check_index(folder, index)
        if bool(index.get("expand_timesteps", False)) != self.first_frame_replaced:
            other = "wan2_2_ti2v_5b" if index.get("expand_timesteps") else "wan2_1_i2v_14b_480p"
            raise InputError(
                folder, f"holds {other} weights (expand_timesteps in model_index.json): pass --backbone {other}"
            )

    @override
    def check_geometry(self) -> None:
        p = self.pipe
        if p.transformer_2 is not None:
            raise ConfigError(f"{self.model_id}: two-expert Wan models (transformer_2) are not supported")
        patch = p.transformer.config.patch_size
        self._check_grid(p.vae_scale_factor_temporal, p.vae_scale_factor_spatial * patch[1])

    @property
    def expand_timesteps(self) -> bool:
        """Wan 2.2 TI2V's first-frame path: frame 0 replaced, per-token timesteps (the pipeline's config)."""
        return bool(self.pipe.config.expand_timesteps)

    @override
    def start(self, first_frames, features, generator, steps, guidance=True) -> Trajectory:
        pipe, g = self.pipe, self.geometry
        tdtype = pipe.transformer.dtype
        feats = {k: v.to(self.device, tdtype) for k, v in features.items()}
        if pipe.transformer.config.image_dim is not None:
            images = self.uint8_frames(first_frames)
            feats["image"] = torch.cat([pipe.encode_image(im, self.device) for im in images]).to(tdtype)
        sched = self.fresh_scheduler()
        sched.set_timesteps(steps, device=self.device)
        image = first_frames.to(self.device, torch.float32)
        parts = [  # one image at a time: the pipeline conditions a whole batch on one image
            pipe.prepare_latents(
                image[k : k + 1],
                1,
                pipe.vae.config.z_dim,
                g.height,
                g.width,
                g.num_frames,
                torch.float32,
                self.device,
                generator,
            )
            for k in range(image.shape[0])
        ]
        latents = torch.cat([p[0] for p in parts])
        cond = {"latent": torch.cat([p[1] for p in parts])}
        if self.expand_timesteps:
            cond["first_frame_mask"] = parts[0][2]
        return Trajectory(latents, list(sched.timesteps), cond, feats, {"sched": sched}, guidance)

    @override
    def model_input(self, traj, i):
        c = traj.cond
        if self.expand_timesteps:
            m = c["first_frame_mask"]
            x = (1 - m) * c["latent"] + m * traj.x
        else:
            x = torch.cat([traj.x, c["latent"]], dim=1)
        return x.to(self.pipe.transformer.dtype)

    def _timestep(self, traj, i, b):
        """The denoiser's timestep: ``[B]``, or per token ``[B, N]`` (0 on the first frame) with ``expand_timesteps``."""
        t = traj.timesteps[i].expand(b)  # a scalar at inference, one per sample in training
        if self.expand_timesteps:
            m = traj.cond["first_frame_mask"]
            return m[0][0][:, ::2, ::2].flatten()[None] * t[:, None]
        return t

    @override
    def predict(self, model, traj, i, x):
        f = traj.features
        t = self._timestep(traj, i, x.shape[0])

        def call(text):
            return model(
                hidden_states=x,
                timestep=t,
                encoder_hidden_states=text,
                encoder_hidden_states_image=f.get("image"),
                return_dict=False,
            )[0]

        return call(f["pos"]), (call(f["neg"]) if traj.guidance else None)

    @override
    def step(self, traj, i, prediction):
        return traj.state["sched"].step(prediction, traj.timesteps[i], traj.x, return_dict=False)[0]

    # stochastic sampling (FlowMatching's flow_sigmas / flow_velocity): Euler on the scheduler's flow
    # sigmas — UniPC's multistep correction has no per-step density; Flow-GRPO samples with Euler too
    @override
    def generated(self, traj):
        if self.expand_timesteps:
            return traj.cond["first_frame_mask"].to(traj.x.dtype)
        return super().generated(traj)

    @override
    def finish(self, traj):
        if self.expand_timesteps:
            m = traj.cond["first_frame_mask"]
            return (1 - m) * traj.cond["latent"] + m * traj.x
        return traj.x

    @override
    def loss_weight(self, traj, x0):
        if self.expand_timesteps:  # the first latent frame is the image's: not generated
            return traj.cond["first_frame_mask"].to(x0.device)
        return super().loss_weight(traj, x0)

    def _latent_stats(self, like):
        vae = self.pipe.vae
        shape = (1, vae.config.z_dim, 1, 1, 1)
        mean = torch.tensor(vae.config.latents_mean).view(shape).to(like.device, like.dtype)
        inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(shape).to(like.device, like.dtype)
        return mean, inv_std

    @override
    def encode(self, video, generator=None):
        from diffusers.pipelines.wan.pipeline_wan_i2v import retrieve_latents

        video = self.to_canvas(video)
        vae = self.pipe.vae
        z = retrieve_latents(vae.encode(video.to(self.device, vae.dtype)), sample_mode="argmax")
        mean, inv_std = self._latent_stats(z)
        return (z - mean) * inv_std

    @override
    def decode(self, latents, frames=None, generator=None):
        vae = self.pipe.vae
        z = self._prefix(latents, frames).to(self.device, vae.dtype)
        mean, inv_std = self._latent_stats(z)
        video = vae.decode(z / inv_std + mean, return_dict=False)[0]
        return video if frames is None else video[:, :, list(frames)]

    # training objective: flow matching (velocity noise - x0) with the scheduler's shifted sigmas
    @override
    def sample_timesteps(self, b, generator):
        u = torch.rand(b, generator=generator, device=generator.device)
        shift = float(self.pipe.scheduler.config.get("flow_shift") or 1.0)
        sigma = shift * u / (1 + (shift - 1) * u)
        return (sigma * 1000).to(self.device)


class Wan22TI2V(WanI2V):
    """Wan 2.2 TI2V-5B: the same classes, ``expand_timesteps`` first-frame conditioning."""

    name = "wan2_2_ti2v_5b"
    first_frame_replaced = True
