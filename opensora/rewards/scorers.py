"""The three ORO rewards around frozen perception adapters (:mod:`evaluation.perception`).

(and ``colour_segmentation``: the segmentation loss with a weight-free colour segmenter, for
plain-background simulated scenes only.)

- ``segmentation``: SAM 2 prompted with the ground-truth frame-0 masks of every object visible
  in frame 0, propagated through the generated frames; soft IoU against the simulator masks.
- ``flow``: RAFT flow between consecutive generated frames, L1 against RAFT on the ground-truth
  video (``target="video"``, as PISA) or against the simulator's exact ``flow.npz``
  (``target="simulator"``).
- ``depth``: Depth Anything V2, per-frame min-max to [0, 255], MSE against the model on the
  ground-truth video (``target="video"``, as PISA) or against the simulator's ``depth.npz``
  (``target="simulator"``: metric depth is turned into inverse depth first, because Depth
  Anything predicts relative inverse depth — larger is nearer).

With a decoded subset of frames, flow compares consecutive *decoded* frames (ground truth over
the same pairs, so simulator flow is only usable with all frames), depth compares frame by frame,
and segmentation propagates through the subset (frame 0 must be in it).
"""

from __future__ import annotations

import torch

from evaluation.core.errors import ConfigError, UserError
from opensora.registry import REWARDS
from opensora.rewards.losses import depth_mse, flow_l1, soft_iou_loss

TARGETS = ("video", "simulator")


def _gt_pixels(batch: dict, frames: list[int], device) -> torch.Tensor:
    """Ground-truth frames ``[B, T', 3, H, W]`` in [0, 255] (``(v + 1)·127.5``)."""
    v = batch["video"][:, :, frames].to(device).float()
    return ((v + 1.0) * 127.5).clamp(0, 255).permute(0, 2, 1, 3, 4)


def _check_target(target: str) -> str:
    if target not in TARGETS:
        raise ConfigError(f"reward target must be one of {TARGETS}, got {target!r}")
    return target


class SegmentationReward:
    """Soft-IoU loss of SAM 2 masks on the generated video."""

    @staticmethod
    def needs_for(config: dict) -> tuple[str, ...]:
        """Ground-truth files this reward reads, from its config alone."""
        return ("mask",)

    def __init__(self, model: str, image_size: int | None = 256, device="cpu"):
        from evaluation.perception.sam2 import Sam2Segmenter

        self.seg = Sam2Segmenter(model, device=str(device), dtype="fp32", image_size=image_size)

    def __call__(self, video: torch.Tensor, batch: dict, frames: list[int]) -> torch.Tensor:
        """Per-sample ``mean(1 − soft IoU)`` over frames and prompted objects."""
        if frames[0] != 0:
            raise ConfigError(
                "the segmentation reward needs frame 0 (the prompt frame) among the decoded frames (oro.decode_frames)"
            )
        out = []
        for b in range(video.shape[0]):
            gt = batch["mask"][b][frames].to(video.device)  # (T', N, H, W)
            visible = gt[0].flatten(1).any(dim=1)
            if not visible.any():
                raise UserError(f"sample {batch['index'][b]}: no object is visible in frame 0 to prompt SAM 2 with")
            probs = self.seg.soft_masks(video[b], gt[0, visible].cpu().numpy())
            out.append(soft_iou_loss(probs[None], gt[None, :, visible])[0])
        return torch.stack(out)


class ColourSegmentationReward:
    """Soft-IoU loss of weight-free colour masks (:mod:`evaluation.perception.colour`) on the generated video.

    For plain-background simulated scenes only (the miniature experiment, ``configs/sim/miniature.py``):
    each object is followed by its ground-truth frame-0 colour; a pixel's soft membership is
    ``sigmoid((tolerance − RGB distance) / softness)``. Same loss and ground truth as ``segmentation``.
    """

    @staticmethod
    def needs_for(config: dict) -> tuple[str, ...]:
        """Ground-truth files this reward reads, from its config alone."""
        return ("mask",)

    def __init__(self, tolerance: float = 60.0, softness: float = 8.0, device="cpu"):
        if tolerance <= 0 or softness <= 0:
            raise ConfigError(f"colour_segmentation: tolerance and softness must be > 0, got {tolerance}, {softness}")
        self.tolerance, self.softness = float(tolerance), float(softness)

    def __call__(self, video: torch.Tensor, batch: dict, frames: list[int]) -> torch.Tensor:
        """Per-sample ``mean(1 − soft IoU)`` over frames and objects visible in frame 0."""
        from evaluation.perception.colour import soft_colour_masks

        gt_pix = _gt_pixels(batch, [0], video.device)  # the colours come from the ground truth's frame 0
        out = []
        for b in range(video.shape[0]):
            gt = batch["mask"][b][frames].to(video.device)  # (T', N, H, W)
            m0 = batch["mask"][b][0].to(video.device).bool()
            visible = m0.flatten(1).any(dim=1)
            if not visible.any():
                raise UserError(f"sample {batch['index'][b]}: no object is visible in frame 0 to take a colour from")
            img = gt_pix[b, 0]  # (3, H, W)
            colours = torch.stack([img[:, m].mean(dim=1) for m in m0[visible]])
            probs = soft_colour_masks(video[b], colours, self.tolerance, self.softness)
            out.append(soft_iou_loss(probs[None], gt[None, :, visible])[0])
        return torch.stack(out)


