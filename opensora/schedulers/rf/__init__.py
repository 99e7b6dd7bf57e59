"""Rectified flow of Open-Sora v1.2 (release: opensora/schedulers/rf/): noise schedule, timestep transform, training loss, sampler.

Convention: ``x_t = (1 - τ) x0 + τ ε`` with ``τ = t / 1000``; the model predicts the velocity
``x0 - ε`` in the first half of its output channels; the sampler integrates ``z += v̂ Δτ`` from
τ = 1 (noise) to τ = 0 over ``t_i = (1 - i/N) T`` with the last step reaching 0 (Σ Δτ = 1).

The sampling loop itself (classifier-free guidance, ``grad_steps=K``) is the one every backbone
uses, :func:`opensora.backbones.sampling.sample_latents`; the Open-Sora backbone takes its
timesteps, step sizes and noising from here.

Documented quirks kept from the reference: for 2–16 frames ``⌊T/17⌋·5 = 0`` makes the timestep
transform send every timestep to 0 (we raise instead of sampling nothing); the transform is
computed in the dtype of the size tensors (fp32 here unless the caller passes bf16; fp16 is cast to fp32 as the release does).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

BASE_RESOLUTION = 512 * 512  # SD3-style resolution shift is relative to 512² pixels
FRAMES_PER_CHUNK, LATENT_FRAMES_PER_CHUNK = 17, 5  # the VAE's 17 pixel frames ↔ 5 latent frames


@dataclass
class RFlowArgs:
    """The ``scheduler`` config section (defaults = Open-Sora's RFLOW defaults; PISA ORO uses them)."""

    num_sampling_steps: int = 10
    num_timesteps: int = 1000
    cfg_scale: float = 4.0
    use_discrete_timesteps: bool = False
    use_timestep_transform: bool = False
    sample_method: str = "uniform"  # uniform | logit-normal
    loc: float = 0.0
    scale: float = 1.0
    transform_scale: float = 1.0

    def __post_init__(self):
        if self.sample_method not in ("uniform", "logit-normal"):
            raise ValueError(f"scheduler.sample_method must be uniform or logit-normal, got {self.sample_method!r}")
        if self.num_sampling_steps < 1:
            raise ValueError("scheduler.num_sampling_steps must be >= 1")


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, num_timesteps: int = 1000) -> torch.Tensor:
    """``(1 - τ) x0 + τ ε`` per sample; ``t [B]`` in [0, num_timesteps]."""
    tau = (t.float() / num_timesteps).to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
    return (1 - tau) * x0 + tau * noise


def timestep_transform(t: torch.Tensor, height, width, num_frames, args: RFlowArgs) -> torch.Tensor:
    """Shift timesteps towards noise for larger videos: ``τ' = r τ / (1 + (r - 1) τ)``.

    ``r = sqrt(H W / 512²) · sqrt(n') · transform_scale`` with ``n' = 1`` for images and
    ``⌊T/17⌋·5`` for videos (pixel sizes).
    """
    if height.dtype == torch.float16:  # as the release: fp16 sizes overflow (H·W) and give NaN
        height, width, num_frames = height.float(), width.float(), num_frames.float()
    tau = t / args.num_timesteps
    ratio_space = (height * width / BASE_RESOLUTION).sqrt()
    n = (
        torch.ones_like(num_frames)
        if int(num_frames.reshape(-1)[0]) == 1
        else num_frames // FRAMES_PER_CHUNK * LATENT_FRAMES_PER_CHUNK
    )
    ratio = ratio_space * n.sqrt() * args.transform_scale
    new = ratio * tau / (1 + (ratio - 1) * tau)
    return new * args.num_timesteps


