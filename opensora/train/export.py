r"""Export a PSFT/ORO checkpoint's EMA or working weights in the model's own format.

Usage::

    python -m opensora.train.export outputs/post_training/000-psft/checkpoints/step-0001000 \
        --weights ema --output-dir outputs/exports/psft-ema

Open-Sora v1.2: ``config.json`` + ``model.safetensors`` (loads with ``opensora.inference
--ckpt-path DIR`` or ``stdit3_from_pretrained``). Diffusers backbones (the checkpoint's
``pisa.json`` names them): what a run writes to ``export/ema`` — ``transformer/`` in diffusers'
format, ``pytorch_lora_weights.safetensors`` for LoRA runs (``load_lora_weights``), ``pisa.json``
naming the base pipeline (the run's ``model.model_path``; only its configs are read). Needs no
process group: the sharded checkpoint is read whole. LoRA adapters are merged into the base
weights with the rank and alpha recorded in the run's ``config.json``. The folder is written
under a temporary name and renamed into place; an existing output folder is an error.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
from pathlib import Path

from evaluation.core.errors import InputError
from evaluation.core.files import read_json_object, temp_name
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
    data = read_json_object(cfg)
    for name in ("model", "oro"):
        section = data.get(name) or {}
        rank = section.get("lora_rank") or 0
        if rank > 0:
            return float(section.get("lora_alpha", 8.0)) / rank
    return None


def export(ckpt: str | Path, weights: str, output_dir: str | Path) -> Path:
    """Write the exported folder and return it."""
    ckpt, output_dir = Path(ckpt), Path(output_dir)
    if not (ckpt / TRAIN_STATE_FILE).is_file():
        raise InputError(ckpt, f"not a complete training checkpoint (no {TRAIN_STATE_FILE})")
    ident = read_json_object(ckpt / IDENTITY_FILE) if (ckpt / IDENTITY_FILE).is_file() else {}
    diffusers_model = ident.get("backbone", "opensora_v1_2") != "opensora_v1_2"
    if not diffusers_model and not (ckpt / "config.json").is_file():
        raise InputError(ckpt, "not a complete training checkpoint (no config.json)")
    if output_dir.exists():
        raise InputError(output_dir, "already exists; choose a new --output-dir (nothing is overwritten)")
    sd = read_training_checkpoint(ckpt, weights)
    lora = None
    if any(".lora_A." in k for k in sd):
        from opensora.train.lora import adapter_weights, merge_lora

        scaling = lora_scaling(ckpt)
        if scaling is None:
            raise InputError(ckpt, "LoRA weights but no model.lora_rank/lora_alpha in the run's config.json")
        lora = adapter_weights(sd, scaling) if diffusers_model else None
        sd = merge_lora(sd, scaling)
    tmp = output_dir.parent / temp_name(output_dir.name)
    try:
        if diffusers_model:
            save_diffusers(ckpt, ident, sd, lora, tmp)
        else:
            save_weights_folder(sd, read_json_object(ckpt / "config.json"), tmp)
            if ident:  # backbone, latent space, size: inference takes them from it
                (tmp / IDENTITY_FILE).write_text((ckpt / IDENTITY_FILE).read_text())
        tmp.rename(output_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return output_dir


def save_diffusers(ckpt: Path, ident: dict, sd: dict, lora: dict | None, folder: Path) -> None:
    """A diffusers backbone's export: the base pipeline is the run's ``model.model_path``."""
    from opensora.backbones import IMPLEMENTATIONS
    from opensora.backbones.diffusers_base import read_base_model, save_export, transformer_class_and_config

    name = ident["backbone"]
    if name not in IMPLEMENTATIONS:
        raise InputError(ckpt / IDENTITY_FILE, f"unknown backbone {name!r}; known: {sorted(IMPLEMENTATIONS)}")
    run_cfg = ckpt.parent.parent / "config.json"
    if not run_cfg.is_file():
        raise InputError(run_cfg, "missing: the run's config names the base pipeline (model.model_path)")
    model_path = (read_json_object(run_cfg).get("model") or {}).get("model_path")
    if not model_path:
        raise InputError(run_cfg, "no model.model_path: cannot tell which pipeline the weights belong to")
    from opensora.tiny import resolve_weights

    model_path = resolve_weights(model_path)  # the config edge of this CLI: runs before specs were resolved name tiny:…
    module, cls = IMPLEMENTATIONS[name]
    pipeline_class = getattr(importlib.import_module(module), cls).pipeline_class
    base = read_base_model(model_path)
    model_class, config = transformer_class_and_config(pipeline_class, base)
    identity = {k: v for k, v in ident.items() if k not in ("base_model", "lora_base")}
    save_export(model_class, config, pipeline_class, base, sd, lora, folder, identity, model_path)


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
    print(
        f"wrote {out}: "
        + ", ".join(sorted(p.name for p in out.iterdir()))
        + f" ({a.weights} weights of {a.checkpoint})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
