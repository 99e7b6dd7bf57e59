#!/usr/bin/env bash
# Usage: bash sim_data/generate_parallel.sh [--num-samples N] [--workers W] [--launcher local|ray] [--output-dir DIR] [--renderer cycles]
# Simulates N drop clips in parallel (resumable: finished samples are skipped), logs failures,
# and writes psft.csv / oro.csv / val.csv and eval_sim.jsonl in the output folder.
# Hardware: CPU (Cycles can use a GPU); defaults: 8 preview clips in $PISA_DATA_ROOT/sim/run.
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/base.py}
python -m sim_data.parallel "$CONFIG" "$@"
