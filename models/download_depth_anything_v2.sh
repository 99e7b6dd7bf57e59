#!/usr/bin/env bash
# Usage: bash models/download_depth_anything_v2.sh [TARGET_DIR]
# Depth Anything V2 Small (ViT-S) in the transformers format (depth-anything/Depth-Anything-V2-Small-hf,
# ~100 MB, Apache-2.0) into $PISA_CKPT_ROOT/Depth-Anything-V2-Small-hf.
set -euo pipefail
TARGET=${1:-${PISA_CKPT_ROOT:-./models}}
hf download depth-anything/Depth-Anything-V2-Small-hf --local-dir "$TARGET/Depth-Anything-V2-Small-hf"
sha256sum "$TARGET"/Depth-Anything-V2-Small-hf/*.safetensors
