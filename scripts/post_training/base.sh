#!/usr/bin/env bash
# Usage: bash scripts/post_training/base.sh [--run-dir DIR --resume auto] [--section.key=value ...]
#    or: NPROC=2 bash scripts/post_training/base.sh   (torchrun, one process per GPU)
# PSFT (paper stage 1): fine-tunes Open-Sora v1.2 on simulated drop clips (data/sim/psft/psft.csv).
# Hardware: GPUs with bf16 (STDiT3-XL/2, batch 64 per GPU as PISA); CONFIG=configs/post_training/tiny.py runs on CPU.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/post_training/base.py}
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
launch opensora.train.psft "$CONFIG" "$@"  # python -m opensora.train.psft (torchrun when NPROC > 1)
