"""The one first-frame-conditioned sampler: classifier-free guidance and ``grad_steps=K`` for every backbone.

``sample_latents(backbone, model, first_frames, features, steps=N, guidance_scale=s, generator=g,
grad_steps=K)`` runs the backbone's denoising loop. The first ``N - K`` denoiser calls run under
``torch.no_grad``; the last ``K`` keep a graph (K = 0: inference; K = N: full backprop as PISA's
ORO; K = 1: VADER's truncated backprop), each optionally wrapped in activation checkpointing.
Guidance is ``uncond + s · (cond - uncond)``; with ``s <= 1`` no unconditional prediction is made
(as the diffusers pipelines; Open-Sora's release always makes one, so its backbone keeps it).
"""

from __future__ import annotations

import torch
from torch.utils.checkpoint import checkpoint


def sample_latents(
    backbone,
    model,
    first_frames: torch.Tensor,
    features: dict,
    *,
    steps: int,
    guidance_scale: float,
    generator: torch.Generator,
    grad_steps: int = 0,
    checkpoint_model: bool = False,
    progress: bool = False,
) -> torch.Tensor:
    """Latents of videos that start at ``first_frames [B, 3, H, W]`` (in [-1, 1], from ``prepare_first_frame``).

    ``first_frames [B, 3, K, H, W]`` is a conditioning clip (video-to-video): its K frames are held
    fixed and the video continues them (backbones with ``clip_conditioning``).
    """
    if model is None:
        model = backbone.denoiser()
    if first_frames.ndim == 5:
        backbone.check_context_frames(first_frames.shape[2])
        first_frames = backbone.to_canvas(first_frames)
    else:
        first_frames = backbone.to_canvas(first_frames[:, :, None])[:, :, 0]  # square clip frames → the canvas
    with torch.no_grad():  # the condition is a frozen function of the first frame: no graph into the encoders
        traj = backbone.start(first_frames, features, generator, steps, guidance=backbone.uses_guidance(guidance_scale))
    n = len(traj.timesteps)
    if not 0 <= grad_steps <= n:
        raise ValueError(f"grad_steps must be in [0, {n}], got {grad_steps}")
    iterator = range(n)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="sampling", unit="step", leave=False)
    for i in iterator:
        keep_graph = i >= n - grad_steps
        with torch.set_grad_enabled(keep_graph and torch.is_grad_enabled()):
            x_in = backbone.model_input(traj, i)

            def call(x, i=i):
                cond, uncond = backbone.predict(model, traj, i, x)
                return cond if uncond is None else torch.stack([cond, uncond])

            out = checkpoint(call, x_in, use_reentrant=False) if (checkpoint_model and keep_graph) else call(x_in)
            if traj.guidance:
                cond, uncond = out[0], out[1]
                out = uncond + guidance_scale * (cond - uncond)
            traj.x = backbone.step(traj, i, out)
    return backbone.finish(traj)
