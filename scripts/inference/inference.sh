#!/usr/bin/env bash
# Usage: bash scripts/inference/inference.sh --benchmark-dir data/pisabench/real_256 --output-dir outputs/predictions/real
#    or: bash scripts/inference/inference.sh --prompt-file prompts.txt [--ckpt-path PISA_CHECKPOINT_DIR]
# Generates first-frame-conditioned videos with Open-Sora v1.2 (30 steps, CFG 7) into the data schema.
# Hardware: one GPU (bf16; ~24 GB at 256²x32); CPU works with configs/inference/tiny.py only.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/inference/sample.py}
python -m opensora.inference "$CONFIG" "$@"
