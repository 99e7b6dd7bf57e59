"""CogVideoX image-to-video (``THUDM/CogVideoX-5b-I2V``) with diffusers' model classes.

As ``CogVideoXImageToVideoPipeline``: T5 prompt features (226 tokens) with a negative prompt for
guidance; the first frame's VAE latent (sampled with the generation's generator, scaled by the
VAE's scaling factor), zero-padded over time and concatenated to the noisy latents on the channel
axis; v-prediction with the folder's scheduler (CogVideoX's DDIM or its DPM solver, which draws
noise from the generator); latents in ``[B, T, C, h, w]``. The 5B I2V model is trained at 480×720,
49 frames at 8 fps only, so the square PisaBench frame is centred on a 480×720 canvas (padded
with black) and the centre square of the output is taken back (``square_handling: pad``).
"""

from __future__ import annotations

import torch
from typing_extensions import override

from evaluation.core.errors import ConfigError
from opensora.backbones.base import Trajectory
from opensora.backbones.diffusers_base import DiffusersBackbone

NAME = "cogvideox_5b_i2v"


class CogVideoXI2V(DiffusersBackbone):
    """``CogVideoXTransformer3DModel`` + ``AutoencoderKLCogVideoX`` + T5."""

    name = NAME
    pipeline_class = "CogVideoXImageToVideoPipeline"
    temporal_axis = 1  # latents [B, T, C, h, w]
    # its VAE decodes in chunks of `num_latent_frames_batch_size` latent frames carrying a causal
    # convolution cache; group norms pool within a chunk: see decode_plan
    causal_decoder = True
    default_max_sequence_length = 226

    @override
    def check_geometry(self) -> None:
        p, g = self.pipe, self.geometry
        self._check_grid(p.vae_scale_factor_temporal, p.vae_scale_factor_spatial)
        cfg = p.transformer.config
        t_lat = (g.num_frames - 1) // p.vae_scale_factor_temporal + 1
        pair = getattr(p.vae, "num_latent_frames_batch_size", 1)
        if cfg.patch_size_t is None and (t_lat - 1) % pair:
            # the VAE decodes latent frames in batches of `pair` with a causal cache; a remainder
            # batch decodes to more frames than asked (13 frames came back as 16)
            valid = [pair * k * p.vae_scale_factor_temporal + 1 for k in range(1, 8)]
            raise ConfigError(
                f"backbone.num_frames = {g.num_frames}: {self.model_id}'s VAE decodes {pair} latent frames at a "
                f"time, so the frame count must give an even number of latent frames after the first: one of {valid}"
            )
        if cfg.use_learned_positional_embeddings:
            lh, lw = g.height // p.vae_scale_factor_spatial, g.width // p.vae_scale_factor_spatial
            if (lh, lw) != (cfg.sample_height, cfg.sample_width):
                size = (cfg.sample_height * p.vae_scale_factor_spatial, cfg.sample_width * p.vae_scale_factor_spatial)
                raise ConfigError(
                    f"backbone.height/width = {g.height}x{g.width}: {self.model_id} has learned positional "
                    f"embeddings for {size[0]}x{size[1]} only (height x width); use that canvas"
                )

    def _padding_frames(self) -> int:
        """Latent frames CogVideoX 1.5 prepends to fill its temporal patch (0 for 1.0 models)."""
        p_t = self.pipe.transformer.config.patch_size_t
        t_lat = (self.geometry.num_frames - 1) // self.pipe.vae_scale_factor_temporal + 1
        return 0 if p_t is None or t_lat % p_t == 0 else p_t - t_lat % p_t

    @override
    def start(self, first_frames, features, generator, steps, guidance=True) -> Trajectory:
        from diffusers.pipelines.cogvideo.pipeline_cogvideox_image2video import retrieve_timesteps

        pipe, g = self.pipe, self.geometry
        b = first_frames.shape[0]
        sched = self.fresh_scheduler()
        timesteps, _ = retrieve_timesteps(sched, steps, self.device)
        extra = self._padding_frames()
        feats = {k: v.to(self.device, self.dtype) for k, v in features.items()}
        image = first_frames.to(self.device, dtype=feats["pos"].dtype)
        latents, image_latents = pipe.prepare_latents(
            image,
            b,
            pipe.transformer.config.in_channels // 2,
            g.num_frames + extra * pipe.vae_scale_factor_temporal,
            g.height,
            g.width,
            feats["pos"].dtype,
            self.device,
            generator,
        )
        cfg = pipe.transformer.config
        rotary = (
            pipe._prepare_rotary_positional_embeddings(g.height, g.width, latents.size(1), self.device)
            if cfg.use_rotary_positional_embeddings
            else None
        )
        state = {
            "sched": sched,
            "extra": pipe.prepare_extra_step_kwargs(generator, 0.0),
            "rotary": rotary,
            "ofs": None if cfg.ofs_embed_dim is None else latents.new_full((1,), fill_value=2.0),
            "dpm": type(sched).__name__ == "CogVideoXDPMScheduler",
            "old_pred": None,
            "padding": extra,
        }
        return Trajectory(latents, list(timesteps), {"image": image_latents}, feats, state, guidance)

    @override
    def model_input(self, traj, i):
        return traj.state["sched"].scale_model_input(traj.x, traj.timesteps[i])

    @override
    def predict(self, model, traj, i, x):
        s, f = traj.state, traj.features
        image = traj.cond["image"]
        if traj.guidance:
            x, image, text = torch.cat([x, x]), torch.cat([image, image]), torch.cat([f["neg"], f["pos"]])
        else:
            text = f["pos"]
        out = model(
            hidden_states=torch.cat([x, image], dim=2),
            encoder_hidden_states=text,
            timestep=traj.timesteps[i].expand(x.shape[0]),
            ofs=s["ofs"],
            image_rotary_emb=s["rotary"],
            return_dict=False,
        )[0].float()
        if traj.guidance:
            uncond, cond = out.chunk(2)
            return cond, uncond
        return out, None

    # stochastic sampling: the DDPM posterior on the scheduler's ᾱ (v-prediction)
    sde = "ddpm"

    @override
    def ddpm_alphas(self, traj, i):
        sched = traj.state["sched"]
        a = sched.alphas_cumprod
        t = int(traj.timesteps[i])
        prev = a[int(traj.timesteps[i + 1])] if i + 1 < len(traj.timesteps) else sched.final_alpha_cumprod
        return float(a[t]), float(prev)

    @override
    def x0_prediction(self, traj, i, prediction):
        a_t, _ = self.ddpm_alphas(traj, i)
        x, pred = traj.x.float(), prediction.float()
        if traj.state["sched"].config.prediction_type == "v_prediction":
            return a_t**0.5 * x - (1 - a_t) ** 0.5 * pred
        return (x - (1 - a_t) ** 0.5 * pred) / a_t**0.5  # epsilon

    @override
    def step(self, traj, i, prediction):
        s, t = traj.state, traj.timesteps[i]
        if s["dpm"]:
            prev = traj.timesteps[i - 1] if i > 0 else None
            x, s["old_pred"] = s["sched"].step(
                prediction, s["old_pred"], t, prev, traj.x, **s["extra"], return_dict=False
            )
        else:
            x = s["sched"].step(prediction, t, traj.x, **s["extra"], return_dict=False)[0]
        return x.to(traj.features["pos"].dtype)

    @override
    def decode_plan(self, frames) -> int | None:
        """The needed latent prefix rounded up to the VAE's own chunk boundaries.

        ``AutoencoderKLCogVideoX`` decodes ``fbs = num_latent_frames_batch_size`` latent frames at a
        time (the first chunk also takes the ``T mod fbs`` left over) with a causal convolution
        cache; its group norms pool over a chunk. A prefix that ends on one of those boundaries
        decodes to exactly the first frames of a full decode; any other prefix does not.
        """
        need = super().decode_plan(frames)
        if need is None:
            return None
        total = (self.geometry.num_frames - 1) // self.temporal_ratio() + 1
        fbs = self.pipe.vae.num_latent_frames_batch_size
        first = fbs + total % fbs
        if total < fbs or need >= total:
            return total
        return min(total, first if need <= first else first + -(-(need - first) // fbs) * fbs)

    @override
    def finish(self, traj):
        return traj.x[:, traj.state["padding"] :]

    @override
    def encode(self, video, generator=None):
        from diffusers.pipelines.cogvideo.pipeline_cogvideox_image2video import retrieve_latents

        video = self.to_canvas(video)
        vae = self.pipe.vae
        z = retrieve_latents(vae.encode(video.to(self.device, vae.dtype)), generator)
        return (z * self.pipe.vae_scaling_factor_image).permute(0, 2, 1, 3, 4)  # [B, T, C, h, w]

    @override
    def decode(self, latents, frames=None, generator=None):
        video = self.pipe.decode_latents(self._prefix(latents, frames))
        return video if frames is None else video[:, :, list(frames)]

    # training objective: v-prediction on the scheduler's noise schedule
    @override
    def sample_timesteps(self, b, generator):
        n = self.pipe.scheduler.config.num_train_timesteps
        return torch.randint(0, n, (b,), generator=generator, device=generator.device).to(self.device)

    @override
    def add_noise(self, x0, noise, t):
        return self.pipe.scheduler.add_noise(x0, noise, t)

    @override
    def training_target(self, x0, noise, t):
        return self.pipe.scheduler.get_velocity(x0, noise, t)
