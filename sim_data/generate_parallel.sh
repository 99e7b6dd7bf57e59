#!/usr/bin/env bash
# Usage: bash sim_data/generate_parallel.sh [--num-samples N] [--renderer preview|cycles] [--workers W] [--launcher local|ray] [--output-dir DIR]
# Simulates N drop clips in parallel (resumable: finished samples are skipped) and writes the
# training manifests where post-training reads them. Reads configs/sim/base.py (CONFIG=...).
# Writes $PISA_DATA_ROOT/sim/psft/: samples/, psft.csv (read by scripts/post_training/base.sh),
# oro.csv (oro_*.sh), val.csv (validation), eval_sim.jsonl. Defaults: 8 preview clips.
# The PISA-sized set: --num-samples 6000 --renderer cycles --workers 8 (= CONFIG=configs/sim/psft.py).
# Hardware: CPU (Cycles can use a GPU).
set -euo pipefail
PISA_REQUIREMENTS=${PISA_REQUIREMENTS:-sim}
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/setup_env.sh"
CONFIG=${CONFIG:-configs/sim/base.py}
python -m sim_data.parallel "$CONFIG" "$@"