def sample_training_timesteps(b: int, args: RFlowArgs, device, generator=None) -> torch.Tensor:
    """``t [B]``: uniform in [0, T) or logit-normal ``sigmoid(N(loc, scale)) · T``."""
    if args.use_discrete_timesteps:
        return torch.randint(0, args.num_timesteps, (b,), device=device, generator=generator).float()
    if args.sample_method == "uniform":
        return torch.rand(b, device=device, generator=generator) * args.num_timesteps
    n = torch.randn(b, device=device, generator=generator) * args.scale + args.loc
    return torch.sigmoid(n) * args.num_timesteps


def training_losses(
    model, x_start, model_kwargs: dict, args: RFlowArgs, noise=None, mask=None, t=None, generator=None
) -> dict:
    """Per-sample velocity MSE; frames with ``mask == False`` stay clean and are left out of the loss.

    Args:
        model: called as ``model(x_t, t, **model_kwargs)``; ``model_kwargs`` carries ``y``, ``mask``,
            ``height``, ``width``, ``num_frames``, ``fps`` (and gets ``x_mask`` here).
        x_start: clean latents ``[B, C, T, H, W]``.
        mask: ``bool [B, T]``, False = conditioning frame.

    Returns:
        ``{"loss": [B], "t": [B]}``.
    """
    b = x_start.shape[0]
    if t is None:
        t = sample_training_timesteps(b, args, x_start.device, generator)
        if args.use_timestep_transform:
            t = timestep_transform(t, model_kwargs["height"], model_kwargs["width"], model_kwargs["num_frames"], args)
    if noise is None:
        noise = torch.randn(x_start.shape, device=x_start.device, dtype=x_start.dtype, generator=generator)
    x_t = add_noise(x_start, noise, t, args.num_timesteps)
    kwargs = dict(model_kwargs)
    if mask is not None:
        x_t = torch.where(mask[:, None, :, None, None], x_t, x_start)
        kwargs["x_mask"] = mask
    v = model(x_t, t, **kwargs)[:, : x_start.shape[1]]
    err = (v.float() - (x_start - noise).float()) ** 2  # (B, C, T, H, W)
    if mask is None:
        loss = err.mean(dim=(1, 2, 3, 4))
    else:
        m = mask[:, None, :, None, None].float()
        denom = mask.sum(dim=1).float() * x_start.shape[1] * x_start.shape[3] * x_start.shape[4]
        loss = (err * m).sum(dim=(1, 2, 3, 4)) / denom
    return {"loss": loss, "t": t}


def sampling_timesteps(args: RFlowArgs, b: int, device, height=None, width=None, num_frames=None) -> list[torch.Tensor]:
    """``t_i = (1 - i/N) T`` per sample (optionally rounded and transformed), i = 0…N-1."""
    ts = [(1.0 - i / args.num_sampling_steps) * args.num_timesteps for i in range(args.num_sampling_steps)]
    if args.use_discrete_timesteps:
        ts = [int(round(t)) for t in ts]
    out = [torch.full((b,), float(t), device=device) for t in ts]
    if args.use_timestep_transform:
        if num_frames is not None and 1 < int(num_frames.reshape(-1)[0]) < FRAMES_PER_CHUNK:
            raise ValueError(
                "the timestep transform sends every timestep to 0 for 2-16 frames (Open-Sora quirk); turn it off"
            )
        out = [timestep_transform(t, height, width, num_frames, args) for t in out]
    return out


def step_sizes(timesteps: list[torch.Tensor], num_timesteps: int) -> list[torch.Tensor]:
    """``Δτ_i = (t_i - t_{i+1}) / T``, last ``t_{N-1} / T``: they sum to ``t_0 / T`` (= 1 without transform)."""
    nxt = [*timesteps[1:], torch.zeros_like(timesteps[0])]
    return [(a - b) / num_timesteps for a, b in zip(timesteps, nxt, strict=True)]


def i2v_mask(b: int, t_lat: int, device, num_cond: int = 1) -> torch.Tensor:
    """Mask strategy ``"0"``: the first ``num_cond`` latent frames are kept (0), the rest generated (1)."""
    m = torch.ones(b, t_lat, device=device)
    m[:, :num_cond] = 0
    return m
