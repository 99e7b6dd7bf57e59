#!/usr/bin/env bash
# Usage: bash scripts/post_training/dpo.sh [--backbone NAME] [--model.model_path=PSFT_EXPORT] [--section.key=value ...]
#    or: NPROC=2 bash scripts/post_training/dpo.sh   (torchrun, one process per GPU)
# Ground-truth-anchored Diffusion-DPO (opensora/train/dpo.py): the simulated clip preferred over the
# model's own sample, LoRA adapters trained against the adapters-off reference. Default config:
# configs/post_training/dpo_tiny.py (CPU, random tiny models, the small simulated set).
# --backbone NAME reads configs/post_training/NAME/dpo_tiny.py; the full-size runs:
#   CONFIG=configs/post_training/dpo_base.py bash scripts/post_training/dpo.sh [--backbone NAME] --model.model_path=PSFT_EXPORT
# --dpo.pairs=reward_ranked: the best vs the worst of dpo.candidates samples by the verifiable reward.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/post_training/dpo_tiny.py}  # --backbone NAME: configs/post_training/NAME/dpo_tiny.py
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
launch opensora.train.dpo "$CONFIG" "$@"  # python -m opensora.train.dpo (torchrun when NPROC > 1)
