"""Open-Sora v1.2 video VAE (``OpenSoraVAE_V1_2``), state-dict compatible with ``hpcai-tech/OpenSora-VAE-v1.2``.

Open-Sora v1.2 (opensora/models/vae/vae.py of the release): a spatial VAE (``diffusers.AutoencoderKL``, SDXL-VAE configuration, Open-Sora scaling
0.18215, 8× down, applied per frame in micro-batches of 4) followed by a MAGVIT-v2-style temporal
VAE (causal 3-D convolutions, 4× temporal down) applied to chunks of 17 frames, then per-channel
``(z - shift) / scale``. Latent size: ``T_lat = 5 ⌊T/17⌋ + ⌈(T mod 17)/4⌉``, ``H/8``, ``W/8``.

Keys: ``scale``, ``shift``, ``spatial_vae.module.*`` (diffusers names), ``temporal_vae.*``
(517 in all for the full preset). Encoding samples the posterior (as Open-Sora); pass a
``generator`` for reproducibility.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

SPATIAL_SCALING = 0.18215  # Open-Sora's factor; the SDXL config's 0.13025 is ignored (Open-Sora's VideoAutoencoderKL)
LOGVAR_RANGE = (-30.0, 20.0)


@dataclass
class VAEConfig:
    """Both VAEs' hyper-parameters and the pipeline's chunking/normalisation."""

    spatial_block_out_channels: tuple[int, ...] = (128, 256, 512, 512)
    spatial_layers_per_block: int = 2
    spatial_norm_groups: int = 32
    temporal_filters: int = 128
    temporal_res_blocks: int = 4
    temporal_channel_multipliers: tuple[int, ...] = (1, 2, 2, 4)
    temporal_downsample: tuple[bool, ...] = (False, True, True)
    temporal_norm_groups: int = 32
    latent_channels: int = 4
    micro_batch_size: int = 4
    micro_frame_size: int = 17
    shift: list[float] = field(default_factory=lambda: [-0.10, 0.34, 0.27, 0.98])
    scale: list[float] = field(default_factory=lambda: [3.85, 2.32, 2.33, 3.06])

    def to_json(self) -> dict:
        """``config.json`` content."""
        return {"architectures": ["VideoAutoencoderPipeline"], "model_type": "VideoAutoencoderPipeline", **asdict(self)}


PRESETS = {
    "OpenSoraVAE_V1_2": {},
    # tiny: same structure (8x spatial, 4x temporal down), 32 channels, one block per level
    "OpenSoraVAE_V1_2-tiny": dict(
        spatial_block_out_channels=(32, 32, 32, 32),
        spatial_layers_per_block=1,
        temporal_filters=32,
        temporal_res_blocks=1,
        temporal_channel_multipliers=(1, 1, 1, 1),
    ),
}


# --------------------------------------------------------------------------------------------
# temporal VAE
# --------------------------------------------------------------------------------------------
class CausalConv3d(nn.Module):
    """Zero-pads ``k_t - stride`` frames in front (causal) and ``k//2`` spatially, then ``Conv3d`` (key ``conv``)."""

    def __init__(self, cin: int, cout: int, kernel=3, stride: int = 1, bias: bool = True):
        super().__init__()
        kt, kh, kw = (kernel,) * 3 if isinstance(kernel, int) else kernel
        self.padding = (kw // 2, kw // 2, kh // 2, kh // 2, kt - 1 + (1 - stride), 0)
        self.conv = nn.Conv3d(cin, cout, (kt, kh, kw), stride=(stride, 1, 1), bias=bias)

    def forward(self, x):
        return self.conv(F.pad(x, self.padding))


class ResBlock(nn.Module):
    """GN → SiLU → conv3³ → GN → SiLU → conv3³, residual through a 1³ conv (``conv3``) when channels change."""

    def __init__(self, cin: int, cout: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = CausalConv3d(cin, cout, 3, bias=False)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = CausalConv3d(cout, cout, 3, bias=False)
        self.conv3 = CausalConv3d(cin, cout, 1, bias=False) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.conv3(x) if self.conv3 is not None else x)


class TemporalEncoder(nn.Module):
    """Causal 3-D encoder: 4 levels of ResBlocks, stride-2 time convolutions after levels 1 and 2."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        f, mult, g = c.temporal_filters, c.temporal_channel_multipliers, c.temporal_norm_groups
        self.conv_in = CausalConv3d(c.latent_channels, f, 3, bias=False)
        self.block_res_blocks = nn.ModuleList()
        self.conv_blocks = nn.ModuleList()
        prev = f
        for i, m in enumerate(mult):
            blocks = nn.ModuleList()
            for _ in range(c.temporal_res_blocks):
                blocks.append(ResBlock(prev, f * m, g))
                prev = f * m
            self.block_res_blocks.append(blocks)
            if i < len(mult) - 1:
                down = c.temporal_downsample[i]
                self.conv_blocks.append(CausalConv3d(prev, prev, 3, stride=2) if down else nn.Identity())
        self.res_blocks = nn.ModuleList([ResBlock(prev, prev, g) for _ in range(c.temporal_res_blocks)])
        self.norm1 = nn.GroupNorm(g, prev)
        self.conv2 = CausalConv3d(prev, 2 * c.latent_channels, 1)

    def forward(self, x):
        x = self.conv_in(x)
        for i, blocks in enumerate(self.block_res_blocks):
            for blk in blocks:
                x = blk(x)
            if i < len(self.conv_blocks):
                x = self.conv_blocks[i](x)
        for blk in self.res_blocks:
            x = blk(x)
        return self.conv2(F.silu(self.norm1(x)))


class TemporalDecoder(nn.Module):
    """Mirror of the encoder; time is upsampled by depth-to-time after levels 3 and 2."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        f, mult, g = c.temporal_filters, c.temporal_channel_multipliers, c.temporal_norm_groups
        prev = f * mult[-1]
        self.conv1 = CausalConv3d(c.latent_channels, prev, 3)
        self.res_blocks = nn.ModuleList([ResBlock(prev, prev, g) for _ in range(c.temporal_res_blocks)])
        blocks_rev, convs_rev = [], []
        for i in reversed(range(len(mult))):
            blocks = nn.ModuleList()
            for _ in range(c.temporal_res_blocks):
                blocks.append(ResBlock(prev, f * mult[i], g))
                prev = f * mult[i]
            blocks_rev.append(blocks)
            if i > 0:
                up = c.temporal_downsample[i - 1]
                convs_rev.append(CausalConv3d(prev, prev * 2, 3) if up else nn.Identity())
        self.block_res_blocks = nn.ModuleList(blocks_rev[::-1])
        self.conv_blocks = nn.ModuleList(convs_rev[::-1])
        self.temporal_up = list(c.temporal_downsample)
        self.norm1 = nn.GroupNorm(g, prev)
        self.conv_out = CausalConv3d(prev, c.latent_channels, 3)

    def forward(self, z):
        x = self.conv1(z)
        for blk in self.res_blocks:
            x = blk(x)
        for i in reversed(range(len(self.block_res_blocks))):
            for blk in self.block_res_blocks[i]:
                x = blk(x)
            if i > 0:
                x = self.conv_blocks[i - 1](x)
                if self.temporal_up[i - 1]:  # depth-to-time: channel c*2 + tau → frame phase tau
                    b, ch, t, h, w = x.shape
                    x = x.view(b, ch // 2, 2, t, h, w).permute(0, 1, 3, 2, 4, 5).reshape(b, ch // 2, t * 2, h, w)
        return self.conv_out(F.silu(self.norm1(x)))


class TemporalVAE(nn.Module):
    """``VAE_Temporal_SD``: encoder, ``quant_conv``, ``post_quant_conv``, decoder."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        self.time_factor = 2 ** sum(c.temporal_downsample)
        self.encoder = TemporalEncoder(c)
        self.quant_conv = CausalConv3d(2 * c.latent_channels, 2 * c.latent_channels, 1)
        self.post_quant_conv = CausalConv3d(c.latent_channels, c.latent_channels, 1)
        self.decoder = TemporalDecoder(c)

    def _front_pad(self, t: int) -> int:
        return (self.time_factor - t % self.time_factor) % self.time_factor

    def encode(self, x, generator=None, sample: bool = True):
        """``[B, C, T, H, W]`` → latent sample ``[B, C, ceil(T/4), H, W]`` (zero frames prepended)."""
        x = F.pad(x, (0, 0, 0, 0, self._front_pad(x.shape[2]), 0))
        mean, logvar = self.quant_conv(self.encoder(x)).chunk(2, dim=1)
        if not sample:
            return mean
        logvar = logvar.clamp(*LOGVAR_RANGE)
        gen_device = generator.device if generator is not None else mean.device  # a CPU generator works for GPU tensors
        eps = torch.randn(mean.shape, generator=generator, device=gen_device, dtype=mean.dtype).to(mean.device)
        return mean + torch.exp(0.5 * logvar) * eps

    def decode(self, z, num_frames: int):
        x = self.decoder(self.post_quant_conv(z))
        return x[:, :, self._front_pad(num_frames) :]


# --------------------------------------------------------------------------------------------
# spatial VAE and the pipeline
# --------------------------------------------------------------------------------------------
class SpatialVAE(nn.Module):
    """``VideoAutoencoderKL``: diffusers ``AutoencoderKL`` applied per frame (key prefix ``module.``)."""

    def __init__(self, c: VAEConfig):
        super().__init__()
        from diffusers import AutoencoderKL

        n = len(c.spatial_block_out_channels)
        self.module = AutoencoderKL(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * n,
            up_block_types=("UpDecoderBlock2D",) * n,
            block_out_channels=tuple(c.spatial_block_out_channels),
            layers_per_block=c.spatial_layers_per_block,
            act_fn="silu",
            latent_channels=c.latent_channels,
            norm_num_groups=c.spatial_norm_groups,
            sample_size=512,
        )
        self.micro_batch_size = c.micro_batch_size
        self.factor = 2 ** (n - 1)

    def encode(self, x, generator=None, sample: bool = True):  # (B, C, T, H, W) → (B, 4, T, H/8, W/8)
        b, _, t = x.shape[:3]
        frames = x.transpose(1, 2).flatten(0, 1)  # (B T) C H W
        out = []
        for i in range(0, frames.shape[0], self.micro_batch_size):
            dist = self.module.encode(frames[i : i + self.micro_batch_size]).latent_dist
            out.append((dist.sample(generator=generator) if sample else dist.mode()) * SPATIAL_SCALING)
        z = torch.cat(out)
        return z.view(b, t, *z.shape[1:]).transpose(1, 2)

    def decode(self, z):
        b, _, t = z.shape[:3]
        frames = z.transpose(1, 2).flatten(0, 1)
        out = [
            self.module.decode(frames[i : i + self.micro_batch_size] / SPATIAL_SCALING).sample
            for i in range(0, frames.shape[0], self.micro_batch_size)
        ]
        x = torch.cat(out)
        return x.view(b, t, *x.shape[1:]).transpose(1, 2)


class VideoAutoencoder(nn.Module):
    """The v1.2 pipeline: spatial then temporal VAE, 17-frame micro-chunks, per-channel shift/scale."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        self.spatial_vae = SpatialVAE(config)
        self.temporal_vae = TemporalVAE(config)
        self.register_buffer("scale", torch.tensor(config.scale).view(1, -1, 1, 1, 1))
        self.register_buffer("shift", torch.tensor(config.shift).view(1, -1, 1, 1, 1))
        self.micro_frame_size = config.micro_frame_size
        self.micro_z_frame_size = self.latent_frames(config.micro_frame_size)

    def latent_frames(self, num_frames: int) -> int:
        """``5 ⌊T/17⌋ + ⌈(T mod 17)/4⌉`` for the v1.2 settings."""
        f, tf = self.micro_frame_size, self.temporal_vae.time_factor
        full, rest = divmod(num_frames, f)
        return full * (-(-f // tf)) + (-(-rest // tf))

    def latent_size(self, num_frames: int, height: int, width: int) -> tuple[int, int, int]:
        """Latent (T, H, W) of a video."""
        k = self.spatial_vae.factor
        return self.latent_frames(num_frames), height // k, width // k

    def encode(self, x, generator=None, sample: bool = True):
        """``[B, 3, T, H, W]`` in [-1, 1] → normalised latents ``[B, 4, T_lat, H/8, W/8]``."""
        x_z = self.spatial_vae.encode(x, generator, sample)
        chunks = [
            self.temporal_vae.encode(x_z[:, :, i : i + self.micro_frame_size], generator, sample)
            for i in range(0, x_z.shape[2], self.micro_frame_size)
        ]
        z = torch.cat(chunks, dim=2)
        return (z - self.shift.to(z.dtype)) / self.scale.to(z.dtype)

    def decode(self, z, num_frames: int, frames: list[int] | None = None):
        """Normalised latents → ``[B, 3, num_frames, H, W]`` (about [-1, 1]).

        ``frames``: decode only these output frames with the spatial VAE (the temporal VAE still
        runs on every chunk; the spatial decoder is where the memory goes), as ORO's frame subsets.
        """
        z = z * self.scale.to(z.dtype) + self.shift.to(z.dtype)
        parts, remaining = [], num_frames
        for i in range(0, z.shape[2], self.micro_z_frame_size):
            parts.append(
                self.temporal_vae.decode(
                    z[:, :, i : i + self.micro_z_frame_size], min(self.micro_frame_size, remaining)
                )
            )
            remaining -= self.micro_frame_size
        x_z = torch.cat(parts, dim=2)
        if frames is not None:
            x_z = x_z[:, :, list(frames)]
        return self.spatial_vae.decode(x_z)


def build_vae(preset: str, **overrides) -> VideoAutoencoder:
    """A randomly initialised VAE pipeline from a registered preset."""
    return VideoAutoencoder(VAEConfig(**{**PRESETS[preset], **overrides}))
