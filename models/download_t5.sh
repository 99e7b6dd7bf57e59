#!/usr/bin/env bash
# Usage: bash models/download_t5.sh [TARGET_DIR]
# Downloads the T5 v1.1 XXL text encoder used by Open-Sora v1.2 (DeepFloyd/t5-v1_1-xxl, ~19 GB fp32;
# gated: accept the DeepFloyd licence on the hub and `hf auth login` first) into $PISA_CKPT_ROOT.
# Then: --inference.text_encoder_path=models/t5-v1_1-xxl. PSFT only needs the cached embedding of its one prompt.
set -euo pipefail
TARGET=${1:-${PISA_CKPT_ROOT:-./models}}
hf download DeepFloyd/t5-v1_1-xxl --include "*.json" "*.model" "pytorch_model*" "model*.safetensors*" --local-dir "$TARGET/t5-v1_1-xxl"
