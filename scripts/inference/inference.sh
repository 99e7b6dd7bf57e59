#!/usr/bin/env bash
# Usage: bash scripts/inference/inference.sh [--backbone NAME] [--model-path HUB_ID_OR_FOLDER] --benchmark-dir DIR --output-dir DIR
#    or: bash scripts/inference/inference.sh --prompt-file prompts.txt [--ckpt-path PISA_CHECKPOINT_DIR]
# Generates first-frame-conditioned videos into the data schema with a backbone: opensora_v1_2
# (default; 30 steps, CFG 7), cogvideox_5b_i2v, wan2_1_i2v_14b_480p, wan2_2_ti2v_5b, ltx_video —
# each with its PisaBench settings from configs/inference/NAME.py (CONFIG=... to choose another).
# Options: --shard i/n (one process per GPU), --backbone.cpu_offload=True, --backbone.vae_tiling=True.
# Hardware: one GPU (bf16); CPU works with the tiny presets only (configs/inference/*_tiny.py).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
if [[ -n "${CONFIG:-}" ]]; then
  python -m opensora.inference "$CONFIG" "$@"
else
  python -m opensora.inference "$@"  # --backbone NAME picks configs/inference/NAME.py
fi