class FlowReward:
    """L1 between RAFT flows of generated and ground-truth frames."""

    def __init__(
        self,
        model: str = "raft_large",
        weights: str | None = "default",
        target: str = "video",
        num_flow_updates: int = 20,
        device="cpu",
    ):
        from evaluation.perception.raft import build_raft

        self.model = build_raft(model, weights, device=str(device))
        self.target, self.iters = _check_target(target), num_flow_updates

    @staticmethod
    def needs_for(config: dict) -> tuple[str, ...]:
        """Ground-truth files this reward reads, from its config alone (simulator flow)."""
        return ("flow",) if config.get("target") == "simulator" else ()

    def __call__(self, video: torch.Tensor, batch: dict, frames: list[int]) -> torch.Tensor:
        """Per-sample mean absolute flow difference (pixels)."""
        from evaluation.perception.raft import flow_differentiable

        if len(frames) < 2:
            raise ConfigError("the flow reward needs at least two decoded frames (oro.decode_frames)")
        gt_pix = _gt_pixels(batch, frames, video.device) if self.target == "video" else None
        out = []
        for b in range(video.shape[0]):
            pred = flow_differentiable(self.model, video[b], self.iters)  # (T'-1, 2, H, W)
            if self.target == "video":
                with torch.no_grad():
                    ref = flow_differentiable(self.model, gt_pix[b], self.iters)
            else:
                if frames != list(range(frames[0], frames[0] + len(frames))):
                    raise ConfigError("target='simulator' flow needs consecutive decoded frames (oro.decode_frames)")
                ref = batch["flow"][b][frames[:-1]].to(video.device).permute(0, 3, 1, 2)
            out.append(flow_l1(pred[None], ref[None])[0])
        return torch.stack(out)


class DepthReward:
    """MSE between min-max-normalised Depth Anything predictions."""

    def __init__(
        self,
        model: str = "depth-anything/Depth-Anything-V2-Small-hf",
        target: str = "video",
        input_size: int = 518,
        device="cpu",
    ):
        from evaluation.perception.depth import build_depth

        self.model = build_depth(model, device=str(device))
        self.target, self.input_size = _check_target(target), input_size

    @staticmethod
    def needs_for(config: dict) -> tuple[str, ...]:
        """Ground-truth files this reward reads, from its config alone (simulator depth)."""
        return ("depth",) if config.get("target") == "simulator" else ()

    def __call__(self, video: torch.Tensor, batch: dict, frames: list[int]) -> torch.Tensor:
        """Per-sample MSE of min-max-normalised depth."""
        from evaluation.perception.depth import depth_differentiable

        gt_pix = _gt_pixels(batch, frames, video.device) if self.target == "video" else None
        out = []
        for b in range(video.shape[0]):
            pred = depth_differentiable(self.model, video[b], self.input_size)  # (T', H, W)
            if self.target == "video":
                with torch.no_grad():
                    ref = depth_differentiable(self.model, gt_pix[b], self.input_size)
            else:
                metres = batch["depth"][b][frames].to(video.device).float()
                ref = 1.0 / metres.clamp_min(1e-3)  # inverse depth, like the model's output
            out.append(depth_mse(pred[None], ref[None])[0])
        return torch.stack(out)


REWARDS.register_module(name="segmentation", module=SegmentationReward)
REWARDS.register_module(name="colour_segmentation", module=ColourSegmentationReward)
REWARDS.register_module(name="flow", module=FlowReward)
REWARDS.register_module(name="depth", module=DepthReward)
