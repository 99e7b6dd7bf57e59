r"""Export a PSFT/ORO checkpoint's EMA or working weights as ``config.json`` + ``model.safetensors``.

Usage::

    python -m opensora.train.export outputs/post_training/000-psft/checkpoints/step-0001000 \
        --weights ema --output-dir outputs/exports/psft-ema

The output loads with ``opensora.inference --ckpt-path DIR`` (or ``stdit3_from_pretrained``).
Needs no process group: the sharded checkpoint is read whole. LoRA runs (ORO with
``model.lora_rank > 0``) get their adapters merged into the base weights, using the rank and alpha
recorded in the run's ``config.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluation.errors import InputError
from opensora.backbones import IDENTITY_FILE
from opensora.models.checkpoint import TRAIN_STATE_FILE, read_training_checkpoint, save_weights_folder


def lora_scaling(ckpt: Path) -> float | None:
    """``alpha / rank`` from the run's ``config.json`` when the run trained LoRA adapters.

    The ``model`` section holds them (``model.lora_rank`` / ``lora_alpha``); runs made before LoRA
    moved there kept them in ``oro``.
    """
    cfg = ckpt.parent.parent / "config.json"
    if not cfg.is_file():
        return None
    try:
        data = json.loads(cfg.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(cfg, f"truncated or corrupt JSON ({e})") from e
    for name in ("model", "oro"):
        section = data.get(name) or {}
        rank = section.get("lora_rank") or 0
        if rank > 0:
            return float(section.get("lora_alpha", 8.0)) / rank
    return None


def export(ckpt: str | Path, weights: str, output_dir: str | Path) -> Path:
    """Write the exported folder and return it."""
    ckpt = Path(ckpt)
    if not (ckpt / TRAIN_STATE_FILE).is_file() or not (ckpt / "config.json").is_file():
        raise InputError(ckpt, f"not a complete training checkpoint ({TRAIN_STATE_FILE} and config.json)")
    sd = read_training_checkpoint(ckpt, weights)
    if any(".lora_A." in k for k in sd):
        from opensora.train.lora import merge_lora

        scaling = lora_scaling(ckpt)
        if scaling is None:
            raise InputError(ckpt, "LoRA weights but no model.lora_rank/lora_alpha in the run's config.json")
        sd = merge_lora(sd, scaling)
    folder = save_weights_folder(sd, json.loads((ckpt / "config.json").read_text()), output_dir)
    if (ckpt / IDENTITY_FILE).is_file():  # backbone, latent space, size: inference takes them from it
        (folder / IDENTITY_FILE).write_text((ckpt / IDENTITY_FILE).read_text())
    return folder


def main(argv=None) -> int:
    """Parse the command line and export."""
    p = argparse.ArgumentParser(
        prog="python -m opensora.train.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("checkpoint", help="a checkpoints/step-XXXXXXX folder")
    p.add_argument("--weights", choices=("ema", "model"), default="ema")
    p.add_argument("--output-dir", "--output_dir", dest="output_dir", required=True)
    a = p.parse_args(argv)
    try:
        out = export(a.checkpoint, a.weights, a.output_dir)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}/config.json, model.safetensors (and pisa.json) ({a.weights} weights of {a.checkpoint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
