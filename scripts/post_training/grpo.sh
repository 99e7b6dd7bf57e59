#!/usr/bin/env bash
# Usage: bash scripts/post_training/grpo.sh [--backbone NAME] [--model.model_path=PSFT_EXPORT] [--section.key=value ...]
#    or: NPROC=2 bash scripts/post_training/grpo.sh   (torchrun, one process per GPU)
# GRPO with verifiable rewards (opensora/train/grpo.py): groups of videos per training clip, rewarded by
# the benchmark's metrics against the simulator's masks. Default config: configs/post_training/grpo_tiny.py
# (CPU, random tiny models, the small simulated set: python -m sim_data.parallel configs/sim/small.py).
# --backbone NAME reads configs/post_training/NAME/grpo_tiny.py; the full-size runs:
#   CONFIG=configs/post_training/grpo_base.py bash scripts/post_training/grpo.sh [--backbone NAME] --model.model_path=PSFT_EXPORT
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/post_training/grpo_tiny.py}  # --backbone NAME: configs/post_training/NAME/grpo_tiny.py
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
launch opensora.train.grpo "$CONFIG" "$@"  # python -m opensora.train.grpo (torchrun when NPROC > 1)
