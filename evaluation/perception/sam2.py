"""SAM 2 video segmentation through ``transformers`` (``Sam2VideoModel`` + ``Sam2VideoProcessor``).

Two modes:

- :meth:`Sam2Segmenter.segment`: ``uint8 [T, H, W, 3]`` frames + frame-0 prompts (per-object
  positive/negative points, or per-object masks) → ``bool [T, N, H, W]`` (logits > 0), in the
  order of the prompts. Inference only.
- :meth:`Sam2Segmenter.soft_masks`: a float video ``[T, 3, H, W]`` in [0, 255] that may require
  grad + frame-0 masks → probabilities ``[T, N, H, W]`` with gradients to the pixels (ORO's
  segmentation reward). ``Sam2VideoModel.forward`` is wrapped in ``torch.inference_mode``; this
  mode calls the undecorated function (``forward.__wrapped__``), as PISA's fork removed the
  decorators. **Object-presence gate:** where SAM 2's object score says "absent", the mask
  logits are the constant -1024 and no gradient flows for that object and frame (hard
  ``torch.where`` in the model, kept as in the reference).

The input is resized to the model's ``image_size`` and ImageNet-normalised: 1024 for the released
checkpoints, or a reduced size with ``Sam2Segmenter(..., image_size=256)`` (PISA ran 256 to bound
memory; :func:`reduced_config` rescales the feature-map and RoPE sizes, the weights are unchanged).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation.core.errors import InputError
from evaluation.core.weightfiles import check_weights
from evaluation.perception.common import adapter_record, normalize_imagenet, pick_device, pick_dtype

DEFAULT_SAM2 = "facebook/sam2.1-hiera-large"
TINY_OBJECT_SCORE_BIAS = 10.0  # tiny random models: open the object-presence gate (see module docstring)


class Sam2Segmenter:
    """A loaded SAM 2 video model and its processor."""

    def __init__(
        self, name_or_path: str = DEFAULT_SAM2, device: str = "auto", dtype: str = "auto", image_size: int | None = None
    ):
        """Load processor and model; ``image_size`` (a multiple of 16) runs SAM 2 at a reduced size (PISA: 256)."""
        import torch
        from transformers import Sam2VideoConfig, Sam2VideoModel, Sam2VideoProcessor

        self.device = pick_device(device)
        self.dtype = pick_dtype(dtype, self.device)
        check_weights(name_or_path, "run models/download_sam2.sh")
        try:
            self.processor = Sam2VideoProcessor.from_pretrained(name_or_path)
            kwargs = {}
            if image_size is not None:
                kwargs["config"] = reduced_config(Sam2VideoConfig.from_pretrained(name_or_path), image_size)
                size = {"height": image_size, "width": image_size}
                self.processor.image_processor.size = size
                self.processor.video_processor.size = size
                self.processor.target_size = image_size
            self.model = Sam2VideoModel.from_pretrained(name_or_path, dtype=self.dtype, **kwargs).to(self.device).eval()
        except OSError as e:
            raise InputError(
                name_or_path, f"SAM 2 weights not found locally or on the hub ({e}); run models/download_sam2.sh"
            ) from e
        self.model.requires_grad_(False)
        self.image_size = int(self.model.config.image_size)
        self.record = adapter_record(
            "sam2_video", name_or_path, {"image_size": self.image_size, "dtype": str(self.dtype).removeprefix("torch.")}
        )
        self._torch = torch

    def _check_prompts(self, height: int, width: int, points: list[dict] | None, masks: np.ndarray | None) -> int:
        if (points is None) == (masks is None):
            raise ValueError("give either point prompts or frame-0 masks")
        if masks is not None:
            if masks.ndim != 3 or masks.shape[1:] != (height, width):
                raise ValueError(f"prompt masks must be [N, {height}, {width}], got {masks.shape}")
            if not masks.reshape(len(masks), -1).any(axis=1).all():
                raise ValueError(
                    f"prompt mask of object {int(np.flatnonzero(~masks.any(axis=(1, 2)))[0])} is empty in frame 0"
                )
            return len(masks)
        for i, obj in enumerate(points):
            for x, y in [*obj.get("positive", []), *obj.get("negative", [])]:
                if not (0 <= x <= width and 0 <= y <= height):
                    raise ValueError(f"points[{i}] point ({x}, {y}) is outside the {width}x{height} frames")
        return len(points)

    def segment(
        self, frames: np.ndarray, points: list[dict] | None = None, masks: np.ndarray | None = None
    ) -> np.ndarray:
        """Track every prompted object through the video → ``bool [T, N, H, W]``."""
        torch = self._torch
        t, h, w = frames.shape[:3]
        n = self._check_prompts(h, w, points, masks)
        ids = list(range(1, n + 1))
        with torch.inference_mode():
            session = self.processor.init_video_session(
                video=list(frames), inference_device=self.device, dtype=self.dtype
            )
            if masks is not None:
                self.processor.add_inputs_to_inference_session(
                    session, frame_idx=0, obj_ids=ids, input_masks=[m for m in masks]
                )
            else:
                pts = [[[list(map(float, p)) for p in o["positive"] + o.get("negative", [])] for o in points]]
                labels = [[[1] * len(o["positive"]) + [0] * len(o.get("negative", [])) for o in points]]
                if len({len(p) for p in pts[0]}) > 1:  # the processor needs equal counts: pad with the first point
                    k = max(len(p) for p in pts[0])
                    for j, p in enumerate(pts[0]):
                        labels[0][j] += [-10] * (k - len(p))  # the processor's padding label
                        p += [p[0]] * (k - len(p))
                self.processor.add_inputs_to_inference_session(
                    session, frame_idx=0, obj_ids=ids, input_points=pts, input_labels=labels
                )
            self.model(inference_session=session, frame_idx=0)
            out = np.zeros((t, n, h, w), dtype=bool)
            for res in self.model.propagate_in_video_iterator(session):
                m = self.processor.post_process_masks([res.pred_masks], original_sizes=[[h, w]], binarize=True)[0]
                out[res.frame_idx] = m[:, 0].cpu().numpy()
        return out

    def soft_masks(self, video, init_masks):
        """Differentiable: ``video [T, 3, H, W]`` in [0, 255], ``init_masks bool [N, H, W]`` → ``[T, N, H, W]`` in (0, 1)."""
        torch = self._torch
        import torch.nn.functional as F
        from transformers.models.sam2_video.modeling_sam2_video import Sam2VideoInferenceSession

        t, _, h, w = video.shape
        x = F.interpolate(
            video.float() / 255.0, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
        )
        x = normalize_imagenet(x).to(self.dtype)
        session = Sam2VideoInferenceSession(
            video=x,
            video_height=h,
            video_width=w,
            inference_device=self.device,
            video_storage_device=self.device,
            dtype=self.dtype,
        )
        masks = np.asarray(init_masks, dtype=bool)
        ids = list(range(1, len(masks) + 1))
        self.processor.add_inputs_to_inference_session(
            session, frame_idx=0, obj_ids=ids, input_masks=[m for m in masks]
        )
        forward = type(self.model).forward.__wrapped__  # without torch.inference_mode (see module docstring)
        probs = []
        for i in range(t):
            out = forward(self.model, inference_session=session, frame_idx=i)
            logits = F.interpolate(out.pred_masks.float(), size=(h, w), mode="bilinear", align_corners=False)
            probs.append(logits[:, 0].sigmoid())  # (N, H, W)
        return torch.stack(probs)


def reduced_config(config, image_size: int):
    """The same weights at another input size: image, feature-map and RoPE sizes rescaled.

    The Hiera position embedding is interpolated by the model at run time, so released
    checkpoints load unchanged (as PISA ran ``sam2.1_hiera_large`` at 256).
    """
    import copy

    if image_size % 16:
        raise ValueError(f"SAM 2 image_size must be a multiple of 16, got {image_size}")
    cfg = copy.deepcopy(config)
    s = image_size
    cfg.image_size = s
    cfg.vision_config.backbone_config.image_size = [s, s]
    cfg.vision_config.backbone_feature_sizes = [[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]]
    cfg.prompt_encoder_config.image_size = s
    cfg.memory_attention_rope_feat_sizes = [s // 16, s // 16]
    return cfg


def tiny_sam2_config(image_size: int = 128):
    """A ~1 M-parameter ``Sam2VideoConfig`` of the real architecture (sizes the model code hard-codes kept)."""
    from transformers import Sam2VideoConfig

    backbone = dict(
        model_type="sam2_hiera_det_model",
        hidden_size=16,
        num_attention_heads=1,
        blocks_per_stage=[1, 1, 2, 1],
        embed_dim_per_stage=[16, 32, 64, 128],
        num_attention_heads_per_stage=[1, 1, 1, 1],
        window_size_per_stage=[8, 4, 4, 4],
        global_attention_blocks=[3],  # not a stage-change block (its window would be 0)
        window_positional_embedding_background_size=[4, 4],
        image_size=[image_size, image_size],
    )
    s = image_size
    vision = dict(
        model_type="sam2_vision_model",
        backbone_config=backbone,
        backbone_channel_list=[128, 64, 32, 16],
        backbone_feature_sizes=[[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]],
        fpn_hidden_size=128,
    )
    return Sam2VideoConfig(
        vision_config=vision,
        prompt_encoder_config=dict(hidden_size=128, image_size=s, patch_size=16, mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=128, mlp_dim=128, num_attention_heads=2, iou_head_hidden_dim=32),
        image_size=s,
        memory_attention_hidden_size=128,  # > memory channels: object pointers are split into tokens
        memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=128,
        memory_attention_rope_feat_sizes=[s // 16, s // 16],
        memory_encoder_hidden_size=128,
        memory_encoder_output_channels=64,  # the memory cross-attention's key size is hard-coded to 64
        mask_downsampler_embed_dim=128,
        memory_fuser_embed_dim=128,
        memory_fuser_intermediate_dim=128,
    )


def save_tiny_sam2(folder: str | Path, image_size: int = 128, seed: int = 0, mask_gain: float = 1.0) -> Path:
    """Random tiny SAM 2 video model + processor, saved in the real format (``from_pretrained`` loads it).

    ``mask_gain`` scales the mask hypernetworks' output layers: a random tiny model's mask logits
    on propagated frames are all near 0 (probabilities ≈ 0.5 everywhere, almost no gradient);
    a gain of ~3000 gives masks that depend on the pixels, for reward-optimisation tests.
    """
    import torch
    from transformers import Sam2ImageProcessor, Sam2VideoModel, Sam2VideoProcessor, Sam2VideoVideoProcessor

    torch.manual_seed(seed)
    model = Sam2VideoModel(tiny_sam2_config(image_size))
    with torch.no_grad():
        model.mask_decoder.pred_obj_score_head.proj_out.bias.fill_(TINY_OBJECT_SCORE_BIAS)
        for mlp in model.mask_decoder.output_hypernetworks_mlps:
            mlp.proj_out.weight.mul_(mask_gain)
    model.save_pretrained(folder)
    size = {"height": image_size, "width": image_size}
    Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size=size),
        video_processor=Sam2VideoVideoProcessor(size=size),
        target_size=image_size,
    ).save_pretrained(folder)
    return Path(folder)
