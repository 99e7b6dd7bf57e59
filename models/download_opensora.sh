#!/usr/bin/env bash
# Usage: bash models/download_opensora.sh [TARGET_DIR]
# Downloads the Open-Sora v1.2 weights used by PISA into $PISA_CKPT_ROOT (default ./models):
#   hpcai-tech/OpenSora-STDiT-v3  (config.json + model.safetensors, 4.84 GB fp32, Apache-2.0)
#   hpcai-tech/OpenSora-VAE-v1.2  (config.json + model.safetensors, 1.57 GB fp32, Apache-2.0)
#   PISA post-trained checkpoints (nyu-visionx/pisa-experiments, dataset repo, checkpoints/base, oro_seg, oro_depth)
# Then point configs at the folders, e.g. --inference.model_path=models/OpenSora-STDiT-v3.
# Needs network access and huggingface_hub (requirements/eval.txt); sha256 sums are printed for the record.
set -euo pipefail
TARGET=${1:-${PISA_CKPT_ROOT:-./models}}
hf download hpcai-tech/OpenSora-STDiT-v3 --local-dir "$TARGET/OpenSora-STDiT-v3"
hf download hpcai-tech/OpenSora-VAE-v1.2 --local-dir "$TARGET/OpenSora-VAE-v1.2"
hf download nyu-visionx/pisa-experiments --repo-type dataset --include "checkpoints/*" --local-dir "$TARGET/pisa"
sha256sum "$TARGET"/OpenSora-STDiT-v3/*.safetensors "$TARGET"/OpenSora-VAE-v1.2/*.safetensors
