#!/usr/bin/env bash
# Usage: bash models/download_sam2.sh [TARGET_DIR]
# SAM 2.1 Hiera-L in the transformers format (facebook/sam2.1-hiera-large, ~900 MB, Apache-2.0)
# into $PISA_CKPT_ROOT/sam2.1-hiera-large; then --model models/sam2.1-hiera-large.
set -euo pipefail
TARGET=${1:-${PISA_CKPT_ROOT:-./models}}
hf download facebook/sam2.1-hiera-large --local-dir "$TARGET/sam2.1-hiera-large"
sha256sum "$TARGET"/sam2.1-hiera-large/*.safetensors
