#!/usr/bin/env bash
# Usage: bash scripts/data_processing/generate_mask.sh --video-root DIR [--prompt-mask-root GT_DIR] [--output-root DIR] [--shard i/n]
#    or: bash scripts/data_processing/generate_mask.sh --config_file masks.jsonl   (released {video, annotation, mask} lines)
# Tracks every prompted object with SAM 2 (facebook/sam2.1-hiera-large) and writes mask.npz [T,N,H,W].
# Hardware: one GPU (bf16) recommended; CPU works (slowly). Resumable; run one shard per GPU.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/data_processing/generate_mask.py}
python -m evaluation.generate_masks "$CONFIG" "$@"
