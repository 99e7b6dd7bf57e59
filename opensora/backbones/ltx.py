"""LTX-Video image-to-video (``Lightricks/LTX-Video``) with diffusers' model classes.

As ``LTXImageToVideoPipeline``: T5 prompt features with attention masks (128 tokens; negative
prompt for guidance); the first frame's VAE latent (sampled with the generation's generator,
normalised by the VAE's latent statistics) replaces latent frame 0 under a conditioning mask,
and that frame's tokens get timestep 0; latents are packed into tokens ``[B, N, C]``; flow
matching with the folder's scheduler (dynamic shift from the token count) updates every latent
frame but the first (a conditioning clip's latents take frame 0's place: video-to-video); decoding (timestep-conditioned VAEs) mixes in generator noise at
``decode_noise_scale`` as the pipeline does. LTX-Video runs a square canvas itself
(``square_handling: native``, 512² by default); ``fps`` is passed to its rotary position scale.
"""

from __future__ import annotations

import numpy as np
import torch
from typing_extensions import override

from opensora.backbones.base import Trajectory
from opensora.backbones.diffusers_base import DiffusersBackbone, FlowMatching

LTX_NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"  # the model card's


class LTXVideoI2V(FlowMatching, DiffusersBackbone):
    """``LTXVideoTransformer3DModel`` + ``AutoencoderKLLTXVideo`` + T5."""

    name = "ltx_video"
    pipeline_class = "LTXImageToVideoPipeline"
    # with one step the scheduler's own step() cannot find the timestep it was given in its
    # one-entry schedule (diffusers' FlowMatchEulerDiscreteScheduler.index_for_timestep)
    min_sampling_steps = 2
    default_negative_prompt = LTX_NEGATIVE
    default_max_sequence_length = 128
    decode_timestep = 0.0  # the pipeline's defaults

    @property
    def causal_decoder(self) -> bool:
        """LTX-Video's decoder is causal only when its config says so (the released one is not)."""
        return bool(self.pipe.vae.config.decoder_causal)

    @override
    def temporal_ratio(self) -> int:
        return self.pipe.vae_temporal_compression_ratio

    decode_noise_scale = None

    @override
    def check_geometry(self) -> None:
        self._check_grid(self.pipe.vae_temporal_compression_ratio, self.pipe.vae_spatial_compression_ratio)

    @override
    def encode_prompts(self, texts):
        pos, pos_mask, neg, neg_mask = self.pipe.encode_prompt(
            prompt=list(texts),
            negative_prompt=[self.negative_prompt] * len(texts),
            do_classifier_free_guidance=True,
            num_videos_per_prompt=1,
            max_sequence_length=self.max_sequence_length,
            device=self.device,
        )
        return {"pos": pos, "pos_mask": pos_mask, "neg": neg, "neg_mask": neg_mask}

    def _latent_grid(self) -> tuple[int, int, int]:
        g, p = self.geometry, self.pipe
        return (
            (g.num_frames - 1) // p.vae_temporal_compression_ratio + 1,
            g.height // p.vae_spatial_compression_ratio,
            g.width // p.vae_spatial_compression_ratio,
        )

    @override
    def start(self, first_frames, features, generator, steps, guidance=True) -> Trajectory:
        from diffusers.pipelines.ltx.pipeline_ltx_image2video import calculate_shift, retrieve_timesteps

        pipe, g = self.pipe, self.geometry
        feats = {k: v.to(self.device) for k, v in features.items()}
        image = first_frames.to(self.device, dtype=feats["pos"].dtype)
        cond_frames = 1  # latent frames held fixed: the image's, or a clip's
        if image.ndim == 5:
            latents, cmask = self._clip_latents(image, generator)
            cond_frames = (image.shape[2] - 1) // pipe.vae_temporal_compression_ratio + 1
        else:
            latents, cmask = pipe.prepare_latents(
                image,
                image.shape[0],
                pipe.transformer.config.in_channels,
                g.height,
                g.width,
                g.num_frames,
                torch.float32,
                self.device,
                generator,
            )
        lf, lh, lw = self._latent_grid()
        sched = self.fresh_scheduler()
        c = sched.config
        mu = calculate_shift(
            lf * lh * lw,
            c.get("base_image_seq_len", 256),
            c.get("max_image_seq_len", 4096),
            c.get("base_shift", 0.5),
            c.get("max_shift", 1.15),
        )
        sigmas = np.linspace(1.0, 1 / steps, steps)
        timesteps, _ = retrieve_timesteps(sched, steps, self.device, None, sigmas=sigmas, mu=mu)
        rope = (pipe.vae_temporal_compression_ratio / g.fps, pipe.vae_spatial_compression_ratio,
                pipe.vae_spatial_compression_ratio)  # fmt: skip
        state = {"sched": sched, "rope": rope, "grid": (lf, lh, lw), "generator": generator, "cond_frames": cond_frames}
        return Trajectory(latents, list(timesteps), {"mask": cmask}, feats, state, guidance)

    clip_conditioning = True  # a clip's latent frames take latent frame 0's place under the conditioning mask

    @override
    def check_context_frames(self, k):
        from evaluation.core.errors import ConfigError

        r = self.pipe.vae_temporal_compression_ratio
        if (k - 1) % r or k >= self.geometry.num_frames:
            raise ConfigError(
                f"a {k}-frame conditioning clip: LTX-Video's VAE makes one latent frame of the first frame and one "
                f"of every {r} after it, so the clip must be {r}·m + 1 frames (and shorter than backbone.num_frames "
                f"= {self.geometry.num_frames}) for its latents to line up with the video's"
            )

    def _clip_latents(self, clip, generator):
        """As the pipeline's ``prepare_latents`` for a clip ``[B, 3, K, H, W]``: its latent frames fixed under the mask."""
        from diffusers.utils.torch_utils import randn_tensor

        z = torch.cat([self._normalized_latents(c[None], generator) for c in clip]).float()  # one by one, as images
        lf, lh, lw = self._latent_grid()
        b, c, n = z.shape[:3]
        mask = torch.zeros((b, 1, lf, lh, lw), device=self.device)
        mask[:, :, :n] = 1.0
        noise = randn_tensor((b, c, lf, lh, lw), generator=generator, device=self.device, dtype=torch.float32)
        latents = torch.cat([z, noise[:, :, n:]], dim=2)
        return self._pack(latents), self._pack(mask).squeeze(-1)

    @override
    def predict(self, model, traj, i, x):
        f, s = traj.features, traj.state
        mask = traj.cond["mask"]
        if traj.guidance:
            x, mask = torch.cat([x, x]), torch.cat([mask, mask])
            text, text_mask = torch.cat([f["neg"], f["pos"]]), torch.cat([f["neg_mask"], f["pos_mask"]])
        else:
            text, text_mask = f["pos"], f["pos_mask"]
        x = x.to(f["pos"].dtype)
        t = traj.timesteps[i].expand(x.shape[0]).unsqueeze(-1) * (1 - mask)
        lf, lh, lw = s["grid"]
        out = model(
            hidden_states=x,
            encoder_hidden_states=text,
            timestep=t,
            encoder_attention_mask=text_mask,
            num_frames=lf,
            height=lh,
            width=lw,
            rope_interpolation_scale=s["rope"],
            return_dict=False,
        )[0].float()
        if traj.guidance:
            uncond, cond = out.chunk(2)
            return cond, uncond
        return out, None

    @override
    def training_input(self, traj, x0, noise, t):
        m = traj.cond["mask"][..., None]  # the image's tokens stay as start() put them
        return traj.x * m + self.add_noise(x0, noise, t) * (1 - m)

    @override
    def loss_weight(self, traj, x0):
        return 1 - traj.cond["mask"][..., None]

    def _unpack(self, x):
        p = self.pipe
        return p._unpack_latents(x, *self._latent_grid(), p.transformer_spatial_patch_size,
                                 p.transformer_temporal_patch_size)  # fmt: skip

    def _pack(self, x):
        p = self.pipe
        return p._pack_latents(x, p.transformer_spatial_patch_size, p.transformer_temporal_patch_size)

    @override
    def generated(self, traj):
        return 1 - traj.cond["mask"][..., None].to(traj.x.dtype)  # frame 0's tokens are the image's

    @override
    def step(self, traj, i, prediction):
        pred, lat = self._unpack(prediction), self._unpack(traj.x)
        n = traj.state["cond_frames"]
        moved = traj.state["sched"].step(pred[:, :, n:], traj.timesteps[i], lat[:, :, n:], return_dict=False)[0]
        return self._pack(torch.cat([lat[:, :, :n], moved], dim=2))

    @override
    def encode(self, video, generator=None):
        return self._pack(self._normalized_latents(self.to_canvas(video), generator))

    def _normalized_latents(self, video, generator=None):
        """``[B, 3, T, H, W]`` → the VAE's latents (sampled with ``generator``), normalised by its statistics."""
        from diffusers.pipelines.ltx.pipeline_ltx_image2video import retrieve_latents

        vae = self.pipe.vae
        z = retrieve_latents(vae.encode(video.to(self.device, vae.dtype)), generator)
        return self.pipe._normalize_latents(z, vae.latents_mean, vae.latents_std)

    @override
    def decode(self, latents, frames=None, generator=None):
        vae, pipe = self.pipe.vae, self.pipe
        z = pipe._denormalize_latents(
            self._prefix(self._unpack(latents), frames), vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )
        z = z.to(vae.dtype)  # the pipeline casts to its prompt dtype, the same as the weights
        timestep = None
        if vae.config.timestep_conditioning:
            b = z.shape[0]
            noise = torch.randn(z.shape, generator=generator, device=self.device, dtype=z.dtype)
            scale = self.decode_timestep if self.decode_noise_scale is None else self.decode_noise_scale
            timestep = torch.tensor([self.decode_timestep] * b, device=self.device, dtype=z.dtype)
            scale = torch.tensor([scale] * b, device=self.device, dtype=z.dtype)[:, None, None, None, None]
            z = (1 - scale) * z + scale * noise
        video = vae.decode(z, timestep, return_dict=False)[0]
        return video if frames is None else video[:, :, list(frames)]

    # training objective: flow matching (velocity noise - x0), as LTX-Video's trainer
    @override
    def sample_timesteps(self, b, generator):
        u = torch.sigmoid(torch.randn(b, generator=generator, device=generator.device))  # logit-normal
        return (u * 1000).to(self.device)
