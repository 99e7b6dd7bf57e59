"""Benchmark validation while training: generate, segment, score with the PisaBench metrics.

Every ``validation.every`` steps (and before the first and after the last step): the EMA (or
working) weights are gathered into a plain STDiT3 on rank 0, which generates a first-frame-
conditioned clip for each held-out simulated sample, segments it with SAM 2 (or the weight-free
template tracker) prompted with the ground truth's frame-0 masks of every object, and scores it
against the ground-truth masks with :mod:`evaluation.benchmark` — the same code as
``python -m evaluation.run``. Outputs, under ``<run>/val/``:

- ``gt/<sample>/``: the ground truth at the training size (frames, masks, ``clip_info.json``);
- ``step-XXXXXXX/<sample>/``: generated frames, ``movie.mp4``, masks; ``per_sample.jsonl`` and
  ``summary.json`` next to them;
- ``val/<metric>`` scalars in ``metrics.jsonl`` / TensorBoard.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from evaluation.benchmark import EvalArgs, EvalItem, evaluate_item, summarize
from evaluation.core.files import write_json
from evaluation.core.identity import compare, fingerprint, stage_identity
from evaluation.core.outdirs import has_done_record, staged_folder
from evaluation.schema import CLIP_INFO_FILE, MASK_FILE, points_from_mask, write_sample
from opensora.datasets.clips import ClipDataset
from opensora.datasets.manifest import read_manifest

SEGMENTERS = ("sam2", "template", "colour")
LOGGED = ("l2", "chamfer_distance", "iou", "centroid_error_strict", "accel_ratio", "accel_log_error", "drop_time_error")


@dataclass
class ValArgs:
    """The ``validation`` config section."""

    manifest: str | None = "data/sim/psft/val.csv"  # held-out CSV (the simulator's val.csv); None = no validation
    split: str | None = None
    limit: int | None = 9
    every: int = 150  # steps between validations; 0 = only before and after training
    at_start: bool = True
    weights: str = "ema"  # ema | model
    num_sampling_steps: int = 30
    cfg_scale: float = 7.0
    batch_size: int = 4
    seed: int = 1024
    segmenter: str = "sam2"  # sam2 | template | colour (plain-background simulated scenes only)
    sam2_path: str = "facebook/sam2.1-hiera-large"
    sam2_image_size: int | None = 256
    template_search_radius: int | None = None
    object_selection: str = "last"  # simulated clips: the dropped object is the last
    bootstrap_samples: int = 200  # resamples for the 95 % intervals in each validation's summary.json

    def __post_init__(self):
        if self.segmenter not in SEGMENTERS:
            raise ValueError(f"validation.segmenter must be one of {SEGMENTERS}, got {self.segmenter!r}")
        if self.weights not in ("ema", "model"):
            raise ValueError(f"validation.weights must be 'ema' or 'model', got {self.weights!r}")


def build_segmenter(args: ValArgs):
    """SAM 2 (adapter of :mod:`evaluation.perception.sam2`), the template tracker or the colour segmenter."""
    if args.segmenter == "template":
        from evaluation.perception.template import TemplateTracker

        return TemplateTracker(args.template_search_radius)
    if args.segmenter == "colour":  # plain-background simulated scenes only (evaluation/perception/colour.py)
        from evaluation.perception.colour import ColourSegmenter

        return ColourSegmenter()
    from evaluation.perception.sam2 import Sam2Segmenter

    return Sam2Segmenter(args.sam2_path, image_size=args.sam2_image_size)


def frame0_points(masks0: np.ndarray) -> list[dict]:
    """One point prompt per object of ``bool [N, H, W]`` (frame 0).

    An object hidden in frame 0 gets the placeholder ``[0, 0]`` flagged ``occluded``: validation
    prompts SAM 2 with the masks of visible objects, so these points are only a record.
    """
    return [
        points_from_mask(m[None])[0] if m.any() else {"positive": [[0.0, 0.0]], "negative": [], "occluded": True}
        for m in masks0
    ]


def frames_uint8(video: torch.Tensor) -> np.ndarray:
    """``[3, T, H, W]`` in [-1, 1] → ``uint8 [T, H, W, 3]``."""
    x = ((video.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).cpu().numpy()


class Validator:
    """Held-out clips, prepared once; :meth:`run` scores one set of weights."""

    def __init__(self, args: ValArgs, run: Path, data):
        """``data``: the ``data`` section (clip size, frames, fps)."""
        num_frames, size = data.num_frames, data.resolution
        self.args, self.run_dir, self.fps, self.data_args = args, run, data.fps, data
        self.num_frames = num_frames
        rows = read_manifest(args.manifest, num_frames=num_frames, needs=("mask",), split=args.split, limit=args.limit)
        self.data = ClipDataset(rows, num_frames, size, needs=("mask",))
        self.rows = rows
        self.segmenter = None

    @property
    def root(self) -> Path:
        """``<run>/val``: where the held-out ground truth and the generated clips go."""
        if self.run_dir is None:
            raise RuntimeError("Validator.run_dir is not set yet (the loop sets it once the run folder exists)")
        return Path(self.run_dir) / "val"

    @property
    def prompts(self) -> list[str]:
        """The held-out clips' prompts (the loop adds them to the text-feature table)."""
        return [r.text for r in self.rows]

    def gt_identity(self, row) -> dict:
        """What a held-out ground-truth clip at the training size is made from (a resumed run may name other clips)."""
        return stage_identity(
            "validation_gt",
            1,
            inputs={"clip": fingerprint(row.path)},
            settings={"num_frames": self.num_frames, "resolution": self.data_args.resolution, "fps": self.fps},
        )

    def prepare_gt(self) -> None:
        """Write the ground truth at the training size (rank 0); clips the same source and settings made are kept."""
        for i, row in enumerate(self.rows):
            d = self.root / "gt" / row.sample_id
            ident = self.gt_identity(row)
            if (d / CLIP_INFO_FILE).is_file() and compare(d, ident)[0] == "same":
                continue
            if d.is_dir() and not has_done_record(d):
                shutil.rmtree(d)  # written by an earlier version inside this run folder (ours), without a record
            item = self.data[i]
            mask = item["mask"].numpy()
            info = {"text": row.text, "fps": self.fps, "source": row.path, "points": frame0_points(mask[0])}
            with staged_folder(d, ident) as tmp:
                write_sample(tmp, frames=frames_uint8(item["video"]), clip_info=info, mask=mask, movie=False)

    @torch.no_grad()
    def run(self, model, backbone, text_table, step: int) -> dict[str, float]:
        """Generate with ``backbone``'s sampler, segment and score at ``step``; returns ``val/<metric>`` means."""
        from opensora.backbones.sampling import sample_latents

        a = self.args
        if self.segmenter is None:
            self.segmenter = build_segmenter(a)
        out = self.root / f"step-{step:07d}"
        gen = torch.Generator().manual_seed(a.seed)  # the same noise at every validation
        model.eval()
        records = []
        for k in range(0, len(self.rows), a.batch_size):
            idx = list(range(k, min(k + a.batch_size, len(self.rows))))
            items = [self.data[i] for i in idx]
            first = torch.stack([it["video"][:, 0] for it in items]).to(backbone.device)
            z = sample_latents(
                backbone,
                model,
                first,
                text_table.batch([self.rows[i].text for i in idx], backbone.device),
                steps=a.num_sampling_steps,
                guidance_scale=a.cfg_scale,
                generator=gen,
            )
            video = backbone.to_square(backbone.decode(z).float(), self.data_args.resolution)
            for i, it, v in zip(idx, items, video, strict=True):
                records.append(self.score(i, it, frames_uint8(v), out, step))
        ev = EvalArgs(
            split="custom",
            model=f"step {step}",
            output_dir=str(out),
            object_selection=a.object_selection,
            bootstrap_samples=a.bootstrap_samples,
        )
        summary = summarize(records, ev)
        summary["segmenter"] = self.segmenter.record
        write_json(out / "summary.json", summary)
        with open(out / "per_sample.jsonl", "w") as f:
            for r in records:
                f.write(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, default=str) + "\n")
        values = {f"val/{m}": summary["metrics"][m]["mean"] for m in LOGGED if m in summary["metrics"]}
        values["val/failed"] = summary["counts"]["failed"]
        return values

    def references(self) -> dict[str, dict]:
        """Two references through the same segmenter and metrics, as summaries.

        ``ground_truth``: the held-out frames themselves (the best this segmenter allows);
        ``frozen_first_frame``: the first frame held still (a model that learnt nothing about falling).
        """
        if self.segmenter is None:
            self.segmenter = build_segmenter(self.args)
        out = {}
        for name in ("ground_truth", "frozen_first_frame"):
            records = []
            for i in range(len(self.rows)):
                item = self.data[i]
                frames = frames_uint8(item["video"])
                if name == "frozen_first_frame":
                    frames = np.repeat(frames[:1], len(frames), axis=0)
                records.append(self.score(i, item, frames, self.root / name, 0))
            ev = EvalArgs(split="custom", model=name, object_selection=self.args.object_selection,
                          bootstrap_samples=self.args.bootstrap_samples)  # fmt: skip
            out[name] = summarize(records, ev)
            out[name]["segmenter"] = self.segmenter.record
        return out

    def score(self, i: int, item: dict, frames: np.ndarray, out: Path, step: int) -> dict:
        """Segment generated ``frames`` of held-out clip ``i``, write them under ``out`` and score them."""
        row = self.rows[i]
        gt_mask = item["mask"].numpy()
        visible = gt_mask[0].reshape(len(gt_mask[0]), -1).any(axis=1)
        pred = np.zeros((frames.shape[0], *gt_mask.shape[1:]), dtype=bool)
        if visible.any():  # objects hidden in frame 0 cannot be prompted: their predicted mask stays empty
            pred[:, visible] = self.segmenter.segment(frames, masks=gt_mask[0, visible])
        d = out / row.sample_id
        info = {"text": row.text, "fps": self.fps, "step": step, "segmenter": self.segmenter.record["adapter"]}
        write_sample(d, frames=frames, clip_info=info, mask=pred)
        gt = self.root / "gt" / row.sample_id
        ev_item = EvalItem(i, row.sample_id, str(gt / MASK_FILE), float(self.fps), str(d / MASK_FILE), float(self.fps))
        ev = EvalArgs(split="custom", object_selection=self.args.object_selection)
        return evaluate_item(ev_item, ev)
