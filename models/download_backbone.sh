#!/usr/bin/env bash
# Usage: bash models/download_backbone.sh NAME [TARGET_DIR]
# One image-to-video backbone's diffusers pipeline folder into $PISA_CKPT_ROOT/NAME, for
# --backbone NAME --model-path models/NAME (inference, score_model.sh, post-training):
#   cogvideox_5b_i2v     THUDM/CogVideoX-5b-I2V                   (CogVideoX licence)
#   wan2_1_i2v_14b_480p  Wan-AI/Wan2.1-I2V-14B-480P-Diffusers     (Apache-2.0)
#   wan2_2_ti2v_5b       Wan-AI/Wan2.2-TI2V-5B-Diffusers          (Apache-2.0)
#   ltx_video            Lightricks/LTX-Video                     (pick the 0.9.x files you need; LTX licence)
set -euo pipefail
NAME=${1:?usage: bash models/download_backbone.sh NAME [TARGET_DIR]}
TARGET=${2:-${PISA_CKPT_ROOT:-./models}}
case "$NAME" in
  cogvideox_5b_i2v) REPO=THUDM/CogVideoX-5b-I2V ;;
  wan2_1_i2v_14b_480p) REPO=Wan-AI/Wan2.1-I2V-14B-480P-Diffusers ;;
  wan2_2_ti2v_5b) REPO=Wan-AI/Wan2.2-TI2V-5B-Diffusers ;;
  ltx_video) REPO=Lightricks/LTX-Video ;;
  *) echo "error: unknown backbone $NAME" >&2; exit 2 ;;
esac
hf download "$REPO" --local-dir "$TARGET/$NAME"
find "$TARGET/$NAME" -name '*.safetensors' -exec sha256sum {} +
