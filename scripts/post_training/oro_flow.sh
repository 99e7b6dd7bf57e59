#!/usr/bin/env bash
# Usage: bash scripts/post_training/oro_flow.sh [--backbone NAME] --model.model_path=PSFT_EXPORT_OR_CHECKPOINT [--section.key=value ...]
#    or: NPROC=2 bash scripts/post_training/oro_flow.sh   (torchrun, one process per GPU)
# ORO (paper stage 2) with the reward of configs/post_training/oro_flow.py, starting from PSFT weights.
# Reads $PISA_DATA_ROOT/sim/psft/oro.csv (bash sim_data/generate_parallel.sh); writes $PISA_OUT_ROOT/post_training/NNN-oro*/.
# Hardware: GPUs; the PISA setting (all 10 steps, 32 frames, full fine-tuning) needs the most memory;
# oro.grad_steps=1, oro.decode_frames and model.lora_rank cut it (figures: benchmarks/oro_memory.py).
# --backbone NAME (default opensora_v1_2) reads configs/post_training/NAME/oro_flow.py (K = 1, LoRA, frame subset).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-train}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/post_training/oro_flow.py}  # --backbone NAME: configs/post_training/NAME/oro_flow.py
source "$(dirname "${BASH_SOURCE[0]}")/launch.sh"
launch opensora.train.oro "$CONFIG" "$@"  # python -m opensora.train.oro (torchrun when NPROC > 1)
