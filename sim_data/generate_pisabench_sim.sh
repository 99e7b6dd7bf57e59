#!/usr/bin/env bash
# Usage: bash sim_data/generate_pisabench_sim.sh [--output-dir DIR] [--num-samples 30] [--workers W] [--renderer cycles|preview]
# A PisaBench-sim-shaped test split: 30 clips with seen objects and backgrounds, 30 with unseen ones
# (Cycles, 256², 32 frames at 16 fps; configs/sim/pisabench_sim.py). Resumable.
# Writes $PISA_DATA_ROOT/pisabench/sim_seen_256/, sim_unseen_256/ (read by score_model.sh --split sim_*)
# and sim_seen.jsonl, sim_unseen.jsonl (for eval_sim.sh --config_file ... --split sim_seen|sim_unseen).
# Hardware: CPU, about 1 min per clip per 2 cores with Cycles (a GPU is used when present).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/pisabench_sim.py}
python -m sim_data.pisabench_sim "$CONFIG" "$@"
