#!/usr/bin/env bash
# Usage: bash scripts/post_training/base.sh [--backbone NAME] [--run-dir DIR --resume auto] [--section.key=value ...]
#    or: NPROC=2 bash scripts/post_training/base.sh   (torchrun, one process per GPU)
# PSFT (paper stage 1): fine-tunes a video model on simulated drop clips. Reads $PISA_DATA_ROOT/sim/psft/psft.csv
# (+ val.csv for validation), as written by bash sim_data/generate_parallel.sh; writes
# $PISA_OUT_ROOT/post_training/NNN-psft*/ (checkpoints, export/ema, val/).
# --backbone: opensora_v1_2 (default, the paper: configs/post_training/base.py) | cogvideox_5b_i2v |
# wan2_1_i2v_14b_480p | wan2_2_ti2v_5b | ltx_video (configs/post_training/NAME/psft.py: LoRA, bf16).
# Hardware: GPUs with bf16; CONFIG=configs/post_training/tiny.py (or NAME/tiny_psft.py) runs on CPU.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/post_training/base.py}  # --backbone NAME: configs/post_training/NAME/psft.py
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
launch opensora.train.psft "$CONFIG" "$@"  # python -m opensora.train.psft (torchrun when NPROC > 1)
