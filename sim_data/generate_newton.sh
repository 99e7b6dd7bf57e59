#!/usr/bin/env bash
# Usage: bash sim_data/generate_newton.sh [--output-dir DIR] [--num-samples 20] [--scenarios a,b] [--workers W] [--renderer cycles|preview]
# The Newtonian test split: drop, ramp_slide, roll, bounce, collide, pendulum; per scenario 20 clips
# with seen and 20 with unseen objects and environments (Cycles, 256², 32 frames at 16 fps;
# configs/sim/newton.py). Resumable.
# Writes $PISA_DATA_ROOT/newton/newton_256/<scenario>/<half>/ (read by score_model.sh --split newton)
# and newton_<scenario>_<half>.jsonl (for eval_sim.sh --config_file ...).
# Hardware: CPU, about 1 min per clip per 2 cores with Cycles (a GPU is used when present).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/newton.py}
python -m sim_data.newton "$CONFIG" "$@"
