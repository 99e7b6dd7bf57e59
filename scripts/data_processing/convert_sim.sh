#!/usr/bin/env bash
# Usage: bash scripts/data_processing/convert_sim.sh [--resolution 256] [--config_file x.jsonl]
# Converts PisaBench simulated clips to R×R (frames, points, mask.npz, depth.npz, flow.npz).
# Hardware: CPU; seconds for 60 clips. Reads $PISA_DATA_ROOT/pisabench/sim, writes .../sim_256.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-eval}
source "$(dirname "${BASH_SOURCE[0]}")/../setup_env.sh"
CONFIG=${CONFIG:-configs/data_processing/convert_sim.py}
python -m evaluation.convert "$CONFIG" "$@"
