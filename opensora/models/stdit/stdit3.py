"""STDiT3 (Open-Sora v1.2), state-dict compatible with ``hpcai-tech/OpenSora-STDiT-v3``.

Behaviour follows Open-Sora v1.2's ``opensora/models/stdit/stdit3.py`` (hpcai-tech/Open-Sora, v1.2.0):

- patch embedding ``Conv3d`` (1, 2, 2), 2-D sin-cos position embedding (column half first,
  coordinates scaled by ``base_size / Hp`` and ``1 / scale`` with ``scale = sqrt(H W) / 512``);
- timestep and fps sinusoid embedders (cos first) summed, ``t_block`` giving the six modulation
  vectors shared by all blocks;
- 28 spatial + 28 temporal blocks, alternating; qk RMSNorm; RoPE (interleaved pairs) on temporal
  attention only, after the norm; unmodulated cross-attention over each sample's own text tokens;
- frames with ``x_mask = False`` (clean conditioning frames) are modulated with timestep 0;
- caption embedder with the learned null caption ``y_embedding`` and class dropout in training.

Departures: attention is ``scaled_dot_product_attention`` (no flash-attn / xformers); the packed
block-diagonal text attention is computed on padded per-sample tokens with a key mask (same
result). The model is single-device; checkpointing is a per-block switch
(``grad_checkpointing``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint


@dataclass
class STDiT3Config:
    """Architecture hyper-parameters (field names as in the HF ``config.json``)."""

    depth: int = 28
    hidden_size: int = 1152
    num_heads: int = 16
    patch_size: tuple[int, int, int] = (1, 2, 2)
    mlp_ratio: float = 4.0
    in_channels: int = 4
    pred_sigma: bool = True
    caption_channels: int = 4096
    model_max_length: int = 300
    class_dropout_prob: float = 0.1
    qk_norm: bool = True
    input_sq_size: int = 512
    drop_path: float = 0.0
    freeze_y_embedder: bool = True
    # accepted for config.json compatibility; no effect here (no weights, single device)
    input_size: list = field(default_factory=lambda: [None, None, None])
    enable_flash_attn: bool = False
    enable_layernorm_kernel: bool = False
    enable_sequence_parallelism: bool = False
    only_train_temporal: bool = False
    skip_y_embedder: bool = False

    @property
    def out_channels(self) -> int:
        """8 with ``pred_sigma`` (only the first half is used by rectified flow)."""
        return self.in_channels * 2 if self.pred_sigma else self.in_channels

    def to_json(self) -> dict:
        """The HF-style ``config.json`` content."""
        d = asdict(self)
        d["patch_size"] = list(self.patch_size)
        return {"architectures": ["STDiT3"], "model_type": "STDiT3", **d}


PRESETS = {
    "STDiT3-XL/2": dict(depth=28, hidden_size=1152, num_heads=16),
    "STDiT3-3B/2": dict(depth=28, hidden_size=1872, num_heads=26),
    # tiny: 2 blocks of each kind, hidden 64, 2 heads; small text features for tiny T5 configs
    "STDiT3-tiny": dict(depth=2, hidden_size=64, num_heads=2, caption_channels=32, model_max_length=16),
}


# --------------------------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------------------------
def timestep_embedding(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoid ``[B, dim]`` = [cos(t f), sin(t f)], f_k = exp(-ln(max_period) k / (dim/2)), in fp32."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedder(nn.Module):
    """Sinusoid(256) → Linear → SiLU → Linear (keys ``mlp.0``, ``mlp.2``)."""

    def __init__(self, hidden: int, freq_dim: int = 256):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))

    def forward(self, t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:  # (B,) -> (B, C)
        return self.mlp(timestep_embedding(t, self.freq_dim).to(dtype))


class Mlp(nn.Module):
    """timm-style MLP (keys ``fc1``, ``fc2``) with tanh-GELU."""

    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class RMSNorm(nn.Module):
    """LlamaRMSNorm: fp32 ``x / rms(x)``, cast back, times a learned weight."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(dtype)


class RotaryEmbedding(nn.Module):
    """rotary-embedding-torch 0.5.3 "lang" RoPE: parameter ``freqs`` [dim/2], interleaved pairs."""

    def __init__(self, dim: int, theta: float = 10000.0):
        super().__init__()
        freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))
        self.freqs = nn.Parameter(freqs, requires_grad=False)

    def rotate(self, t: torch.Tensor) -> torch.Tensor:
        """Rotate ``t [..., N, D]`` by position along N (the sequence dimension, -2)."""
        n = t.shape[-2]
        pos = torch.arange(n, device=t.device, dtype=self.freqs.dtype)
        ang = torch.einsum("n,f->nf", pos, self.freqs).repeat_interleave(2, dim=-1)  # (N, D): f0 f0 f1 f1 ...
        x1, x2 = t.unflatten(-1, (-1, 2)).unbind(-1)
        rotated = torch.stack((-x2, x1), dim=-1).flatten(-2)
        out = t * ang.cos() + rotated * ang.sin()
        return out.to(t.dtype)


class Attention(nn.Module):
    """Self-attention with fused qkv, optional qk RMSNorm and RoPE (keys ``qkv``, ``q_norm``, ``k_norm``, ``proj``)."""

    def __init__(self, dim: int, heads: int, qk_norm: bool, rope: RotaryEmbedding | None = None):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.q_norm = RMSNorm(self.head_dim) if qk_norm else nn.Identity()
        self.k_norm = RMSNorm(self.head_dim) if qk_norm else nn.Identity()
        self.proj = nn.Linear(dim, dim)
        self._rope = [rope]  # a plain list: the shared RoPE is not a submodule (its key is `rope.freqs`)

    def forward(self, x):  # (B, N, C)
        b, n, c = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)  # (3, B, h, N, d)
        q, k, v = qkv.unbind(0)
        q, k = self.q_norm(q), self.k_norm(k)
        rope = self._rope[0]
        if rope is not None:
            q, k = rope.rotate(q), rope.rotate(k)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, h, N, d)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class CrossAttention(nn.Module):
    """Queries of sample b attend to sample b's text tokens only (keys ``q_linear``, ``kv_linear``, ``proj``)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.q_linear = nn.Linear(dim, dim)
        self.kv_linear = nn.Linear(dim, dim * 2)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, cond, key_mask):  # x (B, N, C); cond (B, L, C); key_mask (B, L) bool
        b, n, c = x.shape
        q = self.q_linear(x).view(b, n, self.heads, self.head_dim).transpose(1, 2)
        kv = self.kv_linear(cond).view(b, cond.shape[1], 2, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, kv[0], kv[1], attn_mask=key_mask[:, None, None, :])
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


def t2i_modulate(x, shift, scale):
    """AdaLN modulation ``x (1 + scale) + shift``."""
    return x * (1 + scale) + shift


def t_mask_select(x_mask, x, masked_x, t: int, s: int):
    """Per frame: ``x`` where ``x_mask`` (B, T) is True, else ``masked_x``; tokens (B, T*S, C)."""
    b = x.shape[0]
    x = x.view(b, t, s, -1)
    masked_x = masked_x.view(b, t, s, -1)
    return torch.where(x_mask[:, :, None, None], x, masked_x).view(b, t * s, -1)


class STDiT3Block(nn.Module):
    """One spatial or temporal block (17 state-dict keys)."""

    def __init__(self, cfg: STDiT3Config, temporal: bool, rope: RotaryEmbedding | None):
        super().__init__()
        h = cfg.hidden_size
        self.temporal = temporal
        self.norm1 = nn.LayerNorm(h, eps=1e-6, elementwise_affine=False)
        self.attn = Attention(h, cfg.num_heads, cfg.qk_norm, rope if temporal else None)
        self.cross_attn = CrossAttention(h, cfg.num_heads)
        self.norm2 = nn.LayerNorm(h, eps=1e-6, elementwise_affine=False)
        self.mlp = Mlp(h, int(h * cfg.mlp_ratio), h)
        self.scale_shift_table = nn.Parameter(torch.randn(6, h) / h**0.5)

    def forward(self, x, y, key_mask, t_mlp, x_mask, t0_mlp, t: int, s: int):
        b, n, c = x.shape
        mod = (self.scale_shift_table[None] + t_mlp.reshape(b, 6, -1)).chunk(6, dim=1)
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = mod
        if x_mask is not None:
            zero = (self.scale_shift_table[None] + t0_mlp.reshape(b, 6, -1)).chunk(6, dim=1)
            shift_msa0, scale_msa0, gate_msa0, shift_mlp0, scale_mlp0, gate_mlp0 = zero
        # self-attention
        h = self.norm1(x)
        x_m = t2i_modulate(h, shift_msa, scale_msa)
        if x_mask is not None:
            x_m = t_mask_select(x_mask, x_m, t2i_modulate(h, shift_msa0, scale_msa0), t, s)
        if self.temporal:
            x_m = x_m.view(b, t, s, c).transpose(1, 2).reshape(b * s, t, c)  # (B S) T C
            x_m = self.attn(x_m).view(b, s, t, c).transpose(1, 2).reshape(b, n, c)
        else:
            x_m = self.attn(x_m.reshape(b * t, s, c)).reshape(b, n, c)  # (B T) S C
        x_m_s = gate_msa * x_m
        if x_mask is not None:
            x_m_s = t_mask_select(x_mask, x_m_s, gate_msa0 * x_m, t, s)
        x = x + x_m_s
        # cross-attention: no norm, no modulation, no gate
        x = x + self.cross_attn(x, y, key_mask)
        # MLP
        h = self.norm2(x)
        x_m = t2i_modulate(h, shift_mlp, scale_mlp)
        if x_mask is not None:
            x_m = t_mask_select(x_mask, x_m, t2i_modulate(h, shift_mlp0, scale_mlp0), t, s)
        x_m = self.mlp(x_m)
        x_m_s = gate_mlp * x_m
        if x_mask is not None:
            x_m_s = t_mask_select(x_mask, x_m_s, gate_mlp0 * x_m, t, s)
        return x + x_m_s


class CaptionEmbedder(nn.Module):
    """``y_proj`` MLP and the learned null caption ``y_embedding`` (class dropout in training)."""

    def __init__(self, in_channels: int, hidden: int, uncond_prob: float, max_length: int):
        super().__init__()
        self.y_proj = Mlp(in_channels, hidden, hidden)
        self.register_buffer("y_embedding", torch.randn(max_length, in_channels) / in_channels**0.5)
        self.uncond_prob = uncond_prob

    def forward(self, y, train: bool, force_drop_ids=None):  # y (B, 1, L, C_text)
        if (train and self.uncond_prob > 0) or force_drop_ids is not None:
            drop = (
                torch.rand(y.shape[0], device=y.device) < self.uncond_prob
                if force_drop_ids is None
                else force_drop_ids == 1
            )
            y = torch.where(drop[:, None, None, None], self.y_embedding.to(y.dtype), y)
        return self.y_proj(y)


class FinalLayer(nn.Module):
    """``T2IFinalLayer``: modulated by the embedding ``t`` (not ``t_mlp``)."""

    def __init__(self, hidden: int, num_patch: int, out_channels: int):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden, eps=1e-6, elementwise_affine=False)
        self.linear = nn.Linear(hidden, num_patch * out_channels)
        self.scale_shift_table = nn.Parameter(torch.randn(2, hidden) / hidden**0.5)

    def forward(self, x, t_emb, x_mask, t0_emb, t: int, s: int):
        shift, scale = (self.scale_shift_table[None] + t_emb[:, None]).chunk(2, dim=1)
        h = self.norm_final(x)
        out = t2i_modulate(h, shift, scale)
        if x_mask is not None:  # as the release: norm and t0-modulation of the already t-modulated tokens
            shift0, scale0 = (self.scale_shift_table[None] + t0_emb[:, None]).chunk(2, dim=1)
            out = t_mask_select(x_mask, out, t2i_modulate(self.norm_final(out), shift0, scale0), t, s)
        return self.linear(out)


def position_embedding_2d(hidden: int, hp: int, wp: int, scale: float, base_size: int, device, dtype) -> torch.Tensor:
    """``[Hp*Wp, hidden]`` sin-cos embedding: first half column coordinate, second half row (Open-Sora v1.2 stdit3.py)."""
    half = hidden // 2
    inv_freq = 1.0 / (10000 ** (torch.arange(0, half, 2, device=device, dtype=torch.float32) / half))
    rows = torch.arange(hp, device=device, dtype=torch.float32) / scale * base_size / hp
    cols = torch.arange(wp, device=device, dtype=torch.float32) / scale * base_size / wp
    r, c = torch.meshgrid(rows, cols, indexing="ij")  # token index = i * Wp + j

    def sincos(coord):
        a = coord.reshape(-1, 1) * inv_freq[None]
        return torch.cat([a.sin(), a.cos()], dim=-1)

    return torch.cat([sincos(c), sincos(r)], dim=-1).to(dtype)


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------
class STDiT3(nn.Module):
    """Spatial-temporal DiT of Open-Sora v1.2."""

    def __init__(self, config: STDiT3Config):
        super().__init__()
        self.config = c = config
        h = c.hidden_size
        self.patch_size = tuple(c.patch_size)
        self.grad_checkpointing = False
        self.rope = RotaryEmbedding(h // c.num_heads)
        self.x_embedder = nn.Module()
        self.x_embedder.proj = nn.Conv3d(c.in_channels, h, kernel_size=self.patch_size, stride=self.patch_size)
        self.t_embedder = TimestepEmbedder(h)
        self.fps_embedder = TimestepEmbedder(h)  # Open-Sora's SizeEmbedder on the fps scalar: same layers
        self.t_block = nn.Sequential(nn.SiLU(), nn.Linear(h, 6 * h))
        self.y_embedder = CaptionEmbedder(c.caption_channels, h, c.class_dropout_prob, c.model_max_length)
        self.spatial_blocks = nn.ModuleList([STDiT3Block(c, False, None) for _ in range(c.depth)])
        self.temporal_blocks = nn.ModuleList([STDiT3Block(c, True, self.rope) for _ in range(c.depth)])
        self.final_layer = FinalLayer(h, math.prod(self.patch_size), c.out_channels)
        if c.freeze_y_embedder:
            self.y_embedder.requires_grad_(False)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        """From-scratch init as Open-Sora: xavier Linear, zero biases; temporal outputs start at zero."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.fps_embedder.mlp[0].weight, std=0.02)
        nn.init.zeros_(self.fps_embedder.mlp[2].weight)
        nn.init.zeros_(self.fps_embedder.mlp[2].bias)
        for blk in self.temporal_blocks:
            for lin in (blk.attn.proj, blk.cross_attn.proj, blk.mlp.fc2):
                nn.init.zeros_(lin.weight)

    def encode_text(self, y, mask):
        """Text tokens ``[B, L, C]`` and key mask ``[B, L]`` (CFG: the mask is tiled over the null rows)."""
        y = self.y_embedder(y, self.training).squeeze(1)  # (B, L, C)
        if mask is None:
            return y, torch.ones(y.shape[:2], dtype=torch.bool, device=y.device)
        if mask.shape[0] != y.shape[0]:
            mask = mask.repeat(y.shape[0] // mask.shape[0], 1)
        return y, mask.to(y.device) != 0

    def forward(self, x, timestep, y, mask=None, x_mask=None, fps=None, height=None, width=None, **kwargs):
        """``x [B, 4, T, H, W]``, ``timestep [B]`` in [0, 1000], ``y [B, 1, L, C_text]`` → ``[B, 8, T, H, W]`` fp32."""
        dtype = self.x_embedder.proj.weight.dtype
        b = x.shape[0]
        x, timestep, y = x.to(dtype), timestep.to(dtype), y.to(dtype)
        _, _, tx, hx, wx = x.shape
        pt, ph, pw = self.patch_size
        t, hp, wp = -(-tx // pt), -(-hx // ph), -(-wx // pw)
        s = hp * wp
        if height is None or width is None:
            height = width = torch.tensor([hx * 8], device=x.device)  # pixel size of the video (VAE factor 8)
        scale = (float(height[0]) * float(width[0])) ** 0.5 / self.config.input_sq_size
        pos = position_embedding_2d(self.config.hidden_size, hp, wp, scale, round(s**0.5), x.device, dtype)
        fps = torch.full((b,), 16.0, device=x.device) if fps is None else fps.reshape(-1)
        if fps.shape[0] != b:
            fps = fps.repeat(b // fps.shape[0])
        fps_emb = self.fps_embedder(fps, dtype)
        t_emb = self.t_embedder(timestep, dtype) + fps_emb
        t_mlp = self.t_block(t_emb)
        t0_emb = t0_mlp = None
        if x_mask is not None:
            t0_emb = self.t_embedder(torch.zeros_like(timestep), dtype) + fps_emb
            t0_mlp = self.t_block(t0_emb)
        y, key_mask = self.encode_text(y, mask)
        # patchify: (B, C, T, H, W) → (B, T*S, C), with zero padding to patch multiples
        x = F.pad(x, (0, wp * pw - wx, 0, hp * ph - hx, 0, t * pt - tx))
        x = self.x_embedder.proj(x).flatten(2).transpose(1, 2)
        x = (x.view(b, t, s, -1) + pos[None, None]).view(b, t * s, -1)
        for spatial, temporal in zip(self.spatial_blocks, self.temporal_blocks, strict=True):
            for blk in (spatial, temporal):
                args = (x, y, key_mask, t_mlp, x_mask, t0_mlp, t, s)
                x = (
                    checkpoint(blk, *args, use_reentrant=False)
                    if self.grad_checkpointing and self.training
                    else blk(*args)
                )
        x = self.final_layer(x, t_emb, x_mask, t0_emb, t, s)
        # unpatchify: B (Nt Nh Nw) (Tp Hp Wp C) → B C (Nt Tp) (Nh Hp) (Nw Wp)
        co = self.config.out_channels
        x = x.view(b, t, hp, wp, pt, ph, pw, co).permute(0, 7, 1, 4, 2, 5, 3, 6)
        x = x.reshape(b, co, t * pt, hp * ph, wp * pw)  # a copy (permuted input), not a view
        if (t * pt, hp * ph, wp * pw) != (tx, hx, wx):  # crop the patch padding (FSDP2 warns on view outputs)
            x = x[:, :, :tx, :hx, :wx].contiguous()
        return x.float()


def build_stdit3(preset: str, **overrides) -> STDiT3:
    """A randomly initialised STDiT3 from a registered preset."""
    return STDiT3(STDiT3Config(**{**PRESETS[preset], **overrides}))
